//! `kiln matrix [-only=…] [-except=…] [-var k=v]… [-var-file F]… PATH…`:
//! the builds of one or more templates after `-only`/`-except`, as the
//! JSON a GitHub Actions `strategy.matrix` takes through `fromJSON`:
//!
//! ```json
//! {"include":[{"template":"packer/","name":"amazon-ebs.ubuntu","only":"amazon-ebs.ubuntu"}]}
//! ```
//!
//! Each entry is one build; `only` is the value to pass to `kiln build
//! -only=…` (or the action's `only` input) to run exactly that build, so a
//! workflow fans builds out across runners. In Actions mode the JSON is
//! also the step output `matrix`.

use std::path::PathBuf;

use kiln_lang::diag::render_text;
use kiln_lang::plan::plan;
use kiln_lang::template::load::load;
use serde_json::json;

use super::common::{split_patterns, VarArgs};

#[derive(clap::Args, Debug)]
pub struct MatrixArgs {
    /// Only the builds matching these comma-separated globs.
    #[arg(long = "only", value_name = "PATTERNS")]
    pub only: Vec<String>,
    /// Leave out the builds matching these comma-separated globs.
    #[arg(long = "except", value_name = "PATTERNS")]
    pub except: Vec<String>,
    #[command(flatten)]
    pub vars: VarArgs,
    /// Template files or directories.
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
}

/// `-only` values with glob characters escaped are not needed: build
/// names are `TYPE.NAME` identifiers, and a name matches itself.
fn entry(template: &str, name: &str) -> serde_json::Value {
    json!({ "template": template, "name": name, "only": name })
}

pub fn run(args: MatrixArgs) -> anyhow::Result<u8> {
    let mut opts = args.vars.load_options()?;
    opts.only = split_patterns(&args.only);
    opts.except = split_patterns(&args.except);
    let gh = crate::actions::mode();
    // stdout is the matrix JSON; workflow commands go to stderr.
    crate::actions::stdout_is_data();
    let mut include = Vec::new();
    let mut failed = false;
    for path in &args.paths {
        let res = load(path, &opts);
        if let (Some(gh), Some(loaded)) = (gh, &res.loaded) {
            gh.add_mask(loaded.sensitive_values());
        }
        let template = path.display().to_string();
        // Build names do not depend on variable values: a matrix job need
        // not have the build's secrets, so unset variables are no error here.
        let mut diags: kiln_lang::diag::Diagnostics = res
            .diags
            .into_iter()
            .filter(|d| !d.summary.starts_with("Unset variable"))
            .collect();
        if let Some(loaded) = res.loaded.as_ref().filter(|_| !diags.has_errors()) {
            let (planned, plan_diags) = plan(&loaded.template, &opts.only, &opts.except);
            diags.extend(plan_diags);
            include.extend(planned.iter().map(|p| entry(&template, &p.name)));
        }
        failed |= diags.has_errors();
        match gh {
            Some(gh) if !diags.is_empty() => crate::actions::annotate::report(
                gh,
                &format!(
                    "### kiln matrix {}",
                    crate::actions::markdown::code(&template)
                ),
                &diags.0,
                &res.sources,
            ),
            _ => {}
        }
        if !diags.is_empty() {
            eprint!("{}", render_text(&diags.0, &res.sources));
        }
    }
    if failed {
        return Ok(1);
    }
    let matrix = json!({ "include": include });
    let text = serde_json::to_string(&matrix)?;
    println!("{text}");
    if let Some(gh) = gh {
        gh.set_output("matrix", &text)?;
        let mut md = format!(
            "### kiln matrix: {}\n\n",
            crate::actions::markdown::count(include.len(), "build")
        );
        if include.is_empty() {
            md.push_str(
                "No build matches `-only`/`-except`: a matrix needs at least one entry.\n\n",
            );
        } else {
            md.push_str("| Template | Build (`only`) |\n| --- | --- |\n");
            for e in &include {
                md.push_str(&format!(
                    "| {} | {} |\n",
                    crate::actions::markdown::code(e["template"].as_str().unwrap_or_default()),
                    crate::actions::markdown::code(e["only"].as_str().unwrap_or_default())
                ));
            }
            md.push('\n');
        }
        gh.summary(&md);
    }
    if include.is_empty() {
        eprintln!("Error: no build matches -only/-except; the matrix is empty.");
        return Ok(1);
    }
    Ok(0)
}
