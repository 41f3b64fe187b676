//! Every legacy JSON template of the shared corpus: valid ones load (with
//! required variables given by -var), intentionally invalid ones fail with
//! a located diagnostic, and `-syntax-only` verdicts agree with Packer's.

mod corpus;

use std::path::{Path, PathBuf};

use kiln_lang::template::json::{describe, load_json_template};
use kiln_lang::template::model::Template;
use kiln_lang::template::upgrade::{upgrade_file, UpgradeOptions};
use kiln_lang::template::LoadOptions;

use corpus::shared_dir;

/// (path relative to conformance/templates, kind)
fn corpus(shared: &Path) -> Vec<(String, String)> {
    let manifest =
        std::fs::read_to_string(shared.join("conformance/templates/MANIFEST.tsv")).unwrap();
    manifest
        .lines()
        .skip(1)
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (cols.len() > 4 && cols[4].starts_with("json-"))
                .then(|| (cols[0].to_string(), cols[4].to_string()))
        })
        .collect()
}

/// Templates that must fail to load, and the summary of their error.
const INVALID: &[(&str, &str)] = &[
    ("validate/template.json", "Packer version too old"),
    ("validate/validate_except.json", "Packer version too old"),
    ("validate-invalid/broken.json", "Invalid provisioners"),
    // aws_secretsmanager in variables needs AWS at load time.
    (
        "hcl2_upgrade/complete/input.json",
        "Failed to render variable \"password\"",
    ),
];

/// Var files to pass with a template (the rest of its required variables
/// get a dummy -var).
fn var_files(path: &str) -> Vec<PathBuf> {
    let k8s = "kubernetes-sigs__image-builder/images/capi/packer";
    if path.starts_with(k8s) {
        let mut v = vec![PathBuf::from(format!("{k8s}/config/kubernetes.json"))];
        if path.contains("/ami/") {
            v.push(PathBuf::from(format!("{k8s}/ami/ubuntu-2404.json")));
        }
        return v;
    }
    if path.ends_with("var-arg/fruit_builder.json") {
        return vec![PathBuf::from(
            "hashicorp__packer/command/test-fixtures/var-arg/apple.json",
        )];
    }
    Vec::new()
}

/// `-var` for each variable declared with a null default.
fn required_vars(full: &Path, files: &[PathBuf], root: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(full).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut set = std::collections::BTreeSet::new();
    for f in files {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(root.join(f)).unwrap()).unwrap();
        set.extend(v.as_object().into_iter().flatten().map(|(k, _)| k.clone()));
    }
    let vars = json.get("variables").and_then(|v| v.as_object());
    let declared: std::collections::BTreeSet<&String> =
        vars.into_iter().flatten().map(|(k, _)| k).collect();
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in vars.into_iter().flatten() {
        if v.is_null() && !set.contains(k) {
            out.push((k.clone(), format!("dummy-{k}")));
        }
        // Defaults referring to variables that only other var files of the
        // project define (or to themselves) need them too.
        let default = v.as_str().unwrap_or_default();
        for r in kiln_lang::template::json::interpolate::referenced_user_vars(default) {
            let missing = (!declared.contains(&r) || r == *k) && !set.contains(&r);
            if missing && !out.iter().any(|(n, _)| *n == r) {
                out.push((r.clone(), format!("dummy-{r}")));
            }
        }
    }
    out
}

fn load(
    root: &Path,
    path: &str,
    syntax_only: bool,
) -> Result<Template, kiln_lang::diag::Diagnostics> {
    let files = var_files(path);
    let opts = LoadOptions {
        cwd: root.to_path_buf(),
        vars: required_vars(&root.join(path), &files, root),
        var_files: files,
        env: vec![("AWS_DEFAULT_REGION".into(), "eu-west-1".into())],
        syntax_only,
        ..LoadOptions::default()
    };
    load_json_template(Path::new(path), &opts)
}

#[test]
fn corpus_templates_load_or_fail_located() {
    let Some(shared) = shared_dir() else { return };
    let root = shared.join("conformance/templates");
    let mut loaded = 0;
    let mut failed = 0;
    for (path, kind) in corpus(&shared) {
        if kind != "json-template" {
            continue;
        }
        let expected_error = INVALID
            .iter()
            .find(|(p, _)| path.ends_with(p))
            .map(|(_, e)| *e);
        match (load(&root, &path, false), expected_error) {
            (Ok(t), None) => {
                loaded += 1;
                assert_eq!(t.builds.len(), 1, "{path}");
                assert!(!t.builds[0].sources.is_empty(), "{path}");
            }
            (Err(d), Some(summary)) => {
                failed += 1;
                assert!(
                    d.iter().all(|x| x.range.is_some()),
                    "{path}: unlocated diagnostic\n{}",
                    describe(&d)
                );
                assert!(
                    d.iter().any(|x| x.summary.starts_with(summary)),
                    "{path}: expected {summary:?}\n{}",
                    describe(&d)
                );
            }
            (Ok(_), Some(summary)) => panic!("{path}: loaded, expected {summary:?}"),
            (Err(d), None) => panic!("{path}: failed to load\n{}", describe(&d)),
        }
    }
    eprintln!("json corpus: {loaded} loaded, {failed} failed as expected");
    assert!(loaded >= 15, "only {loaded} templates loaded");
}

#[test]
fn corpus_templates_upgrade_to_valid_hcl() {
    let Some(shared) = shared_dir() else { return };
    let root = shared.join("conformance/templates");
    let mut paths: Vec<PathBuf> = corpus(&shared)
        .into_iter()
        .filter(|(p, k)| k == "json-template" && !p.ends_with("broken.json"))
        .map(|(p, _)| root.join(p))
        .collect();
    paths.push(shared.join("seeds/notes-ko-02.json"));
    paths.push(shared.join("seeds/notes-ko-03.json"));
    for path in paths {
        for annotate in [false, true] {
            let hcl = upgrade_file(
                &path,
                &root,
                &UpgradeOptions {
                    with_annotations: annotate,
                },
            )
            .unwrap_or_else(|d| panic!("{}: {}", path.display(), describe(&d)));
            if let Err(e) = hcl_edit::parser::parse_body(&hcl) {
                panic!(
                    "{}: upgraded HCL does not parse: {e}\n{hcl}",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn syntax_only_verdicts_match_packer() {
    let Some(shared) = shared_dir() else { return };
    let root = shared.join("conformance/templates");
    let packer_ok = std::process::Command::new("packer")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    for (path, _) in corpus(&shared) {
        let ours = load(&root, &path, true).is_ok();
        let expected = if packer_ok {
            let out = std::process::Command::new("packer")
                .args(["validate", "-syntax-only", &path])
                .current_dir(&root)
                .env("CHECKPOINT_DISABLE", "1")
                .output()
                .unwrap();
            out.status.success()
        } else {
            // Recorded Packer 1.6.6 verdicts: only these fail.
            !(path.ends_with("broken.json")
                || path.ends_with("apple.json")
                || path.ends_with("ubuntu-2404.json")
                || path.ends_with("config/kubernetes.json"))
        };
        assert_eq!(
            ours, expected,
            "{path}: kiln syntax-only ok={ours}, packer ok={expected}"
        );
    }
}

#[test]
fn seeds_load() {
    let Some(shared) = shared_dir() else { return };
    for seed in ["notes-ko-02.json", "notes-ko-03.json"] {
        let opts = LoadOptions {
            cwd: shared.join("seeds"),
            ..LoadOptions::default()
        };
        let t = load_json_template(Path::new(seed), &opts)
            .unwrap_or_else(|d| panic!("{seed}: {}", describe(&d)));
        let b = &t.builds[0];
        assert_eq!(b.sources.len(), 1);
        if seed == "notes-ko-03.json" {
            let name = b.sources[0].builder.config.get_str("ami_name").unwrap();
            assert!(name.starts_with("CustomImage 2"), "{name}");
            assert!(!name.contains(':'), "clean_ami_name removes colons: {name}");
            assert_eq!(b.provisioners[0].component.type_name, "ansible-local");
        } else {
            assert_eq!(b.post_processors.len(), 1);
            assert_eq!(b.post_processors[0][0].component.type_name, "docker-import");
        }
    }
}
