//! Pull requests end to end against the stateful mock: check run in
//! progress → completed with annotations at the right lines, fmt diff as
//! a suggestion, one sticky comment updated in place, repository config.

use std::time::Duration;

use serde_json::Value;

use crate::fixtures::{FORMATTED_VARS, INVALID, UNFORMATTED_VARS, VALID};
use crate::harness::{pr_payload, spec, wait_until, App, AppOpts};
use crate::mock::GitHubMock;

pub async fn start(dir: &std::path::Path, extra: Vec<(&str, String)>) -> Option<(GitHubMock, App)> {
    let spec = spec()?;
    crate::harness::webhook_examples()?;
    let gh = GitHubMock::start(spec).await;
    let db = format!("sqlite://{}/kiln.db?mode=rwc", dir.display());
    let app = App::start(&AppOpts {
        api: &gh.uri(),
        db: &db,
        dir,
        extra,
    });
    Some((gh, app))
}

pub async fn completed(gh: &GitHubMock, n: usize) -> Vec<(i64, Value)> {
    let ok = wait_until(Duration::from_secs(240), || async {
        gh.with(|s| s.completions().len()) >= n
    })
    .await;
    assert!(
        ok,
        "no completed check run; requests: {:?}",
        gh.with(|s| s
            .log
            .iter()
            .map(|l| format!("{} {}", l.method, l.path))
            .collect::<Vec<_>>())
    );
    gh.with(|s| s.completions())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pr_gets_check_run_annotations_and_one_sticky_comment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((gh, app)) = start(dir.path(), vec![]).await else {
        return;
    };
    gh.with(|s| {
        s.set_file("packer/app/main.pkr.hcl", INVALID);
        s.set_file("packer/app/vars.pkr.hcl", UNFORMATTED_VARS);
        s.set_file("packer/other/main.pkr.hcl", VALID);
        s.set_file("README.md", "# hi\n");
        s.pr_files = vec![
            ("packer/app/vars.pkr.hcl".into(), "modified".into()),
            ("README.md".into(), "modified".into()),
        ];
    });
    let Some(p) = pr_payload("opened", 12, "1111111111111111111111111111111111111111", 99) else {
        return;
    };
    assert_eq!(app.deliver("pull_request", "pr-1", &p).await.0, 202);
    let done = completed(&gh, 1).await;
    let (run_id, body) = &done[0];
    assert_eq!(body["conclusion"], "failure");
    let run = gh
        .with(|s| s.check_runs.get(run_id).cloned())
        .expect("check run");
    // Created in progress for the head SHA, named kiln.
    let created = gh
        .with(|s| {
            s.log
                .iter()
                .find(|l| l.method == "POST" && l.path.ends_with("/check-runs"))
                .map(|l| l.body.clone())
        })
        .expect("create");
    assert_eq!(created["status"], "in_progress");
    assert_eq!(
        created["head_sha"],
        "1111111111111111111111111111111111111111"
    );
    assert_eq!(created["name"], "kiln");
    // The engine's error at its exact line, and the fmt problem.
    let ann = run["annotations_received"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let bogus = ann
        .iter()
        .find(|a| a["title"] == "Unsupported argument")
        .expect("annotation");
    assert_eq!(bogus["path"], "packer/app/main.pkr.hcl");
    assert_eq!(
        (bogus["start_line"].as_i64(), bogus["start_column"].as_i64()),
        (Some(3), Some(3))
    );
    assert_eq!(bogus["annotation_level"], "failure");
    assert!(ann
        .iter()
        .any(|a| a["path"] == "packer/app/vars.pkr.hcl" && a["title"] == "File is not formatted"));
    // Only the affected directory template was checked.
    let text = run["output"]["text"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let summary = run["output"]["summary"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        summary.contains("`packer/app`") && !summary.contains("packer/other"),
        "{summary}"
    );
    assert!(
        text.contains("```diff") && text.contains("+  type    = string"),
        "{text}"
    );
    // One sticky comment with the hidden marker (posted after the check run).
    assert!(
        wait_until(Duration::from_secs(30), || async {
            gh.with(|s| !s.comments.is_empty())
        })
        .await
    );
    let comments = gh.with(|s| s.comments.clone());
    assert_eq!(comments.len(), 1);
    let (cid, cbody) = comments
        .iter()
        .next()
        .map(|(k, v)| (*k, v.clone()))
        .expect("comment");
    assert!(
        cbody.starts_with(kiln_app::check::sticky::MARKER),
        "{cbody}"
    );
    assert!(cbody.contains("Unsupported argument"));

    // A new head SHA fixing both problems: the same comment is PATCHed.
    gh.with(|s| {
        s.set_file("packer/app/main.pkr.hcl", VALID);
        s.set_file("packer/app/vars.pkr.hcl", FORMATTED_VARS);
        s.pr_files
            .push(("packer/app/main.pkr.hcl".into(), "modified".into()));
    });
    let Some(p2) = pr_payload(
        "synchronize",
        12,
        "2222222222222222222222222222222222222222",
        99,
    ) else {
        return;
    };
    assert_eq!(app.deliver("pull_request", "pr-2", &p2).await.0, 202);
    let done = completed(&gh, 2).await;
    assert_eq!(done[1].1["conclusion"], "success", "{}", done[1].1);
    let updated = wait_until(Duration::from_secs(30), || async {
        gh.with(|s| {
            s.comments
                .values()
                .any(|c| c.contains("valid and formatted"))
        })
    })
    .await;
    assert!(updated, "comment not updated");
    let comments = gh.with(|s| s.comments.clone());
    assert_eq!(comments.len(), 1, "sticky comment duplicated");
    assert!(
        comments[&cid].contains("valid and formatted"),
        "{}",
        comments[&cid]
    );
    assert_eq!(
        gh.with(|s| s.count("PATCH", &format!("/issues/comments/{cid}"))),
        1
    );
    assert_eq!(gh.with(|s| s.count("POST", "/issues/12/comments")), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_annotations_go_in_batches_of_50() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((gh, app)) = start(dir.path(), vec![]).await else {
        return;
    };
    let mut t = String::from("source \"null\" \"example\" {\n  communicator = \"none\"\n");
    for i in 0..120 {
        t.push_str(&format!("  bogus_{i} = 1\n"));
    }
    t.push_str("}\n\nbuild {\n  sources = [\"source.null.example\"]\n}\n");
    gh.with(|s| {
        s.set_file("big.pkr.hcl", &t);
        s.pr_files = vec![("big.pkr.hcl".into(), "added".into())];
    });
    let Some(p) = pr_payload("opened", 3, "3333333333333333333333333333333333333333", 5) else {
        return;
    };
    assert_eq!(app.deliver("pull_request", "big-1", &p).await.0, 202);
    let done = completed(&gh, 1).await;
    let run = gh.with(|s| s.check_runs[&done[0].0].clone());
    let ann = run["annotations_received"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let errors = ann
        .iter()
        .filter(|a| a["title"] == "Unsupported argument")
        .count();
    assert!(errors >= 120, "{errors} annotations");
    let patches: Vec<usize> = gh.with(|s| {
        s.log
            .iter()
            .filter(|l| l.method == "PATCH" && l.path.contains("/check-runs/"))
            .map(|l| {
                l.body["output"]["annotations"]
                    .as_array()
                    .map_or(0, |a| a.len())
            })
            .collect()
    });
    assert!(patches.len() >= 3, "{patches:?}");
    assert!(patches.iter().all(|n| *n <= 50), "{patches:?}");
    // The lines are the template's own.
    let lines: std::collections::BTreeSet<i64> = ann
        .iter()
        .filter_map(|a| a["start_line"].as_i64())
        .collect();
    assert!(lines.contains(&3) && lines.contains(&122), "{lines:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repository_config_selects_directories_and_var_files_and_bad_config_fails_at_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((gh, app)) = start(dir.path(), vec![]).await else {
        return;
    };
    let tmpl = "variable \"size\" {\n  type = string\n}\n\nsource \"null\" \"x\" {\n  communicator = \"none\"\n}\n\nbuild {\n  sources = [\"source.null.x\"]\n  provisioner \"shell-local\" {\n    inline = [\"echo ${var.size}\"]\n  }\n}\n";
    gh.with(|s| {
        s.set_file("images/web/main.pkr.hcl", tmpl);
        s.set_file("vars/prod.pkrvars.hcl", "size = \"large\"\n");
        s.set_file("legacy/main.pkr.hcl", INVALID);
        s.set_file(
            ".github/kiln.yml",
            "directories: [images]\nvar_files:\n  images/web: [vars/prod.pkrvars.hcl]\ncomment: false\n",
        );
        s.pr_files = vec![
            ("vars/prod.pkrvars.hcl".into(), "modified".into()),
            ("legacy/main.pkr.hcl".into(), "modified".into()),
        ];
    });
    let Some(p) = pr_payload("opened", 4, "4444444444444444444444444444444444444444", 6) else {
        return;
    };
    assert_eq!(app.deliver("pull_request", "cfg-1", &p).await.0, 202);
    let done = completed(&gh, 1).await;
    let b = &done[0].1;
    // The var file makes `var.size` known: valid. legacy/ is outside `directories`.
    assert_eq!(b["conclusion"], "success", "{b}");
    let summary = b["output"]["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains("images/web") && !summary.contains("legacy"),
        "{summary}"
    );
    assert!(
        gh.with(|s| s.comments.is_empty()),
        "comment: false was ignored"
    );

    // An invalid config: a failed check run naming the line.
    gh.with(|s| {
        s.set_file(
            ".github/kiln.yml",
            "directories: [images]\ncomment: perhaps\n",
        )
    });
    let Some(p) = pr_payload(
        "synchronize",
        4,
        "5555555555555555555555555555555555555555",
        6,
    ) else {
        return;
    };
    assert_eq!(app.deliver("pull_request", "cfg-2", &p).await.0, 202);
    let done = completed(&gh, 2).await;
    let b = &done[1].1;
    assert_eq!(b["conclusion"], "failure");
    assert!(
        b["output"]["title"]
            .as_str()
            .unwrap_or_default()
            .contains("line 2"),
        "{b}"
    );
    let ann = &b["output"]["annotations"][0];
    assert_eq!(
        (ann["path"].as_str(), ann["start_line"].as_i64()),
        (Some(".github/kiln.yml"), Some(2))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_cannot_read_the_servers_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((gh, app)) = start(dir.path(), vec![]).await else {
        return;
    };
    let key = dir.path().join("app-key.pem");
    let t = format!(
        "locals {{\n  k = file(\"{}\")\n}}\n\nsource \"null\" \"x\" {{\n  communicator = local.k\n}}\n\nbuild {{\n  sources = [\"source.null.x\"]\n}}\n",
        key.display()
    );
    gh.with(|s| {
        s.set_file("steal/main.pkr.hcl", &t);
        s.pr_files = vec![("steal/main.pkr.hcl".into(), "added".into())];
    });
    let Some(p) = pr_payload("opened", 66, "6666666666666666666666666666666666666666", 2) else {
        return;
    };
    assert_eq!(app.deliver("pull_request", "steal-1", &p).await.0, 202);
    let done = completed(&gh, 1).await;
    let all = serde_json::to_string(
        &gh.with(|s| s.log.iter().map(|l| l.body.clone()).collect::<Vec<_>>()),
    )
    .unwrap_or_default();
    assert!(
        !all.contains("PRIVATE KEY"),
        "the App's key leaked into GitHub"
    );
    let ann = done[0].1["output"]["annotations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // The sandbox refuses the read, at the call.
    assert!(
        ann.iter().any(|a| a["start_line"] == 2
            && a["annotation_level"] == "failure"
            && a["message"]
                .as_str()
                .unwrap_or_default()
                .contains("outside")),
        "{ann:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_file_settings_apply_and_help_documents_every_env() {
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_kiln-app"))
        .arg("--help")
        .output()
        .expect("help");
    let help = String::from_utf8_lossy(&help.stdout);
    for env in [
        "KILN_APP_ID",
        "KILN_PRIVATE_KEY_PATH",
        "KILN_PRIVATE_KEY",
        "KILN_WEBHOOK_SECRET",
        "KILN_GITHUB_API_URL",
        "KILN_LISTEN",
        "KILN_DATABASE_URL",
        "KILN_WORKERS",
    ] {
        assert!(help.contains(&format!("env: {env}")), "--help lacks {env}");
    }
    // A bad config file: exit 2 naming the file and the line.
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.yml");
    std::fs::write(&bad, "listen: 127.0.0.1:0\nworkerz: 3\n").expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kiln-app"))
        .env_clear()
        .arg("--config")
        .arg(&bad)
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("bad.yml") && err.contains("workerz") && err.contains("line 2"),
        "{err}"
    );
    // A good one: its check_name is used (env settings still win elsewhere).
    let good = dir.path().join("kiln-app.yml");
    std::fs::write(&good, "check_name: kiln-ci\nworkers: 1\n").expect("write");
    let Some((gh, app)) = start(
        dir.path(),
        vec![("KILN_APP_CONFIG", good.display().to_string())],
    )
    .await
    else {
        return;
    };
    gh.with(|s| {
        s.set_file("t.pkr.hcl", VALID);
        s.pr_files = vec![("t.pkr.hcl".into(), "added".into())];
    });
    let Some(p) = pr_payload("opened", 21, "2121212121212121212121212121212121212121", 21) else {
        return;
    };
    assert_eq!(app.deliver("pull_request", "conf-1", &p).await.0, 202);
    let done = completed(&gh, 1).await;
    assert_eq!(
        gh.with(|s| s.check_runs[&done[0].0]["name"].clone()),
        "kiln-ci"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_report_splits_the_sticky_comment_and_shrinks_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let Some((gh, app)) = start(dir.path(), vec![]).await else {
        return;
    };
    let mut t = String::from("source \"null\" \"example\" {\n  communicator = \"none\"\n");
    for i in 0..700 {
        t.push_str(&format!("  an_argument_that_does_not_exist_{i} = 1\n"));
    }
    t.push_str("}\n\nbuild {\n  sources = [\"source.null.example\"]\n}\n");
    gh.with(|s| {
        s.set_file("huge/main.pkr.hcl", &t);
        s.pr_files = vec![("huge/main.pkr.hcl".into(), "added".into())];
    });
    let Some(p) = pr_payload("opened", 31, "3131313131313131313131313131313131313131", 31) else {
        return;
    };
    assert_eq!(app.deliver("pull_request", "huge-1", &p).await.0, 202);
    let done = completed(&gh, 1).await;
    let text = done[0].1["output"]["text"]
        .as_str()
        .unwrap_or_default()
        .chars()
        .count();
    assert!(text <= 65_535, "{text}");
    assert!(
        wait_until(Duration::from_secs(60), || async {
            gh.with(|s| s.comments.len()) >= 2
        })
        .await
    );
    let parts = gh.with(|s| s.comments.clone());
    for (i, body) in parts.values().enumerate() {
        assert!(body.chars().count() <= 65_535);
        assert_eq!(kiln_app::check::sticky::sticky_part(body), Some(i));
        assert_eq!(
            body.matches("<details>").count(),
            body.matches("</details>").count(),
            "part {i}"
        );
    }
    // Fixed: one part is left, updated in place; the rest is deleted.
    gh.with(|s| s.set_file("huge/main.pkr.hcl", VALID));
    let Some(p) = pr_payload(
        "synchronize",
        31,
        "3232323232323232323232323232323232323232",
        31,
    ) else {
        return;
    };
    assert_eq!(app.deliver("pull_request", "huge-2", &p).await.0, 202);
    completed(&gh, 2).await;
    assert!(
        wait_until(Duration::from_secs(60), || async {
            gh.with(|s| s.comments.len()) == 1
        })
        .await
    );
    let first = *parts.keys().next().expect("part 1");
    assert!(gh.with(|s| s
        .comments
        .get(&first)
        .is_some_and(|b| b.contains("valid and formatted"))));
}
