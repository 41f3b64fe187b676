//! The environment a remote shell script gets: Packer's `PACKER_*`
//! variables, `environment_vars` and `env`, sorted by name, each value's
//! single quotes escaped and the pair written with `env_var_format`.

use std::collections::BTreeMap;

use kiln_sdk::communicator::GeneratedData;

/// Packer's markers for "this builder has no HTTP server".
const NOT_IMPLEMENTED: [(&str, &str, &str); 3] = [
    (
        "PackerHTTPAddr",
        "PACKER_HTTP_ADDR",
        "ERR_HTTP_ADDR_NOT_IMPLEMENTED_BY_BUILDER",
    ),
    (
        "PackerHTTPIP",
        "PACKER_HTTP_IP",
        "ERR_HTTP_IP_NOT_IMPLEMENTED_BY_BUILDER",
    ),
    (
        "PackerHTTPPort",
        "PACKER_HTTP_PORT",
        "ERR_HTTP_PORT_NOT_IMPLEMENTED_BY_BUILDER",
    ),
];

/// The variables, sorted by name (later definitions win: `env` over
/// `environment_vars` over Packer's own).
pub fn collect(
    build_name: &str,
    builder_type: &str,
    generated: &GeneratedData,
    user: &[(String, String)],
) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::new();
    vars.insert("PACKER_BUILD_NAME".to_string(), build_name.to_string());
    vars.insert("PACKER_BUILDER_TYPE".to_string(), builder_type.to_string());
    for (key, env, missing) in NOT_IMPLEMENTED {
        if let Some(v) = generated.get(key).filter(|v| v.as_str() != missing) {
            vars.insert(env.to_string(), v.clone());
        }
    }
    for (k, v) in user {
        vars.insert(k.clone(), v.clone());
    }
    vars
}

/// Every pair written with `format` (a Go `Sprintf` format taking the name
/// and the value), values' single quotes escaped for a single-quoted shell
/// string, concatenated.
pub fn flatten(vars: &BTreeMap<String, String>, format: &str) -> String {
    vars.iter()
        .map(|(k, v)| sprintf(format, &[k, &v.replace('\'', "'\"'\"'")]))
        .collect()
}

/// Go's `fmt.Sprintf` for the string verbs an `env_var_format` uses
/// (`%s`, `%v`, `%q` and `%%`), with Go's markers for missing arguments.
pub fn sprintf(format: &str, args: &[&str]) -> String {
    let mut out = String::with_capacity(format.len() + 16);
    let mut args = args.iter();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some(verb @ ('s' | 'v' | 'q')) => match args.next() {
                Some(a) if verb == 'q' => out.push_str(&format!("{a:?}")),
                Some(a) => out.push_str(a),
                None => out.push_str(&format!("%!{verb}(MISSING)")),
            },
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push_str("%!(NOVERB)"),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packer_vars_sorted_and_quoted() {
        let mut generated = GeneratedData::new();
        generated.insert(
            "PackerHTTPAddr".into(),
            "ERR_HTTP_ADDR_NOT_IMPLEMENTED_BY_BUILDER".into(),
        );
        generated.insert("PackerHTTPPort".into(), "8080".into());
        let vars = collect(
            "x",
            "null",
            &generated,
            &[("B".into(), "it's a b".into()), ("A".into(), "1".into())],
        );
        assert_eq!(
            flatten(&vars, "%s='%s' "),
            "A='1' B='it'\"'\"'s a b' PACKER_BUILDER_TYPE='null' PACKER_BUILD_NAME='x' \
             PACKER_HTTP_PORT='8080' "
        );
    }

    #[test]
    fn go_sprintf_markers() {
        assert_eq!(sprintf("export %s=%q;%%", &["A", "b"]), "export A=\"b\";%");
        assert_eq!(sprintf("%s=%s %s", &["A", "b"]), "A=b %!s(MISSING)");
    }
}
