//! `hcp_packer_registry {}` blocks (top level, Packer >= 1.10, or inside a
//! build): evaluated like a configuration body, with HCP's rules for the
//! settings kiln can check offline.
//!
//! kiln adds one attribute, `channels = ["latest", …]`: the kiln-app
//! registry channels to point at the version this build records (Packer
//! rejects the attribute; templates without it are plain Packer). `kiln
//! build` writes the block's settings into each manifest entry
//! ([`registry_settings`], the manifest's `kiln_registry` field).

use std::collections::BTreeMap;

use hcl_edit::structure::Block;

use super::body::BodyEval;
use super::ctx::EvalCtx;
use crate::diag::{Diagnostic, Diagnostics, SourceFile};
use crate::manifest::ManifestRegistry;
use crate::template::model::{Build, ConfigAttr, ConfigBody};
use crate::template::Value;

const KNOWN_ATTRS: &[&str] = &[
    "bucket_name",
    "description",
    "bucket_labels",
    "build_labels",
    "labels",
    "channels",
];

/// Packer's environment variable that overrides `bucket_name`.
pub const BUCKET_ENV: &str = "HCP_PACKER_BUCKET_NAME";

/// Evaluate and check one `hcp_packer_registry` block.
pub fn decode_registry(
    block: &Block,
    file: &SourceFile,
    ctx: &EvalCtx,
    diags: &mut Diagnostics,
) -> ConfigBody {
    let body = BodyEval {
        file,
        context: "hcp_packer_registry",
        diags,
    }
    .eval(&block.body, ctx, &[]);
    for (name, attr) in &body.attrs {
        if !KNOWN_ATTRS.contains(&name.as_str()) {
            diags.push(
                Diagnostic::error(
                    "Unsupported argument",
                    format!("An argument named \"{name}\" is not expected here."),
                )
                .with_range_opt(attr.name_range.clone())
                .with_context("hcp_packer_registry"),
            );
        }
    }
    if let Some(attr) = body.attrs.get("bucket_name") {
        if let Value::String(b) = &attr.value {
            if !valid_bucket_name(b) {
                diags.push(
                    Diagnostic::error(
                        "Invalid bucket name",
                        format!(
                            "bucket_name {b:?} is invalid: it must be 3 to 36 characters long and contain only \
                             letters, digits and hyphens, starting and ending with a letter or digit."
                        ),
                    )
                    .with_range_opt(attr.value_range.clone())
                    .with_context("hcp_packer_registry"),
                );
            }
        }
    }
    for name in ["bucket_labels", "build_labels", "labels"] {
        if let Some(attr) = body.attrs.get(name) {
            check_labels(name, attr, diags);
        }
    }
    if let Some(attr) = body.attrs.get("description") {
        if !matches!(attr.value, Value::String(_) | Value::Null | Value::Unknown) {
            invalid(
                diags,
                attr,
                format!(
                    "description must be a string, not {}.",
                    attr.value.type_name()
                ),
            );
        }
    }
    if let Some(attr) = body.attrs.get("channels") {
        check_channels(attr, diags);
    }
    body
}

fn invalid(diags: &mut Diagnostics, attr: &ConfigAttr, detail: String) {
    diags.push(
        Diagnostic::error("Invalid hcp_packer_registry setting", detail)
            .with_range_opt(attr.value_range.clone())
            .with_context("hcp_packer_registry"),
    );
}

/// A map of strings (numbers and bools convert, as cty does).
fn check_labels(name: &str, attr: &ConfigAttr, diags: &mut Diagnostics) {
    match &attr.value {
        Value::Null | Value::Unknown => {}
        Value::Map(m) => {
            for (k, v) in m {
                if !matches!(v, Value::Unknown) && !is_scalar(v) {
                    invalid(
                        diags,
                        attr,
                        format!("{name}[{k:?}] must be a string, not {}.", v.type_name()),
                    );
                }
            }
        }
        v => invalid(
            diags,
            attr,
            format!("{name} must be a map of strings, not {}.", v.type_name()),
        ),
    }
}

fn is_scalar(v: &Value) -> bool {
    matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

/// `channels`: a list of channel names (`A-Za-z0-9._-`, 1-128
/// characters: they appear in the registry's URLs).
fn check_channels(attr: &ConfigAttr, diags: &mut Diagnostics) {
    let items = match &attr.value {
        Value::Null | Value::Unknown => return,
        Value::List(items) => items,
        v => {
            return invalid(
                diags,
                attr,
                format!(
                    "channels must be a list of channel names, not {}.",
                    v.type_name()
                ),
            )
        }
    };
    for item in items {
        match item {
            Value::Unknown => {}
            Value::String(c) if valid_channel_name(c) => {}
            Value::String(c) => invalid(
                diags,
                attr,
                format!(
                    "channel {c:?} is invalid: it must be 1 to 128 characters of letters, digits, \".\", \"_\" and \"-\"."
                ),
            ),
            v => invalid(
                diags,
                attr,
                format!("channels must contain strings, not {}.", v.type_name()),
            ),
        }
    }
}

/// A registry channel name: 1–128 characters of `A-Za-z0-9._-`.
pub fn valid_channel_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn string_map(v: Option<&Value>) -> BTreeMap<String, String> {
    match v {
        Some(Value::Map(m)) => m
            .iter()
            .filter(|(_, v)| is_scalar(v))
            .filter_map(|(k, v)| Some((k.clone(), v.to_display_string()?)))
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// The settings a build's `hcp_packer_registry` block gives its manifest
/// entries, with Packer's defaults: the bucket is `bucket_name`,
/// overridden by `HCP_PACKER_BUCKET_NAME`, else the build block's name;
/// `labels` (deprecated) stands for `bucket_labels` when that is unset.
/// `None` for a build without the block.
pub fn registry_settings(build: &Build) -> Option<ManifestRegistry> {
    let body = build.hcp_packer_registry.as_ref()?;
    let str_attr = |name: &str| match body.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        _ => None,
    };
    let bucket_name = std::env::var(BUCKET_ENV)
        .ok()
        .filter(|b| !b.trim().is_empty())
        .or_else(|| str_attr("bucket_name"))
        .or_else(|| build.name.clone().filter(|n| !n.is_empty()));
    let mut bucket_labels = string_map(body.get("bucket_labels"));
    if bucket_labels.is_empty() {
        bucket_labels = string_map(body.get("labels"));
    }
    let channels = match body.get("channels") {
        Some(Value::List(items)) => items
            .iter()
            .filter_map(|v| v.as_str())
            .filter(|c| valid_channel_name(c))
            .fold(Vec::<String>::new(), |mut acc, c| {
                if !acc.iter().any(|x| x == c) {
                    acc.push(c.to_string());
                }
                acc
            }),
        _ => Vec::new(),
    };
    Some(ManifestRegistry {
        bucket_name,
        description: str_attr("description").map(|d| d.trim().to_string()),
        bucket_labels,
        build_labels: string_map(body.get("build_labels")),
        channels,
    })
}

/// HCP Packer bucket names: `^[A-Za-z0-9][A-Za-z0-9-]{1,34}[A-Za-z0-9]$`.
pub fn valid_bucket_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (3..=36).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::valid_bucket_name;

    #[test]
    fn bucket_names() {
        assert!(valid_bucket_name("ok-Bucket-name-1"));
        assert!(!valid_bucket_name("invalid_bucket"));
        assert!(!valid_bucket_name("-x-"));
        assert!(!valid_bucket_name("ab"));
    }
}
