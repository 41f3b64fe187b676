//! Build output in GitHub Actions mode: Packer's lines (through the text
//! renderer, without color) with each build's log in its own `::group::`,
//! an annotation per failed build, and after the run a job-summary table
//! (name, status, duration, artifact id) plus the step outputs
//! `artifacts` (JSON: build → artifact id) and `manifest` (path).
//!
//! Builds run in parallel but groups cannot interleave: one build streams
//! live, the others are buffered and printed as a whole group when the
//! live one ends.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use kiln_build::BuildOutcome;
use kiln_lang::plan::BuildJob;
use kiln_lang::template::hcl2::LoadResult;
use kiln_sdk::{human_duration, BuildEvent, Settings};

use super::text::TextRenderer;
use crate::actions::command::{Level, Location};
use crate::actions::{markdown, Actions};

/// Manifest files the planned builds write, and artifacts of every build
/// run by this process (a step may build several templates).
static MANIFESTS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static ARTIFACTS: Mutex<BTreeMap<String, String>> = Mutex::new(BTreeMap::new());

/// Hook for `kiln build` before anything prints: in Actions mode, mask the
/// template's sensitive values, then report validation diagnostics as
/// annotations and in the summary. Returns false when Actions mode is off
/// (the caller prints as usual).
pub fn report_validation(path: &std::path::Path, res: &LoadResult) -> bool {
    crate::actions::report_loaded("build", path, res)
}

/// Hook for `kiln build` once the jobs are planned: remember where their
/// `manifest` post-processors write, for the `manifest` output.
pub fn prepare(jobs: &[BuildJob], cwd: &std::path::Path) {
    if crate::actions::mode().is_none() {
        return;
    }
    let mut m = MANIFESTS.lock().unwrap_or_else(|e| e.into_inner());
    for pp in jobs.iter().flat_map(|j| j.post_processors.iter().flatten()) {
        if pp.component.type_name != "manifest" {
            continue;
        }
        let out = Settings::new("manifest post-processor", &pp.component.config)
            .string("output")
            .ok()
            .flatten()
            .unwrap_or_else(|| "packer-manifest.json".into());
        let p = cwd.join(out);
        if !m.contains(&p) {
            m.push(p);
        }
    }
}

/// The build an event belongs to. Post-processors speak as
/// `BUILD (TYPE)` (Packer's label); their lines go in the build's group.
fn build_of(e: &BuildEvent) -> &str {
    let label = match e {
        BuildEvent::Started { build }
        | BuildEvent::Say { build, .. }
        | BuildEvent::Message { build, .. }
        | BuildEvent::Error { build, .. }
        | BuildEvent::Finished { build, .. } => build,
    };
    match label.split_once(" (") {
        Some((build, rest)) if rest.ends_with(')') => build,
        _ => label,
    }
}

/// A line of a build's log, or its failure annotation.
enum Out {
    Text(String),
    Failed { title: String, message: String },
}

/// Groups per build, annotations for failures, summary and outputs.
pub struct ActionsRenderer {
    gh: &'static Actions,
    timestamps: bool,
    live: Option<String>,
    /// Builds with buffered output, in the order they first spoke.
    waiting: Vec<String>,
    buffers: HashMap<String, Vec<Out>>,
    finished: HashSet<String>,
}

impl ActionsRenderer {
    pub fn new(gh: &'static Actions, timestamps: bool) -> Self {
        ActionsRenderer {
            gh,
            timestamps,
            live: None,
            waiting: Vec::new(),
            buffers: HashMap::new(),
            finished: HashSet::new(),
        }
    }

    /// Packer's lines for an event (the text renderer, no color), and an
    /// annotation when a build failed.
    fn lines(&self, e: &BuildEvent) -> Vec<Out> {
        let mut buf = Vec::new();
        TextRenderer::new(&mut buf, false, self.timestamps).event(e);
        let mut out: Vec<Out> = String::from_utf8_lossy(&buf)
            .lines()
            .map(|l| Out::Text(l.to_string()))
            .collect();
        if let BuildEvent::Finished {
            build,
            error: Some(err),
            duration,
            ..
        } = e
        {
            out.push(Out::Failed {
                title: format!("Build '{build}' errored"),
                message: format!(
                    "Build '{build}' errored after {}: {err}",
                    human_duration(*duration)
                ),
            });
        }
        out
    }

    fn print(&self, lines: &[Out]) {
        for l in lines {
            match l {
                Out::Text(l) => {
                    let mut out = std::io::stdout().lock();
                    // Log lines must not be taken for workflow commands.
                    let _ = if l.starts_with("::") {
                        writeln!(out, " {l}")
                    } else {
                        writeln!(out, "{l}")
                    };
                    let _ = out.flush();
                }
                Out::Failed { title, message } => {
                    self.gh
                        .annotate(Level::Error, title, &Location::default(), message);
                }
            }
        }
    }

    pub fn event(&mut self, e: &BuildEvent) {
        let build = build_of(e).to_string();
        let lines = self.lines(e);
        let finished = matches!(e, BuildEvent::Finished { .. });
        match &self.live {
            None => {
                self.gh.group(&build);
                self.live = Some(build.clone());
                self.print(&lines);
            }
            Some(live) if *live == build => self.print(&lines),
            Some(_) => {
                if !self.waiting.contains(&build) {
                    self.waiting.push(build.clone());
                }
                self.buffers.entry(build.clone()).or_default().extend(lines);
                if finished {
                    self.finished.insert(build);
                }
                return;
            }
        }
        if finished {
            self.gh.end_group();
            self.live = None;
            self.drain();
        }
    }

    /// Print waiting builds: whole groups for those already finished, and
    /// the first one still running becomes live.
    fn drain(&mut self) {
        while !self.waiting.is_empty() {
            let next = self.waiting.remove(0);
            let lines = self.buffers.remove(&next).unwrap_or_default();
            self.gh.group(&next);
            self.print(&lines);
            if self.finished.remove(&next) {
                self.gh.end_group();
            } else {
                self.live = Some(next);
                return;
            }
        }
    }

    /// A line of the run itself (not of a build), outside any group.
    pub fn say(&mut self, message: &str) {
        self.print(&[Out::Text(message.to_string())]);
    }

    pub fn summary(&mut self, outcomes: &[BuildOutcome], wall: Duration, interrupted: bool) {
        if self.live.take().is_some() {
            self.gh.end_group();
        }
        self.finished.extend(self.waiting.iter().cloned());
        self.drain();
        {
            let mut buf = Vec::new();
            TextRenderer::new(&mut buf, false, self.timestamps).summary(
                outcomes,
                wall,
                interrupted,
            );
            self.print(
                &String::from_utf8_lossy(&buf)
                    .lines()
                    .map(|l| Out::Text(l.to_string()))
                    .collect::<Vec<_>>(),
            );
        }
        let failed = outcomes.iter().filter(|o| o.result.is_err()).count();
        let mut md = if failed == 0 {
            format!(
                "### kiln build: :white_check_mark: {} succeeded\n\n",
                markdown::count(outcomes.len(), "build")
            )
        } else {
            format!(
                "### kiln build: :x: {failed} of {} failed\n\n",
                markdown::count(outcomes.len(), "build")
            )
        };
        md.push_str("| Build | Status | Duration | Artifact |\n| --- | --- | --- | --- |\n");
        let mut artifacts = ARTIFACTS.lock().unwrap_or_else(|e| e.into_inner());
        for o in outcomes {
            let (status, ids) = match &o.result {
                Ok(arts) => (
                    ":white_check_mark: succeeded".to_string(),
                    // A chain can list one artifact twice (Packer keeps
                    // an input and passes it on): one id per artifact.
                    arts.iter().map(|a| a.id()).fold(Vec::new(), |mut v, id| {
                        if !v.contains(&id) {
                            v.push(id);
                        }
                        v
                    }),
                ),
                Err(e) => (
                    format!(":x: failed: {}", markdown::cell(&e.to_string())),
                    Vec::new(),
                ),
            };
            // The last artifact that has an id: a checksum or compress
            // artifact (id "") must not hide the image the build made.
            if let Some(last) = ids.iter().rev().find(|id| !id.is_empty()).or(ids.last()) {
                artifacts.insert(o.name.clone(), last.clone());
            }
            md.push_str(&format!(
                "| {} | {status} | {} | {} |\n",
                markdown::code(&o.name),
                human_duration(o.duration),
                ids.iter()
                    .filter(|i| !i.is_empty())
                    .map(|i| markdown::code(i))
                    .collect::<Vec<_>>()
                    .join("<br>")
            ));
        }
        if interrupted {
            md.push_str("\nThe run was interrupted; builds were cancelled and cleaned up.\n");
        }
        md.push('\n');
        self.gh.summary(&md);
        let json = serde_json::to_string(&*artifacts).unwrap_or_else(|_| "{}".into());
        drop(artifacts);
        let mut errors = Vec::new();
        if let Err(e) = self.gh.set_output("artifacts", &json) {
            errors.push(e);
        }
        // Every manifest the builds wrote, one path per line (the shape
        // `actions/upload-artifact`'s `path` takes).
        let manifests: Vec<String> = MANIFESTS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|p| p.exists())
            .map(|p| self.gh.relative(&p.display().to_string()))
            .collect();
        if !manifests.is_empty() {
            let m = manifests.join("\n");
            if let Err(e) = self.gh.set_output("manifest", &m) {
                errors.push(e);
            }
        }
        for e in errors {
            eprintln!("Error: {e:#}");
        }
    }
}
