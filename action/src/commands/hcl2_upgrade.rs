//! `kiln hcl2_upgrade [-output-file=PATH] [-with-annotations] TEMPLATE`:
//! convert a legacy JSON template to HCL2, like `packer hcl2_upgrade`.
//! The output defaults to `TEMPLATE.pkr.hcl` and is overwritten if it
//! exists (as Packer does); its directory is created when missing.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use kiln_lang::diag::{render_text, Diagnostics, SourceFile, Sources};
use kiln_lang::template::upgrade::{upgrade_file, UpgradeOptions};

#[derive(clap::Args, Debug)]
pub struct UpgradeArgs {
    /// Set output file name. By default this is the TEMPLATE name with
    /// ".pkr.hcl" appended. To be a valid Packer HCL template, it must
    /// have the suffix ".pkr.hcl".
    #[arg(long = "output-file", value_name = "PATH")]
    pub output_file: Option<PathBuf>,
    /// Add helper annotation comments to the file to help new HCL2 users
    /// understand the template format.
    #[arg(long = "with-annotations")]
    pub with_annotations: bool,
    /// The legacy JSON template to convert.
    #[arg(value_name = "TEMPLATE")]
    pub template: PathBuf,
}

pub fn run(args: UpgradeArgs) -> anyhow::Result<u8> {
    let cwd = std::env::current_dir().context("reading the working directory")?;
    let output = args.output_file.clone().unwrap_or_else(|| {
        let mut s = args.template.clone().into_os_string();
        s.push(".pkr.hcl");
        PathBuf::from(s)
    });
    let opts = UpgradeOptions {
        with_annotations: args.with_annotations,
    };
    let hcl = match upgrade_file(&args.template, &cwd, &opts) {
        Ok(h) => h,
        Err(diags) => {
            eprint!("{}", render_text(&diags.0, &sources_for(&diags, &cwd)));
            eprintln!("Failed to get config from JSON");
            return Ok(1);
        }
    };
    if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("Failed to create output directory {}", dir.display()))?;
    }
    std::fs::write(&output, hcl)
        .with_context(|| format!("Failed to write to file {}", output.display()))?;
    println!("Successfully created {}. Exit 0", output.display());
    Ok(0)
}

/// Re-read the files diagnostics point into, to show their lines.
fn sources_for(diags: &Diagnostics, cwd: &Path) -> Sources {
    let mut sources = Sources::new();
    for d in diags.iter() {
        let Some(r) = &d.range else { continue };
        if sources.get(&r.filename).is_some() {
            continue;
        }
        let path = cwd.join(&r.filename);
        if let Ok(bytes) = std::fs::read(&path) {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            sources.add(SourceFile::new(r.filename.clone(), text));
        }
    }
    sources
}
