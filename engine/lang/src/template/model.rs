//! The evaluated template: what both front ends (HCL2 and legacy JSON)
//! produce and what validation, planning and the build runner consume.
//!
//! Configuration bodies keep a location for every attribute and block so
//! that component schemas can point at the exact argument that is wrong.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::diag::{Range, Sources};
use crate::template::Value;

/// Which front end produced a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateFormat {
    /// HCL2 (`*.pkr.hcl`, `*.pkr.json`).
    Hcl2,
    /// Packer's legacy JSON template (`builders`, `provisioners`, … at the root).
    Json,
}

/// One evaluated attribute of a configuration body.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigAttr {
    /// The evaluated value (may be unknown or hold unknowns during validation).
    pub value: Value,
    /// The attribute name (HCL) or object key (JSON).
    pub name_range: Option<Range>,
    /// The value expression.
    pub value_range: Option<Range>,
}

/// A nested block inside a configuration body (e.g. `source_ami_filter {}`).
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigBlock {
    /// The block type, e.g. `source_ami_filter`.
    pub kind: String,
    /// The block's labels, in order (most component sub-blocks have none).
    pub labels: Vec<String>,
    /// The block's evaluated contents.
    pub body: ConfigBody,
    /// The block type identifier.
    pub range: Option<Range>,
}

/// An evaluated configuration body with locations.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConfigBody {
    /// Attributes by name.
    pub attrs: BTreeMap<String, ConfigAttr>,
    /// Nested blocks in source order; a type may repeat.
    pub blocks: Vec<ConfigBlock>,
    /// The whole body (or its opening brace), for "missing argument" errors.
    pub range: Option<Range>,
}

impl ConfigBody {
    /// A body of attributes with values and no source positions (for
    /// configurations built in code rather than parsed).
    pub fn from_values<'a>(pairs: impl IntoIterator<Item = (&'a str, Value)>) -> Self {
        ConfigBody {
            attrs: pairs
                .into_iter()
                .map(|(k, value)| {
                    (
                        k.to_string(),
                        ConfigAttr {
                            value,
                            name_range: None,
                            value_range: None,
                        },
                    )
                })
                .collect(),
            ..ConfigBody::default()
        }
    }

    /// The value of attribute `name`, if set.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.attrs.get(name).map(|a| &a.value)
    }

    /// The value of attribute `name` when it is a string.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }

    /// The nested blocks of type `kind`, in source order.
    pub fn blocks_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a ConfigBlock> + 'a {
        self.blocks.iter().filter(move |b| b.kind == kind)
    }

    /// The body as one object value (nested blocks become lists of objects
    /// under their type name), e.g. for a builder's typed decoding.
    pub fn to_value(&self) -> Value {
        let mut map: BTreeMap<String, Value> = self
            .attrs
            .iter()
            .map(|(k, a)| (k.clone(), a.value.clone()))
            .collect();
        for b in &self.blocks {
            let entry = map
                .entry(b.kind.clone())
                .or_insert_with(|| Value::List(Vec::new()));
            if let Value::List(items) = entry {
                items.push(b.body.to_value());
            }
        }
        Value::Map(map)
    }
}

/// The four plugin seams Packer defines that templates configure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ComponentKind {
    /// A `source` block (HCL2) or a `builders[]` entry (JSON).
    Builder,
    /// A `provisioner` block or `provisioners[]` entry.
    Provisioner,
    /// A `post-processor` block or `post-processors[]` entry.
    PostProcessor,
    /// A `data` block (HCL2 only).
    DataSource,
}

impl ComponentKind {
    /// The word used in messages ("builder", "post-processor", …).
    pub fn noun(self) -> &'static str {
        match self {
            ComponentKind::Builder => "builder",
            ComponentKind::Provisioner => "provisioner",
            ComponentKind::PostProcessor => "post-processor",
            ComponentKind::DataSource => "data source",
        }
    }
}

/// A configured component: `source "amazon-ebs" "x" {…}`,
/// `provisioner "shell" {…}`, a JSON `builders[]` entry, …
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    /// Which seam this component plugs into.
    pub kind: ComponentKind,
    /// The component type, e.g. `amazon-ebs`, `shell`.
    pub type_name: String,
    /// The local name (`source "t" "NAME"`, `name = …` on provisioners).
    pub name: Option<String>,
    /// Where the type is written (label or JSON `"type"` value).
    pub type_range: Option<Range>,
    /// The block header, e.g. `source "null" "basic"` (for diagnostics' context).
    pub context: String,
    /// The component's own configuration (meta-arguments such as `only` or `pause_before` removed).
    pub config: ConfigBody,
}

/// A declared input variable and its final value.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    /// The variable's name (`var.NAME`, `{{user `NAME`}}`).
    pub name: String,
    /// The type constraint as written (`string`, `list(string)`, …), if any.
    pub type_expr: Option<String>,
    /// The declared default; `None` when the variable has none (it is then required).
    pub default: Option<Value>,
    /// The value after applying defaults, env, var files and `-var`.
    pub value: Value,
    /// The `description` argument.
    pub description: Option<String>,
    /// `sensitive = true` (HCL2) or listed in `sensitive-variables` (JSON): the value is never
    /// printed.
    pub sensitive: bool,
    /// The declaration (block header or JSON key), for diagnostics.
    pub range: Option<Range>,
}

/// A provisioner in a build, with Packer's per-provisioner settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ProvisionerDef {
    /// The provisioner itself.
    pub component: Component,
    /// `only`: source names (`TYPE.NAME`; JSON: builder names) this provisioner
    /// runs for, as globs; empty = all.
    pub only: Vec<String>,
    /// `except`: source names this provisioner skips, as globs.
    pub except: Vec<String>,
    /// Duration strings as written (`"10s"`), validated by the front end.
    pub pause_before: Option<String>,
    /// `max_retries`: how many times to retry a failed run (0 = no retries).
    pub max_retries: u32,
    /// `timeout` as written (`"5m"`); `None` = no timeout.
    pub timeout: Option<String>,
    /// Per-build overrides: build name → settings.
    pub overrides: BTreeMap<String, Value>,
}

/// A post-processor in a chain.
#[derive(Debug, Clone, PartialEq)]
pub struct PostProcessorDef {
    /// The post-processor itself.
    pub component: Component,
    /// `only`: source names (`TYPE.NAME`; JSON: builder names) this post-processor
    /// runs for, as globs; empty = all.
    pub only: Vec<String>,
    /// `except`: source names this post-processor skips, as globs.
    pub except: Vec<String>,
    /// `keep_input_artifact`; `None` when not set (the post-processor decides).
    pub keep_input_artifact: Option<bool>,
}

/// One source used by a build, with its in-build overrides applied.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildSource {
    /// The builder component (type, local name, merged config).
    pub builder: Component,
    /// The name this source takes inside the build (`name = …` in a
    /// `source "t.n" {}` block), defaulting to the source's name.
    pub build_name: String,
    /// The `source` reference inside the build block, for diagnostics.
    pub range: Option<Range>,
}

/// A `build {}` block (HCL2) or the single implicit build of a JSON template.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Build {
    /// The build block's `name`; `None` for unnamed builds and JSON templates.
    pub name: Option<String>,
    /// The build's `description`.
    pub description: Option<String>,
    /// The sources the build runs, one build per source.
    pub sources: Vec<BuildSource>,
    /// The provisioners, in run order.
    pub provisioners: Vec<ProvisionerDef>,
    /// Each inner vector is one chain (`post-processors {}` block or a
    /// single `post-processor {}`).
    pub post_processors: Vec<Vec<PostProcessorDef>>,
    /// `error-cleanup-provisioner`: runs when the build fails during provisioning.
    pub error_cleanup_provisioner: Option<ProvisionerDef>,
    /// The build's `hcp_packer_registry` block, if any.
    pub hcp_packer_registry: Option<ConfigBody>,
    /// The `build` block header (JSON: the whole template), for diagnostics.
    pub range: Option<Range>,
    /// The provisioners and post-processors evaluated once per source
    /// (`source.name`, `source.type` and `build.*` placeholders known),
    /// index-aligned with `sources`. Empty for legacy JSON templates, whose
    /// components are rendered per build by the runner's caller.
    pub per_source: Vec<SourceComponents>,
}

/// A build's provisioners and post-processors as evaluated for one of its
/// sources.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SourceComponents {
    /// Like [`Build::provisioners`], for this source.
    pub provisioners: Vec<ProvisionerDef>,
    /// Like [`Build::post_processors`], for this source.
    pub post_processors: Vec<Vec<PostProcessorDef>>,
    /// Like [`Build::error_cleanup_provisioner`], for this source.
    pub error_cleanup_provisioner: Option<ProvisionerDef>,
    /// How to evaluate each component again once the builder's values are
    /// known (same shape as the lists above; `None` where not possible).
    pub reevaluate: Reevaluators,
}

/// The function behind [`Reevaluate`]: generated values → configuration.
pub type ReevaluateFn =
    dyn Fn(&BTreeMap<String, String>) -> Result<ConfigBody, String> + Send + Sync;

/// Evaluates a component's configuration again with the builder's
/// generated values as `build.*`, as Packer prepares HCL2 provisioners and
/// post-processors again when the build runs (so `upper(build.ID)` works).
#[derive(Clone)]
pub struct Reevaluate(pub std::sync::Arc<ReevaluateFn>);

impl Reevaluate {
    /// Evaluate the configuration again with `generated` as `build.*`.
    pub fn call(&self, generated: &BTreeMap<String, String>) -> Result<ConfigBody, String> {
        (self.0)(generated)
    }
}

impl std::fmt::Debug for Reevaluate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reevaluate(..)")
    }
}

impl PartialEq for Reevaluate {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}

/// Re-evaluators of a build's components, shaped like its lists.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reevaluators {
    /// One per provisioner (`None` where re-evaluation is not possible).
    pub provisioners: Vec<Option<Reevaluate>>,
    /// One per post-processor, chain by chain.
    pub post_processors: Vec<Vec<Option<Reevaluate>>>,
    /// For the error-cleanup provisioner.
    pub error_cleanup_provisioner: Option<Reevaluate>,
}

/// A required plugin entry of `packer { required_plugins {} }`.
#[derive(Debug, Clone, PartialEq)]
pub struct RequiredPlugin {
    /// The key in `required_plugins` (e.g. `amazon`).
    pub local_name: String,
    /// The plugin's `source` address, e.g. `github.com/hashicorp/amazon`.
    pub source: String,
    /// The `version` constraint as written, e.g. `">= 1.0.0"`; `None` when not set.
    pub version: Option<String>,
    /// The entry in the `packer` block, for diagnostics.
    pub range: Option<Range>,
}

/// A fully loaded and evaluated template.
#[derive(Debug, Clone)]
pub struct Template {
    /// Which front end produced the template.
    pub format: TemplateFormat,
    /// The file or directory the template was loaded from.
    pub path: PathBuf,
    /// Every file read, for rendering diagnostics with source lines.
    pub sources: Sources,
    /// The template's `description` (JSON root key; not set for HCL2).
    pub description: Option<String>,
    /// `packer { required_version }` as written; `None` when not set.
    pub required_version: Option<String>,
    /// `packer { required_plugins }` entries.
    pub required_plugins: Vec<RequiredPlugin>,
    /// Declared input variables with their final values, in declaration order.
    pub variables: Vec<Variable>,
    /// Evaluated locals by name.
    pub locals: BTreeMap<String, Value>,
    /// The `data` blocks (HCL2) with their evaluated configuration.
    pub data_sources: Vec<Component>,
    /// The builds, in source order.
    pub builds: Vec<Build>,
}
