#![deny(missing_docs)]
//! kiln-sdk: the vocabulary every build-side component speaks, and the
//! seams Packer's plugins plug into.
//!
//! - [`Builder`], [`Provisioner`], [`PostProcessor`] and [`Communicator`]:
//!   the object-safe async traits a component implements (Packer's
//!   `packersdk` interfaces), with the contexts they run in
//!   ([`BuildContext`], [`ProvisionContext`]).
//! - [`Artifact`]: what a builder or post-processor produces.
//! - [`BuildError`]: why a step failed; [`Ui`] and [`BuildEvent`]: what a
//!   build says (secrets masked); [`CleanupStack`]: undo actions for
//!   everything a build created; [`CancelToken`]: Ctrl-C and `-fail-fast`;
//!   [`Settings`]: typed reads of an evaluated configuration;
//!   [`Prompter`]: questions on the terminal (`-on-error=ask`, `-debug`).
//!
//! This crate sits between the language layer (`kiln-lang`, which it
//! uses for values and configurations) and the components and runner
//! (`kiln-build`); it imports neither components nor the runner.

pub mod artifact;
pub mod builder;
pub mod cancel;
pub mod cleanup;
pub mod communicator;
pub mod error;
pub mod events;
pub mod postprocessor;
pub mod prompt;
pub mod provisioner;
pub mod settings;

pub use artifact::{Artifact, FileArtifact, NullArtifact};
pub use builder::{BuildContext, Builder, ProvisionHook};
pub use cancel::CancelToken;
pub use cleanup::CleanupStack;
pub use communicator::{
    CommError, Communicator, ExitStatus, GeneratedData, OutputSink, OutputStream,
};
pub use error::{BuildError, ConfigError};
pub use events::{human_duration, mask, ArtifactSummary, BuildEvent, Secrets, Ui};
pub use postprocessor::{PostProcessor, Processed};
pub use prompt::Prompter;
pub use provisioner::{ProvisionContext, Provisioner};
pub use settings::Settings;
