//! `-machine-readable`: Packer's `timestamp,target,type,data…` lines.
//! Build output is `ui` lines (`say`, `message`, `error`) carrying the
//! same text as the human output; the summary adds `error-count`,
//! `error`, `artifact-count` and `artifact` lines targeted at a build.
//! Every field is escaped like Packer: `,` → `%!(PACKER_COMMA)`, CR and
//! LF → `\r`, `\n`. Secrets are masked before escaping.

use std::io::Write;
use std::time::{Duration, SystemTime};

use kiln_build::BuildOutcome;
use kiln_sdk::{human_duration, BuildEvent, Secrets};

/// Escape one field of a machine-readable line.
pub fn escape(field: &str) -> String {
    field
        .replace(',', "%!(PACKER_COMMA)")
        .replace('\r', "\\r")
        .replace('\n', "\\n")
}

/// Prefix every line of `message` with `prefix` (Packer's targeted UI).
fn prefixed(prefix: &str, message: &str) -> String {
    message
        .split('\n')
        .map(|l| format!("{prefix}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Renders build events as Packer's machine-readable lines.
pub struct MachineRenderer<W: Write> {
    out: W,
    secrets: Secrets,
}

impl<W: Write> MachineRenderer<W> {
    pub fn new(out: W, secrets: Secrets) -> Self {
        MachineRenderer { out, secrets }
    }

    /// One line: `timestamp,target,type,data…`.
    pub fn record(&mut self, target: &str, kind: &str, data: &[&str]) {
        let ts = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut fields = vec![
            ts.to_string(),
            escape(&self.secrets.mask(target)),
            escape(kind),
        ];
        fields.extend(data.iter().map(|d| escape(&self.secrets.mask(d))));
        // A closed stdout must not abort the builds.
        let _ = writeln!(self.out, "{}", fields.join(","));
    }

    fn ui(&mut self, kind: &str, message: &str) {
        self.record("", "ui", &[kind, message]);
    }

    /// A line of the run itself (not of a build).
    pub fn say(&mut self, message: &str) {
        self.ui("say", message);
    }

    pub fn event(&mut self, e: &BuildEvent) {
        match e {
            BuildEvent::Started { .. } => {}
            BuildEvent::Say { build, message } => {
                self.ui("say", &prefixed(&format!("==> {build}: "), message))
            }
            BuildEvent::Message { build, message } => {
                self.ui("message", &prefixed(&format!("    {build}: "), message))
            }
            BuildEvent::Error { build, message } => {
                self.ui("error", &prefixed(&format!("==> {build}: "), message))
            }
            BuildEvent::Finished {
                build,
                duration,
                error,
                ..
            } => match error {
                None => self.ui(
                    "say",
                    &format!(
                        "Build '{build}' finished after {}.",
                        human_duration(*duration)
                    ),
                ),
                Some(err) => self.ui(
                    "error",
                    &format!(
                        "Build '{build}' errored after {}: {err}",
                        human_duration(*duration)
                    ),
                ),
            },
        }
    }

    /// The closing summary: Packer's `error-count`/`error` and
    /// `artifact-count`/`artifact` lines with their `ui` counterparts.
    pub fn summary(&mut self, outcomes: &[BuildOutcome], wall: Duration, interrupted: bool) {
        self.ui(
            "say",
            &format!("\n==> Wait completed after {}", human_duration(wall)),
        );
        let failed: Vec<_> = outcomes
            .iter()
            .filter_map(|o| o.result.as_ref().err().map(|e| (o, e.to_string())))
            .collect();
        if !failed.is_empty() {
            self.record("", "error-count", &[&failed.len().to_string()]);
            self.ui(
                "error",
                "\n==> Some builds didn't complete successfully and had errors:",
            );
            for (o, e) in &failed {
                self.record(&o.name, "error", &[e]);
                self.ui("error", &format!("--> {}: {e}", o.name));
            }
        }
        let built: Vec<_> = outcomes
            .iter()
            .filter_map(|o| o.result.as_ref().ok().map(|a| (o, a)))
            .filter(|(_, a)| !a.is_empty())
            .collect();
        if built.is_empty() {
            self.ui(
                "say",
                "\n==> Builds finished but no artifacts were created.",
            );
        } else {
            self.ui(
                "say",
                "\n==> Builds finished. The artifacts of successful builds are:",
            );
            for (o, arts) in built {
                let name = o.name.as_str();
                self.record(name, "artifact-count", &[&arts.len().to_string()]);
                for (i, a) in arts.iter().enumerate() {
                    let i = i.to_string();
                    self.record(name, "artifact", &[&i, "builder-id", a.builder_id()]);
                    self.record(name, "artifact", &[&i, "id", &a.id()]);
                    self.record(name, "artifact", &[&i, "string", &a.description()]);
                    let files = a.files();
                    self.record(
                        name,
                        "artifact",
                        &[&i, "files-count", &files.len().to_string()],
                    );
                    for (j, f) in files.iter().enumerate() {
                        let f = f.display().to_string();
                        self.record(name, "artifact", &[&i, "file", &j.to_string(), &f]);
                    }
                    self.record(name, "artifact", &[&i, "end"]);
                    self.ui("say", &format!("--> {name}: {}", a.description()));
                }
            }
        }
        if interrupted {
            self.ui("say", "Cleanly cancelled builds after being interrupted.");
        }
        let _ = self.out.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(buf: &[u8]) -> Vec<String> {
        String::from_utf8_lossy(buf)
            .lines()
            .map(|l| {
                l.split_once(',')
                    .map(|(_, rest)| rest.to_string())
                    .unwrap_or_default()
            })
            .collect()
    }

    #[test]
    fn escapes_like_packer() {
        assert_eq!(escape("a,b\nc\r"), "a%!(PACKER_COMMA)b\\nc\\r");
    }

    #[test]
    fn ui_lines_carry_the_human_text_and_mask_secrets() {
        let mut buf = Vec::new();
        {
            let mut r = MachineRenderer::new(&mut buf, Secrets::new(vec!["s3,cret".into()]));
            r.event(&BuildEvent::Started {
                build: "file.a".into(),
            });
            r.event(&BuildEvent::Say {
                build: "file.a".into(),
                message: "two\nlines, s3,cret".into(),
            });
            r.event(&BuildEvent::Message {
                build: "file.a".into(),
                message: "out".into(),
            });
        }
        assert_eq!(
            lines(&buf),
            [
                ",ui,say,==> file.a: two\\n==> file.a: lines%!(PACKER_COMMA) <sensitive>",
                ",ui,message,    file.a: out",
            ]
        );
        let ts: u64 = String::from_utf8_lossy(&buf)
            .split(',')
            .next()
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        assert!(ts > 1_600_000_000, "{ts}");
    }
}
