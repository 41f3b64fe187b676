//! Legacy JSON components checked against the component schemas (with
//! Packer's weak typing for JSON).

mod corpus;

use std::path::Path;

use kiln_lang::diag::Diagnostic;
use kiln_lang::schema::validate_legacy_component;
use kiln_lang::template::json::{describe, load_json_template};
use kiln_lang::template::model::Template;
use kiln_lang::template::LoadOptions;

use corpus::shared_dir;

fn validate(t: &Template) -> Vec<Diagnostic> {
    let b = &t.builds[0];
    let mut out = Vec::new();
    for s in &b.sources {
        out.extend(validate_legacy_component(&s.builder));
    }
    for p in b.provisioners.iter().chain(&b.error_cleanup_provisioner) {
        out.extend(validate_legacy_component(&p.component));
    }
    for chain in &b.post_processors {
        for p in chain {
            out.extend(validate_legacy_component(&p.component));
        }
    }
    out
}

fn load(dir: &Path, path: &str, vars: &[(&str, &str)]) -> Template {
    let opts = LoadOptions {
        cwd: dir.to_path_buf(),
        vars: vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..LoadOptions::default()
    };
    load_json_template(Path::new(path), &opts)
        .unwrap_or_else(|d| panic!("{path}: {}", describe(&d)))
}

#[test]
fn bad_provisioner_fails_schema_validation_at_the_key() {
    let Some(shared) = shared_dir() else { return };
    let root = shared.join("conformance/templates/hashicorp__packer/command/test-fixtures");
    let t = load(&root, "validate-invalid/bad_provisioner.json", &[]);
    let diags: Vec<Diagnostic> = validate(&t)
        .into_iter()
        .filter(Diagnostic::is_error)
        .collect();
    assert!(diags.iter().all(|d| d.range.is_some()), "{diags:?}");
    let comment = diags
        .iter()
        .find(|d| d.detail.contains("\"comment\""))
        .unwrap_or_else(|| panic!("no error about `comment`: {diags:?}"));
    let r = comment.range.as_ref().expect("located");
    assert_eq!((r.start.line, r.start.column), (12, 7), "{diags:?}");
    assert_eq!(comment.context.as_deref(), Some("provisioner \"file\""));

    for ok in [
        "validate/build.json",
        "build-only/template.json",
        "provisioners/provisioner-only-except.json",
    ] {
        let t = load(&root, ok, &[]);
        let errs: Vec<Diagnostic> = validate(&t)
            .into_iter()
            .filter(Diagnostic::is_error)
            .collect();
        assert!(errs.is_empty(), "{ok}: {errs:?}");
    }
}

#[test]
fn seeds_validate() {
    let Some(shared) = shared_dir() else { return };
    for seed in ["notes-ko-02.json", "notes-ko-03.json"] {
        let t = load(&shared.join("seeds"), seed, &[]);
        let errs: Vec<Diagnostic> = validate(&t)
            .into_iter()
            .filter(Diagnostic::is_error)
            .collect();
        assert!(errs.is_empty(), "{seed}: {errs:#?}");
    }
}
