//! A build is a stream of events; renderers (Packer text, machine-readable,
//! GitHub Actions) subscribe to it. Secrets are masked before an event is
//! sent, so no renderer can leak them.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

/// One thing that happened during a run.
#[derive(Debug, Clone, PartialEq)]
pub enum BuildEvent {
    /// A build started (`TYPE.NAME: output will be in this color.`).
    Started {
        /// The build's name.
        build: String,
    },
    /// A step announcement (`==> NAME: msg`).
    Say {
        /// The build's name.
        build: String,
        /// The announcement (masked).
        message: String,
    },
    /// Output of a command or detail (`    NAME: line`).
    Message {
        /// The build's name.
        build: String,
        /// The line (masked).
        message: String,
    },
    /// An error inside a build (`==> NAME: msg` in red).
    Error {
        /// The build's name.
        build: String,
        /// The error (masked).
        message: String,
    },
    /// A build ended; `error` is `None` on success. `artifacts` are the
    /// descriptions of what it produced.
    Finished {
        /// The build's name.
        build: String,
        /// How long it ran.
        duration: Duration,
        /// Why it failed, if it did.
        error: Option<String>,
        /// What it produced, in order.
        artifacts: Vec<ArtifactSummary>,
    },
}

/// What renderers and summaries need to know about an artifact.
#[derive(Debug, Clone, PartialEq)]
pub struct ArtifactSummary {
    /// The producing component's id (Packer's `BuilderId`).
    pub builder_id: String,
    /// The artifact's id (an AMI id list, an image id, …).
    pub id: String,
    /// Packer's one-line description (`String()`).
    pub description: String,
}

/// A build's handle on the event stream: tags events with the build name
/// and masks secrets.
#[derive(Debug, Clone)]
pub struct Ui {
    build: String,
    secrets: Secrets,
    tx: UnboundedSender<BuildEvent>,
}

impl Ui {
    /// A handle for the build `build`, masking `secrets`, sending to `tx`.
    pub fn new(
        build: impl Into<String>,
        secrets: Secrets,
        tx: UnboundedSender<BuildEvent>,
    ) -> Self {
        Ui {
            build: build.into(),
            secrets,
            tx,
        }
    }

    /// The build (or label) this handle tags events with.
    pub fn build_name(&self) -> &str {
        &self.build
    }

    /// The same stream under another label, e.g. `file.a (manifest)` for
    /// a post-processor's output, as Packer shows it.
    pub fn labelled(&self, label: impl Into<String>) -> Ui {
        Ui {
            build: label.into(),
            secrets: self.secrets.clone(),
            tx: self.tx.clone(),
        }
    }

    /// The run's secret store.
    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// Replace every secret value in `s` with `<sensitive>`.
    pub fn mask(&self, s: &str) -> String {
        self.secrets.mask(s)
    }

    /// Register a value generated during the build (a temporary private
    /// key, a password) so that it is masked from now on, in every build.
    pub fn add_secret(&self, secret: impl Into<String>) {
        self.secrets.add(secret);
    }

    /// Announce a step (`==> NAME: msg`).
    pub fn say(&self, message: impl AsRef<str>) {
        self.send(
            |build, message| BuildEvent::Say { build, message },
            message.as_ref(),
        );
    }

    /// Print a detail or a line of command output (`    NAME: line`).
    pub fn message(&self, message: impl AsRef<str>) {
        self.send(
            |build, message| BuildEvent::Message { build, message },
            message.as_ref(),
        );
    }

    /// Report an error inside the build (shown in red).
    pub fn error(&self, message: impl AsRef<str>) {
        self.send(
            |build, message| BuildEvent::Error { build, message },
            message.as_ref(),
        );
    }

    fn send(&self, make: impl FnOnce(String, String) -> BuildEvent, message: &str) {
        // A closed receiver means nobody renders any more (the process is
        // exiting); dropping the event is the right thing then.
        let _ = self.tx.send(make(self.build.clone(), self.mask(message)));
    }

    /// Send an event as is (the runner's own events: starts, artifacts, ends).
    pub fn emit(&self, event: BuildEvent) {
        let _ = self.tx.send(event);
    }
}

/// The run's set of values never to print, shared by every build; builders
/// add what they generate.
#[derive(Debug, Clone, Default)]
pub struct Secrets(Arc<RwLock<Vec<String>>>);

impl Secrets {
    /// A store holding `values`.
    pub fn new(values: Vec<String>) -> Self {
        Secrets(Arc::new(RwLock::new(values)))
    }

    /// Add a value (and its encoded forms) to mask from now on.
    pub fn add(&self, secret: impl Into<String>) {
        let secret = secret.into();
        if secret.is_empty() {
            return;
        }
        let mut v = self.0.write().unwrap_or_else(|e| e.into_inner());
        if !v.contains(&secret) {
            v.push(secret);
        }
    }

    /// Replace every stored value in `s` with `<sensitive>`.
    pub fn mask(&self, s: &str) -> String {
        let v = self.0.read().unwrap_or_else(|e| e.into_inner());
        mask(s, &v)
    }
}

/// The forms a secret takes once quoted or escaped by the tools that
/// print it: JSON strings (`\"`, `\\`, `\n`, `\u0026`, `\/`…), shell single
/// quotes (`'"'"'` and `'\''`), URL encoding (`%2F`, `+` for spaces) and
/// base64 (standard, with and without padding, when the secret is
/// encoded on its own). Each is masked like the secret itself.
pub fn secret_forms(secret: &str) -> Vec<String> {
    use base64::Engine as _;
    let mut forms = vec![secret.to_string()];
    let mut push = |f: String| {
        if !f.is_empty() && !forms.contains(&f) {
            forms.push(f);
        }
    };
    let json = |s: &str| -> String {
        serde_json::to_string(s)
            .map(|j| j[1..j.len() - 1].to_string())
            .unwrap_or_default()
    };
    // Go's encoding/json also escapes <, > and & (HTML-safe).
    let go_json = |s: &str| -> String {
        json(s)
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026")
    };
    // Once and twice escaped (a JSON document inside a JSON string or a
    // debug log line).
    // Some encoders (and kiln's `jsonencode`) also escape `/`.
    let slash = |s: String| s.replace('/', "\\/");
    for once in [
        json(secret),
        go_json(secret),
        slash(json(secret)),
        slash(go_json(secret)),
    ] {
        push(json(&once));
        push(once);
    }
    if secret.contains('\'') {
        push(secret.replace('\'', "'\"'\"'"));
        push(secret.replace('\'', "'\\''"));
    }
    let url = |space_plus: bool| -> String {
        let mut out = String::new();
        for b in secret.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    out.push(b as char)
                }
                b' ' if space_plus => out.push('+'),
                _ => out.push_str(&format!("%{b:02X}")),
            }
        }
        out
    };
    push(url(false));
    push(url(true));
    let b64 = base64::engine::general_purpose::STANDARD.encode(secret.as_bytes());
    push(b64.trim_end_matches('=').to_string());
    push(b64);
    forms
}

/// Mask secret values and their quoted/escaped forms (longest first, so
/// a secret containing another is masked whole). Empty secrets are
/// ignored.
pub fn mask(s: &str, secrets: &[String]) -> String {
    let mut sorted: Vec<String> = secrets
        .iter()
        .filter(|s| !s.is_empty())
        .flat_map(|s| secret_forms(s))
        .collect();
    sorted.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut out = s.to_string();
    for secret in sorted {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), "<sensitive>");
        }
    }
    out
}

/// Packer's duration wording: "1 minute 3 seconds", "250 milliseconds".
pub fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if secs == 0 {
        return plural(d.subsec_millis() as u64, "millisecond");
    }
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(plural(h, "hour"));
    }
    if m > 0 {
        parts.push(plural(m, "minute"));
    }
    if s > 0 || parts.is_empty() {
        parts.push(plural(s, "second"));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_longest_first() {
        let secrets = vec!["abc".to_string(), "abcdef".to_string(), String::new()];
        assert_eq!(
            mask("x abcdef y abc", &secrets),
            "x <sensitive> y <sensitive>"
        );
        assert_eq!(mask("nothing here", &secrets), "nothing here");
    }

    #[test]
    fn quoted_and_escaped_forms_are_masked() {
        let secret = "p@ss \"w'o\\rd\n&x".to_string();
        let secrets = vec![secret.clone()];
        let json = serde_json::to_string(&serde_json::json!({ "k": secret })).unwrap();
        assert!(!json.contains(&secret));
        assert_eq!(mask(&json, &secrets), "{\"k\":\"<sensitive>\"}");
        let shell = format!("echo '{}'", secret.replace('\'', "'\"'\"'"));
        assert_eq!(mask(&shell, &secrets), "echo '<sensitive>'");
        let shell2 = format!("echo '{}'", secret.replace('\'', "'\\''"));
        assert_eq!(mask(&shell2, &secrets), "echo '<sensitive>'");
        let url = "https://h/?pw=p%40ss%20%22w%27o%5Crd%0A%26x&u=1";
        assert_eq!(mask(url, &secrets), "https://h/?pw=<sensitive>&u=1");
        let form = "pw=p%40ss+%22w%27o%5Crd%0A%26x";
        assert_eq!(mask(form, &secrets), "pw=<sensitive>");
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(secret.as_bytes());
        assert_eq!(mask(&format!("Basic {b64}"), &secrets), "Basic <sensitive>");
        let go_json = "{\"k\":\"p@ss \\\"w'o\\\\rd\\n\\u0026x\"}";
        assert_eq!(mask(go_json, &secrets), "{\"k\":\"<sensitive>\"}");
    }

    #[test]
    fn ui_masks_before_sending() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let ui = Ui::new("file.x", Secrets::new(vec!["hunter2".into()]), tx);
        ui.message("password is hunter2");
        assert_eq!(
            rx.try_recv().ok(),
            Some(BuildEvent::Message {
                build: "file.x".into(),
                message: "password is <sensitive>".into()
            })
        );
    }

    #[test]
    fn durations_read_like_packer() {
        assert_eq!(
            human_duration(Duration::from_millis(250)),
            "250 milliseconds"
        );
        assert_eq!(
            human_duration(Duration::from_secs(514)),
            "8 minutes 34 seconds"
        );
        assert_eq!(human_duration(Duration::from_secs(3601)), "1 hour 1 second");
    }
}
