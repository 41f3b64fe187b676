//! JSON bytes exactly as Go's `json.MarshalIndent(v, "", "  ")` writes
//! them (what Packer's manifest looks like): two-space indentation, no
//! trailing newline, and Go's escapes — `<`, `>`, `&`, U+2028 and U+2029
//! as `\u003c`…, and `\b`/`\f` as `\u0008`/`\u000c` (Go before 1.22).

use serde::Serialize;

/// Serialize `value` like Go's `json.MarshalIndent` with a two-space indent.
pub fn to_vec_indent<T: Serialize>(value: &T) -> serde_json::Result<Vec<u8>> {
    let pretty = serde_json::to_string_pretty(value)?;
    Ok(go_escapes(&pretty).into_bytes())
}

/// Rewrite serde_json's string escapes into Go's. These characters only
/// occur inside JSON strings, so a scan that skips existing escapes is
/// enough.
fn go_escapes(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut chars = json.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('b') => out.push_str("\\u0008"),
                Some('f') => out.push_str("\\u000c"),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            },
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_go() {
        let v = serde_json::json!({"a": "<b>&\u{8}\u{c}\\b\u{2028}\n\u{1}"});
        let s = String::from_utf8(to_vec_indent(&v).unwrap()).unwrap();
        assert_eq!(
            s,
            "{\n  \"a\": \"\\u003cb\\u003e\\u0026\\u0008\\u000c\\\\b\\u2028\\n\\u0001\"\n}"
        );
    }

    #[test]
    fn empty_containers_and_null() {
        let v = serde_json::json!({"l": [], "m": {}, "n": null});
        let s = String::from_utf8(to_vec_indent(&v).unwrap()).unwrap();
        assert_eq!(s, "{\n  \"l\": [],\n  \"m\": {},\n  \"n\": null\n}");
    }
}
