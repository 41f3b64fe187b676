//! Small helpers for the job summary's GitHub-flavoured markdown.

/// Text safe inside a table cell: no raw HTML, no cell breaks, line
/// breaks as `<br>`.
pub fn cell(s: &str) -> String {
    s.trim_end()
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace("\r\n", "<br>")
        .replace('\n', "<br>")
}

/// Inline code that survives backticks in the text.
pub fn code(s: &str) -> String {
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}").replace('|', "\\|")
}

/// A fenced block (` ```lang `) long enough not to be closed by the text.
pub fn fenced(lang: &str, s: &str) -> String {
    let mut fence = "```".to_string();
    while s.contains(&fence) {
        fence.push('`');
    }
    let nl = if s.ends_with('\n') { "" } else { "\n" };
    format!("{fence}{lang}\n{s}{nl}{fence}\n")
}

/// `n thing` / `n things`.
pub fn count(n: usize, thing: &str) -> String {
    format!("{n} {thing}{}", if n == 1 { "" } else { "s" })
}

/// First letter upper-cased.
pub fn sentence_case(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_the_table_or_inject_html() {
        assert_eq!(cell("a|b\n<script>"), "a\\|b<br>&lt;script&gt;");
    }

    #[test]
    fn code_and_fences_outgrow_backticks() {
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(fenced("diff", "x```y"), "````diff\nx```y\n````\n");
    }
}
