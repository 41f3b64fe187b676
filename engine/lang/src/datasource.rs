//! The data source seam: how the build layer plugs executable data
//! sources into template evaluation.
//!
//! The language layer evaluates `data "TYPE" "NAME" {}` blocks in
//! dependency order and validates them against their descriptions; it
//! runs only the `null` data source itself. Every other data source runs
//! through a [`DataSources`] table the caller passes in
//! [`crate::template::LoadOptions::data_sources`] (kiln-build provides
//! `http`, `amazon-ami`, the registry data sources, …). Without a table,
//! or for a type the table does not run, the data source's output is
//! unknown — which is what validation wants.

use std::fmt::Debug;

use crate::template::model::ConfigBody;
use crate::template::Value;

/// Why a data source failed (the message is shown as the diagnostic's
/// detail, located at the data block).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DataSourceError(pub String);

impl From<String> for DataSourceError {
    fn from(s: String) -> Self {
        DataSourceError(s)
    }
}

impl From<&str> for DataSourceError {
    fn from(s: &str) -> Self {
        DataSourceError(s.to_string())
    }
}

/// A table of executable data sources. Object-safe; evaluation is
/// synchronous, so an implementation that needs async I/O runs it on a
/// runtime of its own.
pub trait DataSources: Debug + Send + Sync {
    /// Run the data source `type_name` with its evaluated configuration.
    /// `None` when this table does not run that type (its output stays
    /// unknown).
    fn execute(
        &self,
        type_name: &str,
        config: &ConfigBody,
    ) -> Option<Result<Value, DataSourceError>>;
}

/// The empty table: only the language layer's own `null` data source runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoDataSources;

impl DataSources for NoDataSources {
    fn execute(&self, _: &str, _: &ConfigBody) -> Option<Result<Value, DataSourceError>> {
        None
    }
}
