//! Loading verdicts on small templates that probe Packer's legacy JSON
//! semantics (variables, template functions, meta settings, structure),
//! compared with `packer validate` when Packer is on PATH and with the
//! verdicts recorded from Packer 1.6.6 otherwise. Only core components
//! (`null`, `shell-local`, `manifest`, `checksum`) are used so that Packer
//! can validate without any plugin or cloud access.

use std::path::{Path, PathBuf};
use std::process::Command;

use kiln_lang::template::json::{describe, load_json_template};
use kiln_lang::template::LoadOptions;

const N: &str = r#"{"type":"null","communicator":"none"}"#;

/// `-var` flags of a case.
type Vars = &'static [(&'static str, &'static str)];

/// (name, -var flags, template with `$N` for a null builder, Packer valid?)
const CASES: &[(&str, Vars, &str, bool)] = &[
    (
        "required_missing",
        &[],
        r#"{"variables":{"r":null},"builders":[$N]}"#,
        false,
    ),
    (
        "required_given",
        &[("r", "1")],
        r#"{"variables":{"r":null},"builders":[$N]}"#,
        true,
    ),
    (
        "var_undefined_ref",
        &[],
        r#"{"variables":{"a":"{{user `nope`}}"},"builders":[$N]}"#,
        false,
    ),
    (
        "var_chain",
        &[],
        r#"{"variables":{"a":"{{user `b`}}-x","b":"{{user `c`}}","c":"z"},"builders":[$N]}"#,
        true,
    ),
    (
        "var_cycle",
        &[],
        r#"{"variables":{"a":"{{user `b`}}","b":"{{user `a`}}"},"builders":[$N]}"#,
        false,
    ),
    (
        "env_in_prov",
        &[],
        r#"{"builders":[$N],"provisioners":[{"type":"shell-local","inline":["{{env `HOME`}}"]}]}"#,
        false,
    ),
    (
        "env_in_var",
        &[],
        r#"{"variables":{"h":"{{env `HOME`}}"},"builders":[$N]}"#,
        true,
    ),
    (
        "undef_user_in_prov",
        &[],
        r#"{"builders":[$N],"provisioners":[{"type":"shell-local","inline":["x{{user `nope`}}"]}]}"#,
        true,
    ),
    (
        "undeclared_var_flag",
        &[("zz", "1")],
        r#"{"builders":[$N]}"#,
        true,
    ),
    ("unknown_root", &[], r#"{"builders":[$N],"bogus":1}"#, false),
    (
        "only_unknown",
        &[],
        r#"{"builders":[$N],"provisioners":[{"type":"shell-local","inline":["x"],"only":["nope"]}]}"#,
        false,
    ),
    (
        "only_and_except",
        &[],
        r#"{"builders":[$N],"provisioners":[{"type":"shell-local","inline":["x"],"only":["null"],"except":["null"]}]}"#,
        false,
    ),
    (
        "pause_bad",
        &[],
        r#"{"builders":[$N],"provisioners":[{"type":"shell-local","inline":["x"],"pause_before":"10"}]}"#,
        false,
    ),
    (
        "pause_ok",
        &[],
        r#"{"builders":[$N],"provisioners":[{"type":"shell-local","inline":["x"],"pause_before":"1m30s","timeout":"5m"}]}"#,
        true,
    ),
    (
        "pp_nested",
        &[],
        r#"{"builders":[$N],"post-processors":[[["manifest"]]]}"#,
        false,
    ),
    (
        "pp_forms",
        &[],
        r#"{"builders":[$N],"post-processors":["manifest",{"type":"manifest"},[{"type":"manifest"},"checksum"]]}"#,
        true,
    ),
    (
        "max_retries_var",
        &[("r", "3")],
        r#"{"variables":{"r":null},"builders":[$N],"provisioners":[{"type":"shell-local","inline":["x"],"max_retries":"{{user `r`}}"}]}"#,
        true,
    ),
    (
        "max_retries_bad",
        &[],
        r#"{"builders":[$N],"provisioners":[{"type":"shell-local","inline":["x"],"max_retries":"abc"}]}"#,
        false,
    ),
    (
        "split_oob",
        &[],
        r#"{"builders":[$N],"provisioners":[{"type":"shell-local","inline":["{{split `a-b` `-` 5}}"]}]}"#,
        false,
    ),
    (
        "nosuch_func",
        &[],
        r#"{"builders":[$N],"provisioners":[{"type":"shell-local","inline":["{{ nosuch }}"]}]}"#,
        false,
    ),
    (
        "build_time_funcs",
        &[],
        r#"{"builders":[$N],"provisioners":[{"type":"shell-local","inline":["{{build_name}} {{build_type}} {{timestamp}} {{isotime \"2006\"}} {{uuid}} {{pwd}} {{template_dir}}"]}]}"#,
        true,
    ),
    ("dup_builder", &[], r#"{"builders":[$N,$N]}"#, false),
    ("no_type", &[], r#"{"builders":[{"name":"x"}]}"#, false),
    ("empty_builders", &[], r#"{"builders":[]}"#, false),
    ("no_builders", &[], r#"{"variables":{}}"#, false),
    (
        "comment_ok",
        &[],
        r#"{"_comment":"hi","builders":[$N]}"#,
        true,
    ),
    (
        "comment_bad",
        &[],
        r#"{"_comment":1,"builders":[$N]}"#,
        false,
    ),
    (
        "override_unknown",
        &[],
        r#"{"builders":[$N],"provisioners":[{"type":"shell-local","inline":["x"],"override":{"nope":{}}}]}"#,
        false,
    ),
    (
        "var_list_default",
        &[],
        r#"{"variables":{"l":[1]},"builders":[$N]}"#,
        false,
    ),
    (
        "var_number_default",
        &[],
        r#"{"variables":{"n":5},"builders":[$N]}"#,
        false,
    ),
    (
        "sensitive_ok",
        &[],
        r#"{"variables":{"s":"x"},"sensitive-variables":["s","other"],"builders":[$N]}"#,
        true,
    ),
    (
        "keep_input_bad",
        &[],
        r#"{"builders":[$N],"post-processors":[{"type":"manifest","keep_input_artifact":"yes"}]}"#,
        false,
    ),
    (
        "clean_in_provisioner",
        &[],
        r#"{"builders":[$N],"provisioners":[{"type":"shell-local","inline":["{{ `a:b` | clean_resource_name }}"]}]}"#,
        false,
    ),
    (
        "clean_in_variables",
        &[],
        r#"{"variables":{"x":"{{ `a:b` | clean_resource_name }}"},"builders":[$N]}"#,
        false,
    ),
    (
        "clean_in_null_builder",
        &[],
        r#"{"builders":[{"type":"null","communicator":"ssh","ssh_host":"{{ `a:b` | clean_resource_name }}","ssh_username":"x","ssh_password":"y"}]}"#,
        false,
    ),
    (
        "builder_name_var",
        &[("n", "web")],
        r#"{"variables":{"n":null},"builders":[{"type":"null","communicator":"none","name":"{{user `n`}}"}],"provisioners":[{"type":"shell-local","inline":["x"],"only":["{{user `n`}}"]}]}"#,
        true,
    ),
];

fn packer_available() -> bool {
    Command::new("packer")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn load_verdicts_agree_with_packer() {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let dir: PathBuf =
        std::env::temp_dir().join(format!("kiln-verdicts-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let live = packer_available();
    assert!(
        live || std::env::var_os("KILN_REQUIRE_PACKER").is_none(),
        "KILN_REQUIRE_PACKER is set but `packer` is not on PATH"
    );
    let mut mismatches = Vec::new();
    for (name, vars, text, recorded) in CASES {
        let file = format!("{name}.json");
        std::fs::write(dir.join(&file), text.replace("$N", N)).unwrap();
        let opts = LoadOptions {
            cwd: dir.clone(),
            vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            env: vec![("HOME".into(), "/root".into())],
            ..LoadOptions::default()
        };
        let ours = load_json_template(Path::new(&file), &opts);
        if let Err(d) = &ours {
            assert!(
                d.iter().any(|x| x.range.is_some()),
                "{name}: no located diagnostic\n{}",
                describe(d)
            );
        }
        let expected = if live {
            let mut cmd = Command::new("packer");
            cmd.arg("validate")
                .current_dir(&dir)
                .env("CHECKPOINT_DISABLE", "1");
            for (k, v) in *vars {
                cmd.arg("-var").arg(format!("{k}={v}"));
            }
            cmd.arg(&file).output().unwrap().status.success()
        } else {
            *recorded
        };
        if ours.is_ok() != expected {
            let why = ours.err().map(|d| describe(&d)).unwrap_or_default();
            mismatches.push(format!(
                "{name}: kiln ok={}, packer ok={expected}\n{why}",
                !expected
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
