//! Packer's `build.*` variables: the values a builder generates for its
//! provisioners and post-processors (`ID`, `Host`, `SSHPrivateKey`, …).
//!
//! When a template is loaded, `build.X` evaluates to the placeholder
//! ``{{ build `X` }}`` (Packer's HCL2 shim; legacy JSON templates write
//! the same action themselves). When the build runs, HCL2 components are
//! evaluated again with the real values (see
//! [`crate::template::model::Reevaluate`]), and every placeholder left
//! (legacy JSON) is replaced with the builder's value just before the
//! provisioner or post-processor is created. A key the builder does not
//! provide reads `<unknown>`, as in Packer.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;

use crate::template::model::ConfigBody;
use crate::template::Value;

/// Values a builder generates for the provisioners: Packer's `build.*`
/// variables (`ID`, `Host`, `Port`, `User`, `Password`, `ConnType`,
/// `SSHPublicKey`, `SSHPrivateKey`, `PackerRunUUID`, `SourceAMI`, …).
pub type GeneratedData = BTreeMap<String, String>;

/// Keys every builder provides (Packer's `BuilderDataCommonKeys`).
pub const COMMON_KEYS: &[&str] = &[
    "ID",
    "Host",
    "Port",
    "User",
    "Password",
    "ConnType",
    "PackerRunUUID",
    "PackerHTTPPort",
    "PackerHTTPIP",
    "PackerHTTPAddr",
    "SSHPublicKey",
    "SSHPrivateKey",
    "WinRMPassword",
];

/// What a key the builder did not fill in reads (Packer's wording).
pub const UNKNOWN_VALUE: &str = "<unknown>";

/// Extra keys some builder types generate (their `generatedVars`).
pub fn builder_keys(builder_type: &str) -> &'static [&'static str] {
    if builder_type.starts_with("amazon-") {
        &[
            "SourceAMIName",
            "SourceAMI",
            "SourceAMIOwner",
            "SourceAMIOwnerName",
            "SourceAMICreationDate",
        ]
    } else {
        &[]
    }
}

/// Whether `key` is a `build.*` variable of `builder_type`.
pub fn is_known_key(builder_type: &str, key: &str) -> bool {
    COMMON_KEYS.contains(&key) || builder_keys(builder_type).contains(&key)
}

/// The placeholder `build.KEY` evaluates to at load time.
pub fn placeholder(key: &str) -> String {
    format!("{{{{ build `{key}` }}}}")
}

/// The `build` object of an HCL2 evaluation context for a source of type
/// `builder_type`: every known key mapped to its placeholder.
pub fn placeholder_object(builder_type: &str) -> Value {
    let map: BTreeMap<String, Value> = COMMON_KEYS
        .iter()
        .chain(builder_keys(builder_type))
        .map(|k| (k.to_string(), Value::from(placeholder(k))))
        .collect();
    Value::Map(map)
}

/// The `build` object with the builder's values: every known key (the
/// ones it did not fill in read `<unknown>`) plus whatever else it gave.
pub fn value_object(builder_type: &str, data: &GeneratedData) -> Value {
    let mut map: BTreeMap<String, Value> = COMMON_KEYS
        .iter()
        .chain(builder_keys(builder_type))
        .map(|k| (k.to_string(), Value::from(UNKNOWN_VALUE)))
        .collect();
    for (k, v) in data {
        map.insert(k.clone(), Value::from(v.as_str()));
    }
    Value::Map(map)
}

fn action_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // `{{ build `X` }}`, `{{build "X"}}`; Go-template trim markers too.
    RE.get_or_init(|| {
        Regex::new(r#"\{\{-?\s*build\s+(?:`([^`]*)`|"([^"]*)")\s*-?\}\}"#)
            .unwrap_or_else(|e| unreachable!("static regex: {e}"))
    })
}

fn leftover_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r#"(?i)\{\{-?\s*build\s+\S[^}]*\}\}"#)
            .unwrap_or_else(|e| unreachable!("static regex: {e}"))
    })
}

/// Why a placeholder could not be replaced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnknownBuildVar {
    /// `build.KEY` / `{{ build `KEY` }}` names a key the builder does not provide.
    #[error(
        "{field}: build variable {key:?} is not provided by the {builder} builder (known: {known})"
    )]
    Unknown {
        /// The configuration field holding it (`inline[0]`).
        field: String,
        /// The unknown key.
        key: String,
        /// The builder type.
        builder: String,
        /// The keys the builder provides, comma-separated.
        known: String,
    },
    /// A placeholder changed by a function (`upper(build.ID)`) or a
    /// template pipeline: kiln fills `build.*` in after evaluation.
    #[error("{field}: {found:?} cannot be filled in: kiln substitutes build.* values after the template is evaluated, so they cannot be passed through functions or pipelines yet; use the value directly in a string")]
    Transformed {
        /// The configuration field holding it.
        field: String,
        /// The text found where a plain placeholder was expected.
        found: String,
    },
}

/// Replace every `build` placeholder in `s`.
pub fn substitute_str(
    s: &str,
    data: &GeneratedData,
    builder_type: &str,
    field: &str,
) -> Result<String, UnknownBuildVar> {
    if !s.contains("{{") {
        return Ok(s.to_string());
    }
    let mut err = None;
    let out = action_re().replace_all(s, |c: &regex::Captures<'_>| {
        let key = c
            .get(1)
            .or_else(|| c.get(2))
            .map(|m| m.as_str())
            .unwrap_or_default();
        if let Some(v) = data.get(key) {
            return v.clone();
        }
        if is_known_key(builder_type, key) {
            return UNKNOWN_VALUE.to_string();
        }
        let mut known: Vec<&str> = COMMON_KEYS.to_vec();
        known.extend(builder_keys(builder_type));
        known.extend(data.keys().map(String::as_str));
        known.sort_unstable();
        known.dedup();
        err.get_or_insert(UnknownBuildVar::Unknown {
            field: field.to_string(),
            key: key.to_string(),
            builder: builder_type.to_string(),
            known: known.join(", "),
        });
        String::new()
    });
    if let Some(e) = err {
        return Err(e);
    }
    if let Some(m) = leftover_re().find(&out) {
        return Err(UnknownBuildVar::Transformed {
            field: field.to_string(),
            found: m.as_str().to_string(),
        });
    }
    Ok(out.into_owned())
}

fn substitute_value(
    v: &mut Value,
    data: &GeneratedData,
    builder_type: &str,
    field: &str,
) -> Result<(), UnknownBuildVar> {
    match v {
        Value::String(s) => *s = substitute_str(s, data, builder_type, field)?,
        Value::List(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                substitute_value(item, data, builder_type, &format!("{field}[{i}]"))?;
            }
        }
        Value::Map(m) => {
            for (k, item) in m.iter_mut() {
                substitute_value(item, data, builder_type, &format!("{field}.{k}"))?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Replace the placeholders in every string of `body` (nested blocks
/// included). Errors name the field.
pub fn substitute_body(
    body: &mut ConfigBody,
    data: &GeneratedData,
    builder_type: &str,
    prefix: &str,
) -> Result<(), UnknownBuildVar> {
    for (name, attr) in body.attrs.iter_mut() {
        let field = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        substitute_value(&mut attr.value, data, builder_type, &field)?;
    }
    for block in body.blocks.iter_mut() {
        let field = if prefix.is_empty() {
            block.kind.clone()
        } else {
            format!("{prefix}.{}", block.kind)
        };
        substitute_body(&mut block.body, data, builder_type, &field)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> GeneratedData {
        let mut d = GeneratedData::new();
        d.insert("ID".into(), "i-123".into());
        d.insert("Host".into(), "10.0.0.1".into());
        d
    }

    #[test]
    fn placeholders_round_trip() {
        let s = format!("ssh {}@{}", placeholder("User"), placeholder("Host"));
        assert_eq!(
            substitute_str(&s, &data(), "null", "inline[0]").as_deref(),
            Ok("ssh <unknown>@10.0.0.1")
        );
        assert_eq!(
            substitute_str("id={{build `ID`}} {{ build \"ID\" }}", &data(), "null", "x").as_deref(),
            Ok("id=i-123 i-123")
        );
        assert_eq!(
            substitute_str("{{ .Vars }} {{ user `x` }}", &data(), "null", "x").as_deref(),
            Ok("{{ .Vars }} {{ user `x` }}")
        );
    }

    #[test]
    fn unknown_keys_name_the_field() {
        let e = substitute_str("{{ build `Nope` }}", &data(), "null", "inline[2]").unwrap_err();
        assert!(
            matches!(&e, UnknownBuildVar::Unknown { field, key, .. } if field == "inline[2]" && key == "Nope"),
            "{e:?}"
        );
        assert!(
            e.to_string().contains("inline[2]: build variable \"Nope\""),
            "{e}"
        );
        let e = substitute_str("x {{ BUILD `ID` }}", &data(), "null", "inline[0]").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("inline[0]: \"{{ BUILD `ID` }}\" cannot be filled in"),
            "{e}"
        );
        let e = substitute_str("{{ build `ID` | lower }}", &data(), "null", "x").unwrap_err();
        assert!(matches!(e, UnknownBuildVar::Transformed { .. }), "{e:?}");
        assert!(substitute_str("{{ build `SourceAMI` }}", &data(), "amazon-ebs", "x").is_ok());
    }
}
