//! Root keys of a legacy JSON template → [`Template`]: one build whose
//! sources are the `builders`, with its provisioners, post-processor
//! chains and error-cleanup provisioner. User variables are resolved and
//! every string of every component config is rendered, except build-time
//! actions (`{{build_name}}`, `{{ .Field }}`, …) which stay as written.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::interpolate::{interpolate, InterpContext};
use super::parse::{JsonKind, JsonMember, JsonNode};
use super::{located, read_json_file, vars, FileCtx};
use crate::diag::{Diagnostic, Diagnostics, Sources};
use crate::template::model::{
    Build, BuildSource, Component, ComponentKind, ConfigAttr, ConfigBody, PostProcessorDef, ProvisionerDef,
    Template, TemplateFormat,
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
    let mut diags = Diagnostics::new();
    let mut sources = Sources::new();
    let full = if path.is_absolute() {
        path.to_path_buf()
    } else {
        opts.cwd.join(path)
    };
    let name = path.display().to_string();
    let Some((file, root)) = read_json_file(&full, &name, &mut sources, &mut diags) else {
        return Err(diags);
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
        return Err(loader.diags);
    }
    template.ok_or(loader.diags)
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

struct Loader {
    file: FileCtx,
    ctx: InterpContext,
    diags: Diagnostics,
    render: bool,
}

impl Loader {
    fn err(&mut self, summary: impl Into<String>, detail: impl Into<String>, span: &std::ops::Range<usize>) {
        let d = located(summary, detail, self.file.range(span));
        self.diags.push(d);
    }

    fn root(&mut self, root: &JsonNode, path: &Path, opts: &LoadOptions, sources: &mut Sources) -> Option<Template> {
        let Some(members) = root.as_object() else {
            self.err(
                "Invalid template",
                format!("A JSON template must be an object, not an {}.", root.type_name()),
                &root.span,
            );
            return None;
        };
        for m in members {
            if !ROOT_KEYS.contains(&m.key.as_str()) && !m.key.starts_with('_') {
                self.err(
                    format!("Unknown root level key in template: '{}'", m.key),
                    format!("Root keys of a JSON template are {}, or comments starting with '_'.", ROOT_KEYS.join(", ")),
                    &m.key_span,
                );
            }
        }
        let get = |k: &str| root.get(k);

        let description = get("description").and_then(|m| self.string_value(m));
        let mut required_version = None;
        if let Some(m) = get("min_packer_version") {
            if let Some(v) = self.string_value(m) {
                self.check_min_version(&v, &m.value.span);
                required_version = Some(format!(">= {v}"));
            }
        }

        let resolved = if self.render {
            vars::resolve(
                &self.file,
                get("variables").map(|m| &m.value),
                get("sensitive-variables").map(|m| &m.value),
                opts,
                &self.ctx,
                sources,
                &mut self.diags,
            )
        } else {
            vars::ResolvedVars::default()
        };
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
        let names: BTreeSet<String> = build.sources.iter().map(|s| s.build_name.clone()).collect();
        if let Some(m) = get("provisioners") {
            match m.value.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        if let Some(p) = self.provisioner(&format!("provisioner {}", i + 1), item, &names) {
                            build.provisioners.push(p);
                        }
                    }
                }
                None => self.err(
                    "Invalid provisioners",
                    format!("\"provisioners\" must be an array of objects, not an {}.", m.value.type_name()),
                    &m.value.span,
                ),
            }
        }
        if let Some(m) = get("error-cleanup-provisioner") {
            build.error_cleanup_provisioner = self.provisioner("error-cleanup-provisioner", &m.value, &names);
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
                    format!("{:?} must be a string, not an {}.", m.key, m.value.type_name()),
                    &m.value.span,
                );
                None
            }
        }
    }

    fn check_min_version(&mut self, wanted: &str, span: &std::ops::Range<usize>) {
        let (Some(want), Some(have)) = (parse_version(wanted), parse_version(crate::PACKER_COMPAT_VERSION)) else {
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
    fn render_value(&mut self, node: &JsonNode, context: &str) -> Value {
        match &node.kind {
            JsonKind::String(s) if self.render => match interpolate(s, &self.ctx) {
                Ok(r) => Value::String(r),
                Err(e) => {
                    let d = located("Failed to render template string", e.to_string(), self.file.range(&node.span))
                        .with_context(context.to_string());
                    self.diags.push(d);
                    Value::String(s.clone())
                }
            },
            JsonKind::Array(items) => Value::List(items.iter().map(|i| self.render_value(i, context)).collect()),
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
    fn component(&mut self, kind: ComponentKind, label: &str, node: &JsonNode) -> Option<Component> {
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
            Some((Some(t), m)) if !t.is_empty() => (t.to_string(), Some(self.file.range(&m.value.span))),
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
                format!("\"builders\" must be an array of objects, not an {}.", m.value.type_name()),
                &m.value.span,
            );
            return Vec::new();
        };
        if items.is_empty() {
            self.err("Missing builders", "at least one builder must be defined", &m.value.span);
        }
        let mut out: Vec<BuildSource> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let Some(mut c) = self.component(ComponentKind::Builder, &format!("builder {}", i + 1), item) else {
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

    fn string_list(&mut self, node: &JsonNode, what: &str) -> Vec<String> {
        let Some(items) = node.as_array() else {
            self.err(
                format!("Invalid {what}"),
                format!("'{what}' must be an array of builder names, not an {}.", node.type_name()),
                &node.span,
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for i in items {
            match i.as_str() {
                Some(s) => out.push(s.to_string()),
                None => self.err(format!("Invalid {what}"), format!("'{what}' entries must be strings."), &i.span),
            }
        }
        out
    }

    /// `only` / `except` of a provisioner or post-processor, checked
    /// against the builder names.
    fn only_except(&mut self, label: &str, node: &JsonNode, names: &BTreeSet<String>) -> (Vec<String>, Vec<String>) {
        let mut lists = [Vec::new(), Vec::new()];
        for (slot, key) in ["only", "except"].iter().enumerate() {
            let Some(m) = node.get(key) else { continue };
            let list = self.string_list(&m.value, key);
            let items = m.value.as_array().unwrap_or_default();
            for (name, item) in list.iter().zip(items) {
                if !names.contains(name) {
                    self.err(
                        format!("Unknown builder in '{key}'"),
                        format!("{label}: '{key}' specified builder '{name}' not found"),
                        &item.span,
                    );
                }
            }
            lists[slot] = list;
        }
        if !lists[0].is_empty() && !lists[1].is_empty() {
            let span = node.get("except").map(|m| m.key_span.clone()).unwrap_or(node.span.clone());
            self.err("Conflicting only and except", format!("{label}: only one of 'only' or 'except' may be specified"), &span);
        }
        let [only, except] = lists;
        (only, except)
    }

    fn duration(&mut self, label: &str, node: &JsonNode, key: &str) -> Option<String> {
        let m = node.get(key)?;
        let text = match &m.value.kind {
            JsonKind::String(s) => s.clone(),
            JsonKind::Number(n, _) => crate::template::value::format_number(*n),
            _ => String::new(),
        };
        if super::timefmt::parse_duration(&text).is_none() {
            self.err(
                format!("Invalid {key}"),
                format!("{label}: {key}: time: invalid duration {text:?} (use a Go duration such as \"30s\" or \"1m30s\")"),
                &m.value.span,
            );
            return None;
        }
        Some(text)
    }

    fn provisioner(&mut self, label: &str, node: &JsonNode, names: &BTreeSet<String>) -> Option<ProvisionerDef> {
        let component = self.component(ComponentKind::Provisioner, label, node)?;
        let (only, except) = self.only_except(label, node, names);
        let pause_before = self.duration(label, node, "pause_before");
        let timeout = self.duration(label, node, "timeout");
        let mut max_retries = 0;
        if let Some(m) = node.get("max_retries") {
            let parsed = match &m.value.kind {
                JsonKind::Number(n, _) if *n >= 0.0 && n.fract() == 0.0 && *n <= f64::from(u32::MAX) => Some(*n as u32),
                JsonKind::String(s) => s.trim().parse::<u32>().ok(),
                _ => None,
            };
            match parsed {
                Some(n) => max_retries = n,
                None => self.err(
                    "Invalid max_retries",
                    format!("{label}: max_retries must be a non-negative whole number."),
                    &m.value.span,
                ),
            }
        }
        let mut overrides = BTreeMap::new();
        if let Some(m) = node.get("override") {
            match m.value.as_object() {
                Some(items) => {
                    for o in items {
                        if !names.contains(&o.key) {
                            self.err(
                                "Unknown builder in override",
                                format!("{label}: override: builder '{}' not found", o.key),
                                &o.key_span,
                            );
                        }
                        let v = self.render_value(&o.value, &component.context);
                        overrides.insert(o.key.clone(), v);
                    }
                }
                None => self.err(
                    "Invalid override",
                    format!("{label}: 'override' must be an object of builder name: settings."),
                    &m.value.span,
                ),
            }
        }
        Some(ProvisionerDef {
            component,
            only,
            except,
            pause_before,
            max_retries,
            timeout,
            overrides,
        })
    }

    fn post_processor(&mut self, label: &str, node: &JsonNode, names: &BTreeSet<String>) -> Option<PostProcessorDef> {
        if let Some(t) = node.as_str() {
            return Some(PostProcessorDef {
                component: Component {
                    kind: ComponentKind::PostProcessor,
                    type_name: t.to_string(),
                    name: None,
                    type_range: Some(self.file.range(&node.span)),
                    context: format!("post-processor {t:?}"),
                    config: ConfigBody {
                        range: Some(self.file.range(&node.span)),
                        ..ConfigBody::default()
                    },
                },
                only: Vec::new(),
                except: Vec::new(),
                keep_input_artifact: None,
            });
        }
        let component = self.component(ComponentKind::PostProcessor, label, node)?;
        let (only, except) = self.only_except(label, node, names);
        let mut keep_input_artifact = None;
        if let Some(m) = node.get("keep_input_artifact") {
            match m.value.kind {
                JsonKind::Bool(b) => keep_input_artifact = Some(b),
                _ => self.err(
                    "Invalid keep_input_artifact",
                    format!("{label}: keep_input_artifact must be a boolean."),
                    &m.value.span,
                ),
            }
        }
        Some(PostProcessorDef {
            component,
            only,
            except,
            keep_input_artifact,
        })
    }

    fn post_processors(&mut self, m: &JsonMember, names: &BTreeSet<String>) -> Vec<Vec<PostProcessorDef>> {
        let Some(items) = m.value.as_array() else {
            self.err(
                "Invalid post-processors",
                format!("\"post-processors\" must be an array, not an {}.", m.value.type_name()),
                &m.value.span,
            );
            return Vec::new();
        };
        let mut chains = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let mut chain = Vec::new();
            match &item.kind {
                JsonKind::Array(inner) => {
                    for (j, pp) in inner.iter().enumerate() {
                        let label = format!("post-processor {}.{}", i + 1, j + 1);
                        if matches!(pp.kind, JsonKind::Array(_)) {
                            self.err("Invalid post-processor", format!("{label}: a chain cannot contain another chain."), &pp.span);
                            continue;
                        }
                        chain.extend(self.post_processor(&label, pp, names));
                    }
                }
                _ => chain.extend(self.post_processor(&format!("post-processor {}", i + 1), item, names)),
            }
            if !chain.is_empty() {
                chains.push(chain);
            }
        }
        chains
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
    let mut segs: Vec<u64> = core.split('.').map(|p| p.parse().ok()).collect::<Option<_>>()?;
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

/// Render a diagnostic list for tests and tools that only need text.
pub fn describe(diags: &Diagnostics) -> String {
    diags
        .iter()
        .map(|d: &Diagnostic| match &d.range {
            Some(r) => format!("{}:{}:{}: {}: {}", r.filename, r.start.line, r.start.column, d.summary, d.detail),
            None => format!("{}: {}", d.summary, d.detail),
        })
        .collect::<Vec<_>>()
        .join("\n")
}
