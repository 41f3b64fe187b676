//! Planning builds with -only / -except.

mod support;

use kiln_lang::plan::plan;
use support::Dir;

const SRC: &str = r#"
source "null" "a" {
  communicator = "none"
}
source "null" "b" {
  communicator = "none"
}
build {
  sources = ["source.null.a", "source.null.b"]
  provisioner "shell-local" {
    inline = ["echo a"]
    only   = ["null.a"]
  }
  provisioner "shell-local" {
    inline = ["echo not b"]
    except = ["null.b"]
  }
  post-processor "manifest" {
    only = ["null.b"]
  }
}
build {
  name    = "named"
  sources = ["source.null.a"]
}
"#;

fn names(only: &[&str], except: &[&str]) -> (Vec<String>, usize) {
    let d = Dir::new(&[("t.pkr.hcl", SRC)]);
    let res = d.validate("t.pkr.hcl");
    let t = res.loaded.expect("loaded").template;
    let only: Vec<String> = only.iter().map(|s| s.to_string()).collect();
    let except: Vec<String> = except.iter().map(|s| s.to_string()).collect();
    let (p, diags) = plan(&t, &only, &except);
    (
        p.into_iter().map(|b| b.name).collect(),
        diags.warning_count(),
    )
}

#[test]
fn build_names_follow_packer() {
    assert_eq!(names(&[], &[]).0, ["null.a", "null.b", "named.null.a"]);
}

#[test]
fn only_and_except_globs() {
    assert_eq!(names(&["null.*"], &[]).0, ["null.a", "null.b"]);
    assert_eq!(names(&["named.*"], &[]).0, ["named.null.a"]);
    assert_eq!(names(&["*.a"], &[]).0, ["null.a", "named.null.a"]);
    assert_eq!(names(&[], &["*.a"]).0, ["null.b"]);
    assert_eq!(names(&["null.?"], &["null.b"]).0, ["null.a"]);
}

#[test]
fn only_matching_nothing_warns() {
    let (n, warnings) = names(&["nope.*"], &[]);
    assert!(n.is_empty());
    assert_eq!(warnings, 1);
    assert_eq!(names(&["null.a"], &[]).1, 0);
}

#[test]
fn provisioner_and_post_processor_only_except() {
    let d = Dir::new(&[("t.pkr.hcl", SRC)]);
    let t = d.validate("t.pkr.hcl").loaded.expect("loaded").template;
    let (p, _) = plan(&t, &[], &[]);
    assert_eq!(p[0].provisioners, [0, 1]);
    assert!(p[0].post_processors.is_empty());
    assert!(p[1].provisioners.is_empty());
    assert_eq!(p[1].post_processors, [(0, vec![0])]);
}

#[test]
fn validate_only_checks_selected_builds() {
    let src = "source \"null\" \"good\" {\n  communicator = \"none\"\n}\nsource \"null\" \"bad\" {\n  bogus = 1\n}\nbuild {\n  sources = [\"source.null.good\", \"source.null.bad\"]\n}\n";
    let d = Dir::new(&[("t.pkr.hcl", src)]);
    assert!(d.validate("t.pkr.hcl").diags.has_errors());
    let mut opts = d.opts();
    opts.except = vec!["null.bad".into()];
    let res = d.validate_with("t.pkr.hcl", &opts);
    assert!(!res.diags.has_errors(), "{:#?}", res.diags);
}

/// Provisioners are evaluated per source: `source.*` known, `build.*`
/// placeholders filled in again from the builder's values at run time;
/// a `dynamic` block whose items depend on the source still plans right.
#[test]
fn components_are_evaluated_per_source() {
    const PER: &str = r#"
source "null" "a" {
  communicator = "none"
}
source "null" "b" {
  communicator = "none"
}
build {
  sources = ["source.null.a", "source.null.b"]
  provisioner "shell-local" {
    inline = ["echo ${source.name}", "echo ${upper(build.Host)}"]
  }
  dynamic "provisioner" {
    for_each = source.name == "a" ? ["x", "y"] : ["z"]
    labels   = ["shell-local"]
    content {
      inline = ["echo ${provisioner.value} on ${source.name}"]
      except = ["null.b"]
    }
  }
  post-processor "shell-local" {
    inline = ["echo pp ${source.type}.${source.name}"]
  }
}
"#;
    let d = Dir::new(&[("t.pkr.hcl", PER)]);
    let res = d.validate("t.pkr.hcl");
    assert!(!res.diags.has_errors(), "{:?}", res.diags);
    let t = res.loaded.expect("loaded").template;
    let (planned, _) = plan(&t, &[], &[]);
    let inline = |def: &kiln_lang::template::model::ProvisionerDef| -> Vec<String> {
        match def.component.config.get("inline") {
            Some(kiln_lang::template::Value::List(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            other => panic!("inline: {other:?}"),
        }
    };
    let a = kiln_lang::plan::components(&t, &planned[0]);
    let b = kiln_lang::plan::components(&t, &planned[1]);
    assert_eq!(inline(&a.provisioners[0])[0], "echo a");
    assert_eq!(inline(&b.provisioners[0])[0], "echo b");
    // Placeholders until the build runs…
    assert_eq!(
        inline(&a.provisioners[0])[1],
        "echo {{ BUILD `HOST` }}".to_string()
    );
    // …then evaluated again with the builder's values.
    let mut generated = std::collections::BTreeMap::new();
    generated.insert("Host".to_string(), "10.0.0.9".to_string());
    let again = a.reevaluate.provisioners[0]
        .as_ref()
        .expect("re-evaluator")
        .call(&generated)
        .unwrap();
    assert_eq!(
        again.get("inline"),
        Some(&kiln_lang::template::Value::List(vec![
            "echo a".into(),
            "echo 10.0.0.9".into()
        ]))
    );
    // The dynamic block: two items for a, none kept for b (except).
    let dyn_a: Vec<String> = a.provisioners[1..]
        .iter()
        .map(|p| inline(p)[0].clone())
        .collect();
    assert_eq!(dyn_a, ["echo x on a", "echo y on a"]);
    assert_eq!(b.provisioners.len(), 1);
    assert_eq!(a.reevaluate.provisioners.len(), a.provisioners.len());
    let pp = |c: &kiln_lang::template::model::SourceComponents| {
        c.post_processors[0][0]
            .component
            .config
            .get("inline")
            .cloned()
    };
    assert_eq!(
        pp(&b),
        Some(kiln_lang::template::Value::List(vec![
            "echo pp null.b".into()
        ]))
    );
}
