//! Provisioner and post-processor blocks inside a build, with Packer's
//! meta-arguments (`name`, `only`, `except`, `pause_before`, `max_retries`,
//! `timeout`, `override`, `keep_input_artifact`) separated from the
//! component's own configuration.

use std::collections::BTreeMap;

use hcl_edit::structure::Block;
use hcl_edit::Span;

use super::body::BodyEval;
use super::ctx::EvalCtx;
use crate::diag::{Diagnostic, Diagnostics, SourceFile};
use crate::template::model::{Component, ComponentKind, PostProcessorDef, ProvisionerDef};
use crate::template::Value;

const PROV_META: &[&str] = &[
    "name",
    "only",
    "except",
    "pause_before",
    "max_retries",
    "timeout",
    "override",
];
const PP_META: &[&str] = &["name", "only", "except", "keep_input_artifact"];

struct Meta<'a> {
    file: &'a SourceFile,
    ctx: &'a EvalCtx,
    context: String,
    diags: &'a mut Diagnostics,
}

impl Meta<'_> {
    fn err(&mut self, summary: &str, detail: String, span: Option<std::ops::Range<usize>>) {
        self.diags.push(
            Diagnostic::error(summary, detail)
                .with_range_opt(span.map(|s| self.file.range(s)))
                .with_context(self.context.clone()),
        );
    }

    fn value(&mut self, b: &Block, name: &str) -> Option<(Value, Option<std::ops::Range<usize>>)> {
        let a = b.body.get_attribute(name)?;
        let v = self.ctx.eval(&a.value, self.file, self.diags);
        // `null` means "not set", as for any HCL argument.
        if v.is_null() {
            return None;
        }
        Some((v, a.value.span()))
    }

    fn string(&mut self, b: &Block, name: &str) -> Option<String> {
        let (v, span) = self.value(b, name)?;
        match v {
            Value::String(s) => Some(s),
            Value::Unknown => None,
            other => {
                self.err(
                    "Incorrect attribute value type",
                    format!(
                        "Inappropriate value for attribute \"{name}\": string required, not {}.",
                        other.type_name()
                    ),
                    span,
                );
                None
            }
        }
    }

    fn strings(&mut self, b: &Block, name: &str) -> Vec<String> {
        let Some((v, span)) = self.value(b, name) else {
            return Vec::new();
        };
        match v {
            Value::List(items) if items.iter().all(|i| i.as_str().is_some()) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
            Value::Unknown => Vec::new(),
            other => {
                self.err(
                    "Incorrect attribute value type",
                    format!("Inappropriate value for attribute \"{name}\": list of string required, not {}.", other.type_name()),
                    span,
                );
                Vec::new()
            }
        }
    }

    fn duration(&mut self, b: &Block, name: &str) -> Option<String> {
        let span = b.body.get_attribute(name).and_then(|a| a.value.span());
        let d = self.string(b, name)?;
        if !is_go_duration(&d) {
            self.err(
                "Invalid duration",
                format!("time: invalid duration \"{d}\" for \"{name}\"; use a number with a unit (\"10s\", \"1m30s\", \"2h\")."),
                span,
            );
        }
        Some(d)
    }
}

/// The type label of a provisioner / post-processor block.
fn type_label(
    b: &Block,
    kind: &str,
    file: &SourceFile,
    diags: &mut Diagnostics,
) -> Option<(String, Option<crate::diag::Range>)> {
    match b.labels.as_slice() {
        [t] => Some((t.as_str().to_string(), t.span().map(|s| file.range(s)))),
        _ => {
            diags.push(
                Diagnostic::error(
                    format!("Missing {kind} type"),
                    format!("A {kind} block must have exactly one label: its type, e.g. {kind} \"shell\" {{}}."),
                )
                .with_range_opt(b.ident.span().map(|s| file.range(s)))
                .with_context("build"),
            );
            None
        }
    }
}

/// Decode a `provisioner` or `error-cleanup-provisioner` block.
pub fn decode_provisioner(
    b: &Block,
    kind: &str,
    file: &SourceFile,
    ctx: &EvalCtx,
    diags: &mut Diagnostics,
) -> Option<ProvisionerDef> {
    let (type_name, type_range) = type_label(b, kind, file, diags)?;
    let context = format!("{kind} \"{type_name}\"");
    let mut m = Meta {
        file,
        ctx,
        context: context.clone(),
        diags,
    };
    let name = m.string(b, "name");
    let only = m.strings(b, "only");
    let except = m.strings(b, "except");
    if !only.is_empty() && !except.is_empty() {
        let span = b.body.get_attribute("except").and_then(|a| a.key.span());
        m.err(
            "Only one of only and except may be set",
            "A provisioner may set either \"only\" or \"except\", not both.".into(),
            span,
        );
    }
    let pause_before = m.duration(b, "pause_before");
    let timeout = m.duration(b, "timeout");
    let max_retries = match m.value(b, "max_retries") {
        Some((Value::Number(n), _)) if n >= 0.0 && n.fract() == 0.0 => n as u32,
        Some((Value::String(s), span)) => s.parse().unwrap_or_else(|_| {
            m.err(
                "Invalid max_retries",
                format!("max_retries must be a whole number, not \"{s}\"."),
                span,
            );
            0
        }),
        Some((Value::Unknown, _)) | None => 0,
        Some((other, span)) => {
            m.err(
                "Invalid max_retries",
                format!("max_retries must be a whole number, not {other}."),
                span,
            );
            0
        }
    };
    let overrides = match m.value(b, "override") {
        Some((Value::Map(o), _)) => o,
        Some((Value::Unknown, _)) | None => BTreeMap::new(),
        Some((other, span)) => {
            m.err(
                "Invalid override",
                format!(
                    "override must be an object of build name → settings, not {}.",
                    other.type_name()
                ),
                span,
            );
            BTreeMap::new()
        }
    };
    let mut config = BodyEval {
        file,
        context: &context,
        diags,
    }
    .eval(&b.body, ctx, PROV_META);
    if config.range.is_none() {
        config.range = b.ident.span().map(|s| file.range(s));
    }
    Some(ProvisionerDef {
        component: Component {
            kind: ComponentKind::Provisioner,
            type_name,
            name,
            type_range,
            context,
            config,
        },
        only,
        except,
        pause_before,
        max_retries,
        timeout,
        overrides,
    })
}

/// Decode a `post-processor` block.
pub fn decode_pp(
    b: &Block,
    file: &SourceFile,
    ctx: &EvalCtx,
    diags: &mut Diagnostics,
) -> Option<PostProcessorDef> {
    let (type_name, type_range) = type_label(b, "post-processor", file, diags)?;
    let context = format!("post-processor \"{type_name}\"");
    let mut m = Meta {
        file,
        ctx,
        context: context.clone(),
        diags,
    };
    let name = m.string(b, "name");
    let only = m.strings(b, "only");
    let except = m.strings(b, "except");
    let keep_input_artifact = match m.value(b, "keep_input_artifact") {
        Some((Value::Bool(k), _)) => Some(k),
        Some((Value::Unknown, _)) | None => None,
        Some((other, span)) => {
            m.err(
                "Incorrect attribute value type",
                format!("Inappropriate value for attribute \"keep_input_artifact\": bool required, not {}.", other.type_name()),
                span,
            );
            None
        }
    };
    let mut config = BodyEval {
        file,
        context: &context,
        diags,
    }
    .eval(&b.body, ctx, PP_META);
    if config.range.is_none() {
        config.range = b.ident.span().map(|s| file.range(s));
    }
    Some(PostProcessorDef {
        component: Component {
            kind: ComponentKind::PostProcessor,
            type_name,
            name,
            type_range,
            context,
            config,
        },
        only,
        except,
        keep_input_artifact,
    })
}

/// Go's `time.ParseDuration` syntax: `[-+]?(\d+(\.\d*)?(ns|us|µs|ms|s|m|h))+` or `0`.
pub fn is_go_duration(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    if s == "0" {
        return true;
    }
    if s.is_empty() {
        return false;
    }
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .count();
        if num_len == 0
            || rest[..num_len].chars().filter(|c| *c == '.').count() > 1
            || &rest[..num_len] == "."
        {
            return false;
        }
        rest = &rest[num_len..];
        let unit = ["ns", "us", "µs", "ms", "s", "m", "h"]
            .iter()
            .filter(|u| rest.starts_with(**u))
            .max_by_key(|u| u.len());
        match unit {
            Some(u) => rest = &rest[u.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::is_go_duration;

    #[test]
    fn durations() {
        for ok in ["10s", "1m30s", "1.5h", "0", "300ms", "-2m"] {
            assert!(is_go_duration(ok), "{ok}");
        }
        for bad in ["", "10", "s", "1x", "1..2s"] {
            assert!(!is_go_duration(bad), "{bad}");
        }
    }
}
