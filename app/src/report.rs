//! Turning check results into GitHub output: the check run's title,
//! summary and annotations (batched by 50), and the sticky comment
//! (hidden marker, `<details>` folding, split under GitHub's 65,535
//! character limit without breaking code fences or `<details>`).

use serde_json::{json, Value};

use crate::check::{Finding, Level, TemplateReport};

/// GitHub's limit on a comment body and on check run summary/text.
pub const GITHUB_TEXT_LIMIT: usize = 65_535;
/// Annotations GitHub accepts per check run request.
pub const ANNOTATIONS_PER_REQUEST: usize = 50;
/// The hidden marker of kiln-app's sticky comment.
pub const MARKER: &str = "<!-- kiln-app:sticky -->";
/// Bodies longer than this fold their details.
const FOLD_AT: usize = 2_000;

pub struct Outcome {
    pub conclusion: &'static str,
    pub title: String,
    pub summary: String,
    pub text: String,
    pub annotations: Vec<Value>,
}

fn esc_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ").replace('\r', "")
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(40)).collect();
    out.push_str("\n\n… (truncated)\n");
    out
}

/// The longest run of backticks in `s`, so a fence can enclose it.
fn fence_for(s: &str) -> String {
    let mut best = 0;
    let mut cur = 0;
    for c in s.chars() {
        if c == '`' {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 0;
        }
    }
    "`".repeat(best.max(2) + 1)
}

fn annotation(f: &Finding) -> Value {
    let mut a = json!({
        "path": f.path,
        "start_line": f.start_line,
        "end_line": f.end_line,
        "annotation_level": match f.level { Level::Failure => "failure", Level::Warning => "warning" },
        "title": truncate(&f.title, 250),
        "message": truncate(&f.message, 60_000),
    });
    if let (Some(s), Some(e)) = (f.start_column, f.end_column) {
        a["start_column"] = json!(s);
        a["end_column"] = json!(e);
    }
    a
}

/// The per-template markdown: a status table per template, its findings
/// and, for formatting, the diff as a suggested change.
pub fn template_markdown(reports: &[TemplateReport]) -> String {
    let mut md = String::new();
    for r in reports {
        let name = if r.dir.is_empty() {
            "."
        } else {
            r.dir.as_str()
        };
        md.push_str(&format!("### `{}`\n\n", esc_cell(name)));
        md.push_str("| check | result |\n| --- | --- |\n");
        if let Some(e) = &r.engine_failure {
            md.push_str(&format!(
                "| engine | :x: kiln failed on this template: {} |\n",
                esc_cell(e)
            ));
        }
        if r.validated {
            let v = if r.errors == 0 && r.warnings == 0 {
                ":white_check_mark: valid".to_string()
            } else {
                format!(
                    "{} {} error(s), {} warning(s)",
                    if r.errors > 0 { ":x:" } else { ":warning:" },
                    r.errors,
                    r.warnings
                )
            };
            md.push_str(&format!("| validate | {v} |\n"));
        }
        if r.fmt_checked {
            let v = if r.fmt.is_empty() {
                ":white_check_mark: formatted".to_string()
            } else {
                format!(":x: {} file(s) need `kiln fmt`", r.fmt.len())
            };
            md.push_str(&format!("| fmt | {v} |\n"));
        }
        md.push('\n');
        if !r.findings.is_empty() {
            md.push_str("| file | line | severity | problem |\n| --- | --- | --- | --- |\n");
            for f in &r.findings {
                md.push_str(&format!(
                    "| `{}` | {} | {} | **{}** {} |\n",
                    esc_cell(&f.path),
                    f.start_line,
                    match f.level {
                        Level::Failure => "error",
                        Level::Warning => "warning",
                    },
                    esc_cell(&f.title),
                    esc_cell(&f.message)
                ));
            }
            md.push('\n');
        }
        for p in &r.fmt {
            let fence = fence_for(&p.diff);
            md.push_str(&format!(
                "`{}` is not formatted; suggested change (`kiln fmt {}`):\n\n{fence}diff\n{}{}{fence}\n\n",
                p.path,
                p.path,
                p.diff,
                if p.diff.ends_with('\n') { "" } else { "\n" }
            ));
        }
    }
    md
}

pub fn outcome(reports: &[TemplateReport]) -> Outcome {
    let errors: usize = reports.iter().map(|r| r.errors).sum();
    let warnings: usize = reports.iter().map(|r| r.warnings).sum();
    let unformatted: usize = reports.iter().map(|r| r.fmt.len()).sum();
    let crashed = reports
        .iter()
        .filter(|r| r.engine_failure.is_some())
        .count();
    let failed = reports.iter().any(TemplateReport::failed);
    let title = if reports.is_empty() {
        "No Packer templates changed".to_string()
    } else if crashed > 0 {
        format!("kiln failed on {crashed} template(s)")
    } else if !failed && warnings == 0 {
        format!("{} template(s) valid and formatted", reports.len())
    } else {
        format!("{errors} error(s), {warnings} warning(s), {unformatted} file(s) to format")
    };
    let mut summary = format!("**{title}**\n\n");
    if !reports.is_empty() {
        summary.push_str("| template | validate | fmt |\n| --- | --- | --- |\n");
        for r in reports {
            let name = if r.dir.is_empty() {
                "."
            } else {
                r.dir.as_str()
            };
            let v = if r.engine_failure.is_some() {
                ":x: engine failure".to_string()
            } else if !r.validated {
                "skipped".to_string()
            } else {
                format!("{} error(s), {} warning(s)", r.errors, r.warnings)
            };
            let f = if !r.fmt_checked {
                "skipped".to_string()
            } else if r.fmt.is_empty() {
                "ok".to_string()
            } else {
                format!("{} file(s)", r.fmt.len())
            };
            summary.push_str(&format!("| `{}` | {v} | {f} |\n", esc_cell(name)));
        }
    }
    let mut annotations: Vec<Value> = Vec::new();
    for r in reports {
        annotations.extend(r.findings.iter().map(annotation));
        for p in &r.fmt {
            annotations.push(json!({
                "path": p.path, "start_line": 1, "end_line": 1,
                "annotation_level": "failure",
                "title": "File is not formatted",
                "message": format!("Run `kiln fmt {}`; the suggested change is in the check run's details.", p.path),
            }));
        }
    }
    Outcome {
        conclusion: if failed { "failure" } else { "success" },
        title,
        summary: truncate(&summary, GITHUB_TEXT_LIMIT - 100),
        text: truncate(&template_markdown(reports), GITHUB_TEXT_LIMIT - 100),
        annotations,
    }
}

/// The sticky comment's full markdown (before splitting).
pub fn comment_markdown(o: &Outcome, reports: &[TemplateReport], head_sha: &str) -> String {
    let details = template_markdown(reports);
    let icon = if o.conclusion == "success" {
        ":white_check_mark:"
    } else {
        ":x:"
    };
    let mut body = format!(
        "### {icon} kiln: {}\n\n_Checked at {head_sha}._\n\n",
        o.title
    );
    if details.len() > FOLD_AT {
        body.push_str("<details>\n<summary>Details</summary>\n\n");
        body.push_str(&details);
        body.push_str("\n</details>\n");
    } else {
        body.push_str(&details);
    }
    body
}

/// Split `body` into parts of at most `limit` characters (marker
/// included), cutting between lines; an open code fence or `<details>` is
/// closed at the cut and reopened in the next part. Part `i` starts with
/// the marker (`<!-- kiln-app:sticky -->` for the first,
/// `<!-- kiln-app:sticky part=N -->` after).
pub fn split_comment(body: &str, limit: usize) -> Vec<String> {
    let marker = |i: usize| {
        if i == 0 {
            format!("{MARKER}\n")
        } else {
            format!("<!-- kiln-app:sticky part={} -->\n", i + 1)
        }
    };
    let reserve = 200; // closers, reopeners and the marker
    let budget = limit.saturating_sub(reserve).max(100);
    let mut parts: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut cur_len = 0usize;
    let mut fence: Option<String> = None; // the opening line of an open fence
    let mut details_depth = 0usize;
    let mut lines: Vec<String> = Vec::new();
    // Lines longer than the budget are hard-wrapped on char boundaries.
    for line in body.split_inclusive('\n') {
        if line.chars().count() <= budget {
            lines.push(line.to_string());
        } else {
            let chars: Vec<char> = line.chars().collect();
            for chunk in chars.chunks(budget) {
                let mut s: String = chunk.iter().collect();
                if !s.ends_with('\n') {
                    s.push('\n');
                }
                lines.push(s);
            }
        }
    }
    for line in lines {
        let n = line.chars().count();
        if cur_len + n > budget && !cur.is_empty() {
            let mut closing = String::new();
            if let Some(f) = &fence {
                let ticks: String = f.chars().take_while(|c| *c == '`').collect();
                closing.push_str(&format!("{ticks}\n"));
            }
            for _ in 0..details_depth {
                closing.push_str("</details>\n");
            }
            cur.push_str(&closing);
            parts.push(std::mem::take(&mut cur));
            for _ in 0..details_depth {
                cur.push_str("<details>\n<summary>Details (continued)</summary>\n\n");
            }
            if let Some(f) = &fence {
                cur.push_str(f);
            }
            cur_len = cur.chars().count();
        }
        let t = line.trim_end();
        if t.starts_with("```") {
            match &fence {
                Some(open) => {
                    let ticks: String = open.chars().take_while(|c| *c == '`').collect();
                    if t == ticks {
                        fence = None;
                    }
                }
                None => fence = Some(line.clone()),
            }
        } else if fence.is_none() {
            if t.starts_with("<details") {
                details_depth += 1;
            } else if t.starts_with("</details>") {
                details_depth = details_depth.saturating_sub(1);
            }
        }
        cur_len += n;
        cur.push_str(&line);
    }
    if !cur.is_empty() || parts.is_empty() {
        parts.push(cur);
    }
    parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| format!("{}{p}", marker(i)))
        .collect()
}

/// Which part a comment body is, if it is one of kiln-app's.
pub fn sticky_part(body: &str) -> Option<usize> {
    let first = body.lines().next()?.trim();
    if first == MARKER {
        return Some(0);
    }
    let n = first
        .strip_prefix("<!-- kiln-app:sticky part=")?
        .strip_suffix(" -->")?
        .parse::<usize>()
        .ok()?;
    n.checked_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_keeps_fences_balanced_and_under_limit() {
        let mut body = String::from("<details>\n<summary>x</summary>\n\n```diff\n");
        for i in 0..20_000 {
            body.push_str(&format!("+line {i} with some text\n"));
        }
        body.push_str("```\n</details>\n");
        let parts = split_comment(&body, GITHUB_TEXT_LIMIT);
        assert!(parts.len() >= 7, "{}", parts.len());
        for (i, p) in parts.iter().enumerate() {
            assert!(p.chars().count() <= GITHUB_TEXT_LIMIT);
            assert_eq!(sticky_part(p), Some(i));
            let fences = p.lines().filter(|l| l.starts_with("```")).count();
            assert_eq!(fences % 2, 0, "part {i} has unbalanced fences");
            assert_eq!(
                p.matches("<details>").count(),
                p.matches("</details>").count()
            );
        }
        let short = split_comment("hello\n", GITHUB_TEXT_LIMIT);
        assert_eq!(short, vec![format!("{MARKER}\nhello\n")]);
    }
}
