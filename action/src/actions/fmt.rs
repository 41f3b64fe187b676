//! `kiln fmt -check` in Actions mode: each unformatted file is annotated
//! at its first changed line, its diff goes to the job summary, and the
//! list of files is the step output `unformatted`.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Mutex;

use kiln_lang::diag::{Diagnostic, Sources};
use kiln_lang::fmt::diff::{system_diff, unified_diff};

use super::command::{Level, Location};
use super::{markdown, mode};

/// (workspace-relative path, diff) of every unformatted file so far.
static UNFORMATTED: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

/// Where two texts first differ: 1-based line, first differing column and
/// the length of the original line (in characters).
pub fn first_change(original: &str, formatted: &str) -> (usize, usize, usize) {
    let a: Vec<&str> = original.lines().collect();
    let b: Vec<&str> = formatted.lines().collect();
    let i = a
        .iter()
        .zip(&b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()))
        .min(a.len().saturating_sub(1));
    let line = a.get(i).copied().unwrap_or("");
    let other = b.get(i).copied().unwrap_or("");
    let col = line
        .chars()
        .zip(other.chars())
        .position(|(x, y)| x != y)
        .unwrap_or(line.chars().count().min(other.chars().count()))
        + 1;
    let len = line.chars().count();
    (i + 1, col.min(len.max(1)), len.max(col.min(len.max(1))))
}

/// Record an unformatted file (Actions mode only): annotation now, diff
/// and output at [`finish`].
pub fn unformatted(path: &Path, original: &str, formatted: &str) {
    let Some(gh) = mode() else {
        return;
    };
    let name = path.display().to_string();
    let rel = gh.relative(&name);
    let (line, col, end) = first_change(original, formatted);
    gh.annotate(
        Level::Error,
        "File is not formatted",
        &Location {
            file: Some(rel.clone()),
            line: Some(line),
            end_line: Some(line),
            col: Some(col),
            end_column: Some(end),
        },
        &format!("kiln fmt would change {rel} from line {line} on. Run `kiln fmt {name}` (or `packer fmt`) and commit the result."),
    );
    let diff = system_diff(original, formatted, &rel)
        .unwrap_or_else(|| unified_diff(original, formatted, &rel));
    UNFORMATTED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((rel, diff));
}

/// A file fmt could not read or parse (Actions mode only).
pub fn error(diag: &Diagnostic, sources: &Sources) {
    if let Some(gh) = mode() {
        let path = diag
            .range
            .as_ref()
            .map(|r| r.filename.clone())
            .unwrap_or_default();
        super::annotate::report(
            gh,
            &format!("### kiln fmt {}", markdown::code(&path)),
            std::slice::from_ref(diag),
            sources,
        );
    }
}

/// After all files: the summary section and the `unformatted` output.
pub fn finish(files_checked: usize) -> anyhow::Result<()> {
    let Some(gh) = mode() else {
        return Ok(());
    };
    let files = std::mem::take(&mut *UNFORMATTED.lock().unwrap_or_else(|e| e.into_inner()));
    let list: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    gh.set_output("unformatted", &list.join("\n"))?;
    let mut md = String::new();
    if files.is_empty() {
        let _ = writeln!(
            md,
            "### kiln fmt: :white_check_mark: {} formatted\n",
            markdown::count(files_checked, "file")
        );
    } else {
        let _ = writeln!(
            md,
            "### kiln fmt: :x: {} of {} not formatted\n",
            files.len(),
            markdown::count(files_checked, "file"),
        );
        for (p, diff) in &files {
            let _ = writeln!(
                md,
                "<details><summary>{}</summary>\n\n{}\n</details>\n",
                markdown::cell(p),
                markdown::fenced("diff", diff)
            );
        }
    }
    gh.summary(&md);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_change_points_at_the_first_differing_character() {
        assert_eq!(first_change("a\nb  = 1\nc\n", "a\nb = 1\nc\n"), (2, 3, 6));
        assert_eq!(first_change("x=1\n", "x = 1\n"), (1, 2, 3));
        // Only a trailing newline is missing: the last line.
        assert_eq!(first_change("a\nb", "a\nb\n"), (2, 1, 1));
    }
}
