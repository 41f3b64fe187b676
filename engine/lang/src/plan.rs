//! From an evaluated template to the list of builds to run, after
//! `-only` / `-except`.
//!
//! Build names follow Packer: `TYPE.NAME` for the sources of an unnamed
//! build, `BUILDNAME.TYPE.NAME` for a named build, and the builder's name
//! for legacy JSON templates. Patterns are globs (`*` any run of
//! characters, `?` one character). Provisioners and post-processors have
//! their own `only` / `except` lists, matched against the source's
//! `TYPE.NAME` (or, for JSON templates, the builder name).

use crate::diag::{Diagnostic, Diagnostics};
use crate::template::model::{
    Build, BuildSource, Component, PostProcessorDef, ProvisionerDef, Reevaluate, Reevaluators,
    SourceComponents, Template, TemplateFormat,
};

/// One build to run: a source of a build block with the provisioners and
/// post-processor chains that apply to it (indices into the build).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedBuild {
    /// Packer's build name (what `-only` matches).
    pub name: String,
    /// The source's `TYPE.NAME` (what provisioner `only` matches).
    pub source_name: String,
    /// Index of the build in [`Template::builds`].
    pub build_index: usize,
    /// Index of the source in that build's [`Build::sources`].
    pub source_index: usize,
    /// Indices of the provisioners that run, in order.
    pub provisioners: Vec<usize>,
    /// Chains, each a list of post-processor indices within the chain;
    /// chains left empty by only/except are dropped.
    pub post_processors: Vec<(usize, Vec<usize>)>,
}

/// `*` matches any run of characters, `?` exactly one.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ni));
            pi += 1;
        } else if let Some((sp, sn)) = star {
            pi = sp + 1;
            ni = sn + 1;
            star = Some((sp, sn + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// The source's name as provisioners see it.
pub fn source_name(format: TemplateFormat, src: &BuildSource) -> String {
    match format {
        TemplateFormat::Hcl2 => format!("{}.{}", src.builder.type_name, src.build_name),
        TemplateFormat::Json => src.build_name.clone(),
    }
}

/// Packer's build name for a source of a build.
pub fn build_name(format: TemplateFormat, build: &Build, src: &BuildSource) -> String {
    let s = source_name(format, src);
    match (&build.name, format) {
        (Some(b), TemplateFormat::Hcl2) => format!("{b}.{s}"),
        _ => s,
    }
}

fn selected(only: &[String], except: &[String], name: &str) -> bool {
    let strip = |p: &str| -> String {
        p.strip_prefix("source.")
            .or_else(|| p.strip_prefix("sources."))
            .unwrap_or(p)
            .to_string()
    };
    if !only.is_empty() && !only.iter().any(|p| glob_match(&strip(p), name)) {
        return false;
    }
    !except.iter().any(|p| glob_match(&strip(p), name))
}

/// Plan the builds of `t` for `-only` / `-except`. Patterns of `-only`
/// that match no build yield a warning.
pub fn plan(t: &Template, only: &[String], except: &[String]) -> (Vec<PlannedBuild>, Diagnostics) {
    let mut out = Vec::new();
    let mut diags = Diagnostics::new();
    let mut all_names = Vec::new();
    for (bi, build) in t.builds.iter().enumerate() {
        for (si, src) in build.sources.iter().enumerate() {
            let name = build_name(t.format, build, src);
            all_names.push(name.clone());
            if !selected(only, except, &name) {
                continue;
            }
            let sname = source_name(t.format, src);
            let provisioners = build
                .provisioners
                .iter()
                .enumerate()
                .filter(|(_, p)| selected(&p.only, &p.except, &sname))
                .map(|(i, _)| i)
                .collect();
            let post_processors = build
                .post_processors
                .iter()
                .enumerate()
                .map(|(ci, chain)| {
                    let kept = chain
                        .iter()
                        .enumerate()
                        .filter(|(_, p)| selected(&p.only, &p.except, &sname))
                        .map(|(i, _)| i)
                        .collect::<Vec<_>>();
                    (ci, kept)
                })
                .filter(|(_, kept)| !kept.is_empty())
                .collect();
            out.push(PlannedBuild {
                name,
                source_name: sname,
                build_index: bi,
                source_index: si,
                provisioners,
                post_processors,
            });
        }
    }
    for p in only {
        let stripped = p.strip_prefix("source.").unwrap_or(p);
        if !all_names.iter().any(|n| glob_match(stripped, n)) {
            diags.push(Diagnostic::warning(
                "No build matches -only pattern",
                format!(
                    "The -only pattern \"{p}\" matches no build. Available builds: {}.",
                    if all_names.is_empty() {
                        "none".to_string()
                    } else {
                        all_names.join(", ")
                    }
                ),
            ));
        }
    }
    (out, diags)
}

/// The runner's job for a planned build: its source's builder, the
/// [`components`] it runs and its `hcp_packer_registry` settings (for
/// the manifest). Legacy JSON components are returned unrendered (the
/// caller renders their Go templates). `None` when the indices are stale.
pub fn job(t: &Template, p: &PlannedBuild) -> Option<BuildJob> {
    let build = t.builds.get(p.build_index)?;
    let src = build.sources.get(p.source_index)?;
    let parts = components(t, p);
    Some(BuildJob {
        name: p.name.clone(),
        source_name: src.build_name.clone(),
        builder: src.builder.clone(),
        provisioners: parts.provisioners,
        post_processors: parts.post_processors,
        error_cleanup_provisioner: parts.error_cleanup_provisioner,
        reevaluate: parts.reevaluate,
        hcp_packer_registry: crate::template::hcl2::hcp::registry_settings(build),
    })
}

/// The provisioners, post-processor chains and error-cleanup provisioner
/// a planned build runs: the ones evaluated for its source (HCL2:
/// `source.*` and `build.*` placeholders known) when the front end
/// produced them, else the build's shared ones; filtered by their
/// `only`/`except`.
pub fn components(t: &Template, p: &PlannedBuild) -> SourceComponents {
    let Some(build) = t.builds.get(p.build_index) else {
        return SourceComponents::default();
    };
    let shared = || SourceComponents {
        provisioners: build.provisioners.clone(),
        post_processors: build.post_processors.clone(),
        error_cleanup_provisioner: build.error_cleanup_provisioner.clone(),
        reevaluate: Reevaluators::default(),
    };
    let Some(ps) = build.per_source.get(p.source_index) else {
        return pick(&shared(), p);
    };
    // Same shape as the shared lists: the planned indices apply as is.
    let aligned = ps.provisioners.len() == build.provisioners.len()
        && ps.post_processors.len() == build.post_processors.len()
        && ps
            .post_processors
            .iter()
            .zip(&build.post_processors)
            .all(|(a, b)| a.len() == b.len());
    if aligned {
        return pick(ps, p);
    }
    // A `dynamic` block whose items depend on the source: filter the
    // source's own lists.
    let keep = |only: &[String], except: &[String]| selected(only, except, &p.source_name);
    let mut out = SourceComponents {
        error_cleanup_provisioner: ps.error_cleanup_provisioner.clone(),
        ..SourceComponents::default()
    };
    out.reevaluate.error_cleanup_provisioner = ps.reevaluate.error_cleanup_provisioner.clone();
    for (i, d) in ps.provisioners.iter().enumerate() {
        if keep(&d.only, &d.except) {
            out.provisioners.push(d.clone());
            out.reevaluate
                .provisioners
                .push(ps.reevaluate.provisioners.get(i).cloned().flatten());
        }
    }
    for (ci, chain) in ps.post_processors.iter().enumerate() {
        let mut defs = Vec::new();
        let mut re = Vec::new();
        for (i, d) in chain.iter().enumerate() {
            if keep(&d.only, &d.except) {
                defs.push(d.clone());
                re.push(reeval_pp(&ps.reevaluate, ci, i));
            }
        }
        if !defs.is_empty() {
            out.post_processors.push(defs);
            out.reevaluate.post_processors.push(re);
        }
    }
    out
}

fn reeval_pp(r: &Reevaluators, chain: usize, i: usize) -> Option<Reevaluate> {
    r.post_processors
        .get(chain)
        .and_then(|c| c.get(i))
        .cloned()
        .flatten()
}

/// The components of `all` the plan kept (indices into `all`'s lists).
fn pick(all: &SourceComponents, p: &PlannedBuild) -> SourceComponents {
    let mut out = SourceComponents {
        error_cleanup_provisioner: all.error_cleanup_provisioner.clone(),
        ..SourceComponents::default()
    };
    out.reevaluate.error_cleanup_provisioner = all.reevaluate.error_cleanup_provisioner.clone();
    for &i in &p.provisioners {
        if let Some(d) = all.provisioners.get(i) {
            out.provisioners.push(d.clone());
            out.reevaluate
                .provisioners
                .push(all.reevaluate.provisioners.get(i).cloned().flatten());
        }
    }
    for (ci, idxs) in &p.post_processors {
        let mut defs = Vec::new();
        let mut re = Vec::new();
        for &i in idxs {
            if let Some(d) = all.post_processors.get(*ci).and_then(|c| c.get(i)) {
                defs.push(d.clone());
                re.push(reeval_pp(&all.reevaluate, *ci, i));
            }
        }
        out.post_processors.push(defs);
        out.reevaluate.post_processors.push(re);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn globs() {
        assert!(glob_match("*", "null.a"));
        assert!(glob_match("null.*", "null.a"));
        assert!(glob_match("my_build.file.*", "my_build.file.cherry"));
        assert!(glob_match("null.?", "null.a"));
        assert!(!glob_match("null.?", "null.ab"));
        assert!(!glob_match("file.*", "null.a"));
        assert!(glob_match("*.vanilla", "my_build.file.vanilla"));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(!glob_match("a*b*c", "aXXbYY"));
    }
}

/// One build to run: a source of a build block with its provisioners and
/// post-processor chains, already filtered by `-only`/`-except` and by
/// their own `only`/`except` (see `plan`).
#[derive(Debug, Clone)]
pub struct BuildJob {
    /// The full build name (`TYPE.NAME` or `BUILD.TYPE.NAME`).
    pub name: String,
    /// The source's name inside the build (`PACKER_BUILD_NAME`).
    pub source_name: String,
    /// The builder, with the build's overrides applied.
    pub builder: Component,
    /// The provisioners that run for this build, in order.
    pub provisioners: Vec<ProvisionerDef>,
    /// The post-processor chains for this build (empty chains dropped).
    pub post_processors: Vec<Vec<PostProcessorDef>>,
    /// Runs when the build fails after provisioning started (not with
    /// `-on-error=abort`).
    pub error_cleanup_provisioner: Option<ProvisionerDef>,
    /// HCL2: how to evaluate each component again with the builder's
    /// values (shaped like the lists above; empty means placeholders only).
    pub reevaluate: Reevaluators,
    /// The build's `hcp_packer_registry` settings, recorded by the
    /// manifest post-processor.
    pub hcp_packer_registry: Option<crate::manifest::ManifestRegistry>,
}

/// Why a planned build could not be turned into a job.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum JobError {
    /// A legacy JSON component's Go template failed to render.
    #[error("rendering {context} for build {build}: {source}")]
    Render {
        /// The component (`provisioner "shell"`, …).
        context: String,
        /// The build it belongs to.
        build: String,
        /// What went wrong.
        source: crate::template::json::interpolate::InterpError,
    },
}

/// The runner's jobs for the builds `-only`/`-except` select, whatever
/// the template's format: legacy JSON components are rendered here with
/// their build's Go-template context (`cwd` is `{{pwd}}`), HCL2 ones are
/// already evaluated.
pub fn jobs(
    t: &Template,
    only: &[String],
    except: &[String],
    cwd: &std::path::Path,
) -> Result<Vec<BuildJob>, JobError> {
    let (planned, _) = plan(t, only, except);
    let json_ctx =
        (t.format == TemplateFormat::Json).then(|| crate::template::json::build_context(t, cwd));
    let mut out = Vec::new();
    for p in planned {
        let Some(mut job) = job(t, &p) else {
            continue;
        };
        if let Some(ctx) = &json_ctx {
            render_job(&mut job, ctx, &p.name)?;
        }
        out.push(job);
    }
    Ok(out)
}

/// Render every component of a legacy JSON job with its build's context.
fn render_job(
    job: &mut BuildJob,
    ctx: &crate::template::json::interpolate::InterpContext,
    build: &str,
) -> Result<(), JobError> {
    let (name, btype) = (job.source_name.clone(), job.builder.type_name.clone());
    let render = |c: &mut Component| -> Result<(), JobError> {
        *c = crate::template::json::render_component(c, ctx, &name, &btype).map_err(|source| {
            JobError::Render {
                context: c.context.clone(),
                build: build.to_string(),
                source,
            }
        })?;
        Ok(())
    };
    render(&mut job.builder)?;
    for def in &mut job.provisioners {
        render(&mut def.component)?;
    }
    for def in job.post_processors.iter_mut().flatten() {
        render(&mut def.component)?;
    }
    if let Some(def) = &mut job.error_cleanup_provisioner {
        render(&mut def.component)?;
    }
    Ok(())
}
