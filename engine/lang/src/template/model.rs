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
    Hcl2,
    Json,
}

/// One evaluated attribute of a configuration body.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigAttr {
    pub value: Value,
    /// The attribute name (HCL) or object key (JSON).
    pub name_range: Option<Range>,
    /// The value expression.
    pub value_range: Option<Range>,
}

/// A nested block inside a configuration body (e.g. `source_ami_filter {}`).
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigBlock {
    pub kind: String,
    pub labels: Vec<String>,
    pub body: ConfigBody,
    /// The block type identifier.
    pub range: Option<Range>,
}

/// An evaluated configuration body with locations.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConfigBody {
    pub attrs: BTreeMap<String, ConfigAttr>,
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

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.attrs.get(name).map(|a| &a.value)
    }

    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }

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
    Builder,
    Provisioner,
    PostProcessor,
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
    pub kind: ComponentKind,
    /// The component type, e.g. `amazon-ebs`, `shell`.
    pub type_name: String,
    /// The local name (`source "t" "NAME"`, `name = …` on provisioners).
    pub name: Option<String>,
    /// Where the type is written (label or JSON `"type"` value).
    pub type_range: Option<Range>,
    /// The block header, e.g. `source "null" "basic"` (for diagnostics' context).
    pub context: String,
    pub config: ConfigBody,
}

/// A declared input variable and its final value.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    pub name: String,
    /// The type constraint as written (`string`, `list(string)`, …), if any.
    pub type_expr: Option<String>,
    pub default: Option<Value>,
    /// The value after applying defaults, env, var files and `-var`.
    pub value: Value,
    pub description: Option<String>,
    pub sensitive: bool,
    pub range: Option<Range>,
}

/// A provisioner in a build, with Packer's per-provisioner settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ProvisionerDef {
    pub component: Component,
    pub only: Vec<String>,
    pub except: Vec<String>,
    /// Duration strings as written (`"10s"`), validated by the front end.
    pub pause_before: Option<String>,
    pub max_retries: u32,
    pub timeout: Option<String>,
    /// Per-build overrides: build name → settings.
    pub overrides: BTreeMap<String, Value>,
}

/// A post-processor in a chain.
#[derive(Debug, Clone, PartialEq)]
pub struct PostProcessorDef {
    pub component: Component,
    pub only: Vec<String>,
    pub except: Vec<String>,
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
    pub range: Option<Range>,
}

/// A `build {}` block (HCL2) or the single implicit build of a JSON template.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Build {
    pub name: Option<String>,
    pub description: Option<String>,
    pub sources: Vec<BuildSource>,
    pub provisioners: Vec<ProvisionerDef>,
    /// Each inner vector is one chain (`post-processors {}` block or a
    /// single `post-processor {}`).
    pub post_processors: Vec<Vec<PostProcessorDef>>,
    pub error_cleanup_provisioner: Option<ProvisionerDef>,
    pub hcp_packer_registry: Option<ConfigBody>,
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
    pub provisioners: Vec<ProvisionerDef>,
    pub post_processors: Vec<Vec<PostProcessorDef>>,
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
    pub provisioners: Vec<Option<Reevaluate>>,
    pub post_processors: Vec<Vec<Option<Reevaluate>>>,
    pub error_cleanup_provisioner: Option<Reevaluate>,
}

/// A required plugin entry of `packer { required_plugins {} }`.
#[derive(Debug, Clone, PartialEq)]
pub struct RequiredPlugin {
    pub local_name: String,
    pub source: String,
    pub version: Option<String>,
    pub range: Option<Range>,
}

/// A fully loaded and evaluated template.
#[derive(Debug, Clone)]
pub struct Template {
    pub format: TemplateFormat,
    /// The file or directory the template was loaded from.
    pub path: PathBuf,
    /// Every file read, for rendering diagnostics with source lines.
    pub sources: Sources,
    pub description: Option<String>,
    pub required_version: Option<String>,
    pub required_plugins: Vec<RequiredPlugin>,
    pub variables: Vec<Variable>,
    /// Evaluated locals by name.
    pub locals: BTreeMap<String, Value>,
    pub data_sources: Vec<Component>,
    pub builds: Vec<Build>,
}
