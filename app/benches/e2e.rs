//! End-to-end latency: signed `pull_request` webhook → completed check
//! run, against the stateful GitHub mock, for each seed template in
//! `../shared/seeds/*.pkr.hcl`. Prints one line per seed and the median /
//! max. Run: `cargo bench -p kiln-app --bench e2e`.

#[path = "../tests/github_app/harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "../tests/github_app/mock.rs"]
#[allow(dead_code)]
mod mock;

use std::time::{Duration, Instant};

use harness::{pr_payload, spec, App, AppOpts};
use mock::GitHubMock;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run());
}

async fn run() {
    let Some(spec) = spec() else {
        eprintln!("peers missing: run scripts/test.sh once (npm packages under target/peers/node)");
        return;
    };
    let seeds_dir = harness::repo_root().join("../shared/seeds");
    let mut seeds: Vec<_> = std::fs::read_dir(&seeds_dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    seeds.retain(|p: &std::path::PathBuf| p.to_string_lossy().ends_with(".pkr.hcl"));
    seeds.sort();
    if seeds.is_empty() {
        eprintln!("no seeds in {}", seeds_dir.display());
        return;
    }
    let gh = GitHubMock::start(spec).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite://{}/kiln.db?mode=rwc", dir.path().display());
    let app = App::start(&AppOpts {
        api: &gh.uri(),
        db: &db,
        dir: dir.path(),
        extra: vec![("KILN_LOG", "warn,kiln_app=info".into())],
    });
    let mut times = Vec::new();
    for (i, seed) in seeds.iter().enumerate() {
        let name = seed
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let text = std::fs::read_to_string(seed).unwrap_or_default();
        let path = format!("seeds/{name}");
        gh.with(|s| {
            s.files.clear();
            s.set_file(&path, &text);
            s.pr_files = vec![(path.clone(), "added".into())];
        });
        let before = gh.with(|s| s.completions().len());
        let sha = format!("{:040x}", 0x5eed_0000 + i);
        let Some(p) = pr_payload("opened", 500 + i as i64, &sha, 1) else {
            return;
        };
        let t0 = Instant::now();
        let (st, _) = app.deliver("pull_request", &format!("bench-{i}"), &p).await;
        let ack = t0.elapsed();
        assert_eq!(st, 202);
        let mut conclusion = String::new();
        while t0.elapsed() < Duration::from_secs(60) {
            let c = gh.with(|s| s.completions());
            if c.len() > before {
                conclusion = c[before].1["conclusion"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let total = t0.elapsed();
        times.push(total);
        println!(
            "{name:40} ack {:>6.1} ms   webhook→completed check run {:>7.1} ms   ({conclusion})",
            ack.as_secs_f64() * 1e3,
            total.as_secs_f64() * 1e3
        );
    }
    times.sort();
    println!(
        "seeds: {}   median {:.1} ms   max {:.1} ms",
        times.len(),
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3
    );
}
