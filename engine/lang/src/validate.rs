//! `validate`: load and evaluate a template, then check every component
//! against its schema (sources, provisioners, post-processors, data
//! sources), only for the builds selected by `-only` / `-except`
//! (sources no build uses are only checked for a known type).
//! Unknown sources, undeclared variables and `required_version` are
//! reported by the front end while loading.

use std::path::Path;

use crate::diag::{Diagnostic, Diagnostics};
use crate::plan::plan;
use crate::schema::validate_component;
use crate::template::hcl2::LoadResult;
use crate::template::load::load;
use crate::template::model::{Component, Template, TemplateFormat};
use crate::template::LoadOptions;

/// Validate the template at `path`: the evaluated template (when loading
/// got far enough) and every diagnostic, errors and warnings.
pub fn validate(path: &Path, opts: &LoadOptions) -> (Option<Template>, Diagnostics) {
    let res = validate_full(path, opts);
    (res.loaded.map(|l| l.template), res.diags)
}

/// Like [`validate`], keeping the evaluation context and source texts.
pub fn validate_full(path: &Path, opts: &LoadOptions) -> LoadResult {
    let mut res = load(path, opts);
    if opts.syntax_only {
        return res;
    }
    let Some(loaded) = &res.loaded else {
        return res;
    };
    let t = &loaded.template;
    let (planned, plan_diags) = plan(t, &opts.only, &opts.except);
    res.diags.extend(plan_diags);
    let mut components: Vec<&Component> = Vec::new();
    for p in &planned {
        let Some(build) = t.builds.get(p.build_index) else {
            continue;
        };
        if let Some(src) = build.sources.get(p.source_index) {
            components.push(&src.builder);
        }
        components.extend(
            p.provisioners
                .iter()
                .filter_map(|&i| build.provisioners.get(i))
                .map(|d| &d.component),
        );
        for (ci, kept) in &p.post_processors {
            if let Some(chain) = build.post_processors.get(*ci) {
                components.extend(
                    kept.iter()
                        .filter_map(|&i| chain.get(i))
                        .map(|d| &d.component),
                );
            }
        }
        if let Some(e) = &build.error_cleanup_provisioner {
            components.push(&e.component);
        }
    }
    // Builds without sources still configure their provisioners.
    for build in t.builds.iter().filter(|b| b.sources.is_empty()) {
        components.extend(build.provisioners.iter().map(|d| &d.component));
        components.extend(build.post_processors.iter().flatten().map(|d| &d.component));
    }
    // Like Packer, a source no build uses is only checked for a known
    // type; its configuration is decoded when a build uses it.
    components.extend(
        loaded
            .unused_sources
            .iter()
            .filter(|c| crate::schema::lookup(c.kind, &c.type_name).is_none()),
    );
    components.extend(t.data_sources.iter());
    let mut found: Vec<Diagnostic> = Vec::new();
    for c in components {
        // JSON templates name their builder type "type" inside the block.
        if t.format == TemplateFormat::Json && c.type_name.is_empty() {
            continue;
        }
        found.extend(validate_component(c));
    }
    let mut seen: Vec<Diagnostic> = res.diags.0.clone();
    for d in found {
        if !seen.contains(&d) {
            seen.push(d.clone());
            res.diags.push(d);
        }
    }
    res
}
