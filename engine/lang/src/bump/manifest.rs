//! Which manifest entry a target's `build:` names, and its images.

use crate::images::Image;
use crate::manifest::{ManifestEntry, ManifestFile};

use super::BumpError;

/// The newest entry for `build` (its `name` or `TYPE.NAME`): Packer appends
/// each run's builds, so the last matching entry is the latest image.
/// A name shared by builds of different types is ambiguous.
pub(crate) fn select<'m>(
    manifest: &'m ManifestFile,
    target: usize,
    build: &str,
) -> Result<(&'m ManifestEntry, Vec<Image>), BumpError> {
    let matching: Vec<&ManifestEntry> = manifest
        .builds
        .iter()
        .filter(|b| b.name == build || b.type_and_name() == build)
        .collect();
    let Some(entry) = matching.last() else {
        let mut available: Vec<String> =
            manifest.builds.iter().map(|b| b.type_and_name()).collect();
        available.sort();
        available.dedup();
        return Err(BumpError::BuildNotFound {
            target,
            build: build.to_string(),
            available,
        });
    };
    let mut candidates: Vec<String> = matching.iter().map(|b| b.type_and_name()).collect();
    candidates.sort();
    candidates.dedup();
    if candidates.len() > 1 {
        return Err(BumpError::AmbiguousBuild {
            target,
            build: build.to_string(),
            candidates,
        });
    }
    let images = entry
        .images()
        .map_err(|error| BumpError::ArtifactId { target, error })?;
    Ok((entry, images))
}
