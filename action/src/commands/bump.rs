//! `kiln bump -manifest FILE [-config .github/kiln.yml] [-write] [DIR]`:
//! move the Terraform variables named by the `bump:` targets of
//! `.github/kiln.yml` to the images a Packer manifest records. Prints the
//! unified diff of the edits, or writes them (atomically, keeping each
//! file's permissions) with `-write`. The edit is kiln-app's bump pull
//! request's, for teams that open pull requests from a workflow.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use kiln_lang::bump::{self, BumpPlan, BumpTarget, CONFIG_PATH};
use kiln_lang::fmt::files::{is_ignored_name, write_atomic};
use kiln_lang::images::parse_manifest;

/// Exit codes, also listed in `kiln bump -help`.
const CHANGES_PENDING: u8 = 2;

#[derive(clap::Args, Debug)]
#[command(after_help = "\
The bump: targets of the configuration:
  bump:
    - build: amazon-ebs.ubuntu        # manifest build name or TYPE.NAME
      files: \"infra/*.auto.tfvars\"    # glob relative to DIR
      variable: ami_id                # tfvars attribute or variable block's default
      region: us-east-1               # required when the value is a plain string

Exit codes:
  0  nothing to change, or the changes were written (-write)
  1  an error: manifest, configuration or a Terraform file is invalid, a
     build, file or variable is missing (nothing is written)
  2  changes pending: the diff was printed (without -write)")]
pub struct BumpArgs {
    /// The Packer manifest (written by the manifest post-processor).
    #[arg(long, value_name = "FILE")]
    pub manifest: PathBuf,

    /// The configuration holding the bump: targets [default: DIR/.github/kiln.yml]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Write the edits to the files instead of printing the diff.
    #[arg(long)]
    pub write: bool,

    /// The repository root the targets' globs are relative to.
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
}

pub fn run(args: BumpArgs) -> anyhow::Result<u8> {
    let manifest_bytes = fs::read(&args.manifest)
        .with_context(|| format!("cannot read the manifest {}", args.manifest.display()))?;
    let manifest = parse_manifest(&manifest_bytes).map_err(|e| {
        // serde_json ends its messages with the location printed here first.
        let message = match e.message.rfind(" at line ") {
            Some(i) => &e.message[..i],
            None => e.message.as_str(),
        };
        anyhow!(
            "{}:{}:{}: {message}",
            args.manifest.display(),
            e.line,
            e.column
        )
    })?;
    let config_path = args
        .config
        .clone()
        .unwrap_or_else(|| join(&args.dir, CONFIG_PATH));
    let config_text = fs::read_to_string(&config_path)
        .with_context(|| format!("cannot read the configuration {}", config_path.display()))?;
    let config =
        bump::parse_config(&config_text).map_err(|e| anyhow!("{}:{e}", config_path.display()))?;
    if config.bump.is_empty() {
        bail!(
            "{}: no bump: targets; see `kiln bump -help` for the format",
            config_path.display()
        );
    }
    let files = read_candidates(&args.dir, &config.bump)?;
    tracing::debug!(
        files = files.len(),
        targets = config.bump.len(),
        "bump inputs read"
    );
    let plan = bump::plan(&manifest, &config.bump, &files)?;

    let mut out = io::stdout().lock();
    let code = if plan.is_empty() {
        0
    } else if args.write {
        write_plan(&args.dir, &plan, &mut out)?;
        0
    } else {
        out.write_all(plan.diff().as_bytes())?;
        CHANGES_PENDING
    };
    out.flush()?;
    summarize(&plan, args.write);
    Ok(code)
}

/// `dir/rel`, without a leading `./` for the current directory.
fn join(dir: &Path, rel: &str) -> PathBuf {
    if dir == Path::new(".") || dir.as_os_str().is_empty() {
        PathBuf::from(rel)
    } else {
        dir.join(rel)
    }
}

/// Every file under `dir` a target matches, by repository-relative path.
/// Dot directories (`.git`, `.terraform`) and editor files are skipped;
/// symlinks to directories are not followed.
fn read_candidates(dir: &Path, targets: &[BumpTarget]) -> anyhow::Result<BTreeMap<String, String>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((path, rel)) = stack.pop() {
        let entries =
            fs::read_dir(&path).with_context(|| format!("cannot list {}", path.display()))?;
        for entry in entries {
            let entry = entry.with_context(|| format!("cannot list {}", path.display()))?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if is_ignored_name(&name) {
                continue;
            }
            let child_rel = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
            if is_dir {
                stack.push((entry.path(), child_rel));
            } else if targets.iter().any(|t| t.matches(&child_rel)) {
                let bytes =
                    fs::read(entry.path()).with_context(|| format!("cannot read {child_rel}"))?;
                let text = String::from_utf8(bytes).map_err(|e| {
                    let good = e.utf8_error().valid_up_to();
                    let prefix = String::from_utf8_lossy(&e.as_bytes()[..good]).into_owned();
                    let line = prefix.matches('\n').count() + 1;
                    let column = prefix
                        .rsplit('\n')
                        .next()
                        .map(|l| l.chars().count())
                        .unwrap_or(0)
                        + 1;
                    anyhow!("{child_rel}:{line}:{column}: not valid UTF-8")
                })?;
                files.insert(child_rel, text);
            }
        }
    }
    Ok(files)
}

/// Writes each changed file atomically, after checking it did not change
/// since it was read; prints the paths written.
fn write_plan(dir: &Path, plan: &BumpPlan, out: &mut impl Write) -> anyhow::Result<()> {
    for f in &plan.files {
        let path = dir.join(&f.path);
        let now = fs::read_to_string(&path).with_context(|| format!("cannot read {}", f.path))?;
        if now != f.old {
            bail!(
                "{}: changed while kiln bump ran; nothing written to it",
                f.path
            );
        }
        write_atomic(&path, f.new.as_bytes())
            .with_context(|| format!("cannot write {}", f.path))?;
        writeln!(out, "{}", f.path)?;
    }
    Ok(())
}

/// One line per value on stderr, then the totals.
fn summarize(plan: &BumpPlan, written: bool) {
    let mut err = io::stderr().lock();
    for c in &plan.changes {
        let region = c
            .region
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        let _ = writeln!(
            err,
            "{}:{}: {}{region}: {} -> {} [{}]",
            c.file, c.line, c.variable, c.old, c.new, c.build
        );
    }
    let _ = if plan.is_empty() {
        writeln!(
            err,
            "Nothing to change: {} value(s) already name the manifest's images.",
            plan.unchanged.len()
        )
    } else {
        writeln!(
            err,
            "{} value(s) in {} file(s) {}; {} already up to date.",
            plan.changes.len(),
            plan.files.len(),
            if written { "changed" } else { "to change" },
            plan.unchanged.len()
        )
    };
}
