//! Questions to the person at the terminal: `-on-error=ask` and the
//! pauses of `-debug`. The engine never touches the terminal; the CLI
//! passes a [`Prompter`] that does (or none when stdin is not a TTY).

use std::fmt::Debug;

use async_trait::async_trait;

use crate::Ui;

/// Reads one answer from the user. Implementations serialise questions
/// of parallel builds.
#[async_trait]
pub trait Prompter: Debug + Send + Sync {
    /// Show `question` through `ui` and read one line (without its line
    /// terminator). `None` when no answer can be read (end of input).
    async fn ask(&self, ui: &Ui, question: &str) -> Option<String>;
}

/// Packer's question after a failed step with `-on-error=ask`.
pub const ASK_QUESTION: &str =
    "[c] Clean up and exit, [a] abort without cleanup, or [r] retry step (build may fail even if retry succeeds)?";

/// The answer to [`ASK_QUESTION`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AskAnswer {
    /// `c`: clean up and exit.
    Cleanup,
    /// `a`: abort, leaving everything in place.
    Abort,
    /// `r`: run the failed step again.
    Retry,
}

/// Packer's reading of an answer: the first letter, case-insensitive; an
/// empty line means clean up.
pub fn parse_answer(line: &str) -> Option<AskAnswer> {
    match line.trim().to_lowercase().chars().next().unwrap_or('c') {
        'c' => Some(AskAnswer::Cleanup),
        'a' => Some(AskAnswer::Abort),
        'r' => Some(AskAnswer::Retry),
        _ => None,
    }
}

/// Ask until the answer is understood (Packer repeats the question);
/// end of input means clean up.
pub async fn ask_on_error(prompter: &dyn Prompter, ui: &Ui, step: &str) -> AskAnswer {
    ui.say(format!("Step \"{step}\" failed"));
    loop {
        let Some(line) = prompter.ask(ui, ASK_QUESTION).await else {
            return AskAnswer::Cleanup;
        };
        match parse_answer(&line) {
            Some(a) => return a,
            None => ui.say(format!("Incorrect input: {line:?}")),
        }
    }
}

/// `-debug`: wait for Enter ("Pausing after run of step 'X'. Press enter
/// to continue.").
pub async fn debug_pause(prompter: &dyn Prompter, ui: &Ui, location: &str, step: &str) {
    let msg = format!("Pausing {location} step '{step}'. Press enter to continue.");
    tracing::debug!(build = ui.build_name(), step, location, "debug pause");
    let _ = prompter.ask(ui, &msg).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_read_like_packer() {
        assert_eq!(parse_answer(""), Some(AskAnswer::Cleanup));
        assert_eq!(parse_answer("C"), Some(AskAnswer::Cleanup));
        assert_eq!(parse_answer("abort"), Some(AskAnswer::Abort));
        assert_eq!(parse_answer(" r\n"), Some(AskAnswer::Retry));
        assert_eq!(parse_answer("x"), None);
    }
}
