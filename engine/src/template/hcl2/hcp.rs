//! `hcp_packer_registry {}` blocks (top level, Packer >= 1.10, or inside a
//! build): evaluated like a configuration body, with HCP's rules for the
//! settings kiln can check offline.

use hcl_edit::structure::Block;

use super::body::BodyEval;
use super::ctx::EvalCtx;
use crate::diag::{Diagnostic, Diagnostics, SourceFile};
use crate::template::model::ConfigBody;
use crate::template::Value;

const KNOWN_ATTRS: &[&str] = &[
    "bucket_name",
    "description",
    "bucket_labels",
    "build_labels",
    "labels",
];

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
    body
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
