//! Views of the engine's data for a terminal: Packer-shaped build output
//! (human text or `-machine-readable` lines).

pub mod actions;
pub mod machine;
pub mod text;

use std::time::Duration;

use kiln_build::BuildOutcome;
use kiln_sdk::BuildEvent;

/// Either of Packer's outputs for `kiln build`.
pub enum Renderer<W: std::io::Write> {
    Text(text::TextRenderer<W>),
    Machine(machine::MachineRenderer<W>),
    /// GitHub Actions mode (always on stdout).
    Actions(actions::ActionsRenderer),
}

impl<W: std::io::Write> Renderer<W> {
    pub fn event(&mut self, e: &BuildEvent) {
        match self {
            Renderer::Text(r) => r.event(e),
            Renderer::Machine(r) => r.event(e),
            Renderer::Actions(r) => r.event(e),
        }
    }

    /// A line of the run itself (not of a build).
    pub fn say(&mut self, message: &str) {
        match self {
            Renderer::Text(r) => r.say(message),
            Renderer::Machine(r) => r.say(message),
            Renderer::Actions(r) => r.say(message),
        }
    }

    pub fn summary(&mut self, outcomes: &[BuildOutcome], wall: Duration, interrupted: bool) {
        match self {
            Renderer::Text(r) => r.summary(outcomes, wall, interrupted),
            Renderer::Machine(r) => r.summary(outcomes, wall, interrupted),
            Renderer::Actions(r) => r.summary(outcomes, wall, interrupted),
        }
    }
}
