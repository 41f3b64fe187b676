//! The amazon-ebs rules the plugin's `Prepare` (RunConfig, AMIConfig)
//! enforces without talking to AWS. Messages are the plugin's.

use crate::schema::check::Checker;
use crate::template::Value;

/// Run config rules.
pub fn run(c: &mut Checker<'_>) {
    let source_ami = c.is_set("source_ami");
    c.at_least_one(&["source_ami", "source_ami_filter"]);
    if !source_ami {
        for filter in c.nested("source_ami_filter") {
            c.with_nested(&filter, require_owner);
        }
    }
    c.at_least_one(&["instance_type", "spot_instance_types"]);
    c.at_most_one(&["instance_type", "spot_instance_types"]);
    c.at_most_one(&["user_data", "user_data_file"]);
    c.at_most_one(&["security_group_id", "security_group_ids"]);
    c.at_most_one(&["capacity_reservation_id", "capacity_reservation_group_arn"]);
    for target in ["capacity_reservation_id", "capacity_reservation_group_arn"] {
        c.at_most_one(&[target, "capacity_reservation_preference"]);
    }

    if let Some(t) = c.string("temporary_key_pair_type") {
        if !t.is_empty() && t != "rsa" && t != "ed25519" {
            let range = c.value_range("temporary_key_pair_type");
            c.error(
                "Invalid value",
                "temporary_key_pair_type requires either rsa or ed25519 as its value",
                range,
            );
        }
    }

    for meta in c.nested("metadata_options") {
        c.with_nested(&meta, |m| {
            if let Some(n) = m.value("http_put_response_hop_limit").and_then(number) {
                if n != 0.0 && !(1.0..=64.0).contains(&n) {
                    let range = m.value_range("http_put_response_hop_limit");
                    m.error(
                        "Invalid value",
                        "http_put_response_hop_limit requires a number between 1 and 64",
                        range,
                    );
                }
            }
        });
    }

    spot(c);
    session_manager(c);

    if let Some(n) = c.value("block_duration_minutes").and_then(number) {
        if n % 60.0 != 0.0 {
            let range = c.value_range("block_duration_minutes");
            c.error(
                "Invalid value",
                "block_duration_minutes must be multiple of 60",
                range,
            );
        }
    }

    let placement_tenancy = c
        .nested("placement")
        .iter()
        .any(|p| crate::schema::validate::is_known_set(p, "tenancy"));
    if placement_tenancy && c.is_known_set("tenancy") {
        let range = c.name_range("tenancy");
        c.error(
            "Conflicting arguments",
            "Error: Please set only one of placement.tenancy and tenancy (deprecated)",
            range,
        );
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => Some(*n),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Spot settings: tags only with a spot price, `auto` prices need a
/// product.
fn spot(c: &mut Checker<'_>) {
    let price = c.string("spot_price");
    let price_unknown = c.value("spot_price").is_some_and(Value::is_unknown);
    let is_spot = price.as_deref().is_some_and(|p| !p.is_empty() && p != "0");
    if !price_unknown && !is_spot {
        for tags in ["spot_tags", "spot_tag", "fleet_tags", "fleet_tag"] {
            if c.is_known_set(tags) {
                let range = c.name_range(tags);
                let base = tags.trim_end_matches('s');
                c.error(
                    "Invalid configuration",
                    format!("{base}s should not be set when not requesting a spot instance"),
                    range,
                );
            }
        }
    }
    // `spot_price = "auto"` alone is valid: the plugin deprecated
    // `spot_price_auto_product` and no longer requires it.
    if c.is_known_set("spot_price_auto_product")
        && !price_unknown
        && price.as_deref() != Some("auto")
    {
        let range = c.name_range("spot_price_auto_product");
        c.error(
            "Invalid configuration",
            "spot_price should be set to auto when spot_price_auto_product is specified",
            range,
        );
    }
}

fn session_manager(c: &mut Checker<'_>) {
    if c.string("ssh_interface").as_deref() != Some("session_manager") {
        return;
    }
    if c.string("communicator").as_deref() == Some("winrm") {
        let range = c.value_range("ssh_interface");
        c.error(
            "Invalid configuration",
            "session_manager connectivity is not supported with the \"winrm\" communicator; please use \"ssh\"",
            range,
        );
    }
    if !c.is_set("iam_instance_profile")
        && !c.is_set("temporary_iam_instance_profile_policy_document")
    {
        let range = c.value_range("ssh_interface");
        c.error(
            "Missing required argument",
            "no iam_instance_profile defined; session_manager connectivity requires a valid instance profile with AmazonSSMManagedInstanceCore permissions. Alternatively a temporary_iam_instance_profile_policy_document can be used.",
            range,
        );
    }
}

/// An AMI filter must name an owner when no `source_ami` is given.
pub fn require_owner(c: &mut Checker<'_>) {
    let owners_empty = matches!(c.value("owners"), Some(Value::List(v)) if v.is_empty());
    if !c.is_set("owners") || owners_empty {
        let range = c.body.range.clone();
        c.error(
            "Missing required argument",
            "For security reasons, your source AMI filter must declare an owner.",
            range,
        );
    }
}

/// AMI config rules.
pub fn ami(c: &mut Checker<'_>) {
    if c.bool("skip_create_ami") == Some(true) {
        return;
    }
    c.require("ami_name");
    let Some(name) = c.string("ami_name").filter(|n| !n.contains("{{")) else {
        return;
    };
    if name.is_empty() {
        return;
    }
    let len = name.chars().count();
    if !(3..=128).contains(&len) {
        let range = c.value_range("ami_name");
        c.error(
            "Invalid value",
            "ami_name must be between 3 and 128 characters long",
            range,
        );
    }
    let allowed = |ch: char| ch.is_ascii_alphanumeric() || "()[] ./-'@_".contains(ch);
    if !name.chars().all(allowed) {
        let range = c.value_range("ami_name");
        c.error(
            "Invalid value",
            "AMIName should only contain alphanumeric characters, parentheses (()), square brackets ([]), spaces ( ), periods (.), slashes (/), dashes (-), single quotes ('), at-signs (@), or underscores(_). You can use the `clean_resource_name` template filter to automatically clean your ami name.",
            range,
        );
    }
}
