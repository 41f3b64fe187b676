//! `kiln build` with the `amazon-ebs` builder against a private
//! `moto_server` (a real EC2 API implementation) and a private OpenSSH
//! sshd standing in for the instance (`ssh_host`/`ssh_port` override;
//! moto's instances have fake addresses). A thread plays cloud-init: it
//! authorizes every key pair moto knows (DescribeKeyPairs with
//! IncludePublicKey) in the sshd's authorized_keys. Every test asserts
//! moto's state through the EC2 API afterwards: no instance, key pair,
//! security group or volume left behind.

mod ebs_support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ebs_support::*;

/// `shared/seeds/guide-en-02.pkr.hcl` end to end: the source AMI found by
/// `source_ami_filter` (most recent of two jammy images), temporary key
/// pair and security group, five provisioners (shell inline, two shell
/// scripts, ansible, shell inline) over SSH, then the AMI with its tags.
#[test]
fn guide_en_02_builds_against_moto_and_sshd() {
    let Some(cloud) = Cloud::start() else { return };
    let Some(ansible) = ansible_bin() else { return };
    let Some(dir) = guide_dir(&cloud) else { return };
    let out = cloud
        .kiln(dir.path(), &["build", "-color=false", "t.pkr.hcl"])
        .env("PATH", path_with(&ansible))
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}\n{}", cloud.sshd_log());
    let b = "==> ubuntu-build.amazon-ebs.ubuntu:";
    for line in [
        format!("{b} Prevalidating AMI Name: custom-ubuntu-"),
        format!("ubuntu-build.amazon-ebs.ubuntu: Found Image ID: {JAMMY_NEW}"),
        format!("{b} Creating temporary keypair: packer_"),
        format!("{b} Creating temporary security group for this instance: packer_"),
        format!("{b} Authorizing access to port "),
        format!("{b} Launching a source AWS instance..."),
        format!("{b} Waiting for instance (i-"),
        format!("{b} Using ssh communicator to connect: 127.0.0.1"),
        format!("{b} Connected to SSH!"),
        format!("{b} Provisioning with shell script: scripts/install-docker.sh"),
        format!("{b} Stopping the source instance..."),
        format!("{b} Creating AMI custom-ubuntu-"),
        format!("{b} Waiting for AMI to become ready..."),
        format!("{b} Terminating the source AWS instance..."),
        format!("{b} Deleting temporary security group..."),
        format!("{b} Deleting temporary keypair..."),
        "--> ubuntu-build.amazon-ebs.ubuntu: AMIs were created:\nus-west-2: ami-".to_string(),
    ] {
        assert!(all.contains(&line), "{line:?} not in:\n{all}");
    }
    // The provisioners ran, in order, on the "instance".
    let calls = cloud.stub_calls();
    let want = [
        "sudo apt-get update",
        "sudo apt-get upgrade -y",
        "sudo apt-get install -y curl wget unzip jq",
        "install-docker ran",
        "install-monitoring ran",
        "sudo apt-get autoremove -y",
        "sudo rm -rf /tmp/*",
    ];
    let mut at = 0;
    for w in want {
        let pos = calls[at..]
            .iter()
            .position(|c| c == w)
            .unwrap_or_else(|| panic!("{w:?} not after position {at} in {calls:?}"));
        at += pos + 1;
    }
    assert!(all.contains("hardening stand-in ran"), "{all}");
    // The AMI, as moto has it.
    let images = cloud.own_images();
    assert_eq!(images.len(), 1, "{images:?}");
    let img = &images[0];
    assert!(
        img.name.starts_with("custom-ubuntu-")
            && img.name["custom-ubuntu-".len()..]
                .chars()
                .all(|c| c.is_ascii_digit()),
        "{img:?}"
    );
    assert!(all.contains(&format!("us-west-2: {}", img.id)), "{all}");
    assert_eq!(
        img.tags.get("Base_AMI").map(String::as_str),
        Some(JAMMY_NEW)
    );
    assert_eq!(img.tags.get("Name"), Some(&img.name));
    assert_eq!(
        img.tags.get("Environment").map(String::as_str),
        Some("production")
    );
    assert_eq!(
        img.tags.get("OS_Version").map(String::as_str),
        Some("Ubuntu 22.04")
    );
    assert_eq!(img.tags.get("Built_By").map(String::as_str), Some("Packer"));
    // The instance was launched from the filter's most recent image with
    // Packer's default Name tag, and is gone.
    let instances = cloud.instances();
    assert_eq!(instances.len(), 1, "{instances:?}");
    assert_eq!(instances[0].image, JAMMY_NEW);
    assert_eq!(instances[0].state, "terminated");
    assert_eq!(
        instances[0].tags.get("Name").map(String::as_str),
        Some("Packer Builder")
    );
    cloud.assert_nothing_left();
}

/// A machine that never answers SSH: a clear timeout, non-zero exit, and
/// everything temporary removed.
#[test]
fn ssh_never_reachable_times_out_and_cleans_up() {
    let Some(cloud) = Cloud::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let closed = kiln_peers::free_port();
    std::fs::write(
        dir.path().join("t.pkr.hcl"),
        small_template(
            &cloud,
            "unreachable-{{timestamp}}",
            &format!("ssh_port = {closed}\n  ssh_timeout = \"3s\""),
            "",
        ),
    )
    .unwrap();
    let out = cloud
        .kiln(dir.path(), &["build", "-color=false", "t.pkr.hcl"])
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("Timeout waiting for SSH."), "{all}");
    assert!(
        all.contains("Terminating the source AWS instance..."),
        "{all}"
    );
    assert!(cloud.own_images().is_empty());
    cloud.assert_nothing_left();
}

/// A second build with the same AMI name fails before launching anything
/// unless `-force` is given; with it the old AMI is replaced.
#[test]
fn ami_name_collision_needs_force() {
    let Some(cloud) = Cloud::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.pkr.hcl"),
        small_template(&cloud, "fixed-name", "", ""),
    )
    .unwrap();
    let first = cloud
        .kiln(dir.path(), &["build", "-color=false", "t.pkr.hcl"])
        .output()
        .unwrap();
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    let old = cloud.own_images();
    assert_eq!(old.len(), 1);
    let launched = cloud.instances().len();

    let second = cloud
        .kiln(dir.path(), &["build", "-color=false", "t.pkr.hcl"])
        .output()
        .unwrap();
    let all = text(&second);
    assert_eq!(second.status.code(), Some(1), "{all}");
    assert!(
        all.contains(&format!(
            "Error: AMI Name: 'fixed-name' is used by an existing AMI: {}",
            old[0].id
        )),
        "{all}"
    );
    assert_eq!(cloud.instances().len(), launched, "nothing launched");
    assert!(!all.contains("Creating temporary keypair"), "{all}");
    cloud.assert_nothing_left();

    let forced = cloud
        .kiln(
            dir.path(),
            &["build", "-force", "-color=false", "t.pkr.hcl"],
        )
        .output()
        .unwrap();
    let all = text(&forced);
    assert_eq!(forced.status.code(), Some(0), "{all}");
    assert!(
        all.contains(&format!("Deregistered AMI id: {}", old[0].id)),
        "{all}"
    );
    let new = cloud.own_images();
    assert_eq!(new.len(), 1, "{new:?}");
    assert_ne!(new[0].id, old[0].id);
    cloud.assert_nothing_left();
}

/// Throttling and 5xx on the way (a loopback proxy in front of moto
/// answers some requests with AWS-shaped errors): the SDK retries with
/// backoff, the build succeeds, nothing is left.
#[test]
fn throttling_and_5xx_are_retried() {
    let Some(cloud) = Cloud::start() else { return };
    // Requests 2, 3 (RequestLimitExceeded) and every 4th after that up to
    // 40 (503 ServiceUnavailable) fail.
    let proxy = FaultProxy::start(cloud.moto.port(), |n| match n {
        2 | 3 => Some(Fault::Throttle),
        n if n > 3 && n <= 40 && n % 4 == 0 => Some(Fault::Unavailable),
        _ => None,
    });
    let dir = tempfile::tempdir().unwrap();
    let t = small_template(&cloud, "retried-{{timestamp}}", "", "")
        .replace(&cloud.moto.endpoint(), &proxy.endpoint());
    std::fs::write(dir.path().join("t.pkr.hcl"), t).unwrap();
    let out = cloud
        .kiln(dir.path(), &["build", "-color=false", "t.pkr.hcl"])
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        proxy.injected() >= 5,
        "only {} faults injected",
        proxy.injected()
    );
    assert_eq!(cloud.own_images().len(), 1);
    cloud.assert_nothing_left();
}

/// An EC2 endpoint that only ever answers 503: a clear error naming the
/// failure, non-zero exit, nothing created.
#[test]
fn persistent_5xx_fails_clearly() {
    let Some(cloud) = Cloud::start() else { return };
    let proxy = FaultProxy::start(cloud.moto.port(), |_| Some(Fault::Unavailable));
    let dir = tempfile::tempdir().unwrap();
    let t = small_template(&cloud, "never-{{timestamp}}", "", "max_retries = 2")
        .replace(&cloud.moto.endpoint(), &proxy.endpoint());
    std::fs::write(dir.path().join("t.pkr.hcl"), t).unwrap();
    let out = cloud
        .kiln(dir.path(), &["build", "-color=false", "t.pkr.hcl"])
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("ServiceUnavailable"), "{all}");
    assert_eq!(proxy.injected(), 3, "one call, two retries");
    cloud.assert_nothing_left();
}

/// No credentials anywhere: the build fails before any request reaches
/// EC2, with a message saying where credentials are looked for.
#[test]
fn missing_credentials_fail_before_anything_is_created() {
    let Some(cloud) = Cloud::start() else { return };
    // Every request kiln sends goes through this proxy: none may arrive.
    let proxy = FaultProxy::start(cloud.moto.port(), |_| None);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.pkr.hcl"),
        small_template(&cloud, "nocreds-{{timestamp}}", "", "")
            .replace(&cloud.moto.endpoint(), &proxy.endpoint()),
    )
    .unwrap();
    let out = cloud
        .kiln(dir.path(), &["build", "-color=false", "t.pkr.hcl"])
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.path().join("none"))
        .env("AWS_CONFIG_FILE", dir.path().join("none"))
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("Error validating AWS credentials"), "{all}");
    assert!(all.contains("AWS_ACCESS_KEY_ID"), "{all}");
    assert_eq!(proxy.forwarded(), 0, "no request reached EC2");
    cloud.assert_nothing_left();

    // The same build with credentials goes through the same proxy.
    let out = cloud
        .kiln(dir.path(), &["build", "-color=false", "t.pkr.hcl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(proxy.forwarded() > 10, "{}", proxy.forwarded());
}

/// SIGINT at several points of a build (as soon as a given line is
/// printed): the build stops with exit 1 and moto is left clean.
#[test]
fn sigint_at_each_step_leaves_nothing() {
    let Some(cloud) = Cloud::start() else { return };
    for trigger in [
        "Found Image ID:",
        "Creating temporary keypair:",
        "Creating temporary security group",
        "Launching a source AWS instance...",
        "Connected to SSH!",
        "sleeping in the provisioner",
        "Stopping the source instance...",
        "Creating AMI ",
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("t.pkr.hcl"),
            small_template(&cloud, "sigint-{{timestamp}}", "", "").replace(
                "inline = [\"echo provisioned\"]",
                "inline = [\"echo sleeping in the provisioner\", \"sleep 1\"]",
            ),
        )
        .unwrap();
        let mut child = cloud
            .kiln(dir.path(), &["build", "-color=false", "t.pkr.hcl"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut seen = String::new();
        let mut sent = false;
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            seen.push_str(&line);
            seen.push('\n');
            if !sent && line.contains(trigger) {
                unsafe_kill_int(child.id());
                sent = true;
            }
        }
        let status = child.wait().unwrap();
        assert!(sent, "{trigger:?} never printed:\n{seen}");
        assert_eq!(status.code(), Some(1), "{trigger}:\n{seen}");
        assert!(
            seen.contains("Cleanly cancelled builds after being interrupted."),
            "{trigger}:\n{seen}"
        );
        assert!(
            cloud.own_images().is_empty(),
            "{trigger}: AMI left:\n{seen}"
        );
        cloud.assert_nothing_left();
    }
}

/// `-on-error=abort` leaves the temporary resources in place and lists
/// them.
#[test]
fn on_error_abort_leaves_and_lists_resources() {
    let Some(cloud) = Cloud::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.pkr.hcl"),
        small_template(&cloud, "abort-{{timestamp}}", "", "")
            .replace("inline = [\"echo provisioned\"]", "inline = [\"exit 3\"]"),
    )
    .unwrap();
    let out = cloud
        .kiln(
            dir.path(),
            &["build", "-color=false", "-on-error=abort", "t.pkr.hcl"],
        )
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    for left in [
        "Left in place (-on-error=abort): source instance",
        "Left in place (-on-error=abort): temporary security group packer_",
        "Left in place (-on-error=abort): temporary key pair packer_",
    ] {
        assert!(all.contains(left), "{left:?} not in:\n{all}");
    }
    let left = cloud.leftovers();
    assert!(
        left.iter().any(|l| l.starts_with("instance i-")),
        "{left:?}"
    );
    assert!(
        left.iter().any(|l| l.starts_with("key pair packer_")),
        "{left:?}"
    );
    assert!(
        left.iter().any(|l| l.starts_with("security group packer_")),
        "{left:?}"
    );
}

/// The `amazon-ami` data source feeds `source_ami`: same filter logic.
#[test]
fn amazon_ami_data_source_selects_the_most_recent_image() {
    let Some(cloud) = Cloud::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let t = format!(
        r#"data "amazon-ami" "jammy" {{
  region              = "us-west-2"
  custom_endpoint_ec2 = "{ep}"
  skip_metadata_api_check = true
  filters = {{
    name = "ubuntu/images/*ubuntu-jammy-22.04-amd64-server-*"
  }}
  owners      = ["099720109477"]
  most_recent = true
}}
source "amazon-ebs" "t" {{
  region              = "us-west-2"
  custom_endpoint_ec2 = "{ep}"
  skip_metadata_api_check = true
  source_ami    = data.amazon-ami.jammy.id
  instance_type = "t3.micro"
  ami_name      = "from-data-{{{{timestamp}}}}"
  communicator  = "none"
  tags = {{
    Source = "${{data.amazon-ami.jammy.name}}"
  }}
}}
build {{
  sources = ["source.amazon-ebs.t"]
}}
"#,
        ep = cloud.moto.endpoint()
    );
    std::fs::write(dir.path().join("t.pkr.hcl"), t).unwrap();
    let out = cloud
        .kiln(dir.path(), &["build", "-color=false", "t.pkr.hcl"])
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        all.contains(&format!("Found Image ID: {JAMMY_NEW}")),
        "{all}"
    );
    let images = cloud.own_images();
    assert_eq!(
        images[0].tags.get("Source").map(String::as_str),
        Some(JAMMY_NEW_NAME)
    );
    cloud.assert_nothing_left();

    // Two matches without most_recent: the plugin's error.
    std::fs::write(
        dir.path().join("t.pkr.hcl"),
        std::fs::read_to_string(dir.path().join("t.pkr.hcl"))
            .unwrap()
            .replace("most_recent = true", "most_recent = false"),
    )
    .unwrap();
    let out = cloud
        .kiln(dir.path(), &["build", "-color=false", "t.pkr.hcl"])
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("Your query returned more than one result"),
        "{all}"
    );
}

/// Region copies, sharing and snapshot tags, and the manifest's
/// `artifact_id` (sorted `region:ami` pairs).
#[test]
fn ami_regions_users_and_manifest() {
    let Some(cloud) = Cloud::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let t = small_template(
        &cloud,
        "copied-{{timestamp}}",
        "",
        "ami_regions = [\"us-east-1\", \"eu-west-1\"]\n  ami_users = [\"111122223333\"]\n  snapshot_tags = {\n    Region = \"{{ .BuildRegion }}\"\n  }",
    )
    .replace(
        "build {\n",
        "build {\n  post-processor \"manifest\" {\n    output = \"manifest.json\"\n  }\n",
    );
    std::fs::write(dir.path().join("t.pkr.hcl"), t).unwrap();
    let start = Instant::now();
    let out = cloud
        .kiln(dir.path(), &["build", "-color=false", "t.pkr.hcl"])
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(start.elapsed() < Duration::from_secs(300));
    let mut ids = Vec::new();
    for region in ["eu-west-1", "us-east-1", "us-west-2"] {
        let imgs = cloud.own_images_in(region);
        assert_eq!(imgs.len(), 1, "{region}: {imgs:?}");
        assert!(all.contains(&format!("{region}: {}", imgs[0].id)), "{all}");
        ids.push(format!("{region}:{}", imgs[0].id));
        assert_eq!(cloud.launch_users(region, &imgs[0].id), ["111122223333"]);
        assert_eq!(
            cloud.snapshot_tag(region, &imgs[0].id, "Region").as_deref(),
            Some(region)
        );
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["builds"][0]["artifact_id"], ids.join(","));
    assert_eq!(manifest["builds"][0]["builder_type"], "amazon-ebs");
    cloud.assert_nothing_left();
}

/// Packer 1.6.6's `amazon-ebs` on the same template against the same
/// moto and sshd, then kiln: the same AMI tags (`{{ .SourceAMI }}`
/// rendered), the same instance (source image, Name tag), the same
/// commands on the machine, the same builder steps in the output (ids,
/// numbers and the build name's prefix normalised), nothing left by
/// either. The template is the seed without `packer {}` (1.6.6 rejects
/// `required_plugins`) and without the ansible provisioner (Packer
/// 1.6.6's proxy adapter predates the installed ansible-core).
#[test]
fn packer_differential_on_the_same_moto() {
    if !packer_available() {
        return;
    }
    let Some(cloud) = Cloud::start() else { return };
    let Some(dir) = guide_dir(&cloud) else { return };
    let t = std::fs::read_to_string(dir.path().join("t.pkr.hcl")).unwrap();
    let start = t.find("packer {").unwrap();
    let end = start + t[start..].find("\n}\n").unwrap() + 3;
    let t = format!("{}{}", &t[..start], &t[end..]);
    let a = t.find("  # Security hardening").unwrap();
    let b = a + t[a..].find("  }\n").unwrap() + 4;
    let t = format!("{}{}", &t[..a], &t[b..]);
    std::fs::write(dir.path().join("t.pkr.hcl"), t).unwrap();

    let run = |program: &str, name: &str| {
        let mut c = cloud.kiln(
            dir.path(),
            &[
                "build",
                "-color=false",
                "-var",
                &format!("ami_name={name}-{{{{timestamp}}}}"),
                "t.pkr.hcl",
            ],
        );
        if program == "packer" {
            c = {
                let mut p = Command::new("packer");
                p.args([
                    "build",
                    "-color=false",
                    "-var",
                    &format!("ami_name={name}-{{{{timestamp}}}}"),
                    "t.pkr.hcl",
                ])
                .current_dir(dir.path())
                .env_remove("PACKER_LOG")
                .env("AWS_ACCESS_KEY_ID", "testing")
                .env("AWS_SECRET_ACCESS_KEY", "testing")
                .env("AWS_EC2_METADATA_DISABLED", "true")
                .env("CHECKPOINT_DISABLE", "1")
                .stdin(Stdio::null());
                p
            };
        }
        let before = cloud.stub_calls().len();
        let out = c.output().unwrap();
        let calls = cloud.stub_calls()[before..].to_vec();
        (out, calls)
    };
    let (p_out, p_calls) = run("packer", "packer");
    let p_all = text(&p_out);
    assert_eq!(p_out.status.code(), Some(0), "packer:\n{p_all}");
    cloud.assert_nothing_left();
    let (k_out, k_calls) = run("kiln", "kiln");
    let k_all = text(&k_out);
    assert_eq!(k_out.status.code(), Some(0), "kiln:\n{k_all}");
    cloud.assert_nothing_left();

    assert_eq!(k_calls, p_calls, "commands run on the machine");
    let images = cloud.own_images();
    let p_img = images
        .iter()
        .find(|i| i.name.starts_with("packer-"))
        .expect("packer's AMI");
    let k_img = images
        .iter()
        .find(|i| i.name.starts_with("kiln-"))
        .expect("kiln's AMI");
    let without_name = |t: &BTreeMap<String, String>| {
        let mut t = t.clone();
        t.remove("Name");
        t
    };
    assert_eq!(without_name(&k_img.tags), without_name(&p_img.tags));
    assert_eq!(k_img.tags.get("Name"), Some(&k_img.name));
    assert_eq!(p_img.tags.get("Name"), Some(&p_img.name));
    assert_eq!(
        k_img.name.len(),
        p_img.name.len() - "packer".len() + "kiln".len()
    );
    let instances = cloud.instances();
    assert_eq!(instances.len(), 2);
    assert_eq!(instances[0].image, instances[1].image);
    assert_eq!(instances[0].tags, instances[1].tags);
    assert!(instances.iter().all(|i| i.state == "terminated"));
    for all in [&p_all, &k_all] {
        assert!(all.contains("AMIs were created:\nus-west-2: ami-"), "{all}");
    }
    // The builder's own steps, in order.
    let steps = |all: &str| -> Vec<String> {
        all.lines()
            .filter(|l| l.starts_with("==> ") && l.contains("amazon-ebs.ubuntu: "))
            .map(|l| l.split_once("amazon-ebs.ubuntu: ").unwrap().1)
            .filter(|l| !l.starts_with("Provisioning with"))
            .map(normalise)
            .collect()
    };
    let (ps, ks) = (steps(&p_all), steps(&k_all));
    assert_eq!(ks, ps, "\npacker:\n{p_all}\nkiln:\n{k_all}");
}

fn normalise(line: &str) -> String {
    line.split(' ')
        .map(|w| {
            if w.chars().any(|c| c.is_ascii_digit()) {
                "#".to_string()
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn packer_available() -> bool {
    let ok = Command::new("packer")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok || std::env::var_os("KILN_REQUIRE_PACKER").is_none(),
        "KILN_REQUIRE_PACKER is set but packer is not installed"
    );
    ok
}

/// `spot_price`: a temporary launch template and an instant fleet of one
/// spot instance (Packer's StepRunSpotInstance); both are gone after the
/// build, the AMI is made from the spot instance.
#[test]
fn spot_instance_through_an_instant_fleet() {
    let Some(cloud) = Cloud::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.pkr.hcl"),
        small_template(&cloud, "spot-{{timestamp}}", "", "spot_price = \"0.05\""),
    )
    .unwrap();
    let out = cloud
        .kiln(dir.path(), &["build", "-color=false", "t.pkr.hcl"])
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let instances = cloud.instances();
    assert_eq!(instances.len(), 1, "{instances:?}");
    assert_eq!(instances[0].image, JAMMY_NEW);
    assert!(
        all.contains(&format!("Instance ID: {}", instances[0].id)),
        "{all}"
    );
    assert_eq!(cloud.own_images().len(), 1);
    cloud.assert_nothing_left();
}

/// A legacy JSON template: `source_ami_filter` as an object,
/// `{{isotime | clean_resource_name}}` in `ami_name` (rendered at load
/// time), `{{ .SourceAMI }}`/`{{ .BuildRegion }}` in tags (rendered by the
/// builder), `run_tags`, `communicator = "none"`.
#[test]
fn json_template_with_filter_object_and_build_fields() {
    let Some(cloud) = Cloud::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let t = format!(
        r#"{{
  "builders": [{{
    "type": "amazon-ebs",
    "region": "us-west-2",
    "custom_endpoint_ec2": "{ep}",
    "skip_metadata_api_check": true,
    "source_ami_filter": {{
      "filters": {{"name": "ubuntu/images/*ubuntu-jammy-22.04-amd64-server-*"}},
      "owners": ["{CANONICAL}"],
      "most_recent": true
    }},
    "instance_type": "t3.micro",
    "communicator": "none",
    "ami_name": "CustomImage {{{{isotime | clean_resource_name}}}}",
    "run_tags": {{"Purpose": "json {{{{ .SourceAMIName }}}}"}},
    "tags": {{"Base": "{{{{ .SourceAMI }}}}", "Region": "{{{{ .BuildRegion }}}}"}}
  }}]
}}
"#,
        ep = cloud.moto.endpoint()
    );
    std::fs::write(dir.path().join("t.json"), t).unwrap();
    let out = cloud
        .kiln(dir.path(), &["build", "-color=false", "t.json"])
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let images = cloud.own_images();
    assert_eq!(images.len(), 1, "{images:?}");
    let img = &images[0];
    assert!(img.name.starts_with("CustomImage 20"), "{img:?}");
    assert!(!img.name.contains(':'), "cleaned: {img:?}");
    assert_eq!(img.tags.get("Base").map(String::as_str), Some(JAMMY_NEW));
    assert_eq!(
        img.tags.get("Region").map(String::as_str),
        Some("us-west-2")
    );
    let instances = cloud.instances();
    assert_eq!(
        instances[0].tags.get("Purpose").map(String::as_str),
        Some(format!("json {JAMMY_NEW_NAME}").as_str())
    );
    cloud.assert_nothing_left();
}

/// A post-processor chain that does not keep the builder's artifact
/// destroys it, as Packer's artifact `Destroy` does: the AMI is
/// deregistered and its snapshots deleted.
#[test]
fn dropped_artifact_is_deregistered_with_its_snapshots() {
    let Some(cloud) = Cloud::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let t = small_template(&cloud, "dropped-{{timestamp}}", "", "").replace(
        "build {\n",
        "build {\n  post-processor \"artifice\" {\n    files               = [\"t.pkr.hcl\"]\n    keep_input_artifact = false\n  }\n",
    );
    std::fs::write(dir.path().join("t.pkr.hcl"), t).unwrap();
    let out = cloud
        .kiln(dir.path(), &["build", "-color=false", "t.pkr.hcl"])
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let ami = all
        .lines()
        .find_map(|l| l.split("AMI: ").nth(1))
        .expect("AMI id printed")
        .trim()
        .to_string();
    assert!(cloud.own_images().is_empty(), "{:?}", cloud.own_images());
    let snaps = cloud
        .rt_block_on_snapshots()
        .into_iter()
        .filter(|(_, desc)| desc.contains(&ami))
        .count();
    assert_eq!(snaps, 0, "snapshots of {ami} left");
    cloud.assert_nothing_left();
}

/// Launch options reach EC2: subnet chosen by `subnet_filter` (with its
/// VPC for the temporary security group), a public address on the
/// network interface, IMDSv2 `metadata_options`, `user_data`,
/// `shutdown_behavior`, `run_volume_tags`, an extra launch volume, and
/// `ami_description`/`ena_support` on the image.
#[test]
fn launch_options_reach_ec2() {
    let Some(cloud) = Cloud::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let t = small_template(
        &cloud,
        "options-{{timestamp}}",
        "",
        r##"associate_public_ip_address = true
  user_data                   = "#!/bin/sh\necho hello"
  shutdown_behavior           = "terminate"
  ami_description             = "from {{ .SourceAMI }}"
  ena_support                 = true
  run_volume_tags = {
    Vol = "v-{{ .BuildRegion }}"
  }
  subnet_filter {
    filters = {
      "default-for-az" = "true"
    }
    random = true
  }
  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required"
  }
  launch_block_device_mappings {
    device_name           = "/dev/sdf"
    volume_size           = 2
    volume_type           = "gp3"
    delete_on_termination = true
  }"##,
    );
    std::fs::write(dir.path().join("t.pkr.hcl"), t).unwrap();
    let out = cloud
        .kiln(dir.path(), &["build", "-color=false", "t.pkr.hcl"])
        .output()
        .unwrap();
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("Found Subnet ID: subnet-"), "{all}");
    let ec2 = cloud.ec2("us-west-2");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let out = rt.block_on(ec2.describe_instances().send()).unwrap();
    let inst = out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .next()
        .expect("the instance")
        .clone();
    let subnet = inst.subnet_id().unwrap_or_default().to_string();
    assert!(all.contains(&format!("Found Subnet ID: {subnet}")), "{all}");
    assert_eq!(
        inst.metadata_options()
            .and_then(|m| m.http_tokens())
            .map(|t| t.as_str()),
        Some("required")
    );
    let attr = rt
        .block_on(
            ec2.describe_instance_attribute()
                .instance_id(inst.instance_id().unwrap_or_default())
                .attribute(aws_sdk_ec2::types::InstanceAttributeName::UserData)
                .send(),
        )
        .unwrap();
    let data = attr
        .user_data()
        .and_then(|v| v.value())
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        data, "IyEvYmluL3NoCmVjaG8gaGVsbG8=",
        "base64 of the user data"
    );
    let img = &cloud.own_images()[0];
    let described = rt
        .block_on(ec2.describe_images().image_ids(&img.id).send())
        .unwrap();
    let image = &described.images()[0];
    assert_eq!(
        image.description(),
        Some(format!("from {JAMMY_NEW}").as_str())
    );
    cloud.assert_nothing_left();
}
