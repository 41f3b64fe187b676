//! Errors of the formatter and their conversion to diagnostics.

use crate::diag::{Diagnostic, Pos, Range};

/// Why a source could not be formatted. Every variant carries the 1-based
/// line and column (in characters) and the 0-based byte offset at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FmtError {
    /// The input does not parse as an HCL configuration body.
    #[error("{line}:{column}: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column, in characters.
        column: usize,
        /// 0-based byte offset.
        byte: usize,
        /// What the parser expected or found.
        message: String,
    },
    /// The input is not valid UTF-8.
    #[error("{line}:{column}: invalid UTF-8 (byte offset {byte})")]
    InvalidUtf8 {
        /// 1-based line.
        line: usize,
        /// 1-based column, in characters.
        column: usize,
        /// 0-based offset of the first invalid byte.
        byte: usize,
    },
}

impl FmtError {
    /// 1-based line of the error.
    pub fn line(&self) -> usize {
        match self {
            FmtError::Syntax { line, .. } | FmtError::InvalidUtf8 { line, .. } => *line,
        }
    }

    /// 1-based column (characters) of the error.
    pub fn column(&self) -> usize {
        match self {
            FmtError::Syntax { column, .. } | FmtError::InvalidUtf8 { column, .. } => *column,
        }
    }

    /// 0-based byte offset of the error.
    pub fn byte(&self) -> usize {
        match self {
            FmtError::Syntax { byte, .. } | FmtError::InvalidUtf8 { byte, .. } => *byte,
        }
    }

    /// The error as a located diagnostic in file `filename`.
    pub fn to_diagnostic(&self, filename: &str) -> Diagnostic {
        let start = Pos {
            line: self.line(),
            column: self.column(),
            byte: self.byte(),
        };
        let end = Pos {
            column: start.column + 1,
            byte: start.byte + 1,
            ..start
        };
        let range = Range {
            filename: filename.to_string(),
            start,
            end,
        };
        match self {
            FmtError::Syntax { message, .. } => {
                let at = format!("{filename}:{}:{}", self.line(), self.column());
                if message.starts_with("invalid structure") {
                    // hclsyntax's wording for the most common mistake.
                    Diagnostic::error(
                        "Argument or block definition required",
                        format!(
                            "An argument or block definition is required here. To set an argument, use the equals sign \"=\" to introduce the argument value.\n({at}: {message})"
                        ),
                    )
                    .with_range(range)
                } else {
                    Diagnostic::error(
                        "Invalid HCL syntax",
                        format!("Failed to parse HCL {at}: {message}."),
                    )
                    .with_range(range)
                }
            }
            FmtError::InvalidUtf8 { .. } => Diagnostic::error(
                "Invalid UTF-8",
                format!(
                    "{filename}:{}:{}: not valid UTF-8 text; HCL files must be UTF-8 encoded.",
                    self.line(),
                    self.column()
                ),
            )
            .with_range(range),
        }
    }
}
