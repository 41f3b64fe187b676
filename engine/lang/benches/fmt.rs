//! `cargo bench -p kiln-lang --bench fmt`: formatter throughput, side by
//! side with `packer fmt` when it is installed.
//!
//! 1. library: `format()` over every HCL file of `shared/` (in memory);
//! 2. a generated tree of 10,000 real templates (corpus files, half of them
//!    re-spaced so that they need formatting) in a temp dir:
//!    `kiln fmt -check DIR` vs `packer fmt -check DIR`;
//! 3. a single file: `kiln fmt -check FILE` vs `packer fmt -check FILE`.
//!
//! Steps 2 and 3 run the `kiln` binary from `target/release/kiln` (or
//! `KILN_BIN`); build it first with `cargo build --release -p kiln`
//! (`scripts/fmt-vs-packer.sh` does both).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kiln_lang::fmt::format;

fn shared_dir() -> PathBuf {
    std::env::var_os("KILN_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut v: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    v.sort();
    for p in v {
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|e| e == "hcl") {
            out.push(p);
        }
    }
}

fn find_exe(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn kiln_bin() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KILN_BIN") {
        return Some(PathBuf::from(p));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let p = target.join("release/kiln");
    p.is_file().then_some(p)
}

/// Wall time of running `cmd args` in `dir` (best of `runs`).
fn time_cmd(exe: &Path, args: &[&str], dir: &Path, runs: usize) -> (Duration, Option<i32>) {
    let mut best = Duration::MAX;
    let mut code = None;
    for _ in 0..runs {
        let t = Instant::now();
        let status = Command::new(exe)
            .args(args)
            .current_dir(dir)
            .env("CHECKPOINT_DISABLE", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let el = t.elapsed();
        code = status.ok().and_then(|s| s.code());
        best = best.min(el);
    }
    (best, code)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Re-space a template (double every run of spaces): it then needs
/// formatting, but still parses.
fn unformat(src: &str) -> String {
    src.replace(" = ", "  =   ").replace("\n  ", "\n    ")
}

fn main() {
    // `cargo bench` passes `--bench`; test runners (`cargo test
    // --all-targets`, nextest's `--list`) must not start the benchmark.
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    if !args.iter().any(|a| a == "--bench") {
        println!("fmt benchmark: not run outside `cargo bench -p kiln-lang --bench fmt`");
        return;
    }
    let shared = shared_dir();
    let mut files = Vec::new();
    walk(&shared.join("conformance"), &mut files);
    walk(&shared.join("seeds"), &mut files);
    let sources: Vec<String> = files
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    // The generated tree is made of real templates (not the small
    // hclwrite table cases) that parse.
    let mut template_files = Vec::new();
    walk(&shared.join("conformance/templates"), &mut template_files);
    walk(&shared.join("seeds"), &mut template_files);
    let templates: Vec<String> = template_files
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    let valid: Vec<&String> = templates.iter().filter(|s| format(s).is_ok()).collect();
    if valid.is_empty() {
        println!("no parseable templates under {}", shared.display());
        return;
    }
    let total_bytes: usize = sources.iter().map(|s| s.len()).sum();

    // 1. Library throughput over the corpus.
    let iters = 50;
    let t = Instant::now();
    let mut ok = 0usize;
    for _ in 0..iters {
        for s in &sources {
            if format(s).is_ok() {
                ok += 1;
            }
        }
    }
    let el = t.elapsed();
    let per_pass = el / iters;
    println!("== kiln fmt benchmark ==");
    println!(
        "library format() over shared/ corpus: {} files, {:.1} KiB, {:.2} ms per pass, {:.1} MiB/s, {:.0} files/s ({} formatted ok per pass)",
        sources.len(),
        total_bytes as f64 / 1024.0,
        ms(per_pass),
        total_bytes as f64 / per_pass.as_secs_f64() / (1024.0 * 1024.0),
        sources.len() as f64 / per_pass.as_secs_f64(),
        ok / iters as usize
    );

    // The token-level formatter alone (no parse check), for the split.
    let t = Instant::now();
    for _ in 0..iters {
        for s in &sources {
            std::hint::black_box(kiln_lang::fmt::format_unchecked(s));
        }
    }
    let per_pass_unchecked = t.elapsed() / iters;
    println!(
        "library format_unchecked() (lexer + formatter, no parse check): {:.2} ms per pass, {:.1} MiB/s",
        ms(per_pass_unchecked),
        total_bytes as f64 / per_pass_unchecked.as_secs_f64() / (1024.0 * 1024.0)
    );

    // 2. A generated tree of 10,000 real templates.
    let n_files = 10_000;
    let tmp = std::env::temp_dir().join(format!("kiln-fmt-bench-{}", std::process::id()));
    let tree = tmp.join("tree");
    if let Err(e) = std::fs::create_dir_all(&tree) {
        println!("cannot create {}: {e}", tree.display());
        return;
    }
    let mut tree_bytes = 0usize;
    for i in 0..n_files {
        let src = valid[i % valid.len()];
        let text = if i % 2 == 0 {
            unformat(src)
        } else {
            src.to_string()
        };
        tree_bytes += text.len();
        let _ = std::fs::write(tree.join(format!("t{i:05}.pkr.hcl")), text);
    }
    println!(
        "generated tree: {n_files} files, {:.1} MiB in {}",
        tree_bytes as f64 / (1024.0 * 1024.0),
        tree.display()
    );
    // The single-file case: a typical template (median size) that needs
    // formatting, so both tools do the full parse + format + compare.
    let mut by_size: Vec<&String> = valid.clone();
    by_size.sort_by_key(|s| s.len());
    let single_src = unformat(by_size[by_size.len() / 2]);
    let single_dir = tmp.join("single");
    let _ = std::fs::create_dir_all(&single_dir);
    let _ = std::fs::write(single_dir.join("one.pkr.hcl"), &single_src);
    println!("single file: {} bytes", single_src.len());

    // The work of `kiln fmt -check TREE` in-process (discovery + parallel
    // read/parse/format/compare), without process start-up.
    let t = Instant::now();
    let targets = kiln_lang::fmt::files::discover(std::slice::from_ref(&tree), false);
    let results = kiln_lang::fmt::files::format_targets(&targets, false);
    let changed = results
        .iter()
        .filter(|r| matches!(r, Some(Ok(o)) if o.changed()))
        .count();
    let d = t.elapsed();
    println!(
        "engine discover+format_targets TREE: {:>6.1} ms  ({:.0} files/s, {changed} would change)",
        ms(d),
        n_files as f64 / d.as_secs_f64()
    );
    let in_process = d;

    let kiln = kiln_bin();
    let packer = find_exe("packer");
    let mut tree_times = (None, None);
    let mut single_times = (None, None);
    match &kiln {
        Some(k) => {
            let (d, code) = time_cmd(k, &["fmt", "-check", "."], &tree, 3);
            println!(
                "kiln   fmt -check TREE:   {:>9.1} ms  ({:.0} files/s, exit {code:?})",
                ms(d),
                n_files as f64 / d.as_secs_f64()
            );
            tree_times.0 = Some(d);
            let (d, code) = time_cmd(k, &["fmt", "-check", "one.pkr.hcl"], &single_dir, 20);
            println!("kiln   fmt -check FILE:   {:>9.2} ms  (exit {code:?})", ms(d));
            single_times.0 = Some(d);
        }
        None => println!(
            "note: no release kiln binary (build it with `cargo build --release -p kiln` or set KILN_BIN); CLI timings skipped"
        ),
    }
    match &packer {
        Some(p) => {
            let (d, code) = time_cmd(p, &["fmt", "-check", "."], &tree, 1);
            println!(
                "packer fmt -check TREE:   {:>9.1} ms  ({:.0} files/s, exit {code:?})",
                ms(d),
                n_files as f64 / d.as_secs_f64()
            );
            tree_times.1 = Some(d);
            let (d, code) = time_cmd(p, &["fmt", "-check", "one.pkr.hcl"], &single_dir, 10);
            println!(
                "packer fmt -check FILE:   {:>9.2} ms  (exit {code:?})",
                ms(d)
            );
            single_times.1 = Some(d);
        }
        None => println!("note: `packer` is not on PATH; Packer timings skipped"),
    }
    if let Some(p) = tree_times.1 {
        println!(
            "tree throughput (engine in-process): kiln is {:.1}x packer",
            p.as_secs_f64() / in_process.as_secs_f64()
        );
    }
    if let (Some(k), Some(p)) = tree_times {
        println!(
            "tree throughput: kiln is {:.1}x packer",
            p.as_secs_f64() / k.as_secs_f64()
        );
    }
    if let (Some(k), Some(p)) = single_times {
        println!(
            "single file -check: kiln takes {:.3} of packer's wall time ({:.1}x faster)",
            k.as_secs_f64() / p.as_secs_f64(),
            p.as_secs_f64() / k.as_secs_f64()
        );
    }
    let _ = std::fs::remove_dir_all(&tmp);
}
