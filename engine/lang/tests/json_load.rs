//! Loading legacy JSON templates: variables, components, located errors,
//! hostile input.

use std::path::{Path, PathBuf};

use kiln_lang::diag::Diagnostics;
use kiln_lang::template::json::{build_context, describe, interpolate, load_json_template};
use kiln_lang::template::model::Template;
use kiln_lang::template::{LoadOptions, Value};

struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let p =
            std::env::temp_dir().join(format!("kiln-json-{tag}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        Dir(p)
    }
    fn write(&self, name: &str, text: impl AsRef<[u8]>) -> &Self {
        std::fs::write(self.0.join(name), text).unwrap();
        self
    }
    fn opts(&self) -> LoadOptions {
        LoadOptions {
            cwd: self.0.clone(),
            ..LoadOptions::default()
        }
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn load_with(text: &str, opts_fn: impl FnOnce(&mut LoadOptions)) -> Result<Template, Diagnostics> {
    let d = Dir::new("t");
    d.write("t.json", text);
    let mut o = d.opts();
    opts_fn(&mut o);
    load_json_template(Path::new("t.json"), &o)
}

fn load(text: &str) -> Result<Template, Diagnostics> {
    load_with(text, |_| {})
}

fn err(text: &str) -> Diagnostics {
    match load(text) {
        Ok(_) => panic!("expected an error for {text}"),
        Err(d) => d,
    }
}

/// (line, column, summary) of the first diagnostic.
fn first(d: &Diagnostics) -> (usize, usize, String) {
    let x = &d.0[0];
    let r = x
        .range
        .as_ref()
        .unwrap_or_else(|| panic!("unlocated: {}", describe(d)));
    (r.start.line, r.start.column, x.summary.clone())
}

const NULL: &str = r#"{"type": "null", "communicator": "none"}"#;

#[test]
fn variable_precedence_defaults_files_flags() {
    let d = Dir::new("vars");
    d.write(
        "vf1.json",
        r#"{"b": "from-file1", "c": "from-file1", "d": "{{user `a`}}-{{user `b`}}"}"#,
    );
    d.write("vf2.json", r#"{"c": "from-file2"}"#);
    let tpl = format!(
        r#"{{"variables": {{"a": "default-a", "b": "default-b", "c": "default-c", "e": "{{{{env `HOME_X`}}}}"}},
        "sensitive-variables": ["b", "undeclared"],
        "builders": [{NULL}]}}"#
    );
    d.write("t.json", tpl);
    let mut o = d.opts();
    o.var_files = vec!["vf1.json".into(), d.0.join("vf2.json")];
    o.vars = vec![
        ("c".into(), "flag1".into()),
        ("c".into(), "flag2".into()),
        ("x".into(), "{{user `a`}}!".into()),
    ];
    o.env = vec![("HOME_X".into(), "/home/x".into())];
    let t =
        load_json_template(Path::new("t.json"), &o).unwrap_or_else(|e| panic!("{}", describe(&e)));
    let get = |n: &str| {
        t.variables
            .iter()
            .find(|v| v.name == n)
            .unwrap_or_else(|| panic!("no {n}"))
    };
    assert_eq!(get("a").value, Value::from("default-a"));
    assert_eq!(get("b").value, Value::from("from-file1"));
    assert!(get("b").sensitive && !get("a").sensitive);
    assert_eq!(get("c").value, Value::from("flag2"));
    assert_eq!(get("e").value, Value::from("/home/x"));
    assert_eq!(get("a").default, Some(Value::from("default-a")));
    assert_eq!(get("a").range.as_ref().map(|r| r.start.line), Some(1));
    // Only declared variables are listed.
    assert_eq!(t.variables.len(), 4);
    // Undeclared ones are usable through {{user}} at build time.
    let ctx = build_context(&t, &d.0);
    assert_eq!(interpolate("{{user `c`}}", &ctx).unwrap(), "flag2");
}

#[test]
fn var_file_values_may_reference_other_variables() {
    let d = Dir::new("vf");
    d.write(
        "vf.json",
        r#"{"series": "v1.36", "url": "https://pkgs/{{ user `series` }}/deb"}"#,
    );
    d.write(
        "t.json",
        r#"{"variables": {"url": null}, "builders": [{"type": "null", "name": "{{user `url`}}"}]}"#,
    );
    let mut o = d.opts();
    o.var_files = vec!["vf.json".into()];
    let t =
        load_json_template(Path::new("t.json"), &o).unwrap_or_else(|e| panic!("{}", describe(&e)));
    assert_eq!(t.builds[0].sources[0].build_name, "https://pkgs/v1.36/deb");
}

#[test]
fn required_and_broken_variables_are_located() {
    let d = err(&format!(
        "{{\n  \"variables\": {{\n    \"region\": null\n  }},\n  \"builders\": [{NULL}]\n}}"
    ));
    assert_eq!(
        first(&d),
        (3, 5, "required variable not set: region".into())
    );
    assert_eq!(d.0.len(), 1, "no cascade: {}", describe(&d));

    let d = err(&format!(
        r#"{{"variables": {{"a": "{{{{user `b`}}}}", "b": "{{{{user `a`}}}}"}}, "builders": [{NULL}]}}"#
    ));
    assert!(describe(&d).contains("cycle"), "{}", describe(&d));

    let d = err(&format!(
        r#"{{"variables": {{"a": "{{{{user `nope`}}}}"}}, "builders": [{NULL}]}}"#
    ));
    assert!(
        describe(&d).contains("user variable \"nope\" is not defined"),
        "{}",
        describe(&d)
    );

    let d = err(&format!(
        r#"{{"variables": {{"l": [1]}}, "builders": [{NULL}]}}"#
    ));
    assert_eq!(first(&d).2, "Invalid variable default");

    let dd = Dir::new("badvf");
    dd.write("vf.json", "{\n  \"a\": 1\n}");
    dd.write("t.json", format!(r#"{{"builders": [{NULL}]}}"#));
    let mut o = dd.opts();
    o.var_files = vec!["vf.json".into()];
    let e = load_json_template(Path::new("t.json"), &o).unwrap_err();
    let r = e.0[0].range.as_ref().unwrap();
    assert_eq!(
        (r.filename.as_str(), r.start.line, r.start.column),
        ("vf.json", 2, 8)
    );
}

#[test]
fn template_syntax_errors_point_into_the_string() {
    let d = err(r#"{"builders": [{"type": "null", "x": "ab {{ user `v` "}]}"#);
    assert_eq!(
        first(&d),
        (1, 41, "Failed to render template string".into())
    );
    assert!(
        d.0[0].detail.contains("unclosed action"),
        "{}",
        d.0[0].detail
    );
}

#[test]
fn env_only_in_variables() {
    let d = err(&format!(
        "{{\"builders\": [{NULL}],\n \"provisioners\": [{{\"type\": \"shell-local\", \"inline\": [\"{{{{env `HOME`}}}}\"]}}]}}"
    ));
    let (line, _, summary) = first(&d);
    assert_eq!(
        (line, summary.as_str()),
        (2, "Failed to render template string")
    );
    assert!(d.0[0].detail.contains("env vars are not allowed here"));
    assert_eq!(
        d.0[0].context.as_deref(),
        Some("provisioner \"shell-local\"")
    );
}

#[test]
fn undefined_user_variable_in_configs_renders_empty_like_packer() {
    let t = load(r#"{"builders": [{"type": "null", "x": "[{{user `nope`}}]"}]}"#).unwrap();
    assert_eq!(
        t.builds[0].sources[0].builder.config.get_str("x"),
        Some("[]")
    );
}

#[test]
fn root_keys() {
    let d = err(&format!(
        "{{\n  \"_comment\": \"c\",\n  \"bogus\": 2,\n  \"builders\": [{NULL}]\n}}"
    ));
    assert_eq!(
        first(&d),
        (3, 3, "Unknown root level key in template: 'bogus'".into())
    );
    assert_eq!(d.0.len(), 1);
    let d = err(&format!("{{\"_comment\": 1, \"builders\": [{NULL}]}}"));
    assert_eq!(first(&d).2, "Invalid comment");
    let d = err("{\"builders\": [{\"type\": \"null\",\n \"type\": \"file\"}]}");
    assert_eq!(first(&d), (2, 2, "Duplicate field".into()));
    assert!(load(&format!("{{\"push\": {{}}, \"builders\": [{NULL}]}}")).is_ok());
    assert_eq!(first(&err("{}")).2, "Missing builders");
    assert_eq!(first(&err(r#"{"builders": []}"#)).2, "Missing builders");
    assert_eq!(
        first(&err(r#"{"builders": [{"name": "x"}]}"#)).2,
        "Missing builder type"
    );
    assert_eq!(first(&err(r#"[1]"#)).2, "Invalid template");
    let d = err(&format!(r#"{{"builders": [{NULL}, {NULL}]}}"#));
    assert_eq!(first(&d).2, "Duplicate builder name");
    let d = err(&format!(
        r#"{{"min_packer_version": "101.0.0", "builders": [{NULL}]}}"#
    ));
    assert!(d.0[0]
        .detail
        .contains("requires Packer version 101.0.0 or higher"));
    let d = err(&format!(
        r#"{{"min_packer_version": "x.y", "builders": [{NULL}]}}"#
    ));
    assert_eq!(first(&d).2, "Invalid min_packer_version");
    let t = load(&format!(
        r#"{{"description": "desc", "min_packer_version": "1.5.0", "builders": [{NULL}]}}"#
    ))
    .unwrap();
    assert_eq!(t.description.as_deref(), Some("desc"));
    assert_eq!(t.builds[0].description.as_deref(), Some("desc"));
    assert_eq!(t.required_version.as_deref(), Some(">= 1.5.0"));
    assert_eq!(t.format, kiln_lang::template::model::TemplateFormat::Json);
}

#[test]
fn components_and_meta_settings() {
    let text = r#"{
  "variables": {"retries": "2"},
  "builders": [
    {"type": "amazon-ebs", "name": "web", "ami_name": "img {{timestamp}}", "tags": {"a": "{{build_name}}"}, "list": [1, "{{ .SourceAMI }}"]},
    {"type": "docker"}
  ],
  "provisioners": [
    {"type": "shell", "only": ["web"], "pause_before": "10s", "max_retries": "5", "timeout": "1m",
     "override": {"docker": {"inline": ["x"]}}, "inline": ["echo {{build_name}} {{build_type}}"]},
    {"type": "file", "except": ["docker"], "max_retries": "{{user `retries`}}"}
  ],
  "error-cleanup-provisioner": {"type": "shell-local", "inline": ["cleanup"]},
  "post-processors": [
    "compress",
    {"type": "manifest", "name": "m", "keep_input_artifact": true, "only": ["docker"]},
    [{"type": "a"}, "b"]
  ]
}"#;
    let t = load(text).unwrap_or_else(|e| panic!("{}", describe(&e)));
    assert_eq!(t.builds.len(), 1);
    let b = &t.builds[0];
    assert_eq!(b.name, None);
    let names: Vec<&str> = b.sources.iter().map(|s| s.build_name.as_str()).collect();
    assert_eq!(names, ["web", "docker"]);
    let web = &b.sources[0].builder;
    assert_eq!(web.type_name, "amazon-ebs");
    assert!(web.config.get("type").is_none() && web.config.get("name").is_none());
    let ami = web.config.get_str("ami_name").unwrap();
    assert!(
        ami.starts_with("img ") && ami[4..].parse::<u64>().is_ok(),
        "{ami}"
    );
    // Build-time actions stay for the runner.
    assert_eq!(
        web.config
            .get("tags")
            .and_then(|v| v.as_map())
            .and_then(|m| m.get("a")),
        Some(&Value::from("{{build_name}}"))
    );
    assert_eq!(
        web.config.get("list"),
        Some(&Value::List(vec![
            Value::Number(1.0),
            Value::from("{{ .SourceAMI }}")
        ]))
    );
    let attr = &web.config.attrs["ami_name"];
    assert_eq!(
        attr.name_range
            .as_ref()
            .map(|r| (r.start.line, r.start.column)),
        Some((4, 43))
    );
    assert_eq!(web.type_range.as_ref().map(|r| r.start.line), Some(4));

    let p = &b.provisioners[0];
    assert_eq!(p.only, ["web"]);
    assert_eq!(
        (
            p.pause_before.as_deref(),
            p.max_retries,
            p.timeout.as_deref()
        ),
        (Some("10s"), 5, Some("1m"))
    );
    assert!(p.overrides.contains_key("docker"));
    for k in ["only", "pause_before", "max_retries", "timeout", "override"] {
        assert!(p.component.config.get(k).is_none(), "{k} left in config");
    }
    assert_eq!(b.provisioners[1].except, ["docker"]);
    assert_eq!(b.provisioners[1].max_retries, 2);
    assert_eq!(
        b.error_cleanup_provisioner
            .as_ref()
            .map(|p| p.component.type_name.as_str()),
        Some("shell-local")
    );

    let chains: Vec<Vec<&str>> = b
        .post_processors
        .iter()
        .map(|c| c.iter().map(|p| p.component.type_name.as_str()).collect())
        .collect();
    assert_eq!(chains, [vec!["compress"], vec!["manifest"], vec!["a", "b"]]);
    let m = &b.post_processors[1][0];
    assert_eq!(
        (m.keep_input_artifact, m.component.name.as_deref()),
        (Some(true), Some("m"))
    );
    assert_eq!(m.only, ["docker"]);

    // Build time: the runner renders what was deferred.
    let mut ctx = build_context(&t, Path::new("/"));
    ctx.build_name = Some("web".into());
    ctx.build_type = Some("amazon-ebs".into());
    let inline = p
        .component
        .config
        .get("inline")
        .and_then(|v| v.as_list())
        .unwrap();
    assert_eq!(
        interpolate(inline[0].as_str().unwrap(), &ctx).unwrap(),
        "echo web amazon-ebs"
    );
}

#[test]
fn only_and_except_may_be_a_single_string() {
    // Packer decodes `only`/`except` weakly: one string is a one-element
    // list, and an unknown name is still located.
    let t = load(&format!(
        "{{\"builders\": [{NULL}],\n\"provisioners\": [{{\"type\": \"shell-local\", \"inline\": [\"true\"], \"only\": \"null\"}}],\n\"post-processors\": [{{\"type\": \"manifest\", \"except\": \"null\"}}]}}"
    ))
    .expect("valid");
    let b = &t.builds[0];
    assert_eq!(b.provisioners[0].only, ["null"]);
    assert_eq!(b.post_processors[0][0].except, ["null"]);
    let d = err(&format!(
        "{{\"builders\": [{NULL}],\n\"provisioners\": [\n{{\"type\": \"shell\", \"only\": \"nope\"}}]}}"
    ));
    let (line, col, s) = first(&d);
    assert_eq!(
        (line, col, s.as_str()),
        (3, 27, "Unknown builder in 'only'"),
        "{}",
        describe(&d)
    );
}

#[test]
fn invalid_meta_settings_are_located() {
    let cases = [
        (
            r#"{"type": "shell", "only": ["nope"]}"#,
            "Unknown builder in 'only'",
        ),
        (
            r#"{"type": "shell", "only": ["null"], "except": ["null"]}"#,
            "Conflicting only and except",
        ),
        (
            r#"{"type": "shell", "pause_before": "10"}"#,
            "Invalid pause_before",
        ),
        (r#"{"type": "shell", "timeout": "soon"}"#, "Invalid timeout"),
        (
            r#"{"type": "shell", "max_retries": -1}"#,
            "Invalid max_retries",
        ),
        (
            r#"{"type": "shell", "override": {"nope": {}}}"#,
            "Unknown builder in override",
        ),
        (r#"{"type": 5}"#, "Invalid provisioner type"),
        (r#""shell""#, "Invalid provisioner"),
    ];
    for (prov, summary) in cases {
        let d = err(&format!(
            "{{\"builders\": [{NULL}],\n\"provisioners\": [\n{prov}]}}"
        ));
        let (line, _, s) = first(&d);
        assert_eq!((line, s.as_str()), (3, summary), "{prov}: {}", describe(&d));
    }
    let d = err(&format!(
        "{{\"builders\": [{NULL}],\n\"post-processors\": [[[\"x\"]]]}}"
    ));
    assert_eq!(first(&d).2, "Invalid post-processor");
    let d = err(&format!("{{\"builders\": [{NULL}],\n\"post-processors\": [{{\"type\": \"x\", \"keep_input_artifact\": \"yes\"}}]}}"));
    assert_eq!(first(&d).2, "Invalid keep_input_artifact");
}

#[test]
fn syntax_only_skips_variables_and_version() {
    let text = r#"{"min_packer_version": "999.0", "variables": {"r": null}, "builders": [{"type": "null", "x": "{{user `r`}}"}]}"#;
    assert!(load(text).is_err());
    let t = load_with(text, |o| o.syntax_only = true).unwrap();
    assert_eq!(
        t.builds[0].sources[0].builder.config.get_str("x"),
        Some("{{user `r`}}")
    );
}

#[test]
fn malformed_json_reports_line_and_column() {
    let d = err("{\n  \"builders\": [\n    {\"type\": \"null\",}\n  ]\n}");
    assert_eq!(first(&d), (3, 21, "Invalid JSON".into()));
    assert!(
        d.0[0].detail.contains("line 3, column 21"),
        "{}",
        d.0[0].detail
    );
    let d = err("{\"builders\": [{\"type\": \"nu");
    assert_eq!(first(&d).2, "Invalid JSON");
}

#[test]
fn hostile_input_is_an_error_not_a_crash() {
    // Invalid UTF-8, located at the bad byte.
    let dir = Dir::new("utf8");
    dir.write("t.json", b"{\n \"builders\": [{\"type\": \"n\xc3\x28\"}]}");
    let d = load_json_template(Path::new("t.json"), &dir.opts()).unwrap_err();
    assert_eq!(first(&d), (2, 26, "Invalid UTF-8".into()));
    // Deep nesting.
    let deep = format!(
        "{{\"builders\": [{{\"type\": \"null\", \"x\": {}}}]}}",
        "[".repeat(500_000)
    );
    let d = err(&deep);
    assert!(d.0[0].detail.contains("max depth"), "{}", d.0[0].detail);
    // Huge string.
    let huge = format!(
        "{{\"builders\": [{{\"type\": \"null\", \"x\": \"{}\"}}]}}",
        "a".repeat(9 * 1024 * 1024)
    );
    let d = err(&huge);
    assert_eq!(first(&d).0, 1);
    assert!(
        d.0[0].detail.contains("string longer than"),
        "{}",
        d.0[0].detail
    );
    // Deeply nested template parentheses.
    let t = format!(
        "{{\"builders\": [{{\"type\": \"null\", \"x\": \"{{{{ {} }}}}\"}}]}}",
        "(".repeat(10_000)
    );
    assert_eq!(first(&err(&t)).2, "Failed to render template string");
    // Missing file.
    let dir = Dir::new("missing");
    let d = load_json_template(Path::new("nope.json"), &dir.opts()).unwrap_err();
    assert_eq!(d.0[0].summary, "Failed to read file");
}
