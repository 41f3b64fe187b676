//! Validate every conformance unit (see `tests/conformance/verdicts.tsv`)
//! repeatedly and print the per-template median wall time and the overall
//! median. `KILN_BENCH_ITERS` sets the iterations per template (default 10);
//! `KILN_SHARED_DIR` points at the shared corpus.
//!
//! Run: `cargo bench -p kiln-lang --bench validate` (or build it with the
//! dev profile: `cargo build -p kiln-lang --benches`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kiln_lang::template::LoadOptions;
use kiln_lang::validate::validate;

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn main() {
    let shared = std::env::var_os("KILN_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let root = shared.join("conformance/templates");
    if !root.exists() {
        eprintln!("corpus not found at {}", root.display());
        return;
    }
    let iters: usize = std::env::var("KILN_BENCH_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let table = include_str!("../tests/conformance/verdicts.tsv");
    let mut medians = Vec::new();
    println!("{:>10}  {:<8}  template", "median", "verdict");
    for line in table
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let mut f = line.split('\t');
        let (Some(unit), Some(_), Some(_), Some(args)) = (f.next(), f.next(), f.next(), f.next())
        else {
            continue;
        };
        let path = root.join(unit);
        let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
            continue;
        };
        let mut opts = LoadOptions {
            cwd: dir.to_path_buf(),
            ..LoadOptions::default()
        };
        let mut it = args.split_whitespace();
        while let Some(a) = it.next() {
            if a == "-var" {
                if let Some((k, v)) = it.next().and_then(|kv| kv.split_once('=')) {
                    opts.vars.push((k.into(), v.into()));
                }
            } else if let Some(file) = a.strip_prefix("-var-file=") {
                opts.var_files.push(file.into());
            }
        }
        let mut times = Vec::with_capacity(iters);
        let mut verdict = "";
        for _ in 0..iters.max(1) {
            let start = Instant::now();
            let (_, diags) = validate(Path::new(name), &opts);
            times.push(start.elapsed());
            verdict = if diags.has_errors() {
                "invalid"
            } else {
                "valid"
            };
        }
        let m = median(&mut times);
        println!("{:>8.2}ms  {verdict:<8}  {unit}", m.as_secs_f64() * 1000.0);
        medians.push(m);
    }
    let overall = median(&mut medians);
    println!(
        "\n{} templates, {iters} iterations each; median of per-template medians: {:.2}ms",
        medians.len(),
        overall.as_secs_f64() * 1000.0
    );
}
