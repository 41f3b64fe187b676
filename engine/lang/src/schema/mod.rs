//! Component schemas: the typed configuration of every builder,
//! provisioner, post-processor and data source kiln ships.
//!
//! [`validate_component`] checks one configured [`Component`] the way
//! Packer's HCL decoding plus the plugin's `Prepare` would: unknown types,
//! unsupported / missing / mistyped arguments, duplicate blocks, invalid
//! enum values and durations, and the cross-field rules plugins enforce
//! (e.g. `source_ami` or `source_ami_filter`). Every diagnostic points at
//! the exact name or value and carries the component's context.
//!
//! [`check_required_plugin`] and [`version_satisfies`] serve
//! `packer { required_plugins {} }` and `required_version`.

pub(crate) mod builder;
pub mod check;
pub mod communicator;
pub(crate) mod datasource;
pub mod field;
pub mod plugins;
pub(crate) mod post_processor;
pub(crate) mod provisioner;
pub mod suggest;
mod validate;
pub mod version;

pub use check::Checker;
pub use field::{Field, FieldType};
pub use plugins::{builtin_plugins, check_required_plugin, BuiltinPlugin};
pub use version::version_satisfies;

use crate::diag::Diagnostic;
use crate::template::model::{Component, ComponentKind};

/// Fields every component embedding Packer's `common.PackerConfig`
/// accepts (they appear in every plugin's `hcl2spec`; Packer sets them
/// itself, but templates may name them).
pub const PACKER_COMMON: &[Field] = &[
    Field::string("packer_build_name"),
    Field::string("packer_builder_type"),
    Field::string("packer_core_version"),
    Field::bool("packer_debug"),
    Field::bool("packer_force"),
    Field::string("packer_on_error"),
    Field::string_map("packer_user_variables"),
    Field::strings("packer_sensitive_variables"),
];

/// The schema of one component type.
#[derive(Debug)]
pub struct ComponentSchema {
    /// Which seam the component plugs into.
    pub kind: ComponentKind,
    /// The type name templates use (`amazon-ebs`, `shell`, …).
    pub type_name: &'static str,
    /// The accepted fields, in groups (e.g. the shared communicator fields
    /// plus the builder's own). Use [`ComponentSchema::fields`].
    pub groups: &'static [&'static [Field]],
    /// The plugin source providing the component, `None` for components
    /// built into Packer itself.
    pub plugin: Option<&'static str>,
    /// Cross-field rules the plugin checks in `Prepare`.
    pub check: Option<fn(&mut Checker<'_>)>,
}

impl ComponentSchema {
    /// Every accepted field.
    pub fn fields(&self) -> impl Iterator<Item = &'static Field> + '_ {
        self.groups.iter().flat_map(|g| g.iter())
    }

    /// One field by name.
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        self.fields().find(|f| f.name == name)
    }
}

/// Every schema kiln ships.
pub fn all() -> &'static [&'static ComponentSchema] {
    REGISTRY
}

static REGISTRY: &[&ComponentSchema] = &[
    &builder::amazon_ebs::SCHEMA,
    &builder::docker::SCHEMA,
    &builder::file::SCHEMA,
    &builder::null::SCHEMA,
    &provisioner::ansible::SCHEMA,
    &provisioner::ansible_local::SCHEMA,
    &provisioner::breakpoint::SCHEMA,
    &provisioner::file::SCHEMA,
    &provisioner::shell::SCHEMA,
    &provisioner::shell_local::SCHEMA,
    &post_processor::artifice::SCHEMA,
    &post_processor::checksum::SCHEMA,
    &post_processor::compress::SCHEMA,
    &post_processor::docker_import::SCHEMA,
    &post_processor::docker_push::SCHEMA,
    &post_processor::docker_save::SCHEMA,
    &post_processor::docker_tag::SCHEMA,
    &post_processor::manifest::SCHEMA,
    &post_processor::shell_local::SCHEMA,
    &datasource::amazon_ami::SCHEMA,
    &datasource::http::SCHEMA,
    &datasource::kiln_registry::ARTIFACT,
    &datasource::kiln_registry::VERSION,
    &datasource::null::SCHEMA,
];

/// The schema for a component type.
pub fn lookup(kind: ComponentKind, type_name: &str) -> Option<&'static ComponentSchema> {
    REGISTRY
        .iter()
        .copied()
        .find(|s| s.kind == kind && s.type_name == type_name)
}

/// The known types of a kind, sorted.
pub fn known_types(kind: ComponentKind) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = REGISTRY
        .iter()
        .filter(|s| s.kind == kind)
        .map(|s| s.type_name)
        .collect();
    v.sort_unstable();
    v
}

/// All diagnostics for one configured component. Values are checked with
/// cty's conversions (HCL2), or with Packer's weak typing when the
/// component comes from a legacy JSON template (its locations are in a
/// `.json` file that is not `.pkr.json`; see [`validate_legacy_component`]).
pub fn validate_component(c: &Component) -> Vec<Diagnostic> {
    validate_with(c, is_legacy_json(c))
}

fn file_name(c: &Component) -> Option<String> {
    c.type_range
        .as_ref()
        .or(c.config.range.as_ref())
        .map(|r| r.filename.to_ascii_lowercase())
}

fn is_legacy_json(c: &Component) -> bool {
    file_name(c).is_some_and(|f| f.ends_with(".json") && !f.ends_with(".pkr.json"))
}

/// All diagnostics for one component of a legacy JSON template: values
/// are checked the way Packer decodes them there (mapstructure's weak
/// typing: `"ami_users": "x"` is a one-element list, `"1"` a bool,
/// a number a duration in nanoseconds).
pub fn validate_legacy_component(c: &Component) -> Vec<Diagnostic> {
    validate_with(c, true)
}

fn validate_with(c: &Component, weak: bool) -> Vec<Diagnostic> {
    let Some(schema) = lookup(c.kind, &c.type_name) else {
        return vec![unknown_type(c)];
    };
    let mut checker = Checker::new(&c.config, &c.context);
    let fields: Vec<&Field> = schema.fields().collect();
    let cx = validate::Ctx {
        context: &c.context,
        weak,
        native_hcl: !weak && file_name(c).is_some_and(|f| f.ends_with(".hcl")),
    };
    validate::body(&mut checker.diags, cx, &fields, &c.config);
    // report argument-level problems in source order
    checker.diags.sort_by_key(|d| {
        d.range
            .as_ref()
            .map_or((usize::MAX, usize::MAX), |r| (r.start.line, r.start.column))
    });
    if let Some(check) = schema.check {
        check(&mut checker);
    }
    checker.diags
}

/// The error for building with a component whose description kiln knows
/// but which the build layer cannot run (`runnable` answers for the
/// build layer's component table); `None` when the component can be
/// built (or is unknown: see [`validate_component`]).
pub fn unavailable(
    c: &Component,
    runnable: &dyn Fn(ComponentKind, &str) -> bool,
) -> Option<Diagnostic> {
    let schema = lookup(c.kind, &c.type_name)?;
    if c.kind == ComponentKind::DataSource && c.type_name == "null" {
        return None;
    }
    if runnable(c.kind, &c.type_name) {
        return None;
    }
    let noun = c.kind.noun();
    let from = schema
        .plugin
        .map(|p| format!(" (plugin {p})"))
        .unwrap_or_default();
    Some(
        Diagnostic::error(
            format!("The {noun} {:?} is not available in this version", c.type_name),
            format!(
                "kiln validates {noun} {:?}{from} but cannot run it yet; this build cannot proceed.",
                c.type_name
            ),
        )
        .with_range_opt(c.type_range.clone())
        .with_context(c.context.clone()),
    )
}

fn unknown_type(c: &Component) -> Diagnostic {
    let noun = c.kind.noun();
    let known = known_types(c.kind);
    let hint = suggest::did_you_mean(&c.type_name, known.iter().copied());
    let list = known
        .iter()
        .map(|k| format!("{k:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    Diagnostic::error(
        format!("Unknown {noun} type {:?}", c.type_name),
        format!(
            "The {noun} type {:?} is not known to kiln.{hint} Known {noun} types: {list}.",
            c.type_name
        ),
    )
    .with_range_opt(c.type_range.clone())
    .with_context(c.context.clone())
}

#[cfg(test)]
mod tests;
