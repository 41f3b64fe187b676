//! A `workflow_run` job end to end: the default branch's
//! `.github/kiln.yml` says whether the workflow feeds the registry → the
//! run's artifacts → each manifest artifact downloaded (zip) and unzipped
//! → versions recorded → check run `kiln/images` on the head commit with
//! the table of images (or the reason nothing was recorded).

use serde_json::{json, Value};

use super::artifact::{manifests, MAX_ZIP_BYTES};
use super::config::RegistryConfig;
use super::manifest::{versions, Provenance};
use super::model::{NewVersion, Recorded};
use super::store::{Registry, RegistryError};
use super::webhook::RunJob;
use crate::github::{GhError, Installation};
use crate::job::{JobCtx, ProcessError, Processed};
use crate::repo_config::{ConfigFileError, RepoConfig};

/// The check run's name.
pub const CHECK_NAME: &str = "kiln/images";

/// Why a run's manifests were not recorded (reported, not retried).
enum Refusal {
    Config(ConfigFileError),
    Input(String),
}

/// The repository config on the default branch (a pull request cannot
/// add its own workflow to the list).
async fn default_branch_config(
    gh: &Installation,
    job: &RunJob,
) -> Result<Result<RepoConfig, ConfigFileError>, GhError> {
    let tree = gh.tree(&job.repo, &job.default_branch).await?;
    crate::repo_config::fetch(gh, &job.repo, &tree).await
}

fn esc(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// The check run's markdown: one row per image.
pub fn table(versions: &[NewVersion], recorded: &[Recorded]) -> String {
    let mut md = String::from(
        "| build | region | image id | bucket | version |\n| --- | --- | --- | --- | --- |\n",
    );
    for v in versions {
        for b in &v.builds {
            md.push_str(&format!(
                "| `{}` | {} | `{}` | {} | `{}` |\n",
                esc(&b.component_type),
                esc(b.region.as_deref().unwrap_or("-")),
                esc(&b.external_id),
                esc(&v.bucket),
                esc(&v.fingerprint),
            ));
        }
    }
    let new = recorded.iter().filter(|r| r.version_created).count();
    let moved: Vec<String> = recorded
        .iter()
        .filter(|r| r.channel_moved)
        .map(|r| format!("`{}`", esc(&r.bucket_name)))
        .collect();
    md.push_str(&format!(
        "\n{} version(s) recorded ({} new){}.\n",
        recorded.len(),
        new,
        if moved.is_empty() {
            String::new()
        } else {
            format!("; channel moved in {}", moved.join(", "))
        }
    ));
    md
}

/// The `POST /repos/{repo}/check-runs` body of a run's `kiln/images`
/// check run (completed).
pub fn check_run_body(job: &RunJob, conclusion: &str, title: &str, summary: &str) -> Value {
    let summary: String = if summary.len() > 60_000 {
        summary.chars().take(60_000).collect()
    } else {
        summary.to_string()
    };
    let mut body = json!({
        "name": CHECK_NAME,
        "head_sha": job.head_sha,
        "status": "completed",
        "conclusion": conclusion,
        "external_id": format!("run-{}", job.run_id),
        "output": { "title": title, "summary": summary },
    });
    if job.html_url.starts_with("https://") {
        body["details_url"] = json!(job.html_url);
    }
    body
}

/// Create or (redelivery) update this run's `kiln/images` check run.
async fn report(
    ctx: &JobCtx<'_>,
    job: &RunJob,
    conclusion: &str,
    title: &str,
    summary: &str,
) -> Result<(), ProcessError> {
    let body = check_run_body(job, conclusion, title, summary);
    let existing = ctx
        .gh
        .check_runs_for_ref(&job.repo, &job.head_sha, CHECK_NAME)
        .await?;
    if let Some((id, _, _)) = existing
        .iter()
        .find(|(_, ext, _)| Some(ext.as_str()) == body["external_id"].as_str())
    {
        let patch =
            json!({"status": "completed", "conclusion": conclusion, "output": body["output"]});
        ctx.gh.update_check_run(&job.repo, *id, &patch).await?;
        return Ok(());
    }
    ctx.gh.create_check_run(&job.repo, &body).await?;
    Ok(())
}

/// Download and parse every manifest artifact of the run.
async fn collect(
    ctx: &JobCtx<'_>,
    job: &RunJob,
    reg_cfg: &RegistryConfig,
) -> Result<Result<Vec<NewVersion>, Refusal>, ProcessError> {
    let artifacts = ctx.gh.run_artifacts(&job.repo, job.run_id).await?;
    let wanted: Vec<_> = artifacts
        .iter()
        .filter(|a| reg_cfg.matches_artifact(&a.name) && !a.expired)
        .collect();
    if wanted.is_empty() {
        return Ok(Err(Refusal::Input(format!(
            "the run has no artifact named {:?} (artifacts: {})",
            reg_cfg.artifact,
            artifacts
                .iter()
                .map(|a| format!("{:?}", a.name))
                .collect::<Vec<_>>()
                .join(", ")
        ))));
    }
    let prov = Provenance {
        repo: job.repo.to_string(),
        git_sha: job.head_sha.to_string(),
        fingerprint: None,
        bucket: reg_cfg.bucket.clone(),
        labels: reg_cfg.labels.clone(),
        channel: reg_cfg.channel.clone(),
        run_id: Some(job.run_id),
        commit_order: job.commit_order,
        source_image: None,
    };
    let mut all: Vec<NewVersion> = Vec::new();
    for a in wanted {
        if usize::try_from(a.size_in_bytes).unwrap_or(usize::MAX) > MAX_ZIP_BYTES {
            return Ok(Err(Refusal::Input(format!(
                "artifact {:?} is larger than {MAX_ZIP_BYTES} bytes",
                a.name
            ))));
        }
        let zip = match ctx.gh.artifact_zip(&job.repo, a.id, MAX_ZIP_BYTES).await {
            Ok(z) => z,
            Err(e @ GhError::Decode { .. }) => return Ok(Err(Refusal::Input(e.to_string()))),
            Err(e) => return Err(e.into()),
        };
        let files = match manifests(&a.name, &zip) {
            Ok(f) => f,
            Err(e) => return Ok(Err(Refusal::Input(e.to_string()))),
        };
        for (path, bytes) in files {
            match versions(&bytes, &prov) {
                Ok(vs) => {
                    for v in vs {
                        // Several artifacts of one run for one bucket: one version.
                        match all
                            .iter_mut()
                            .find(|x| x.bucket == v.bucket && x.fingerprint == v.fingerprint)
                        {
                            Some(x) => x.builds.extend(v.builds),
                            None => all.push(v),
                        }
                    }
                }
                Err(e) => {
                    return Ok(Err(Refusal::Input(format!(
                        "artifact {:?}, {path}: {e}",
                        a.name
                    ))))
                }
            }
        }
    }
    Ok(Ok(all))
}

pub async fn process_run(ctx: &JobCtx<'_>) -> Result<Processed, ProcessError> {
    let job: RunJob = serde_json::from_str(&ctx.job.payload)?;
    let cfg = match default_branch_config(ctx.gh, &job).await? {
        Ok(c) => c,
        Err(e) => return finish(ctx, &job, Refusal::Config(e)).await,
    };
    let Some(reg_cfg) = cfg
        .registry
        .clone()
        .filter(|r| r.lists_workflow(&job.workflow_path))
    else {
        tracing::info!(repo = %job.repo, workflow = %job.workflow_path, "workflow not configured for the registry; ignored");
        return Ok(Processed {
            conclusion: "skipped",
            summary: format!(
                "workflow {} is not listed under registry.workflows",
                job.workflow_path
            ),
        });
    };
    let untrusted = job
        .untrusted
        .clone()
        .or_else(|| reg_cfg.untrusted_branch(&job.head_branch, &job.default_branch));
    if let Some(why) = untrusted {
        return finish(ctx, &job, Refusal::Input(why)).await;
    }
    let vs = match collect(ctx, &job, &reg_cfg).await? {
        Ok(v) => v,
        Err(r) => return finish(ctx, &job, r).await,
    };
    let registry = Registry::new(ctx.store);
    let recorded = match registry.record(&vs).await {
        Ok(r) => r,
        Err(RegistryError::Store(e)) => return Err(ProcessError::Store(e)),
        Err(e) => return finish(ctx, &job, Refusal::Input(e.to_string())).await,
    };
    let images: usize = vs.iter().map(|v| v.builds.len()).sum();
    let title = format!("{images} image(s) recorded");
    let summary = table(&vs, &recorded);
    if !ctx.store.still_owned(ctx.job).await? {
        return Err(ProcessError::LostClaim);
    }
    report(ctx, &job, "success", &title, &summary).await?;
    crate::bump::after_run(ctx.store, ctx.job.installation_id, &job, &cfg, &vs).await?;
    tracing::info!(repo = %job.repo, run = job.run_id, images, "workflow run recorded in the registry");
    Ok(Processed {
        conclusion: "success",
        summary: title,
    })
}

async fn finish(ctx: &JobCtx<'_>, job: &RunJob, why: Refusal) -> Result<Processed, ProcessError> {
    let (title, msg) = match why {
        Refusal::Config(e) => ("Invalid kiln config".to_string(), e.to_string()),
        Refusal::Input(m) => ("The build manifest was not recorded".to_string(), m),
    };
    tracing::warn!(repo = %job.repo, run = job.run_id, error = %msg, "manifest not recorded");
    let summary = format!("kiln could not record this run's images:\n\n```\n{msg}\n```\n");
    report(ctx, job, "failure", &title, &summary).await?;
    Ok(Processed {
        conclusion: "failure",
        summary: format!("{title}: {msg}"),
    })
}
