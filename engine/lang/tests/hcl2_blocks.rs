//! Decoding of locals, data sources, sources, builds and dynamic blocks.

mod support;

use kiln_lang::template::Value;
use support::{errors, find, Dir};

#[test]
fn locals_evaluate_in_dependency_order() {
    let src = r#"
locals {
  c = "${local.b}-c"
  a = "a"
}
locals {
  b = "${local.a}-b"
}
local "d" {
  expression = local.c
  sensitive  = true
}
"#;
    let d = Dir::new(&[("t.pkr.hcl", src)]);
    let res = d.validate("t.pkr.hcl");
    assert!(res.diags.is_empty(), "{:#?}", res.diags);
    let l = res.loaded.expect("loaded");
    assert_eq!(l.template.locals.get("c"), Some(&Value::from("a-b-c")));
    assert_eq!(l.template.locals.get("d"), Some(&Value::from("a-b-c")));
    assert_eq!(l.sensitive_locals, vec!["d".to_string()]);
}

#[test]
fn local_cycles_report_the_chain() {
    let src = "locals {\n  a = local.b\n  b = local.c\n  c = local.a\n  ok = 1\n}\n";
    let d = Dir::new(&[("t.pkr.hcl", src)]);
    let res = d.validate("t.pkr.hcl");
    let e = find(&res.diags, "Cycle in local variables");
    assert!(
        e.detail.contains("local.a → local.b → local.c → local.a"),
        "{}",
        e.detail
    );
    assert_eq!(e.range.as_ref().map(|r| r.start.line), Some(2));
    assert_eq!(errors(&res.diags).len(), 1, "{:#?}", res.diags);
    let l = res.loaded.expect("loaded");
    assert_eq!(l.template.locals.get("ok"), Some(&Value::Number(1.0)));
}

#[test]
fn duplicate_locals_are_errors() {
    let d = Dir::new(&[("t.pkr.hcl", "locals {\n  a = 1\n}\nlocals {\n  a = 2\n}\n")]);
    let res = d.validate("t.pkr.hcl");
    let e = find(&res.diags, "Duplicate local definition");
    assert_eq!(e.range.as_ref().map(|r| r.start.line), Some(5));
}

const DATA: &str = r#"
data "null" "first" {
  input = "hello"
}
data "null" "second" {
  input = "${data.null.first.output}-world"
}
locals {
  greeting = data.null.second.output
}
"#;

#[test]
fn data_sources_are_unknown_during_validate() {
    let d = Dir::new(&[("t.pkr.hcl", DATA)]);
    let res = d.validate("t.pkr.hcl");
    assert!(!res.diags.has_errors(), "{:#?}", res.diags);
    let l = res.loaded.expect("loaded");
    assert_eq!(l.template.locals.get("greeting"), Some(&Value::Unknown));
    assert_eq!(l.template.data_sources.len(), 2);
}

#[test]
fn null_data_sources_run_with_evaluate_datasources() {
    let d = Dir::new(&[("t.pkr.hcl", DATA)]);
    let mut opts = d.opts();
    opts.evaluate_datasources = true;
    let res = d.validate_with("t.pkr.hcl", &opts);
    assert!(!res.diags.has_errors(), "{:#?}", res.diags);
    let l = res.loaded.expect("loaded");
    assert_eq!(
        l.template.locals.get("greeting"),
        Some(&Value::from("hello-world"))
    );
}

#[test]
fn data_source_cycles_and_duplicates() {
    let src = "data \"null\" \"a\" {\n  input = data.null.b.output\n}\ndata \"null\" \"b\" {\n  input = data.null.a.output\n}\ndata \"null\" \"b\" {\n  input = 1\n}\n";
    let d = Dir::new(&[("t.pkr.hcl", src)]);
    let res = d.validate("t.pkr.hcl");
    let e = find(&res.diags, "Cycle in data sources");
    assert!(
        e.detail.contains("data.null.a → data.null.b → data.null.a"),
        "{}",
        e.detail
    );
    let dup = find(&res.diags, "Duplicate data source");
    assert_eq!(dup.range.as_ref().map(|r| r.start.line), Some(7));
}

const BUILD: &str = r#"
source "null" "base" {
  communicator = "none"
}
build {
  name        = "web"
  description = "the web image"
  sources     = ["source.null.base"]
  source "null.base" {
    name = "second"
  }
  provisioner "shell-local" {
    name         = "hello"
    inline       = ["echo ${source.name}"]
    only         = ["null.base"]
    pause_before = "10s"
    max_retries  = 3
    timeout      = "5m"
  }
  post-processor "manifest" {
    keep_input_artifact = true
  }
  post-processors {
    post-processor "manifest" {}
    post-processor "checksum" {
      except = ["null.second"]
    }
  }
  error-cleanup-provisioner "shell-local" {
    inline = ["echo cleanup"]
  }
}
"#;

#[test]
fn builds_decode_sources_provisioners_and_post_processors() {
    let d = Dir::new(&[("t.pkr.hcl", BUILD)]);
    let res = d.validate("t.pkr.hcl");
    let l = res.loaded.expect("loaded");
    let b = &l.template.builds[0];
    assert_eq!(b.name.as_deref(), Some("web"));
    assert_eq!(b.description.as_deref(), Some("the web image"));
    let names: Vec<&str> = b.sources.iter().map(|s| s.build_name.as_str()).collect();
    assert_eq!(names, ["base", "second"]);
    let p = &b.provisioners[0];
    assert_eq!(p.component.name.as_deref(), Some("hello"));
    assert_eq!(p.only, ["null.base"]);
    assert_eq!(p.pause_before.as_deref(), Some("10s"));
    assert_eq!(p.max_retries, 3);
    assert_eq!(p.timeout.as_deref(), Some("5m"));
    assert!(p.component.config.get("only").is_none());
    assert_eq!(b.post_processors.len(), 2);
    assert_eq!(b.post_processors[0][0].keep_input_artifact, Some(true));
    assert_eq!(b.post_processors[1].len(), 2);
    assert_eq!(b.post_processors[1][1].except, ["null.second"]);
    assert!(b.error_cleanup_provisioner.is_some());
}

#[test]
fn unknown_sources_are_located_at_the_reference() {
    let src = "source \"null\" \"a\" {\n  communicator = \"none\"\n}\nbuild {\n  sources = [\"source.null.a\", \"source.null.b\"]\n}\n";
    let d = Dir::new(&[("t.pkr.hcl", src)]);
    let res = d.validate("t.pkr.hcl");
    let e = find(&res.diags, "Unknown source null.b");
    let r = e.range.as_ref().expect("range");
    assert_eq!((r.start.line, r.start.column), (5, 31));
    assert!(e.detail.contains("null.a"));
}

#[test]
fn bad_meta_arguments_are_errors() {
    let src = r#"
source "null" "a" {
  communicator = "none"
}
build {
  sources = ["source.null.a"]
  provisioner "shell-local" {
    inline       = ["true"]
    pause_before = "ten seconds"
  }
  error-cleanup-provisioner "shell-local" {
    inline = ["true"]
  }
  error-cleanup-provisioner "shell-local" {
    inline = ["true"]
  }
  provisioner {
  }
}
"#;
    let d = Dir::new(&[("t.pkr.hcl", src)]);
    let res = d.validate("t.pkr.hcl");
    assert_eq!(
        find(&res.diags, "Invalid duration")
            .range
            .as_ref()
            .map(|r| r.start.line),
        Some(9)
    );
    assert_eq!(
        find(&res.diags, "Duplicate error-cleanup-provisioner")
            .range
            .as_ref()
            .map(|r| r.start.line),
        Some(14)
    );
    assert!(find(&res.diags, "Missing provisioner type").range.is_some());
}

#[test]
fn dynamic_blocks_expand_in_bodies_and_builds() {
    let src = r#"
locals {
  tags  = { a = "1", b = "2" }
  names = ["x", "y"]
}
source "null" "base" {
  communicator = "none"
  dynamic "tag" {
    for_each = local.tags
    iterator = t
    content {
      key   = t.key
      value = t.value
    }
  }
}
build {
  dynamic "source" {
    for_each = local.names
    labels   = ["null.base"]
    content {
      name = source.value
    }
  }
  dynamic "provisioner" {
    for_each = local.names
    labels   = ["shell-local"]
    content {
      inline = ["echo ${provisioner.value}"]
    }
  }
}
"#;
    let d = Dir::new(&[("t.pkr.hcl", src)]);
    let res = d.validate("t.pkr.hcl");
    let l = res.loaded.expect("loaded");
    let b = &l.template.builds[0];
    let names: Vec<&str> = b.sources.iter().map(|s| s.build_name.as_str()).collect();
    assert_eq!(names, ["x", "y"]);
    let tags: Vec<Value> = b.sources[0]
        .builder
        .config
        .blocks_of("tag")
        .map(|t| t.body.get("value").cloned().unwrap_or_default())
        .collect();
    assert_eq!(tags, [Value::from("1"), Value::from("2")]);
    let inline: Vec<Value> = b
        .provisioners
        .iter()
        .map(|p| {
            p.component
                .config
                .get("inline")
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(
        inline,
        [
            Value::List(vec!["echo x".into()]),
            Value::List(vec!["echo y".into()])
        ]
    );
}

#[test]
fn context_variables() {
    let src = r#"
locals {
  v    = packer.version
  root = path.root
  id   = build.ID
}
"#;
    let d = Dir::new(&[("t.pkr.hcl", src)]);
    let res = d.validate("t.pkr.hcl");
    assert!(res.diags.is_empty(), "{:#?}", res.diags);
    let l = res.loaded.expect("loaded");
    assert_eq!(
        l.template.locals.get("v"),
        Some(&Value::from(kiln_lang::PACKER_COMPAT_VERSION))
    );
    assert_eq!(l.template.locals.get("id"), Some(&Value::Unknown));
    assert_eq!(l.template.locals.get("root"), Some(&Value::from(".")));
}

#[test]
fn required_version_and_plugins() {
    let src = r#"
packer {
  required_version = ">= 99.0.0"
  required_plugins {
    amazon = {
      source  = "github.com/hashicorp/amazon"
      version = ">= 1.0.0"
    }
  }
}
"#;
    let d = Dir::new(&[("t.pkr.hcl", src)]);
    let res = d.validate("t.pkr.hcl");
    let e = find(&res.diags, "Unsupported Packer Core version");
    assert_eq!(e.range.as_ref().map(|r| r.start.line), Some(3));
    let l = res.loaded.expect("loaded");
    assert_eq!(
        l.template.required_plugins[0].source,
        "github.com/hashicorp/amazon"
    );
}

#[test]
fn unknown_top_level_blocks_and_arguments() {
    let d = Dir::new(&[("t.pkr.hcl", "bogus = 1\nsorce \"null\" \"a\" {}\n")]);
    let res = d.validate("t.pkr.hcl");
    assert_eq!(
        find(&res.diags, "Unsupported argument")
            .range
            .as_ref()
            .map(|r| r.start.line),
        Some(1)
    );
    let e = find(&res.diags, "Unsupported block type");
    assert!(
        e.detail.contains("Did you mean \"source\"?"),
        "{}",
        e.detail
    );
}

#[test]
fn directories_merge_files_and_hcl_json() {
    let d = Dir::new(&[
        (
            "vars.pkr.hcl",
            "variable \"n\" {\n  default = \"from-hcl\"\n}\n",
        ),
        (
            "build.pkr.json",
            r#"{"source": {"null": {"a": {"communicator": "none"}}, "null": {"b": {"communicator": "${var.n == \"\" ? \"ssh\" : \"none\"}"}}},
               "build": {"sources": ["source.null.a", "source.null.b"], "provisioner": [{"shell-local": {"inline": ["echo ${var.n}"]}}]}}"#,
        ),
        ("ignored.txt", "not a template"),
    ]);
    let res = d.validate(".");
    assert!(!res.diags.has_errors(), "{:#?}", res.diags);
    let l = res.loaded.expect("loaded");
    let b = &l.template.builds[0];
    assert_eq!(b.sources.len(), 2);
    assert_eq!(
        b.provisioners[0].component.config.get("inline"),
        Some(&Value::List(vec!["echo from-hcl".into()]))
    );
}

#[test]
fn hcp_packer_registry_blocks() {
    let src = r#"
source "null" "a" {
  communicator = "none"
}
hcp_packer_registry {
  bucket_name = "top-level"
}
build {
  sources = ["source.null.a"]
}
build {
  name    = "own"
  sources = ["source.null.a"]
  hcp_packer_registry {
    bucket_name = "bad_name"
    bogus       = 1
  }
}
"#;
    let d = Dir::new(&[("t.pkr.hcl", src)]);
    let res = d.validate("t.pkr.hcl");
    let e = find(&res.diags, "Invalid bucket name");
    assert_eq!(e.range.as_ref().map(|r| r.start.line), Some(15));
    assert_eq!(
        find(&res.diags, "Unsupported argument")
            .range
            .as_ref()
            .map(|r| r.start.line),
        Some(16)
    );
    let l = res.loaded.expect("loaded");
    let bucket = |i: usize| {
        l.template.builds[i]
            .hcp_packer_registry
            .as_ref()
            .and_then(|b| b.get_str("bucket_name").map(str::to_string))
    };
    assert_eq!(bucket(0).as_deref(), Some("top-level"));
    assert_eq!(bucket(1).as_deref(), Some("bad_name"));
}

#[test]
fn data_sources_and_locals_may_refer_to_each_other() {
    let src = r#"
locals {
  prefix = "img"
  result = data.null.d.output
  both   = "${local.prefix}-${local.result}"
}
data "null" "d" {
  input = "${local.prefix}-1"
}
"#;
    let d = Dir::new(&[("t.pkr.hcl", src)]);
    let mut opts = d.opts();
    opts.evaluate_datasources = true;
    let res = d.validate_with("t.pkr.hcl", &opts);
    assert!(res.diags.is_empty(), "{:#?}", res.diags);
    let l = res.loaded.expect("loaded");
    assert_eq!(l.template.locals.get("result"), Some(&Value::from("img-1")));
    assert_eq!(
        l.template.locals.get("both"),
        Some(&Value::from("img-img-1"))
    );
    assert_eq!(l.template.locals.len(), 3);
}
