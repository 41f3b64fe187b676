//! The compute part of a bump pull request (issue 9's target: 50 regions ×
//! 5 tfvars files computed and sent in ≤ 2 s): read the manifest and the
//! config, plan the edits, render the diff and the PR table. Two shapes:
//!
//! * `map`: 5 files, each with a map by region of 50 keys (one target);
//! * `strings`: 5 files, each with 50 plain string variables (50 targets,
//!   one per region).
//!
//! Prints min / median / max wall time and the edit count. `KILN_BENCH_ITERS`
//! sets the iterations (default 50).
//!
//! Run: `cargo bench -p kiln-lang --bench bump`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use kiln_lang::{bump, images};

const REGIONS: usize = 50;
const FILES: usize = 5;

fn region(i: usize) -> String {
    format!("region-{i:02}")
}

fn manifest() -> Vec<u8> {
    let ids: Vec<String> = (0..REGIONS)
        .map(|i| format!("{}:ami-0new{i:013}", region(i)))
        .collect();
    format!(
        "{{\n  \"builds\": [\n    {{\n      \"name\": \"ubuntu\",\n      \"builder_type\": \"amazon-ebs\",\n      \"build_time\": 1700000000,\n      \"files\": null,\n      \"artifact_id\": \"{}\",\n      \"packer_run_uuid\": \"r1\",\n      \"custom_data\": null\n    }}\n  ],\n  \"last_run_uuid\": \"r1\"\n}}",
        ids.join(",")
    )
    .into_bytes()
}

fn map_files() -> BTreeMap<String, String> {
    (0..FILES)
        .map(|f| {
            let mut text =
                format!("# environment {f}\ninstance_type = \"t3.micro\"\n\nami_ids = {{\n");
            for i in 0..REGIONS {
                text.push_str(&format!(
                    "  {} = \"ami-0old{i:013}\" # region {i}\n",
                    region(i)
                ));
            }
            text.push_str("}\n");
            (format!("env/e{f}.auto.tfvars"), text)
        })
        .collect()
}

fn string_files() -> BTreeMap<String, String> {
    (0..FILES)
        .map(|f| {
            let mut text = format!("# environment {f}\n");
            for i in 0..REGIONS {
                text.push_str(&format!("ami_{i:02} = \"ami-0old{i:013}\"\n"));
            }
            (format!("env/e{f}.auto.tfvars"), text)
        })
        .collect()
}

fn map_config() -> String {
    "bump:\n  - build: amazon-ebs.ubuntu\n    files: \"env/*.auto.tfvars\"\n    variable: ami_ids\n"
        .to_string()
}

fn string_config() -> String {
    let mut c = String::from("bump:\n");
    for i in 0..REGIONS {
        c.push_str(&format!(
            "  - build: ubuntu\n    files: \"env/*.auto.tfvars\"\n    variable: ami_{i:02}\n    region: {}\n",
            region(i)
        ));
    }
    c
}

fn run(name: &str, config: &str, files: &BTreeMap<String, String>, iters: usize) {
    let manifest_bytes = manifest();
    let mut times = Vec::with_capacity(iters);
    let mut edits = 0;
    let mut diff_bytes = 0;
    for _ in 0..iters {
        let start = Instant::now();
        let manifest = match images::parse_manifest(&manifest_bytes) {
            Ok(m) => m,
            Err(e) => panic!("manifest: {e}"),
        };
        let config = match bump::parse_config(config) {
            Ok(c) => c,
            Err(e) => panic!("config: {e}"),
        };
        let plan = match bump::plan(&manifest, &config.bump, files) {
            Ok(p) => p,
            Err(e) => panic!("plan: {e}"),
        };
        let diff = plan.diff();
        let table = plan.markdown_table();
        times.push(start.elapsed());
        edits = plan.changes.len();
        diff_bytes = diff.len() + table.len();
    }
    assert_eq!(edits, REGIONS * FILES, "every value changes");
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name:<8} {REGIONS} regions x {FILES} files: {edits} edits, {diff_bytes} bytes of diff+table; min {:.2} ms, median {:.2} ms, max {:.2} ms ({iters} iterations)",
        ms(times[0]),
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1]),
    );
}

fn main() {
    let iters: usize = std::env::var("KILN_BENCH_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(50)
        .max(1);
    run("map", &map_config(), &map_files(), iters);
    run("strings", &string_config(), &string_files(), iters);
    println!("target: computed (and sent) in <= 2000 ms");
}
