//! Root keys of a legacy JSON template → [`Template`]: one build whose
//! sources are the `builders`, with its provisioners, post-processor
//! chains and error-cleanup provisioner. User variables are resolved and
//! every string of every component config is rendered, except build-time
//! actions (`{{build_name}}`, `{{ .Field }}`, …) which stay as written.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::clean::CleanFuncs;
use super::interpolate::{interpolate, InterpContext, InterpError};
use super::parse::{JsonKind, JsonMember, JsonNode};
use super::{located, read_json_file, vars, FileCtx};
use crate::diag::{Diagnostics, Sources};
use crate::template::model::{
    Build, BuildSource, Component, ComponentKind, ConfigAttr, ConfigBody, Template, TemplateFormat,
};
use crate::template::{LoadOptions, Value};

/// Root keys Packer accepts (besides `_comment`-style keys).
pub const ROOT_KEYS: &[&str] = &[
    "variables",
    "sensitive-variables",
    "builders",
    "provisioners",
    "post-processors",
    "error-cleanup-provisioner",
    "min_packer_version",
    "description",
    // Accepted and ignored, as Packer does (Atlas push is long gone).
    "push",
];

/// HCL2 block types, to recognise HCL2-in-JSON files given as legacy.
const HCL2_BLOCKS: &[&str] = &[
    "source", "build", "variable", "locals", "local", "packer", "data",
];

/// Keys of component objects that are settings of the template, not of
/// the component.
const META_KEYS: &[&str] = &[
    "type",
    "name",
    "only",
    "except",
    "pause_before",
    "max_retries",
    "timeout",
    "override",
    "keep_input_artifact",
];

/// Load a legacy JSON template file. All errors are located diagnostics.
pub fn load_json_template(path: &Path, opts: &LoadOptions) -> Result<Template, Diagnostics> {
    load_json_template_with_sources(path, opts).0
}

/// [`load_json_template`], also returning the files read (the template
/// and its `-var-file`s), so that errors can be rendered with their
/// source lines ([`crate::diag::render_text`]).
pub fn load_json_template_with_sources(
    path: &Path,
    opts: &LoadOptions,
) -> (Result<Template, Diagnostics>, Sources) {
    let mut diags = Diagnostics::new();
    let mut sources = Sources::new();
    let full = if path.is_absolute() {
        path.to_path_buf()
    } else {
        opts.cwd.join(path)
    };
    let name = path.display().to_string();
    let Some((file, root)) = read_json_file(&full, &name, &mut sources, &mut diags) else {
        return (Err(diags), sources);
    };
    let mut ctx = InterpContext::now();
    ctx.env = opts.env.iter().cloned().collect();
    ctx.pwd = opts.cwd.clone();
    ctx.template_path = Some(full.clone());
    ctx.defer_build = true;

    let mut loader = Loader {
        file,
        ctx,
        diags,
        render: !opts.syntax_only,
    };
    let template = loader.root(&root, path, opts, &mut sources);
    if loader.diags.has_errors() {
        return (Err(loader.diags), sources);
    }
    (template.ok_or(loader.diags), sources)
}

/// A context for rendering a loaded template's build-time actions: its
/// variables' values, the working directory and the run's time. Set
/// `build_name`, `build_type` and `fields` before calling
/// [`interpolate`] on a config string.
pub fn build_context(template: &Template, cwd: &Path) -> InterpContext {
    let mut ctx = InterpContext::now();
    ctx.pwd = cwd.to_path_buf();
    ctx.template_path = Some(template.path.clone());
    for v in &template.variables {
        if let Some(s) = v.value.to_display_string() {
            ctx.user_vars.insert(v.name.clone(), s);
        }
    }
    ctx
}

pub(super) struct Loader {
    pub(super) file: FileCtx,
    pub(super) ctx: InterpContext,
    pub(super) diags: Diagnostics,
    pub(super) render: bool,
}

impl Loader {
    pub(super) fn err(
        &mut self,
        summary: impl Into<String>,
        detail: impl Into<String>,
        span: &std::ops::Range<usize>,
    ) {
        let d = located(summary, detail, self.file.range(span));
        self.diags.push(d);
    }

    fn root(
        &mut self,
        root: &JsonNode,
        path: &Path,
        opts: &LoadOptions,
        sources: &mut Sources,
    ) -> Option<Template> {
        let Some(members) = root.as_object() else {
            self.err(
                "Invalid template",
                format!(
                    "A JSON template must be an object, not an {}.",
                    root.type_name()
                ),
                &root.span,
            );
            return None;
        };
        for (key, span) in self.file.duplicates.clone() {
            self.err(
                "Duplicate field",
                format!("template has duplicate field: {key}"),
                &span,
            );
        }
        for m in members {
            if m.key.starts_with('_') && m.value.as_str().is_none() {
                self.err(
                    "Invalid comment",
                    format!(
                        "Failed to cast root level comment value in comment \"{}\" to string.",
                        m.key
                    ),
                    &m.value.span,
                );
            }
            if !ROOT_KEYS.contains(&m.key.as_str()) && !m.key.starts_with('_') {
                let mut detail = format!(
                    "Root keys of a JSON template are {}, or comments starting with '_'.",
                    ROOT_KEYS.join(", ")
                );
                if HCL2_BLOCKS.contains(&m.key.as_str()) {
                    detail.push_str(
                        " This looks like an HCL2 template in JSON syntax: name it *.pkr.json so that it is read as HCL2.",
                    );
                }
                self.err(
                    format!("Unknown root level key in template: '{}'", m.key),
                    detail,
                    &m.key_span,
                );
            }
        }
        let get = |k: &str| root.get(k);

        let description = get("description").and_then(|m| self.string_value(m));
        let mut required_version = None;
        if let Some(m) = get("min_packer_version") {
            if let Some(v) = self.string_value(m) {
                // Like Packer, `-syntax-only` does not check the version.
                if self.render {
                    self.check_min_version(&v, &m.value.span);
                }
                required_version = Some(format!(">= {v}"));
            }
        }

        let resolved = vars::resolve(
            &self.file,
            root,
            opts,
            &self.ctx,
            sources,
            &mut self.diags,
            self.render,
        );
        self.ctx.user_vars = resolved.values.clone();

        let mut build = Build {
            range: Some(self.file.range(&root.span)),
            description: description.clone(),
            ..Build::default()
        };
        match get("builders") {
            None => self.err(
                "Missing builders",
                "A JSON template must have a \"builders\" array with at least one builder.",
                &(root.span.start..root.span.start + 1),
            ),
            Some(m) => build.sources = self.builders(m),
        }
        // `only`, `except` and `override` may name a builder by its name as
        // written (Packer checks those) or as rendered (what -only uses).
        let mut names: BTreeSet<String> =
            build.sources.iter().map(|s| s.build_name.clone()).collect();
        for b in get("builders")
            .and_then(|m| m.value.as_array())
            .unwrap_or_default()
        {
            let raw = b.get("name").or_else(|| b.get("type"));
            names.extend(raw.and_then(|m| m.value.as_str()).map(str::to_string));
        }
        if let Some(m) = get("provisioners") {
            match m.value.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        if let Some(p) =
                            self.provisioner(&format!("provisioner {}", i + 1), item, &names)
                        {
                            build.provisioners.push(p);
                        }
                    }
                }
                None => self.err(
                    "Invalid provisioners",
                    format!(
                        "\"provisioners\" must be an array of objects, not an {}.",
                        m.value.type_name()
                    ),
                    &m.value.span,
                ),
            }
        }
        if let Some(m) = get("error-cleanup-provisioner") {
            build.error_cleanup_provisioner =
                self.provisioner("error-cleanup-provisioner", &m.value, &names);
        }
        if let Some(m) = get("post-processors") {
            build.post_processors = self.post_processors(m, &names);
        }

        Some(Template {
            format: TemplateFormat::Json,
            path: path.to_path_buf(),
            sources: sources.clone(),
            description,
            required_version,
            required_plugins: Vec::new(),
            variables: resolved.variables,
            locals: BTreeMap::new(),
            data_sources: Vec::new(),
            builds: vec![build],
        })
    }

    fn string_value(&mut self, m: &JsonMember) -> Option<String> {
        match m.value.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                self.err(
                    format!("Invalid {:?}", m.key),
                    format!(
                        "{:?} must be a string, not an {}.",
                        m.key,
                        m.value.type_name()
                    ),
                    &m.value.span,
                );
                None
            }
        }
    }

    fn check_min_version(&mut self, wanted: &str, span: &std::ops::Range<usize>) {
        let (Some(want), Some(have)) = (
            parse_version(wanted),
            parse_version(crate::PACKER_COMPAT_VERSION),
        ) else {
            self.err(
                "Invalid min_packer_version",
                format!("min_version is invalid: Malformed version: {wanted}"),
                span,
            );
            return;
        };
        if want > have {
            self.err(
                "Packer version too old",
                format!(
                    "This template requires Packer version {wanted} or higher; using {}",
                    crate::PACKER_COMPAT_VERSION
                ),
                span,
            );
        }
    }

    /// Render every string inside a JSON value.
    pub(super) fn render_value(&mut self, node: &JsonNode, context: &str) -> Value {
        match &node.kind {
            JsonKind::String(s) if self.render => match interpolate(s, &self.ctx) {
                Ok(r) => Value::String(r),
                Err(e) => {
                    let mut span = node.span.clone();
                    // A syntax error points into the string when the JSON
                    // text holds it verbatim (no escapes).
                    if let InterpError::Syntax { offset, .. } = &e {
                        let inner = span.start + 1..span.end.saturating_sub(1);
                        if self.file.file.text().get(inner.clone()) == Some(s.as_str()) {
                            span = inner.start + offset..inner.start + offset + 2;
                        }
                    }
                    let d = located(
                        "Failed to render template string",
                        e.to_string(),
                        self.file.range(&span),
                    )
                    .with_context(context.to_string());
                    self.diags.push(d);
                    Value::String(s.clone())
                }
            },
            JsonKind::Array(items) => Value::List(
                items
                    .iter()
                    .map(|i| self.render_value(i, context))
                    .collect(),
            ),
            JsonKind::Object(members) => Value::Map(
                members
                    .iter()
                    .map(|m| (m.key.clone(), self.render_value(&m.value, context)))
                    .collect(),
            ),
            _ => node.to_value(),
        }
    }

    /// Build a component (type, name, config) from a JSON object.
    pub(super) fn component(
        &mut self,
        kind: ComponentKind,
        label: &str,
        node: &JsonNode,
    ) -> Option<Component> {
        let Some(members) = node.as_object() else {
            self.err(
                format!("Invalid {}", kind.noun()),
                format!("{label}: must be an object, not an {}.", node.type_name()),
                &node.span,
            );
            return None;
        };
        let type_member = members.iter().find(|m| m.key == "type");
        let (type_name, type_range) = match type_member.map(|m| (m.value.as_str(), m)) {
            Some((Some(t), m)) if !t.is_empty() => {
                (t.to_string(), Some(self.file.range(&m.value.span)))
            }
            Some((_, m)) => {
                self.err(
                    format!("Invalid {} type", kind.noun()),
                    format!("{label}: 'type' must be a non-empty string."),
                    &m.value.span,
                );
                return None;
            }
            None => {
                self.err(
                    format!("Missing {} type", kind.noun()),
                    format!("{label}: missing 'type'"),
                    &(node.span.start..node.span.start + 1),
                );
                return None;
            }
        };
        let context = format!("{} {:?}", kind.noun(), type_name);
        // Only builders bring `clean_resource_name` & co.
        self.ctx.clean_funcs = match kind {
            ComponentKind::Builder => CleanFuncs::for_builder(&type_name),
            _ => CleanFuncs::Unavailable,
        };
        let mut name = None;
        if let Some(m) = members.iter().find(|m| m.key == "name") {
            match m.value.as_str() {
                Some(n) => {
                    let rendered = match self.render_value(&m.value, &context) {
                        Value::String(s) => s,
                        _ => n.to_string(),
                    };
                    name = Some(rendered);
                }
                None => self.err(
                    format!("Invalid {} name", kind.noun()),
                    format!("{label}: 'name' must be a string."),
                    &m.value.span,
                ),
            }
        }
        let mut config = ConfigBody {
            range: Some(self.file.range(&node.span)),
            ..ConfigBody::default()
        };
        for m in members {
            if META_KEYS.contains(&m.key.as_str()) {
                continue;
            }
            let value = self.render_value(&m.value, &context);
            config.attrs.insert(
                m.key.clone(),
                ConfigAttr {
                    value,
                    name_range: Some(self.file.range(&m.key_span)),
                    value_range: Some(self.file.range(&m.value.span)),
                },
            );
        }
        Some(Component {
            kind,
            type_name,
            name,
            type_range,
            context,
            config,
        })
    }

    fn builders(&mut self, m: &JsonMember) -> Vec<BuildSource> {
        let Some(items) = m.value.as_array() else {
            self.err(
                "Invalid builders",
                format!(
                    "\"builders\" must be an array of objects, not an {}.",
                    m.value.type_name()
                ),
                &m.value.span,
            );
            return Vec::new();
        };
        if items.is_empty() {
            self.err(
                "Missing builders",
                "at least one builder must be defined",
                &m.value.span,
            );
        }
        let mut out: Vec<BuildSource> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let Some(mut c) =
                self.component(ComponentKind::Builder, &format!("builder {}", i + 1), item)
            else {
                continue;
            };
            let build_name = c.name.clone().unwrap_or_else(|| c.type_name.clone());
            if out.iter().any(|b| b.build_name == build_name) {
                self.err(
                    "Duplicate builder name",
                    format!("builder {}: builder with name '{build_name}' already exists; give each builder a unique \"name\".", i + 1),
                    &item.span,
                );
                continue;
            }
            c.name = Some(build_name.clone());
            c.context = format!("builder {build_name:?}");
            out.push(BuildSource {
                builder: c,
                build_name,
                range: Some(self.file.range(&item.span)),
            });
        }
        out
    }
}

/// A version as numeric segments (pre-release suffix ignored for ordering
/// by go-version's rules only roughly: `1.2.0-beta` < `1.2.0`).
fn parse_version(s: &str) -> Option<(Vec<u64>, bool)> {
    let s = s.trim().trim_start_matches('v');
    let (core, pre) = match s.find(['-', '+']) {
        Some(i) => (&s[..i], s[i..].starts_with('-')),
        None => (s, false),
    };
    let mut segs: Vec<u64> = core
        .split('.')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    if segs.is_empty() || segs.len() > 4 {
        return None;
    }
    segs.resize(3, 0);
    // A pre-release sorts before the release: encode as `!pre`.
    Some((segs, !pre))
}

#[cfg(test)]
mod tests {
    use super::parse_version;

    #[test]
    fn versions_compare() {
        assert!(parse_version("101.0.0") > parse_version("1.16.0"));
        assert!(parse_version("1.6.0") < parse_version("1.16.0"));
        assert!(parse_version("1.16") == parse_version("1.16.0"));
        assert!(parse_version("1.16.0-beta") < parse_version("1.16.0"));
        assert!(parse_version("abc").is_none());
    }
}
