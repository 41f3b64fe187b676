//! GitHub REST client for the App, on `octocrab`: the App's JWT and the
//! installation tokens are octocrab's (one client per installation, its
//! token cached and refreshed five minutes before expiry); every request
//! goes through octocrab — its typed methods where they match the spec,
//! its generic `get`/`post`/`patch` where they don't (e.g. octocrab's
//! comment update sends POST, the spec says PATCH) — wrapped by kiln's
//! retry policy.
//!
//! | module | holds |
//! | --- | --- |
//! | `client` | [`GitHubApp`] (App auth, installation tokens), [`Installation`], generic JSON requests |
//! | `retry` | [`RetryPolicy`]: backoff, rate limits, `Retry-After` |
//! | `error` | [`GhError`] and which errors are transient |
//! | `pulls` | pull request files, pulls at a commit or from a branch, open/update |
//! | `contents` | git trees and blobs |
//! | `checks` | check runs |
//! | `comments` | issue comments and labels |
//! | `git` | Git Data for bump branches: refs, commits, blobs, trees |
//! | `download` | binary downloads (artifact zips) through storage redirects |

mod checks;
mod client;
mod comments;
mod contents;
mod download;
mod error;
mod git;
mod pulls;
mod retry;

pub use client::{GitHubApp, Installation};
pub use comments::Comment;
pub use contents::{Tree, TreeEntry};
pub use error::GhError;
pub use pulls::PrFile;
pub use retry::RetryPolicy;
