//! kiln-app's sticky comment on a pull request: its markdown (hidden
//! marker, `<details>` folding), split under GitHub's 65,535 character
//! limit without breaking code fences or `<details>`, and kept as one set
//! of comments — parts updated in place, created, or deleted.

use std::collections::BTreeSet;

use super::engine::TemplateReport;
use super::report::{template_markdown, Outcome, GITHUB_TEXT_LIMIT};
use crate::events::PrJob;
use crate::github::{GhError, Installation};

/// The hidden marker of kiln-app's sticky comment.
pub const MARKER: &str = "<!-- kiln-app:sticky -->";
/// Bodies longer than this fold their details.
const FOLD_AT: usize = 2_000;

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

/// Create, update in place, or delete kiln's sticky comment parts.
pub async fn update(gh: &Installation, pr: &PrJob, body: &str) -> Result<(), GhError> {
    let parts = split_comment(body, GITHUB_TEXT_LIMIT);
    let existing = gh.comments(&pr.repo, pr.number).await?;
    let mut mine: Vec<(usize, i64)> = existing
        .iter()
        .filter_map(|c| Some((sticky_part(c.body.as_deref()?)?, c.id)))
        .collect();
    mine.sort();
    let mut used = BTreeSet::new();
    for (i, part) in parts.iter().enumerate() {
        match mine.iter().find(|(p, id)| *p == i && !used.contains(id)) {
            Some((_, id)) => {
                used.insert(*id);
                match gh.update_comment(&pr.repo, *id, part).await {
                    Ok(()) => {}
                    // Deleted by someone meanwhile: post it again.
                    Err(e) if e.status() == Some(404) => {
                        gh.create_comment(&pr.repo, pr.number, part).await?;
                    }
                    Err(e) => return Err(e),
                }
            }
            None => {
                gh.create_comment(&pr.repo, pr.number, part).await?;
            }
        }
    }
    for (_, id) in mine {
        if !used.contains(&id) {
            gh.delete_comment(&pr.repo, id).await?;
        }
    }
    Ok(())
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
