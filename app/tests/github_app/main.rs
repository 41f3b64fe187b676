//! kiln-app end to end: the binary against a stateful GitHub mock (spec
//! examples), prism serving GitHub's OpenAPI description, SQLite and a
//! private PostgreSQL cluster.

mod harness;
mod mock;

mod bump;
mod bump_prism;
mod checks;
#[path = "../../../action/tests/ebs_support/mod.rs"]
mod ebs_support;
mod forks;
mod intake;
mod postgres;
mod prism;
mod registry;
mod registry_built;
mod registry_cli;
mod registry_runs;
mod registry_trust;
mod reliability;

/// Templates used by several tests.
pub mod fixtures {
    pub const VALID: &str = "source \"null\" \"example\" {\n  communicator = \"none\"\n}\n\nbuild {\n  sources = [\"source.null.example\"]\n}\n";
    /// `bogus_field` on line 3 is an error.
    pub const INVALID: &str = "source \"null\" \"example\" {\n  communicator = \"none\"\n  bogus_field  = 1\n}\n\nbuild {\n  sources = [\"source.null.example\"]\n}\n";
    pub const UNFORMATTED_VARS: &str = "variable \"region\" {\ntype = string\ndefault=\"x\"\n}\n";
    pub const FORMATTED_VARS: &str =
        "variable \"region\" {\n  type    = string\n  default = \"x\"\n}\n";
}
