//! `kiln fmt [-check] [-diff] [-write=false] [-recursive] PATH...`: rewrite
//! Packer HCL2 templates and var files in the canonical (hclwrite) format,
//! with `packer fmt`'s semantics and exit codes:
//!
//! * 0: nothing to do (or files rewritten);
//! * 1: an error (a file does not parse, an explicit path is not an HCL
//!   file, I/O) — the offending file is left untouched;
//! * 3: `-check` and at least one file is not formatted.
//!
//! `-` formats standard input to standard output.

use std::io::{self, Read, Write};
use std::path::PathBuf;

use kiln_lang::diag::{render_text, Diagnostic, SourceFile, Sources};
use kiln_lang::fmt::diff::{system_diff, unified_diff};
use kiln_lang::fmt::files::{self, FileError, FileOutcome, Target};

#[derive(clap::Args, Debug)]
pub struct FmtArgs {
    /// Check if the input is formatted; exit 3 if not. Nothing is written.
    #[arg(long)]
    pub check: bool,

    /// Display diffs of formatting changes.
    #[arg(long)]
    pub diff: bool,

    /// Write the result to the source files (`-write=false` to disable).
    #[arg(
        long,
        default_value_t = true,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true",
        action = clap::ArgAction::Set
    )]
    pub write: bool,

    /// Also process files in subdirectories.
    #[arg(long)]
    pub recursive: bool,

    /// Files or directories to format (`-` for standard input). Default: `.`
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

/// What happened over all targets.
#[derive(Default)]
struct Tally {
    errors: usize,
    changed: usize,
}

pub fn run(args: FmtArgs) -> anyhow::Result<u8> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let write = args.write && !args.check;
    if paths.iter().any(|p| p.as_os_str() == "-") {
        crate::actions::stdout_is_data(); // GitHub Actions hook (action branch)
    }
    let targets = files::discover(&paths, args.recursive);
    let mut results = files::format_targets(&targets, write);

    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut tally = Tally::default();
    for (i, target) in targets.iter().enumerate() {
        let res = match target {
            Ok(Target::Stdin) => run_stdin(&args, &mut out, &mut tally),
            Ok(Target::File(path)) => match results[i].take() {
                Some(Ok(outcome)) => report_file(&args, &outcome, &mut out, &mut tally),
                Some(Err(e)) => {
                    report_error(&e, &mut out, &mut tally);
                    Ok(())
                }
                None => {
                    // Only possible if a worker thread died.
                    let e = FileError::Io {
                        path: path.clone(),
                        source: io::Error::other("internal error: file was not processed"),
                    };
                    report_error(&e, &mut out, &mut tally);
                    Ok(())
                }
            },
            Err(e) => {
                report_error(e, &mut out, &mut tally);
                Ok(())
            }
        };
        if let Err(e) = res {
            if e.kind() == io::ErrorKind::BrokenPipe {
                return Ok(if tally.errors > 0 { 1 } else { 0 });
            }
            return Err(e.into());
        }
    }
    match out.flush() {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => return Err(e.into()),
        _ => {}
    }
    tracing::debug!(changed = tally.changed, errors = tally.errors, "fmt done");
    crate::actions::fmt::finish(targets.len())?; // GitHub Actions hook (action branch)
    Ok(if tally.errors > 0 {
        1
    } else if args.check && tally.changed > 0 {
        3
    } else {
        0
    })
}

/// Packer prints `diff -u`'s output; use the system diff when there is one
/// so hunks are identical, else the built-in one.
fn diff_text(old: &str, new: &str, name: &str) -> String {
    system_diff(old, new, name).unwrap_or_else(|| unified_diff(old, new, name))
}

fn report_file(
    args: &FmtArgs,
    outcome: &FileOutcome,
    out: &mut impl Write,
    tally: &mut Tally,
) -> io::Result<()> {
    if !outcome.changed() {
        return Ok(());
    }
    tally.changed += 1;
    // GitHub Actions hook (action branch): annotation, diff in the summary.
    crate::actions::fmt::unformatted(&outcome.path, &outcome.original, &outcome.formatted);
    let name = outcome.path.display().to_string();
    writeln!(out, "{name}")?;
    if args.diff {
        out.write_all(diff_text(&outcome.original, &outcome.formatted, &name).as_bytes())?;
    }
    Ok(())
}

fn run_stdin(args: &FmtArgs, out: &mut impl Write, tally: &mut Tally) -> io::Result<()> {
    let mut src = Vec::new();
    io::stdin().read_to_end(&mut src)?;
    match files::format_source(std::path::Path::new("-"), src) {
        Ok(outcome) => {
            if outcome.changed() {
                tally.changed += 1;
            }
            if args.check {
                return Ok(());
            }
            if args.diff && outcome.changed() {
                out.write_all(diff_text(&outcome.original, &outcome.formatted, "-").as_bytes())
            } else {
                out.write_all(outcome.formatted.as_bytes())
            }
        }
        Err(e) => {
            report_error(&e, out, tally);
            Ok(())
        }
    }
}

/// Print an error on stderr (parse errors as located diagnostics); results
/// printed so far on stdout are flushed first to keep the order readable.
fn report_error(e: &FileError, out: &mut impl Write, tally: &mut Tally) {
    tally.errors += 1;
    let _ = out.flush();
    let mut sources = Sources::new();
    let diag = match e {
        FileError::Parse { path, text, error } => {
            let name = path.display().to_string();
            sources.add(SourceFile::new(name.clone(), text.as_str()));
            error.to_diagnostic(&name)
        }
        FileError::NotHcl(path) => Diagnostic::error(
            format!("file {} is not a HCL file", path.display()),
            "kiln fmt formats Packer HCL2 files: *.pkr.hcl, *.pkrvars.hcl and *.auto.pkrvars.hcl. JSON templates are not formatted.",
        ),
        FileError::Io { path, source } => Diagnostic::error(
            format!("cannot format {}", path.display()),
            source.to_string(),
        ),
    };
    crate::actions::fmt::error(&diag, &sources); // GitHub Actions hook (action branch)
    let text = render_text(std::slice::from_ref(&diag), &sources);
    let mut err = io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}
