//! The pull-request check: for every pull request (and the fork commits
//! `lookup` resolves to pull requests), run the engine's validate and
//! fmt check on the templates it touches and report a check run with
//! annotations and one sticky comment.
//!
//! | module | holds |
//! | --- | --- |
//! | `process` | [`process_pr`]: one pull-request job, step by step |
//! | `lookup` | fork commits (empty `pull_requests`) → pull-request jobs |
//! | `tree` | the file list at the head SHA (walked when truncated) |
//! | `templates` | which templates the changed files affect |
//! | `scratch` | the scratch copy of the files the engine reads |
//! | `workspace` | safe repository paths under the scratch directory |
//! | `engine` | running validate and fmt on one template ([`check_template`]) |
//! | `calls` | server-side function calls found in template text |
//! | `check_run` | the check run: started, completed in batches |
//! | `report` | check results → the check run's output |
//! | `sticky` | the sticky comment: markdown, split, kept in place |

pub mod calls;
pub mod check_run;
pub mod engine;
pub mod lookup;
pub mod process;
pub mod report;
pub mod scratch;
pub mod sticky;
pub mod templates;
pub mod tree;
pub mod workspace;

pub use engine::check_template;
pub use process::process_pr;
