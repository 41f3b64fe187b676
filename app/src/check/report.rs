//! Turning check results into the check run's output: its conclusion,
//! title, summary, per-template markdown and annotations (sent in batches
//! of 50).

use serde_json::{json, Value};

use super::engine::{Finding, Level, TemplateReport};

/// GitHub's limit on a comment body and on check run summary/text.
pub const GITHUB_TEXT_LIMIT: usize = 65_535;
/// Annotations GitHub accepts per check run request.
pub const ANNOTATIONS_PER_REQUEST: usize = 50;

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
