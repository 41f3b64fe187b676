//! The component-level parts of a legacy JSON template: provisioners
//! (with `only`/`except`, `pause_before`, `max_retries`, `timeout`,
//! `override`), post-processors and their chains.

use std::collections::{BTreeMap, BTreeSet};

use super::parse::{JsonKind, JsonMember, JsonNode};
use super::template::Loader;
use crate::template::model::{
    Component, ComponentKind, ConfigBody, PostProcessorDef, ProvisionerDef,
};

impl Loader {
    fn string_list(&mut self, node: &JsonNode, what: &str) -> Vec<String> {
        // Packer decodes weakly: a single string is a one-element list.
        if let Some(one) = node.as_str() {
            return vec![one.to_string()];
        }
        let Some(items) = node.as_array() else {
            self.err(
                format!("Invalid {what}"),
                format!(
                    "'{what}' must be an array of builder names, not an {}.",
                    node.type_name()
                ),
                &node.span,
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for i in items {
            match i.as_str() {
                Some(s) => out.push(s.to_string()),
                None => self.err(
                    format!("Invalid {what}"),
                    format!("'{what}' entries must be strings."),
                    &i.span,
                ),
            }
        }
        out
    }

    /// `only` / `except` of a provisioner or post-processor, checked
    /// against the builder names.
    fn only_except(
        &mut self,
        label: &str,
        node: &JsonNode,
        names: &BTreeSet<String>,
    ) -> (Vec<String>, Vec<String>) {
        let mut lists = [Vec::new(), Vec::new()];
        for (slot, key) in ["only", "except"].iter().enumerate() {
            let Some(m) = node.get(key) else { continue };
            let list = self.string_list(&m.value, key);
            let spans: Vec<_> = match m.value.as_array() {
                Some(items) => items.iter().map(|i| i.span.clone()).collect(),
                None => vec![m.value.span.clone()],
            };
            for (name, span) in list.iter().zip(&spans) {
                if !names.contains(name) {
                    self.err(
                        format!("Unknown builder in '{key}'"),
                        format!("{label}: '{key}' specified builder '{name}' not found"),
                        span,
                    );
                }
            }
            lists[slot] = list;
        }
        if !lists[0].is_empty() && !lists[1].is_empty() {
            let span = node
                .get("except")
                .map(|m| m.key_span.clone())
                .unwrap_or(node.span.clone());
            self.err(
                "Conflicting only and except",
                format!("{label}: only one of 'only' or 'except' may be specified"),
                &span,
            );
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

    pub(super) fn provisioner(
        &mut self,
        label: &str,
        node: &JsonNode,
        names: &BTreeSet<String>,
    ) -> Option<ProvisionerDef> {
        let component = self.component(ComponentKind::Provisioner, label, node)?;
        let (only, except) = self.only_except(label, node, names);
        let pause_before = self.duration(label, node, "pause_before");
        let timeout = self.duration(label, node, "timeout");
        let mut max_retries = 0;
        if let Some(m) = node.get("max_retries") {
            let parsed = match &m.value.kind {
                JsonKind::Number(n, _)
                    if *n >= 0.0 && n.fract() == 0.0 && *n <= f64::from(u32::MAX) =>
                {
                    Some(*n as u32)
                }
                // Packer renders max_retries (`{{user `retries`}}`) first.
                JsonKind::String(s) if !self.render && s.contains("{{") => Some(0),
                JsonKind::String(_) => match self.render_value(&m.value, label) {
                    crate::template::Value::String(r) => r.trim().parse::<u32>().ok(),
                    _ => None,
                },
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
                                format!("{label}: override '{}' doesn't exist", o.key),
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

    fn post_processor(
        &mut self,
        label: &str,
        node: &JsonNode,
        names: &BTreeSet<String>,
    ) -> Option<PostProcessorDef> {
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

    pub(super) fn post_processors(
        &mut self,
        m: &JsonMember,
        names: &BTreeSet<String>,
    ) -> Vec<Vec<PostProcessorDef>> {
        let Some(items) = m.value.as_array() else {
            self.err(
                "Invalid post-processors",
                format!(
                    "\"post-processors\" must be an array, not an {}.",
                    m.value.type_name()
                ),
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
                            self.err(
                                "Invalid post-processor",
                                format!("{label}: a chain cannot contain another chain."),
                                &pp.span,
                            );
                            continue;
                        }
                        chain.extend(self.post_processor(&label, pp, names));
                    }
                }
                _ => chain.extend(self.post_processor(
                    &format!("post-processor {}", i + 1),
                    item,
                    names,
                )),
            }
            if !chain.is_empty() {
                chains.push(chain);
            }
        }
        chains
    }
}
