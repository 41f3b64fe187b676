//! Which templates a pull request affects: changed `*.pkr.hcl` /
//! `*.pkr.json` / `*.pkrvars.hcl` / `*.pkrvars.json` files → the
//! directory templates they belong to (a directory holding template
//! files), plus directories whose configured var files changed.

use std::collections::{BTreeMap, BTreeSet};

use crate::repo_config::RepoConfig;

pub fn is_template_file(name: &str) -> bool {
    name.ends_with(".pkr.hcl") || name.ends_with(".pkr.json")
}

pub fn is_var_file(name: &str) -> bool {
    name.ends_with(".pkrvars.hcl") || name.ends_with(".pkrvars.json")
}

/// Files the engine loads from a template directory.
pub fn is_packer_file(name: &str) -> bool {
    is_template_file(name) || is_var_file(name)
}

pub fn parent(path: &str) -> &str {
    path.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

/// A `*.json` file that may be a legacy JSON template (not HCL2's
/// `*.pkr.json` / `*.pkrvars.json`).
pub fn is_legacy_candidate(name: &str) -> bool {
    name.ends_with(".json") && !is_packer_file(name)
}

/// Whether JSON text is a legacy Packer template: an object with `builders`.
pub fn looks_like_legacy_template(text: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(text)
        .ok()
        .is_some_and(|v| v.get("builders").is_some_and(serde_json::Value::is_array))
}

/// Changed legacy JSON templates: listed in the config's
/// `legacy_templates` or found to be templates by content (`detected`).
/// A config change re-checks every listed one.
pub fn legacy_affected(
    changed: &[String],
    tree: &[String],
    cfg: &RepoConfig,
    detected: &BTreeSet<String>,
) -> Vec<Affected> {
    let in_tree: BTreeSet<&str> = tree.iter().map(String::as_str).collect();
    let config_changed = changed.iter().any(|c| c == crate::repo_config::PATH);
    let mut files: BTreeSet<&str> = changed
        .iter()
        .map(String::as_str)
        .filter(|c| {
            is_legacy_candidate(c)
                && (detected.contains(*c) || cfg.legacy_templates.iter().any(|l| l == c))
        })
        .collect();
    if config_changed {
        files.extend(cfg.legacy_templates.iter().map(String::as_str));
    }
    files
        .into_iter()
        .filter(|f| in_tree.contains(f) && cfg.covers(parent(f)))
        .map(|f| Affected {
            dir: parent(f).to_string(),
            var_files: Vec::new(),
            changed: vec![f.to_string()],
            legacy: Some(f.to_string()),
        })
        .collect()
}

/// `path` relative to directory `dir` (`../` where it lies outside).
pub fn relative_to(dir: &str, path: &str) -> String {
    let d: Vec<&str> = dir.split('/').filter(|c| !c.is_empty()).collect();
    let p: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    let common = d.iter().zip(&p).take_while(|(a, b)| a == b).count();
    let mut out: Vec<&str> = vec![".."; d.len() - common];
    out.extend(&p[common..]);
    out.join("/")
}

/// Whether template `text` in directory `dir` names repository file
/// `path` in a string: by its path relative to `dir` or to the root
/// (`"x"`, `".../x"`), or by its directory (for `fileset`).
pub fn names_file(text: &str, dir: &str, path: &str) -> bool {
    let rel = relative_to(dir, path);
    let rel_dir = relative_to(dir, parent(path));
    let quoted = |s: &str| {
        !s.is_empty()
            && (text.contains(&format!("\"{s}\""))
                || text.contains(&format!("/{s}\""))
                || text.contains(&format!("\"./{s}\"")))
    };
    quoted(&rel) || quoted(path) || (rel_dir != ".." && quoted(&rel_dir))
}

/// A template to check: a directory and the var files to pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Affected {
    /// Repo-relative directory (`""` = root).
    pub dir: String,
    /// Repo-relative `-var-file`s from the config.
    pub var_files: Vec<String>,
    /// Changed files of this directory (for the fmt check).
    pub changed: Vec<String>,
    /// A legacy JSON template: this file alone is the template.
    pub legacy: Option<String>,
}

/// `changed`: file names the PR touches (new names; removed files too).
/// `tree`: every blob path at the head SHA.
pub fn affected(changed: &[String], tree: &[String], cfg: &RepoConfig) -> Vec<Affected> {
    // Directories holding at least one template file at head.
    let template_dirs: BTreeSet<&str> = tree
        .iter()
        .filter(|p| is_template_file(p))
        .map(|p| parent(p))
        .collect();
    let in_tree: BTreeSet<&str> = tree.iter().map(String::as_str).collect();
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let config_changed = changed.iter().any(|c| c == crate::repo_config::PATH);
    for c in changed {
        if !is_packer_file(c) {
            continue;
        }
        let d = parent(c);
        if template_dirs.contains(d) {
            let e = out.entry(d.to_string()).or_default();
            if in_tree.contains(c.as_str()) {
                e.insert(c.clone());
            }
        }
        for (dir, files) in &cfg.var_files {
            if files.iter().any(|f| f == c) && template_dirs.contains(dir.as_str()) {
                out.entry(dir.clone()).or_default();
            }
        }
    }
    if config_changed {
        for d in &template_dirs {
            out.entry((*d).to_string()).or_default();
        }
    }
    out.into_iter()
        .filter(|(d, _)| cfg.covers(d))
        .map(|(dir, changed)| Affected {
            var_files: cfg.var_files.get(&dir).cloned().unwrap_or_default(),
            dir,
            changed: changed.into_iter().collect(),
            legacy: None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn files_named_by_templates() {
        assert_eq!(relative_to("a/b", "a/c/x.sh"), "../c/x.sh");
        assert_eq!(relative_to("", "s/x.sh"), "s/x.sh");
        assert_eq!(relative_to("a", "a/s/x.sh"), "s/x.sh");
        let t = "x = file(\"${path.root}/scripts/x.sh\")\ny = fileset(\"conf\", \"*\")\nz = file(\"../shared/k.txt\")\n";
        assert!(names_file(t, "img", "img/scripts/x.sh"));
        assert!(names_file(t, "img", "img/conf/a.cfg"));
        assert!(names_file(t, "img", "shared/k.txt"));
        assert!(!names_file(t, "img", "img/other.txt"));
        assert!(!names_file(t, "img", "secrets/x.sh"));
    }

    #[test]
    fn directory_templates_and_var_files() {
        let tree = s(&[
            "a/main.pkr.hcl",
            "a/vars.pkr.hcl",
            "b/x.pkr.json",
            "vars/prod.pkrvars.hcl",
            "README.md",
        ]);
        let mut cfg = RepoConfig::default();
        cfg.var_files
            .insert("a".into(), s(&["vars/prod.pkrvars.hcl"]));
        let got = affected(&s(&["a/vars.pkr.hcl", "README.md"]), &tree, &cfg);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].dir, "a");
        assert_eq!(got[0].var_files, s(&["vars/prod.pkrvars.hcl"]));
        let got = affected(&s(&["vars/prod.pkrvars.hcl"]), &tree, &cfg);
        assert_eq!(
            got.iter().map(|a| a.dir.as_str()).collect::<Vec<_>>(),
            vec!["a"]
        );
        cfg.directories = s(&["b"]);
        assert!(affected(&s(&["a/main.pkr.hcl"]), &tree, &cfg).is_empty());
    }
}
