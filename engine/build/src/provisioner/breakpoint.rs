//! `breakpoint`: pause the build until the person at the terminal presses
//! Enter (Packer's core `breakpoint` provisioner). Like Packer, it asks on
//! the controlling terminal; with no terminal (CI, `< /dev/null`) it fails
//! with Packer's "Error asking for input: no available tty" — use
//! `disable = true` to keep a breakpoint in a template that also runs
//! unattended.

use std::io::{BufRead, IsTerminal};

use async_trait::async_trait;

use super::{ProvisionContext, Provisioner};
use kiln_lang::template::model::Component;
use kiln_sdk::{BuildError, Settings};

#[derive(Debug)]
pub struct Breakpoint {
    note: String,
    disable: bool,
}

impl Breakpoint {
    pub fn prepare(c: &Component) -> Result<Self, BuildError> {
        let s = Settings::of("breakpoint provisioner", c)?;
        Ok(Breakpoint {
            note: s.string("note")?.unwrap_or_default(),
            disable: s.bool("disable")?.unwrap_or(false),
        })
    }
}

#[async_trait]
impl Provisioner for Breakpoint {
    async fn provision(&self, ctx: &ProvisionContext<'_>) -> Result<(), BuildError> {
        if self.disable {
            ctx.ui.say(if self.note.is_empty() {
                "Breakpoint provisioner disabled; continuing...".to_string()
            } else {
                format!(
                    "Breakpoint provisioner with note \"{}\" disabled; continuing...",
                    self.note
                )
            });
            return Ok(());
        }
        ctx.ui.say(if self.note.is_empty() {
            "Pausing at breakpoint provisioner.".to_string()
        } else {
            format!(
                "Pausing at breakpoint provisioner with note \"{}\".",
                self.note
            )
        });
        let answer = ask_tty(ctx, "Press enter to continue.");
        tokio::select! {
            r = answer => r
                .map(|_| ())
                .map_err(|e| BuildError::Step(format!("Error asking for input: {e}"))),
            _ = ctx.cancel.cancelled() => Err(BuildError::Cancelled),
        }
    }
}

/// Show `query` and read one line from the controlling terminal. Standard
/// input must be a terminal too, so that a run fed from a pipe or
/// `/dev/null` never blocks on a terminal it happens to have.
async fn ask_tty(ctx: &ProvisionContext<'_>, query: &str) -> Result<String, String> {
    if !std::io::stdin().is_terminal() {
        return Err("no available tty".to_string());
    }
    let tty = std::fs::File::open("/dev/tty").map_err(|_| "no available tty".to_string())?;
    ctx.ui.say(query);
    let (tx, rx) = tokio::sync::oneshot::channel();
    // A plain thread, not the runtime's blocking pool: if the build is
    // cancelled the read stays blocked, and the process exits without
    // waiting for it.
    std::thread::spawn(move || {
        let mut line = String::new();
        let r = std::io::BufReader::new(tty)
            .read_line(&mut line)
            .map(|_| line)
            .map_err(|e| e.to_string());
        let _ = tx.send(r);
    });
    rx.await
        .unwrap_or_else(|_| Err("the terminal reader stopped".to_string()))
}
