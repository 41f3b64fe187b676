//! The plugins kiln serves built in, for `packer { required_plugins {} }`.

use super::version::version_satisfies;
use crate::diag::Diagnostic;
use crate::template::model::{ComponentKind, RequiredPlugin};

/// A plugin whose components kiln implements itself.
#[derive(Debug)]
pub struct BuiltinPlugin {
    /// The usual local name (`amazon`).
    pub name: &'static str,
    /// The source address (`github.com/hashicorp/amazon`).
    pub source: &'static str,
    /// The plugin release kiln's components match.
    pub version: &'static str,
    /// The component types it provides (the names Packer registers,
    /// e.g. `amazon-ebs`, `amazon-ami`).
    pub components: &'static [(ComponentKind, &'static str)],
}

use ComponentKind::{Builder as B, DataSource as D, PostProcessor as P, Provisioner as V};

static PLUGINS: &[BuiltinPlugin] = &[
    BuiltinPlugin {
        name: "amazon",
        source: "github.com/hashicorp/amazon",
        version: "1.3.9",
        components: &[(B, "amazon-ebs"), (D, "amazon-ami")],
    },
    BuiltinPlugin {
        name: "docker",
        source: "github.com/hashicorp/docker",
        version: "1.1.2",
        components: &[
            (B, "docker"),
            (P, "docker-import"),
            (P, "docker-push"),
            (P, "docker-save"),
            (P, "docker-tag"),
        ],
    },
    BuiltinPlugin {
        name: "ansible",
        source: "github.com/hashicorp/ansible",
        version: "1.1.4",
        components: &[(V, "ansible"), (V, "ansible-local")],
    },
];

/// The plugins kiln serves built in.
pub fn builtin_plugins() -> &'static [BuiltinPlugin] {
    PLUGINS
}

/// The plugin providing a component type, if it comes from a plugin.
pub fn plugin_for(kind: ComponentKind, type_name: &str) -> Option<&'static BuiltinPlugin> {
    PLUGINS.iter().find(|p| {
        p.components
            .iter()
            .any(|&(k, t)| k == kind && t == type_name)
    })
}

/// Normalize a source address for comparison (case-insensitive host and
/// names, as Packer does).
fn normalize(source: &str) -> String {
    source.trim().trim_end_matches('/').to_ascii_lowercase()
}

/// Check one `required_plugins` entry: the source must be a plugin kiln
/// serves and its version must satisfy the constraint.
/// The error is a diagnostic located at the requirement.
#[allow(clippy::result_large_err)]
pub fn check_required_plugin(p: &RequiredPlugin) -> Result<&'static BuiltinPlugin, Diagnostic> {
    let wanted = normalize(&p.source);
    let Some(plugin) = PLUGINS.iter().find(|b| normalize(b.source) == wanted) else {
        let known = PLUGINS
            .iter()
            .map(|b| format!("{:?}", b.source))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(Diagnostic::error(
            format!("Missing plugin {:?}", p.local_name),
            format!(
                "The plugin {:?} ({}) is required by this template, but kiln does not provide it. Plugins kiln provides: {known}.",
                p.local_name, p.source
            ),
        )
        .with_range_opt(p.range.clone()));
    };
    if let Some(constraint) = p.version.as_deref().filter(|c| !c.trim().is_empty()) {
        match version_satisfies(plugin.version, constraint) {
            Ok(true) => {}
            Ok(false) => {
                return Err(Diagnostic::error(
                    format!("Unsatisfied plugin version for {:?}", p.local_name),
                    format!(
                        "The plugin {:?} ({}) is required at version {constraint:?}, but kiln provides version {} of it.",
                        p.local_name, p.source, plugin.version
                    ),
                )
                .with_range_opt(p.range.clone()))
            }
            Err(e) => {
                return Err(Diagnostic::error(
                    "Invalid version constraint",
                    format!(
                        "The version constraint {constraint:?} of plugin {:?} cannot be parsed: {e}.",
                        p.local_name
                    ),
                )
                .with_range_opt(p.range.clone()))
            }
        }
    }
    Ok(plugin)
}
