//! Component-specific rules, nested blocks in both forms, legacy JSON
//! typing and required plugins.

use std::collections::BTreeMap;

use super::{body, comp, rng};
use crate::diag::Diagnostic;
use crate::schema::*;
use crate::template::model::{ComponentKind, ConfigBlock, ConfigBody, RequiredPlugin};
use crate::template::Value;

fn s(v: &str) -> Value {
    Value::from(v)
}

fn map(pairs: &[(&str, Value)]) -> Value {
    Value::Map(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.clone()))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn strs(items: &[&str]) -> Value {
    Value::List(items.iter().map(|i| Value::from(*i)).collect())
}

fn errors(d: Vec<Diagnostic>) -> Vec<Diagnostic> {
    d.into_iter().filter(Diagnostic::is_error).collect()
}

fn block(kind: &str, line: usize, b: ConfigBody) -> ConfigBlock {
    ConfigBlock {
        kind: kind.into(),
        labels: vec![],
        body: b,
        range: Some(rng(line, 3, 3 + kind.len())),
    }
}

/// A minimal valid amazon-ebs configuration plus `extra`.
fn ebs(extra: &[(&str, Value)]) -> ConfigBody {
    let mut attrs = vec![
        ("region", s("us-east-1")),
        ("ami_name", s("x-{{timestamp}}")),
        ("instance_type", s("t3.micro")),
        ("source_ami", s("ami-123")),
        ("ssh_username", s("ubuntu")),
    ];
    attrs.extend(extra.iter().cloned());
    body(&attrs)
}

#[test]
fn amazon_ebs_minimal_is_clean() {
    let c = comp(ComponentKind::Builder, "amazon-ebs", ebs(&[]));
    assert_eq!(validate_component(&c), vec![]);
}

#[test]
fn amazon_ebs_did_you_mean() {
    let mut b = ebs(&[("instance_typ", s("t3.large"))]);
    b.attrs.remove("instance_type");
    let d = errors(validate_component(&comp(
        ComponentKind::Builder,
        "amazon-ebs",
        b,
    )));
    assert_eq!(d.len(), 2, "{d:?}");
    assert_eq!(d[0].summary, "Unsupported argument");
    assert_eq!(
        d[0].detail,
        "An argument named \"instance_typ\" is not expected here. Did you mean \"instance_type\"?"
    );
    assert_eq!(d[0].range, Some(rng(7, 3, 15)));
    assert_eq!(
        d[1].detail,
        "One of \"instance_type\" or \"spot_instance_types\" must be set."
    );
}

#[test]
fn amazon_ebs_source_ami_or_filter() {
    let mut b = ebs(&[]);
    b.attrs.remove("source_ami");
    let d = errors(validate_component(&comp(
        ComponentKind::Builder,
        "amazon-ebs",
        b.clone(),
    )));
    assert_eq!(d.len(), 1);
    assert_eq!(
        d[0].detail,
        "One of \"source_ami\" or \"source_ami_filter\" must be set."
    );
    // a filter block without owners
    let mut filter = body(&[("filters", map(&[("name", s("ubuntu/*"))]))]);
    filter.range = Some(rng(9, 3, 20));
    b.blocks.push(block("source_ami_filter", 9, filter));
    let d = errors(validate_component(&comp(
        ComponentKind::Builder,
        "amazon-ebs",
        b,
    )));
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(d[0].detail.starts_with("For security reasons"));
    assert_eq!(d[0].range, Some(rng(9, 3, 20)));
}

#[test]
fn json_style_nested_blocks_are_checked() {
    let c = comp(
        ComponentKind::Builder,
        "amazon-ebs",
        ebs(&[
            (
                "source_ami_filter",
                map(&[
                    ("filters", map(&[("name", s("ubuntu/*"))])),
                    ("owners", strs(&["099720109477"])),
                    ("most_recent", Value::Bool(true)),
                ]),
            ),
            (
                "launch_block_device_mappings",
                Value::List(vec![
                    map(&[("device_name", s("/dev/sda1")), ("volume_size", s("40"))]),
                    map(&[("device_name", s("/dev/sdb")), ("volume_sise", s("10"))]),
                ]),
            ),
        ]),
    );
    // native HCL syntax wants blocks
    let d = errors(validate_component(&c));
    assert_eq!(d.len(), 2, "{d:?}");
    assert_eq!(
        d[0].detail,
        "An argument named \"source_ami_filter\" is not expected here. Did you mean to define a block of type \"source_ami_filter\"?"
    );
    assert_eq!(d[0].range, Some(rng(7, 3, 20)));
    // HCL JSON syntax (and legacy JSON) write blocks as objects
    let mut c = c;
    if let Some(r) = c.type_range.as_mut() {
        r.filename = "t.pkr.json".into();
    }
    let d = errors(validate_component(&c));
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(
        d[0].detail,
        "An argument named \"volume_sise\" is not expected here. Did you mean \"volume_size\"?"
    );
    // located at the attribute's value (line 8: second extra attribute)
    assert_eq!(d[0].range, Some(rng(8, 20, 30)));
}

#[test]
fn single_blocks_may_not_repeat() {
    let mut b = ebs(&[]);
    let owners = body(&[("owners", strs(&["self"]))]);
    b.blocks.push(block("source_ami_filter", 8, owners.clone()));
    b.blocks.push(block("source_ami_filter", 12, owners));
    let d = errors(validate_component(&comp(
        ComponentKind::Builder,
        "amazon-ebs",
        b,
    )));
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].summary, "Duplicate source_ami_filter block");
    assert_eq!(
        d[0].detail,
        "Only one block of type \"source_ami_filter\" is allowed. Previous definition was at t.pkr.hcl:8,3."
    );
    assert_eq!(d[0].range, Some(rng(12, 3, 20)));
    // list blocks repeat freely
    let mut b = ebs(&[]);
    for line in [8, 9] {
        b.blocks.push(block(
            "tag",
            line,
            body(&[("key", s("k")), ("value", s("v"))]),
        ));
    }
    let c = comp(ComponentKind::Builder, "amazon-ebs", b);
    assert_eq!(validate_component(&c), vec![]);
}

#[test]
fn nested_enums_and_labels() {
    let mut b = ebs(&[]);
    let mut meta = block(
        "metadata_options",
        8,
        body(&[
            ("http_tokens", s("requird")),
            ("http_endpoint", s("enabled")),
        ]),
    );
    meta.labels = vec!["x".into()];
    b.blocks.push(meta);
    let d = errors(validate_component(&comp(
        ComponentKind::Builder,
        "amazon-ebs",
        b,
    )));
    assert_eq!(d.len(), 2, "{d:?}");
    // the nested body's attributes sit on lines 2.. in this test
    assert_eq!(d[1].summary, "Extraneous label for metadata_options");
    assert_eq!(d[0].summary, "Invalid value");
    assert_eq!(
        d[0].detail,
        "The value \"requird\" is not valid for \"http_tokens\"; expected one of \"optional\", \"required\". Did you mean \"required\"?"
    );
    assert_eq!(d[0].range, Some(rng(2, 20, 30)));
}

#[test]
fn ssh_interface_and_durations() {
    let c = comp(
        ComponentKind::Builder,
        "amazon-ebs",
        ebs(&[
            ("ssh_interface", s("public")),
            ("ssh_timeout", Value::Number(10.0)),
            ("windows_password_timeout", s("1h30m")),
        ]),
    );
    let d = errors(validate_component(&c));
    assert_eq!(d.len(), 2, "{d:?}");
    assert_eq!(d[0].summary, "Invalid value");
    assert_eq!(d[1].summary, "Invalid duration");
    assert!(d[1].detail.contains("missing unit in duration \"10\""));
    // legacy JSON: a number is a duration in nanoseconds
    assert_eq!(errors(validate_legacy_component(&c)).len(), 1);
}

#[test]
fn legacy_json_weak_typing() {
    let c = comp(
        ComponentKind::Builder,
        "amazon-ebs",
        ebs(&[
            ("ami_users", s("123456789012")),
            ("encrypt_boot", s("")),
            ("ena_support", Value::Number(1.0)),
            ("ami_regions", Value::List(vec![])),
        ]),
    );
    assert_eq!(validate_legacy_component(&c), vec![]);
    let d = errors(validate_component(&c));
    assert_eq!(d.len(), 3, "{d:?}");
    assert_eq!(
        d[0].detail,
        "Inappropriate value for attribute \"ami_users\": list of string required."
    );
    assert_eq!(
        d[1].detail,
        "Inappropriate value for attribute \"encrypt_boot\": a bool is required."
    );
    assert_eq!(
        d[2].detail,
        "Inappropriate value for attribute \"ena_support\": bool required."
    );
}

#[test]
fn conflicts_wait_for_known_values() {
    let c = comp(
        ComponentKind::Builder,
        "amazon-ebs",
        ebs(&[("user_data", Value::Unknown), ("user_data_file", s("x"))]),
    );
    assert_eq!(validate_component(&c), vec![]);
    let c = comp(
        ComponentKind::Builder,
        "amazon-ebs",
        ebs(&[("user_data", s("#!")), ("user_data_file", s("x"))]),
    );
    let d = errors(validate_component(&c));
    assert_eq!(d.len(), 1);
    assert_eq!(
        d[0].detail,
        "Only one of \"user_data\" or \"user_data_file\" may be set; \"user_data_file\" conflicts with \"user_data\"."
    );
    assert_eq!(d[0].range, Some(rng(8, 3, 17)));
}

#[test]
fn docker_commit_export_discard() {
    let none = comp(
        ComponentKind::Builder,
        "docker",
        body(&[("image", s("ubuntu"))]),
    );
    let d = errors(validate_component(&none));
    assert_eq!(d.len(), 1);
    assert_eq!(
        d[0].detail,
        "One of \"commit\", \"discard\" or \"export_path\" must be set."
    );
    let two = comp(
        ComponentKind::Builder,
        "docker",
        body(&[
            ("image", s("ubuntu")),
            ("commit", Value::Bool(true)),
            ("discard", Value::Bool(true)),
        ]),
    );
    let d = errors(validate_component(&two));
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].summary, "Conflicting arguments");
    // `commit = false` is Go's zero value: not set
    let ok = comp(
        ComponentKind::Builder,
        "docker",
        body(&[
            ("image", s("ubuntu")),
            ("commit", Value::Bool(false)),
            ("export_path", s("out.tar")),
        ]),
    );
    assert_eq!(validate_component(&ok), vec![]);
}

#[test]
fn file_provisioner_rules() {
    let c = comp(
        ComponentKind::Provisioner,
        "file",
        body(&[("source", s("a")), ("content", s("b"))]),
    );
    let d = errors(validate_component(&c));
    assert_eq!(d.len(), 2, "{d:?}");
    assert_eq!(d[0].summary, "Conflicting arguments");
    assert_eq!(
        d[1].detail,
        "The argument \"destination\" is required, but no definition was found."
    );
    let c = comp(
        ComponentKind::Provisioner,
        "file",
        body(&[
            ("sources", strs(&["a", "b"])),
            ("destination", s("/tmp/")),
            ("direction", s("upload")),
        ]),
    );
    assert_eq!(validate_component(&c), vec![]);
}

#[test]
fn shell_environment_vars_and_checksum_types() {
    let c = comp(
        ComponentKind::Provisioner,
        "shell",
        body(&[
            ("inline", strs(&["true"])),
            ("environment_vars", strs(&["A=1", "B"])),
        ]),
    );
    let d = errors(validate_component(&c));
    assert_eq!(d.len(), 1);
    assert_eq!(
        d[0].detail,
        "Environment variable not in format 'key=value': B"
    );
    let c = comp(
        ComponentKind::PostProcessor,
        "checksum",
        body(&[("checksum_types", strs(&["sha256", "sha257"]))]),
    );
    let d = errors(validate_component(&c));
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(d[0]
        .detail
        .starts_with("The value \"sha257\" is not valid for \"checksum_types\""));
}

#[test]
fn every_schema_is_well_formed() {
    for s in all() {
        let mut seen = std::collections::BTreeSet::new();
        for f in s.fields() {
            assert!(seen.insert(f.name), "{} repeats {}", s.type_name, f.name);
        }
        assert_eq!(
            s.plugin,
            plugins::plugin_for(s.kind, s.type_name).map(|p| p.source),
            "{}",
            s.type_name
        );
        assert_eq!(
            lookup(s.kind, s.type_name).map(|x| x.type_name),
            Some(s.type_name)
        );
    }
    let ebs = lookup(ComponentKind::Builder, "amazon-ebs").map(|s| s.fields().count());
    assert!(ebs.is_some_and(|n| n >= 150), "{ebs:?}");
}

fn req(source: &str, version: Option<&str>) -> RequiredPlugin {
    RequiredPlugin {
        local_name: "amazon".into(),
        source: source.into(),
        version: version.map(str::to_string),
        range: Some(rng(3, 5, 11)),
    }
}

#[test]
fn required_plugins() {
    let p = check_required_plugin(&req("github.com/hashicorp/amazon", Some(">= 1.2.0")));
    assert_eq!(p.map(|p| p.name).ok(), Some("amazon"));
    assert!(check_required_plugin(&req("github.com/hashicorp/amazon", Some("~> 1"))).is_ok());
    assert!(check_required_plugin(&req("github.com/hashicorp/amazon", None)).is_ok());

    let e = check_required_plugin(&req("github.com/hashicorp/amazon", Some(">= 9.0")));
    let e = e.err().map(|d| (d.summary, d.range));
    assert_eq!(
        e,
        Some((
            "Unsatisfied plugin version for \"amazon\"".to_string(),
            Some(rng(3, 5, 11))
        ))
    );

    let e = check_required_plugin(&req("github.com/hashicorp/azure", Some(">= 1")));
    let d = e.err();
    assert_eq!(
        d.as_ref().map(|d| d.summary.as_str()),
        Some("Missing plugin \"amazon\"")
    );
    assert!(d
        .as_ref()
        .is_some_and(|d| d.detail.contains("github.com/hashicorp/azure")));

    let e = check_required_plugin(&req("github.com/hashicorp/amazon", Some(">= banana")));
    assert_eq!(
        e.err().map(|d| d.summary),
        Some("Invalid version constraint".to_string())
    );
}

#[test]
fn amazon_run_rules() {
    let d = errors(validate_component(&comp(
        ComponentKind::Builder,
        "amazon-ebs",
        ebs(&[
            ("spot_tags", map(&[("a", s("b"))])),
            ("ssh_interface", s("session_manager")),
            ("block_duration_minutes", Value::Number(90.0)),
            ("temporary_key_pair_type", s("dsa")),
        ]),
    )));
    let details: Vec<&str> = d.iter().map(|d| d.detail.as_str()).collect();
    assert_eq!(
        details,
        vec![
            "temporary_key_pair_type requires either rsa or ed25519 as its value",
            "spot_tags should not be set when not requesting a spot instance",
            "no iam_instance_profile defined; session_manager connectivity requires a valid instance profile with AmazonSSMManagedInstanceCore permissions. Alternatively a temporary_iam_instance_profile_policy_document can be used.",
            "block_duration_minutes must be multiple of 60",
        ]
    );
    // a spot price makes spot tags fine; an unknown one defers the check
    for price in [s("0.05"), Value::Unknown] {
        let c = comp(
            ComponentKind::Builder,
            "amazon-ebs",
            ebs(&[("spot_tags", map(&[("a", s("b"))])), ("spot_price", price)]),
        );
        assert_eq!(validate_component(&c), vec![]);
    }
}

#[test]
fn spot_price_auto_needs_no_auto_product() {
    // Packer accepts `spot_price = "auto"` alone (spot_price_auto_product
    // is deprecated); the reverse rule still holds.
    let auto = comp(
        ComponentKind::Builder,
        "amazon-ebs",
        ebs(&[("spot_price", s("auto"))]),
    );
    assert_eq!(validate_component(&auto), vec![]);
    let product_without_auto = comp(
        ComponentKind::Builder,
        "amazon-ebs",
        ebs(&[
            ("spot_price", s("0.05")),
            ("spot_price_auto_product", s("Linux/UNIX")),
        ]),
    );
    let d = errors(validate_component(&product_without_auto));
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(
        d[0].detail,
        "spot_price should be set to auto when spot_price_auto_product is specified"
    );
}

#[test]
fn amazon_ami_name_rules() {
    let mut b = ebs(&[]);
    if let Some(a) = b.attrs.get_mut("ami_name") {
        a.value = s("my image: v1");
    }
    let d = errors(validate_component(&comp(
        ComponentKind::Builder,
        "amazon-ebs",
        b.clone(),
    )));
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(d[0].detail.starts_with("AMIName should only contain"));
    assert_eq!(d[0].range, Some(rng(3, 20, 30)));
    // skip_create_ami: no name needed
    b.attrs.remove("ami_name");
    let mut with_skip = b.clone();
    with_skip.attrs.insert(
        "skip_create_ami".into(),
        crate::template::model::ConfigAttr {
            value: Value::Bool(true),
            name_range: None,
            value_range: None,
        },
    );
    let c = comp(ComponentKind::Builder, "amazon-ebs", with_skip);
    assert_eq!(validate_component(&c), vec![]);
    let d = errors(validate_component(&comp(
        ComponentKind::Builder,
        "amazon-ebs",
        b,
    )));
    assert_eq!(
        d[0].detail,
        "The argument \"ami_name\" is required, but no definition was found."
    );
}

#[test]
fn amazon_ami_data_source() {
    let ok = comp(
        ComponentKind::DataSource,
        "amazon-ami",
        body(&[
            ("filters", map(&[("name", s("ubuntu/*"))])),
            ("owners", strs(&["amazon"])),
            ("most_recent", Value::Bool(true)),
            ("region", s("eu-west-1")),
        ]),
    );
    assert_eq!(validate_component(&ok), vec![]);
    let no_owner = comp(
        ComponentKind::DataSource,
        "amazon-ami",
        body(&[("filters", map(&[("name", s("ubuntu/*"))]))]),
    );
    let d = errors(validate_component(&no_owner));
    assert_eq!(d.len(), 1);
    assert!(d[0].detail.starts_with("For security reasons"));
}

#[test]
fn communicator_rules() {
    // amazon-ebs defaults to ssh: a user is needed
    let mut b = ebs(&[]);
    b.attrs.remove("ssh_username");
    let d = errors(validate_component(&comp(
        ComponentKind::Builder,
        "amazon-ebs",
        b.clone(),
    )));
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(d[0]
        .detail
        .starts_with("The argument \"ssh_username\" is required"));
    // winrm needs winrm_username instead
    let mut w = b.clone();
    w.attrs.insert(
        "communicator".into(),
        crate::template::model::ConfigAttr {
            value: s("winrm"),
            name_range: None,
            value_range: None,
        },
    );
    let d = errors(validate_component(&comp(
        ComponentKind::Builder,
        "amazon-ebs",
        w,
    )));
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(d[0]
        .detail
        .starts_with("The argument \"winrm_username\" is required"));

    // null: none needs nothing; ssh needs host, user, one auth method
    let none = comp(
        ComponentKind::Builder,
        "null",
        body(&[("communicator", s("none"))]),
    );
    assert_eq!(validate_component(&none), vec![]);
    let ssh = comp(
        ComponentKind::Builder,
        "null",
        body(&[
            ("ssh_host", s("10.0.0.1")),
            ("ssh_username", s("root")),
            ("ssh_password", s("x")),
            ("ssh_private_key_file", s("k")),
        ]),
    );
    let d = errors(validate_component(&ssh));
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(
        d[0].detail,
        "only one of ssh_agent_auth, ssh_password, and ssh_private_key_file must be specified"
    );
    let bare = comp(ComponentKind::Builder, "null", body(&[]));
    assert_eq!(errors(validate_component(&bare)).len(), 3);
}
