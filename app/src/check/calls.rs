//! Lexical scans of template text for calls whose result depends on the
//! machine running the engine: file and environment readers, and the
//! secret stores (`vault`, `consul_key`, `aws_secretsmanager`), in HCL2
//! and in legacy JSON's `{{ … }}` template functions.

/// Functions whose result depends on the machine running the engine.
fn is_server_side_function(name: &str) -> bool {
    name.starts_with("file")
        || name.starts_with("aws_secretsmanager")
        || matches!(
            name,
            "templatefile" | "pathexpand" | "abspath" | "vault" | "consul_key"
        )
}

/// The first call (`name(`) of a server-side function in `text`, with its
/// 1-based line. Lexical: also finds calls inside strings (`"${file(..)}"`).
pub fn server_side_call(text: &str) -> Option<(String, usize)> {
    first_call(text, is_server_side_function)
}

/// The first call of a network-reaching function (secret stores).
pub fn network_call(text: &str) -> Option<(String, usize)> {
    first_call(text, |n| {
        n.starts_with("aws_secretsmanager") || n == "vault" || n == "consul_key"
    })
}

fn first_call(text: &str, wanted: impl Fn(&str) -> bool) -> Option<(String, usize)> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut line = 1;
    while i < b.len() {
        let c = b[i];
        if c == b'\n' {
            line += 1;
            i += 1;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            let prev_ident = start > 0
                && (b[start - 1].is_ascii_alphanumeric()
                    || b[start - 1] == b'_'
                    || b[start - 1] == b'.');
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'-') {
                i += 1;
            }
            let name = &text[start..i];
            let mut j = i;
            while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
                j += 1;
            }
            if !prev_ident && j < b.len() && b[j] == b'(' && wanted(name) {
                return Some((name.to_string(), line));
            }
            continue;
        }
        i += 1;
    }
    None
}

/// Legacy JSON's `{{ vault ... }}`, `{{ consul_key ... }}`,
/// `{{ aws_secretsmanager ... }}`: the function name and its 1-based line.
pub fn legacy_server_side_call(text: &str) -> Option<(String, usize)> {
    const NAMES: [&str; 4] = [
        "vault",
        "consul_key",
        "aws_secretsmanager_raw",
        "aws_secretsmanager",
    ];
    for (i, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(open) = rest.find("{{") {
            let inner = rest[open + 2..].trim_start_matches(['-', ' ', '\t']);
            if let Some(n) = NAMES.iter().find(|n| {
                inner.starts_with(**n)
                    && !inner[n.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
            }) {
                return Some(((*n).to_string(), i + 1));
            }
            rest = &rest[open + 2..];
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{legacy_server_side_call, server_side_call};

    #[test]
    fn finds_legacy_secret_functions() {
        let t = "{\n  \"variables\": {\n    \"t\": \"{{ vault `secret/x` `k` }}\"\n  }\n}\n";
        assert_eq!(legacy_server_side_call(t), Some(("vault".into(), 3)));
        assert_eq!(legacy_server_side_call("{{user `vaulted`}}"), None);
        assert_eq!(
            legacy_server_side_call("x\n{{consul_key `a`}}"),
            Some(("consul_key".into(), 2))
        );
    }

    #[test]
    fn finds_file_and_secret_functions() {
        assert_eq!(
            server_side_call("locals {\n  k = file(\"/etc/passwd\")\n}\n"),
            Some(("file".to_string(), 2))
        );
        assert_eq!(
            server_side_call("{\"a\": \"${ vault (\\\"p\\\", \\\"k\\\")}\"}"),
            Some(("vault".to_string(), 1))
        );
        assert!(server_side_call("x = profile(1)\ny = upper(\"file\")\nz = var.file\n").is_none());
        assert!(server_side_call("communicator = \"none\"\n").is_none());
    }
}
