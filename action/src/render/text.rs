//! Packer's human build output: `==> NAME: step` and `    NAME: output`
//! lines, one color per build, "Build 'X' finished after …" and the final
//! artifact list.

use std::collections::HashMap;
use std::io::Write;
use std::time::{Duration, SystemTime};

use kiln_build::BuildOutcome;
use kiln_sdk::{human_duration, BuildEvent, Secrets};

/// Packer's build colors, assigned in order.
const COLORS: [&str; 5] = ["32", "36", "35", "33", "34"];
const RED: &str = "31";

/// Renders build events as Packer does.
pub struct TextRenderer<W: Write> {
    out: W,
    color: bool,
    timestamps: bool,
    build_colors: HashMap<String, &'static str>,
    /// Masks what the engine did not (the summary's errors and artifacts).
    secrets: Secrets,
}

impl<W: Write> TextRenderer<W> {
    pub fn new(out: W, color: bool, timestamps: bool) -> Self {
        TextRenderer {
            out,
            color,
            timestamps,
            build_colors: HashMap::new(),
            secrets: Secrets::default(),
        }
    }

    /// Mask the run's secrets in every line.
    pub fn with_secrets(mut self, secrets: Secrets) -> Self {
        self.secrets = secrets;
        self
    }

    fn paint(&self, code: &str, bold: bool, s: &str) -> String {
        if !self.color {
            return s.to_string();
        }
        let weight = if bold { "1;" } else { "" };
        format!("\x1b[{weight}{code}m{s}\x1b[0m")
    }

    fn line(&mut self, s: &str) {
        let prefix = if self.timestamps {
            format!("{}: ", rfc3339_now())
        } else {
            String::new()
        };
        let s = self.secrets.mask(s);
        // A closed stdout (e.g. `| head`) must not abort the builds.
        let _ = writeln!(self.out, "{prefix}{s}");
    }

    fn color_of(&mut self, build: &str) -> &'static str {
        // A post-processor's output (`NAME (TYPE)`) keeps its build's color.
        let build = build.split(" (").next().unwrap_or(build);
        let next = COLORS[self.build_colors.len() % COLORS.len()];
        self.build_colors.entry(build.to_string()).or_insert(next)
    }

    /// A line of the run itself (not of a build), e.g. "Debug mode enabled".
    pub fn say(&mut self, message: &str) {
        self.line(message);
    }

    /// Render one event.
    pub fn event(&mut self, e: &BuildEvent) {
        match e {
            BuildEvent::Started { build } => {
                // Like Packer, the color legend only shows with colors on.
                let c = self.color_of(build);
                if self.color {
                    let s = self.paint(c, true, &format!("{build}: output will be in this color."));
                    self.line(&s);
                    self.line("");
                }
            }
            BuildEvent::Say { build, message } => {
                let c = self.color_of(build);
                for l in message.lines() {
                    let s = self.paint(c, true, &format!("==> {build}: {l}"));
                    self.line(&s);
                }
            }
            BuildEvent::Message { build, message } => {
                let c = self.color_of(build);
                for l in message.lines() {
                    let s = self.paint(c, false, &format!("    {build}: {l}"));
                    self.line(&s);
                }
            }
            BuildEvent::Error { build, message } => {
                for l in message.lines() {
                    let s = self.paint(RED, true, &format!("==> {build}: {l}"));
                    self.line(&s);
                }
            }
            BuildEvent::Finished {
                build,
                duration,
                error,
                ..
            } => match error {
                None => {
                    let s = format!(
                        "Build '{build}' finished after {}.",
                        human_duration(*duration)
                    );
                    self.line(&s);
                }
                Some(err) => {
                    let s = self.paint(
                        RED,
                        true,
                        &format!(
                            "Build '{build}' errored after {}: {err}",
                            human_duration(*duration)
                        ),
                    );
                    self.line(&s);
                }
            },
        }
    }

    /// The closing summary after all builds ended.
    pub fn summary(&mut self, outcomes: &[BuildOutcome], wall: Duration, interrupted: bool) {
        self.line("");
        self.line(&format!(
            "==> Wait completed after {}",
            human_duration(wall)
        ));
        let failed: Vec<_> = outcomes.iter().filter(|o| o.result.is_err()).collect();
        if !failed.is_empty() {
            self.line("");
            self.line("==> Some builds didn't complete successfully and had errors:");
            for o in &failed {
                if let Err(e) = &o.result {
                    self.line(&format!("--> {}: {e}", o.name));
                }
            }
        }
        let artifacts: Vec<_> = outcomes
            .iter()
            .filter_map(|o| o.result.as_ref().ok().map(|a| (o, a)))
            .filter(|(_, a)| !a.is_empty())
            .collect();
        self.line("");
        if artifacts.is_empty() {
            self.line("==> Builds finished but no artifacts were created.");
        } else {
            self.line("==> Builds finished. The artifacts of successful builds are:");
            for (o, arts) in artifacts {
                for a in arts {
                    self.line(&format!("--> {}: {}", o.name, a.description()));
                }
            }
        }
        if interrupted {
            self.line("Cleanly cancelled builds after being interrupted.");
        }
        let _ = self.out.flush();
    }
}

/// The current UTC time as RFC 3339 (for `-timestamp-ui`).
fn rfc3339_now() -> String {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_packer_shape_without_color() {
        let mut buf = Vec::new();
        {
            let mut r = TextRenderer::new(&mut buf, false, false);
            r.event(&BuildEvent::Started {
                build: "file.a".into(),
            });
            r.event(&BuildEvent::Say {
                build: "file.a".into(),
                message: "Creating file".into(),
            });
            r.event(&BuildEvent::Message {
                build: "file.a".into(),
                message: "hi\nthere".into(),
            });
            r.event(&BuildEvent::Finished {
                build: "file.a".into(),
                duration: Duration::from_secs(2),
                error: None,
                artifacts: vec![],
            });
        }
        let s = String::from_utf8(buf).unwrap();
        assert_eq!(
            s,
            "==> file.a: Creating file\n    file.a: hi\n    file.a: there\nBuild 'file.a' finished after 2 seconds.\n"
        );
    }

    #[test]
    fn colors_differ_per_build_and_errors_are_red() {
        let mut buf = Vec::new();
        {
            let mut r = TextRenderer::new(&mut buf, true, false);
            r.event(&BuildEvent::Say {
                build: "a".into(),
                message: "x".into(),
            });
            r.event(&BuildEvent::Say {
                build: "b".into(),
                message: "x".into(),
            });
            r.event(&BuildEvent::Error {
                build: "a".into(),
                message: "bad".into(),
            });
        }
        let s = String::from_utf8(buf).unwrap();
        assert!(s.contains("\x1b[1;32m==> a: x"), "{s:?}");
        assert!(s.contains("\x1b[1;36m==> b: x"), "{s:?}");
        assert!(s.contains("\x1b[1;31m==> a: bad"), "{s:?}");
    }

    #[test]
    fn timestamps_are_rfc3339() {
        let t = rfc3339_now();
        assert_eq!(t.len(), 20, "{t}");
        assert!(t.starts_with("20") && t.ends_with('Z'));
    }
}
