//! GitHub Actions mode: when `GITHUB_ACTIONS=true` (or `--github-actions`),
//! diagnostics become workflow-command annotations at their exact ranges,
//! sensitive values are `::add-mask::`ed before anything prints, results
//! go to the job summary (`$GITHUB_STEP_SUMMARY`) and to step outputs
//! (`$GITHUB_OUTPUT`). `inputs` turns the action's `INPUT_*` variables into
//! command lines.

pub mod annotate;
pub mod command;
pub mod escape;
pub mod files;
pub mod fmt;
pub mod inputs;
pub mod markdown;

use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};

use command::{Level, Location};

/// GitHub shows at most this many annotations of each type per step.
pub const ANNOTATIONS_PER_TYPE: usize = 10;

/// When the action's step fails on diagnostics (`fail_on` input).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailOn {
    #[default]
    Error,
    Warning,
}

/// The runner's environment and what this process has reported so far.
#[derive(Debug)]
pub struct Actions {
    workspace: Option<PathBuf>,
    output_file: Option<PathBuf>,
    summary_file: Option<PathBuf>,
    summary_enabled: bool,
    fail_on: FailOn,
    /// Workflow commands go to stderr: stdout is the command's data
    /// (`validate -json`, `matrix`, `fmt -`).
    commands_on_stderr: AtomicBool,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    secrets: Vec<String>,
    /// Annotations printed / found, per level (error, warning).
    shown: [usize; 2],
    found: [usize; 2],
    summary: String,
}

fn index(level: Level) -> usize {
    match level {
        Level::Error => 0,
        Level::Warning => 1,
    }
}

static MODE: OnceLock<Option<Actions>> = OnceLock::new();

/// Turn Actions mode on when forced or when running under GitHub Actions.
/// Call once, before any command runs.
pub fn init(forced: bool) -> Option<&'static Actions> {
    MODE.get_or_init(|| {
        let on = forced || std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true");
        on.then(Actions::from_env)
    })
    .as_ref()
}

/// The Actions mode of this process, if on.
pub fn mode() -> Option<&'static Actions> {
    MODE.get().and_then(Option::as_ref)
}

fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

impl Actions {
    fn from_env() -> Self {
        let workspace = env_path("GITHUB_WORKSPACE").map(|w| w.canonicalize().unwrap_or(w));
        let summary_enabled =
            !std::env::var("INPUT_SUMMARY").is_ok_and(|v| v.trim().eq_ignore_ascii_case("false"));
        let fail_on = match std::env::var("INPUT_FAIL_ON") {
            Ok(v) if v.trim().eq_ignore_ascii_case("warning") => FailOn::Warning,
            _ => FailOn::Error,
        };
        Actions {
            workspace,
            output_file: env_path("GITHUB_OUTPUT"),
            summary_file: env_path("GITHUB_STEP_SUMMARY"),
            summary_enabled,
            fail_on,
            commands_on_stderr: AtomicBool::new(false),
            state: Mutex::new(State::default()),
        }
    }

    /// From now on, print workflow commands on stderr: stdout is data.
    pub fn stdout_is_data(&self) {
        self.commands_on_stderr.store(true, Ordering::Relaxed);
    }

    fn emit(&self, line: &str) {
        command::emit(line, self.commands_on_stderr.load(Ordering::Relaxed));
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Register values never to show: each is `::add-mask::`ed (and each
    /// line of a multi-line value) before anything else is printed, and
    /// masked in the summary and outputs kiln writes itself.
    pub fn add_mask(&self, values: impl IntoIterator<Item = String>) {
        let mut st = self.state();
        for v in values {
            let mut parts = vec![v.clone()];
            if v.contains('\n') {
                parts.extend(
                    v.lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(str::to_string),
                );
            }
            for p in parts {
                if p.trim().is_empty() || st.secrets.contains(&p) {
                    continue;
                }
                self.emit(&command::format("add-mask", &[], &p));
                st.secrets.push(p);
            }
        }
    }

    /// `s` with every registered secret replaced.
    pub fn mask(&self, s: &str) -> String {
        kiln_sdk::mask(s, &self.state().secrets)
    }

    /// A diagnostic's file name as GitHub wants it: relative to the
    /// workspace, `/`-separated. Files outside the workspace keep the name
    /// they were given.
    pub fn relative(&self, filename: &str) -> String {
        let p = Path::new(filename);
        let abs = if p.is_absolute() {
            p.to_path_buf()
        } else {
            match std::env::current_dir() {
                Ok(cwd) => cwd.join(p),
                Err(_) => return filename.to_string(),
            }
        };
        let abs = abs.canonicalize().unwrap_or_else(|_| lexical(&abs));
        let Some(ws) = &self.workspace else {
            return filename.to_string();
        };
        match abs.strip_prefix(ws) {
            Ok(rel) => rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/"),
            Err(_) => filename.to_string(),
        }
    }

    /// Print an annotation unless GitHub would drop it (more than
    /// [`ANNOTATIONS_PER_TYPE`] of its level); count it either way.
    /// Returns whether it was printed.
    pub fn annotate(&self, level: Level, title: &str, loc: &Location, message: &str) -> bool {
        let i = index(level);
        let line = {
            let mut st = self.state();
            st.found[i] += 1;
            if st.shown[i] >= ANNOTATIONS_PER_TYPE {
                return false;
            }
            st.shown[i] += 1;
            let secrets = &st.secrets;
            command::annotation(
                level,
                &kiln_sdk::mask(title, secrets),
                loc,
                &kiln_sdk::mask(message, secrets),
            )
        };
        self.emit(&line);
        true
    }

    /// Open a collapsible group in the log.
    pub fn group(&self, title: &str) {
        self.emit(&command::format("group", &[], &self.mask(title)));
    }

    pub fn end_group(&self) {
        self.emit("::endgroup::");
    }

    /// Add markdown to the job summary (written when the command ends).
    pub fn summary(&self, markdown: &str) {
        let mut st = self.state();
        let masked = kiln_sdk::mask(markdown, &st.secrets);
        st.summary.push_str(&masked);
    }

    /// Set a step output (`$GITHUB_OUTPUT`, multi-line safe).
    pub fn set_output(&self, name: &str, value: &str) -> anyhow::Result<()> {
        let Some(path) = &self.output_file else {
            return Ok(());
        };
        let text = files::key_value(name, &self.mask(value))?;
        files::append(path, &text)
            .map_err(|e| anyhow::anyhow!("writing output {name} to {}: {e}", path.display()))
    }

    /// Errors and warnings found so far.
    pub fn counts(&self) -> (usize, usize) {
        let st = self.state();
        (st.found[0], st.found[1])
    }

    /// After the command: apply `fail_on`, set the `result` output, note
    /// annotations GitHub does not show and write the job summary. Returns
    /// the final exit code.
    pub fn finish(&self, code: u8) -> u8 {
        let (_, warnings) = self.counts();
        let mut code = code;
        if code == 0 && self.fail_on == FailOn::Warning && warnings > 0 {
            self.annotate(
                Level::Error,
                "kiln",
                &Location::default(),
                &format!("{warnings} warning(s) found and fail_on is \"warning\""),
            );
            code = 1;
        }
        let result = if code == 0 { "ok" } else { "failed" };
        if let Err(e) = self.set_output("result", result) {
            eprintln!("Error: {e:#}");
            code = code.max(1);
        }
        let hidden = {
            let st = self.state();
            (st.found[0] - st.shown[0], st.found[1] - st.shown[1])
        };
        if hidden != (0, 0) {
            let mut parts = Vec::new();
            for (n, what) in [(hidden.0, "error"), (hidden.1, "warning")] {
                if n > 0 {
                    parts.push(format!("{n} more {what}{}", if n == 1 { "" } else { "s" }));
                }
            }
            self.summary(&format!(
                "> [!NOTE]\n> {} than GitHub shows as annotations ({ANNOTATIONS_PER_TYPE} of each type per step): every one is listed in this summary.\n\n",
                markdown::sentence_case(&parts.join(" and "))
            ));
        }
        if self.summary_enabled {
            if let Some(path) = &self.summary_file {
                let text = std::mem::take(&mut self.state().summary);
                if !text.is_empty() {
                    if let Err(e) = files::append(path, &text) {
                        eprintln!("Error: writing the job summary {}: {e}", path.display());
                        code = code.max(1);
                    }
                }
            }
        }
        code
    }
}

/// Resolve `.` and `..` without touching the file system.
fn lexical(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// For commands that load a template: in Actions mode, mask the template's
/// sensitive values, then report its diagnostics as annotations, in the
/// summary (under `kiln COMMAND PATH`) and as text on stderr for the log.
/// Returns false when Actions mode is off (the caller prints as usual).
pub fn report_loaded(
    command: &str,
    path: &Path,
    res: &kiln_lang::template::hcl2::LoadResult,
) -> bool {
    let Some(gh) = mode() else {
        return false;
    };
    if let Some(loaded) = &res.loaded {
        gh.add_mask(loaded.sensitive_values());
    }
    report_diagnostics(gh, command, path, &res.diags.0, &res.sources);
    true
}

/// Annotate diagnostics, add them to the summary and print them as text.
pub fn report_diagnostics(
    gh: &Actions,
    command: &str,
    path: &Path,
    diags: &[kiln_lang::diag::Diagnostic],
    sources: &kiln_lang::diag::Sources,
) {
    annotate::report(
        gh,
        &format!(
            "### kiln {command} {}",
            markdown::code(&path.display().to_string())
        ),
        diags,
        sources,
    );
    if !diags.is_empty() {
        eprint!("{}", gh.mask(&kiln_lang::diag::render_text(diags, sources)));
    }
}

/// `kiln inspect`'s text in the job summary (Actions mode only).
pub fn inspect_summary(text: &str) {
    if let Some(gh) = mode() {
        gh.summary(&format!(
            "### kiln inspect\n\n{}\n",
            markdown::fenced("", text)
        ));
    }
}

/// In Actions mode, print workflow commands on stderr from now on: the
/// command's stdout is data another program reads.
pub fn stdout_is_data() {
    if let Some(gh) = mode() {
        gh.stdout_is_data();
    }
}
