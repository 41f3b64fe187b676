//! `hcl2_upgrade` against Packer's own fixtures (input.json →
//! expected.pkr.hcl) and on every legacy JSON template of the corpus: the
//! output must parse as HCL.

mod corpus;

use std::path::PathBuf;

use kiln_lang::template::upgrade::{upgrade_file, upgrade_json, UpgradeOptions};

use corpus::shared_dir;

fn fixture(name: &str) -> Option<PathBuf> {
    Some(
        shared_dir()?
            .join("conformance/templates/hashicorp__packer/command/test-fixtures/hcl2_upgrade")
            .join(name),
    )
}

fn check_fixture(name: &str, annotate: bool) {
    let Some(dir) = fixture(name) else { return };
    let out = upgrade_file(
        &dir.join("input.json"),
        &dir,
        &UpgradeOptions {
            with_annotations: annotate,
        },
    )
    .unwrap_or_else(|d| panic!("{name}: {d:?}"));
    let expected = std::fs::read_to_string(dir.join("expected.pkr.hcl")).unwrap();
    if out != expected {
        let diff = similar::TextDiff::from_lines(&expected, &out);
        panic!(
            "{name}: output differs from Packer's\n{}",
            diff.unified_diff().header("expected", "kiln")
        );
    }
    assert_parses(&out, name);
}

fn assert_parses(hcl: &str, what: &str) {
    if let Err(e) = hcl_edit::parser::parse_body(hcl) {
        panic!("{what}: upgraded output is not valid HCL: {e}\n{hcl}");
    }
}

#[test]
fn minimal_matches_packer() {
    check_fixture("minimal", true);
}

#[test]
fn error_cleanup_provisioner_matches_packer() {
    check_fixture("error-cleanup-provisioner", true);
}

#[test]
fn escaping_matches_packer() {
    check_fixture("escaping", false);
}

#[test]
fn complete_matches_packer() {
    check_fixture("complete", true);
}

#[test]
fn bad_input_is_a_located_error_not_a_panic() {
    let opts = UpgradeOptions::default();
    for (bytes, summary) in [
        (b"{\"builders\": [}".to_vec(), "Invalid JSON"),
        (b"{\"a\": \"\xff\"}".to_vec(), "Invalid UTF-8"),
        ("[".repeat(200_000).into_bytes(), "Invalid JSON"),
    ] {
        let d = upgrade_json(&bytes, "bad.json", &opts).unwrap_err();
        assert_eq!(d.0[0].summary, summary);
        assert!(d.0[0].range.is_some());
    }
}

#[test]
fn template_calls_that_cannot_be_upgraded_are_explained() {
    let json = br#"{
      "variables": {"stamp": "{{timestamp}}", "home": "{{env `HOME`}}", "n": 5},
      "builders": [{"type": "null", "communicator": "none", "tags": {"a b": "{{ isotime | clean_ami_name }}"}}],
      "provisioners": [{"type": "shell-local", "pause_before": "90s", "max_retries": 3,
        "inline": ["{{ user `stamp` }} {{ lower `A` }} {{ upper `b` }} {{ strftime `%Y` }}"],
        "override": {"null": {"inline": ["x"]}}}]
    }"#;
    let hcl = upgrade_json(json, "t.json", &UpgradeOptions::default()).unwrap();
    assert_parses(&hcl, "inline template");
    assert!(
        hcl.contains("locals {\n  stamp = \"${local.timestamp}\"\n}"),
        "{hcl}"
    );
    assert!(hcl.contains("default = \"${env(\"HOME\")}\""), "{hcl}");
    assert!(hcl.contains("default = \"5\""), "{hcl}");
    assert!(
        hcl.contains("# could not parse template for following block:"),
        "{hcl}"
    );
    assert!(
        hcl.contains("# 2 errors occurred upgrading the following block:"),
        "{hcl}"
    );
    assert!(hcl.contains("inline       = [\"${local.stamp} {{ lower `A` }} {{ upper `b` }} ${legacy_strftime(\"%Y\")}\"]"), "{hcl}");
    assert!(hcl.contains("pause_before = \"1m30s\""), "{hcl}");
    assert!(hcl.contains("max_retries  = \"3\""), "{hcl}");
    assert!(hcl.contains("override = {\n      null = {"), "{hcl}");
    assert!(
        hcl.contains("\"a b\" = \"{{ isotime | clean_ami_name }}\""),
        "{hcl}"
    );
}

/// Tricky strings and keys (quotes, backslashes, `${`, `%{`, newlines,
/// control characters, unbalanced template braces, odd keys) still give
/// HCL that parses.
#[test]
fn tricky_values_give_valid_hcl() {
    let pieces = [
        "plain",
        "q\"uote",
        "back\\slash",
        "${x}",
        "%{ if }",
        "new\nline",
        "tab\t",
        "\u{1}ctl",
        "{{",
        "}}",
        "{{ user `v` }}",
        "{{ .Field }}",
        "{{ lower `A\"B` }}",
        "emoji 🤷",
        "$${",
        "{{ bad",
        "`",
        "{{ `a` }}",
        "{{ split `a-b` `-` 0 }}",
        "{{ replace `a` `b` 1 `c` }}",
    ];
    let mut n = 0;
    for a in pieces {
        for b in pieces {
            let value = format!("{a}{b}");
            let key = if n % 3 == 0 {
                format!("k{a}")
            } else {
                "key".to_string()
            };
            n += 1;
            let doc = serde_json::json!({
                "variables": { "v": value, "w": null },
                "builders": [{ "type": "null", "name": value, key.clone(): value, "m": { key.clone(): value }, "l": [value, 1, true] }],
                "provisioners": [{ "type": "shell", "inline": [value], "override": { "null": { "x": value } } }],
                "post-processors": [[{ "type": "manifest", "name": value, key.clone(): [{ "a": value }] }]]
            });
            let bytes = serde_json::to_vec(&doc).unwrap();
            for annotate in [false, true] {
                let hcl = upgrade_json(
                    &bytes,
                    "t.json",
                    &UpgradeOptions {
                        with_annotations: annotate,
                    },
                )
                .unwrap();
                assert_parses(&hcl, &format!("{value:?} / key {key:?}"));
            }
        }
    }
}

/// Pseudo-random template strings never panic the renderer or the
/// upgrader, and the upgrader's output stays valid HCL.
#[test]
fn random_template_strings_do_not_panic() {
    use kiln_lang::template::json::{interpolate, InterpContext};
    let alphabet: Vec<&str> = vec![
        "{{",
        "}}",
        "{{-",
        "-}}",
        " ",
        "`",
        "\"",
        "\\",
        "(",
        ")",
        "|",
        ".",
        "user",
        "env",
        "isotime",
        "split",
        "replace",
        "lower",
        "timestamp",
        "build_name",
        "0",
        "-1",
        "x",
        "é",
        "🤷",
        "$",
        "{",
        "}",
        "/*",
        "*/",
        "\n",
        "%Y",
        "2006",
        "clean_resource_name",
        "uuid",
        "nil",
        "true",
        "if",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut ctx = InterpContext::now();
    ctx.user_vars.insert("x".into(), "v".into());
    for _ in 0..3000 {
        let len = (next() % 12) as usize;
        let s: String = (0..len)
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
            .collect();
        let _ = interpolate(&s, &ctx);
        ctx.defer_build = !ctx.defer_build;
        let doc = serde_json::json!({"builders": [{"type": "null", "v": s}]});
        let hcl = upgrade_json(
            &serde_json::to_vec(&doc).unwrap(),
            "r.json",
            &UpgradeOptions::default(),
        )
        .unwrap();
        assert_parses(&hcl, &format!("{s:?}"));
    }
}

#[test]
fn mixed_nesting_gives_valid_hcl() {
    let json = br#"{"builders":[{"type":"null","l":[1,{"a":2,"b c":[{"x":1}]}],"m":{"k":[1,2],"n":null},"e":{},"el":[],"nested":[[1,2],[{"q":1}]]}]}"#;
    let hcl = upgrade_json(json, "m.json", &UpgradeOptions::default()).unwrap();
    assert_parses(&hcl, "mixed");
    assert!(hcl.contains("  e {\n  }\n"), "{hcl}");
    assert!(
        hcl.contains("  m {\n    k = [1, 2]\n    n = null\n  }\n"),
        "{hcl}"
    );
    assert!(
        !hcl.contains("el"),
        "empty lists are dropped, as Packer does: {hcl}"
    );
}
