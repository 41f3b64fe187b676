//! Go RE2 syntax on top of Rust's `regex`: the two agree except that Go's
//! Perl classes (`\d \w \s \b`) are ASCII-only, Go has `\Q…\E` quoting,
//! and inside `[…]` Go takes `[`, `&&` and `~~` literally. This rewrites a
//! Go pattern into an equivalent Rust one.

pub fn translate(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut i = 0;
    let mut in_class = false;
    // Index just after an opening `[` (and optional `^`), where `]` is literal.
    let mut class_body_start = usize::MAX;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            let Some(&n) = chars.get(i + 1) else {
                out.push('\\');
                break;
            };
            i += 2;
            if n == 'Q' {
                // Literal text up to \E (or the end).
                while i < chars.len() {
                    if chars[i] == '\\' && chars.get(i + 1) == Some(&'E') {
                        i += 2;
                        break;
                    }
                    let lit = chars[i].to_string();
                    out.push_str(&regex::escape(&lit));
                    i += 1;
                }
                continue;
            }
            let rep = match (n, in_class) {
                ('d', false) => "[0-9]",
                ('d', true) => "0-9",
                ('D', false) => "[^0-9]",
                ('D', true) => "[:^digit:]",
                ('w', false) => "[0-9A-Za-z_]",
                ('w', true) => "0-9A-Za-z_",
                ('W', false) => "[^0-9A-Za-z_]",
                ('W', true) => "[:^word:]",
                ('s', false) => "[\\t\\n\\f\\r ]",
                ('s', true) => "\\t\\n\\f\\r ",
                ('S', false) => "[^\\t\\n\\f\\r ]",
                ('S', true) => "[:^space:]",
                ('b', false) => "(?-u:\\b)",
                ('B', false) => "(?-u:\\B)",
                _ => {
                    out.push('\\');
                    out.push(n);
                    continue;
                }
            };
            out.push_str(rep);
            continue;
        }
        if in_class {
            match c {
                ']' if i != class_body_start => {
                    in_class = false;
                    out.push(']');
                }
                '[' if chars.get(i + 1) == Some(&':') => {
                    // POSIX class such as [:alpha:]: copy through ":]".
                    let rest: String = chars[i..].iter().collect();
                    match rest.find(":]") {
                        Some(end) => {
                            out.push_str(&rest[..end + 2]);
                            i += rest[..end + 2].chars().count();
                            continue;
                        }
                        None => out.push_str("\\["),
                    }
                }
                '[' | '&' | '~' => {
                    out.push('\\');
                    out.push(c);
                }
                _ => out.push(c),
            }
            i += 1;
            continue;
        }
        if c == '[' {
            in_class = true;
            out.push('[');
            i += 1;
            if chars.get(i) == Some(&'^') {
                out.push('^');
                i += 1;
            }
            class_body_start = i;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::translate;

    #[test]
    fn rewrites_go_specific_syntax() {
        assert_eq!(translate(r"\d+"), "[0-9]+");
        assert_eq!(translate(r"[\d\s]"), r"[0-9\t\n\f\r ]");
        assert_eq!(translate(r"a\Q.*\Eb"), r"a\.\*b");
        assert_eq!(translate(r"[]a]"), "[]a]");
        assert_eq!(translate(r"[[:alpha:][]"), r"[[:alpha:]\[]");
        assert_eq!(translate(r"[a&&b]"), r"[a\&\&b]");
        assert_eq!(translate(r"\bx\.y"), r"(?-u:\b)x\.y");
        assert_eq!(translate("(?P<n>x)"), "(?P<n>x)");
    }

    #[test]
    fn matches_like_go() {
        let re = |p: &str| regex::Regex::new(&translate(p)).ok();
        // Go's \d does not match Arabic-Indic digits; \w does not match é.
        assert_eq!(
            re(r"\d+").and_then(|r| r.find("١٢٣ 42").map(|m| m.as_str().to_string())),
            Some("42".into())
        );
        assert_eq!(
            re(r"\w+").and_then(|r| r.find("héllo").map(|m| m.as_str().to_string())),
            Some("h".into())
        );
        assert_eq!(
            re(r"[^\d]+").and_then(|r| r.find("12ab3").map(|m| m.as_str().to_string())),
            Some("ab".into())
        );
    }
}
