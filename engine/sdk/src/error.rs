//! Why a build (or one of its steps) failed.

use kiln_lang::diag::Diagnostic;

/// Why a build failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BuildError {
    /// A component's configuration is unusable (found while preparing it,
    /// before anything is created).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A step failed while the build ran (the message names the step).
    #[error("{0}")]
    Step(String),
    /// The template uses a component type kiln cannot run.
    #[error("The {kind} type \"{type_name}\" is not available in this version of kiln (available: {available})")]
    NotAvailable {
        /// `builder`, `provisioner`, `post-processor`, `data source` or
        /// `communicator`.
        kind: &'static str,
        /// The type the template names.
        type_name: String,
        /// The types of that kind kiln runs, comma-separated.
        available: String,
    },
    /// Ctrl-C, SIGTERM or `-fail-fast` stopped the build.
    #[error("Build was cancelled.")]
    Cancelled,
}

impl BuildError {
    /// A configuration problem described by a message (a rule of one
    /// component; the message names the component and the field).
    pub fn config(message: String) -> Self {
        BuildError::Config(ConfigError::Rule(message))
    }
}

/// Why a component's configuration cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// A field's value cannot be read as the type it is described with.
    #[error("{component}: invalid value for {field:?}: {reason}")]
    Invalid {
        /// The component (`docker builder`, `shell provisioner`, …).
        component: String,
        /// The argument.
        field: String,
        /// What is wrong with the value.
        reason: String,
    },
    /// A required argument is not set.
    #[error("{component}: the argument {field:?} is required")]
    Required {
        /// The component.
        component: String,
        /// The argument.
        field: String,
    },
    /// The component's description rejects the configuration (the rules
    /// `kiln validate` applies, applied again to what the build runs).
    #[error("{component}: {}", detail(.diagnostics))]
    Rejected {
        /// The component.
        component: String,
        /// The description's errors, in source order.
        diagnostics: Vec<Diagnostic>,
    },
    /// kiln reads an argument its own description of the component does
    /// not have (a kiln bug: the description and the implementation
    /// disagree).
    #[error("{component}: kiln reads the argument {field:?} as {wanted}, but the component's description {described}")]
    Undescribed {
        /// The component.
        component: String,
        /// The argument.
        field: String,
        /// The type the implementation reads.
        wanted: &'static str,
        /// What the description says instead.
        described: String,
    },
    /// A duration argument that is not a Go duration (`pause_before`,
    /// `timeout`, …).
    #[error(transparent)]
    Duration(#[from] kiln_lang::duration::DurationError),
    /// A component-specific rule, as a message naming component and field.
    #[error("{0}")]
    Rule(String),
}

fn detail(diags: &[Diagnostic]) -> String {
    diags
        .iter()
        .map(|d| d.detail.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}
