//! Shared pieces of the amazon-ebs tests: moto with a few stock images, a
//! private sshd standing in for the instance (with stub `sudo`/`apt-get`
//! that only log), a cloud-init stand-in that authorizes moto's key
//! pairs, EC2 state queries, and a fault-injecting loopback proxy.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use aws_sdk_ec2::types::Filter;
use kiln_build::aws::client::{self, Aws};
use kiln_build::aws::Access;
use kiln_peers::{Moto, Sshd, SshdOptions};

pub const CANONICAL: &str = "099720109477";
pub const JAMMY_OLD: &str = "ami-0a1b2c3d4e5f60001";
pub const JAMMY_NEW: &str = "ami-0a1b2c3d4e5f60002";
pub const JAMMY_NEW_NAME: &str = "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20240301";

/// Stock images for moto (`MOTO_AMIS_PATH`): two jammy builds (the
/// filter's most recent is the second) and a focal one.
pub fn amis_json() -> String {
    let ami = |id: &str, name: &str, date: &str| {
        format!(
            r#"{{"ami_id": "{id}", "state": "available", "public": true, "owner_id": "{CANONICAL}", "image_location": "{CANONICAL}/{name}", "sriov": "simple", "root_device_type": "ebs", "root_device_name": "/dev/sda1", "description": "Canonical, Ubuntu", "image_type": "machine", "platform": null, "architecture": "x86_64", "name": "{name}", "virtualization_type": "hvm", "hypervisor": "xen", "creation_date": "{date}"}}"#
        )
    };
    format!(
        "[{}, {}, {}]",
        ami(
            JAMMY_OLD,
            "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20230101",
            "2023-01-01T00:00:00.000Z"
        ),
        ami(JAMMY_NEW, JAMMY_NEW_NAME, "2024-03-01T00:00:00.000Z"),
        ami(
            "ami-0a1b2c3d4e5f60003",
            "ubuntu/images/hvm-ssd/ubuntu-focal-20.04-amd64-server-20240301",
            "2024-03-02T00:00:00.000Z"
        ),
    )
}

/// moto + sshd + the cloud-init stand-in.
pub struct Cloud {
    pub moto: Moto,
    pub sshd: Sshd,
    stubs: tempfile::TempDir,
    stop: Arc<AtomicBool>,
    init: Option<JoinHandle<()>>,
    rt: tokio::runtime::Runtime,
    aws: Aws,
}

pub const REGIONS: &[&str] = &["us-west-2", "us-east-1", "eu-west-1"];

fn write_exe(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

impl Cloud {
    pub fn start() -> Option<Cloud> {
        let moto = Moto::start_with_amis(Some(&amis_json()))?;
        // Stub `sudo` and `apt-get` only log: nothing the seed's
        // provisioners ask for runs on this machine. `history` is a bash
        // builtin the seed calls from `/bin/sh` (dash here, as on Ubuntu).
        let stubs = tempfile::Builder::new()
            .prefix("kiln-ebs-stubs-")
            .tempdir()
            .unwrap();
        let log = stubs.path().join("calls.log");
        for name in ["sudo", "apt-get", "history"] {
            write_exe(
                &stubs.path().join(name),
                &format!("#!/bin/sh\necho \"{name} $*\" >> {}\n", log.display()),
            );
        }
        std::fs::write(&log, "").unwrap();
        let sshd = Sshd::start_with(SshdOptions {
            extra_config: vec![format!(
                "SetEnv PATH={}:/usr/bin:/bin KILN_STUB_LOG={}",
                stubs.path().display(),
                log.display()
            )],
            ..Default::default()
        })?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let aws = rt
            .block_on(client::connect(&Access {
                access_key: Some("testing".into()),
                secret_key: Some("testing".into()),
                region: Some("us-west-2".into()),
                custom_endpoint_ec2: Some(moto.endpoint()),
                ..Default::default()
            }))
            .unwrap();
        // cloud-init: authorize every key pair EC2 knows, as an instance
        // launched with it would.
        let stop = Arc::new(AtomicBool::new(false));
        let init = {
            let stop = stop.clone();
            let aws = aws.clone();
            let keys = sshd.dir().join("authorized_keys");
            let base = std::fs::read_to_string(&keys).unwrap();
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let ec2 = aws.ec2();
                let mut last = String::new();
                while !stop.load(Ordering::SeqCst) {
                    if let Ok(out) =
                        rt.block_on(ec2.describe_key_pairs().include_public_key(true).send())
                    {
                        let mut text = base.clone();
                        for k in out.key_pairs() {
                            if let Some(p) = k.public_key() {
                                text.push_str(p.trim());
                                text.push('\n');
                            }
                        }
                        if text != last {
                            let tmp = keys.with_extension("tmp");
                            if std::fs::write(&tmp, &text).is_ok() {
                                let _ = std::fs::rename(&tmp, &keys);
                            }
                            last = text;
                        }
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            })
        };
        Some(Cloud {
            moto,
            sshd,
            stubs,
            stop,
            init: Some(init),
            rt,
            aws,
        })
    }

    /// `kiln` with test credentials and no instance metadata service.
    pub fn kiln(&self, dir: &Path, args: &[&str]) -> Command {
        // `kiln`: this crate's binary (the app's tests include this module
        // for the cloud only and build in process).
        let mut c = Command::new(option_env!("CARGO_BIN_EXE_kiln").unwrap_or("kiln"));
        c.args(args)
            .current_dir(dir)
            .env_remove("GITHUB_ACTIONS")
            .env_remove("PACKER_LOG")
            .env_remove("PACKER_LOG_PATH")
            .env_remove("KILN_LOG")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdin(Stdio::null());
        c
    }

    /// What the stub commands were called with, in order. The seed's
    /// `sudo rm -rf /tmp/*` reaches the stub with the glob expanded by
    /// the remote shell; it reads back as written.
    pub fn stub_calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.stubs.path().join("calls.log"))
            .unwrap_or_default()
            .lines()
            .map(|l| {
                if l.starts_with("sudo rm -rf /tmp/") {
                    "sudo rm -rf /tmp/*".to_string()
                } else {
                    l.to_string()
                }
            })
            .collect()
    }

    pub fn stub_log(&self) -> PathBuf {
        self.stubs.path().join("calls.log")
    }

    pub fn sshd_log(&self) -> String {
        self.sshd.log()
    }

    pub fn ec2(&self, region: &str) -> aws_sdk_ec2::Client {
        self.aws.ec2_in(region)
    }

    pub fn own_images(&self) -> Vec<Ami> {
        self.own_images_in("us-west-2")
    }

    pub fn own_images_in(&self, region: &str) -> Vec<Ami> {
        let out = self
            .rt
            .block_on(self.ec2(region).describe_images().owners("self").send())
            .unwrap();
        out.images()
            .iter()
            .map(|i| Ami {
                id: i.image_id().unwrap_or_default().to_string(),
                name: i.name().unwrap_or_default().to_string(),
                tags: tags(i.tags()),
                snapshots: i
                    .block_device_mappings()
                    .iter()
                    .filter_map(|m| m.ebs().and_then(|e| e.snapshot_id()).map(str::to_string))
                    .collect(),
            })
            .collect()
    }

    pub fn launch_users(&self, region: &str, ami: &str) -> Vec<String> {
        let out = self
            .rt
            .block_on(
                self.ec2(region)
                    .describe_image_attribute()
                    .image_id(ami)
                    .attribute(aws_sdk_ec2::types::ImageAttributeName::LaunchPermission)
                    .send(),
            )
            .unwrap();
        out.launch_permissions()
            .iter()
            .filter_map(|p| p.user_id().map(str::to_string))
            .collect()
    }

    pub fn snapshot_tag(&self, region: &str, ami: &str, key: &str) -> Option<String> {
        let img = self
            .own_images_in(region)
            .into_iter()
            .find(|i| i.id == ami)?;
        let snap = img.snapshots.first()?.clone();
        let out = self
            .rt
            .block_on(
                self.ec2(region)
                    .describe_snapshots()
                    .snapshot_ids(snap)
                    .send(),
            )
            .ok()?;
        out.snapshots()
            .first()
            .map(|s| tags(s.tags()))
            .and_then(|t| t.get(key).cloned())
    }

    /// This account's snapshots: (id, description).
    pub fn rt_block_on_snapshots(&self) -> Vec<(String, String)> {
        let out = self
            .rt
            .block_on(
                self.ec2("us-west-2")
                    .describe_snapshots()
                    .owner_ids("self")
                    .send(),
            )
            .unwrap();
        out.snapshots()
            .iter()
            .map(|s| {
                (
                    s.snapshot_id().unwrap_or_default().to_string(),
                    s.description().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    pub fn instances(&self) -> Vec<Instance> {
        let out = self
            .rt
            .block_on(self.ec2("us-west-2").describe_instances().send())
            .unwrap();
        out.reservations()
            .iter()
            .flat_map(|r| r.instances())
            .map(|i| Instance {
                id: i.instance_id().unwrap_or_default().to_string(),
                image: i.image_id().unwrap_or_default().to_string(),
                state: i
                    .state()
                    .and_then(|s| s.name())
                    .map(|n| n.as_str().to_string())
                    .unwrap_or_default(),
                tags: tags(i.tags()),
            })
            .collect()
    }

    /// Temporary resources still in EC2, described.
    pub fn leftovers(&self) -> Vec<String> {
        let mut left = Vec::new();
        for region in REGIONS {
            let ec2 = self.ec2(region);
            let out = self.rt.block_on(ec2.describe_instances().send()).unwrap();
            for i in out.reservations().iter().flat_map(|r| r.instances()) {
                let state = i
                    .state()
                    .and_then(|s| s.name())
                    .map(|n| n.as_str())
                    .unwrap_or("");
                if state != "terminated" && state != "shutting-down" {
                    left.push(format!(
                        "instance {} ({state}) in {region}",
                        i.instance_id().unwrap_or_default()
                    ));
                }
            }
            let out = self.rt.block_on(ec2.describe_key_pairs().send()).unwrap();
            for k in out.key_pairs() {
                left.push(format!(
                    "key pair {} in {region}",
                    k.key_name().unwrap_or_default()
                ));
            }
            let out = self
                .rt
                .block_on(ec2.describe_security_groups().send())
                .unwrap();
            for g in out.security_groups() {
                if g.group_name() != Some("default") {
                    left.push(format!(
                        "security group {} in {region}",
                        g.group_name().unwrap_or_default()
                    ));
                }
            }
            let out = self
                .rt
                .block_on(
                    ec2.describe_volumes()
                        .filters(Filter::builder().name("status").values("available").build())
                        .send(),
                )
                .unwrap();
            for v in out.volumes() {
                left.push(format!(
                    "volume {} in {region}",
                    v.volume_id().unwrap_or_default()
                ));
            }
        }
        left
    }

    pub fn assert_nothing_left(&self) {
        let left = self.leftovers();
        assert!(left.is_empty(), "left behind: {left:?}");
    }
}

impl Drop for Cloud {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.init.take() {
            let _ = t.join();
        }
    }
}

fn tags(t: &[aws_sdk_ec2::types::Tag]) -> BTreeMap<String, String> {
    t.iter()
        .filter_map(|t| Some((t.key()?.to_string(), t.value()?.to_string())))
        .collect()
}

#[derive(Debug, Clone)]
pub struct Ami {
    pub id: String,
    pub name: String,
    pub tags: BTreeMap<String, String>,
    pub snapshots: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Instance {
    pub id: String,
    pub image: String,
    pub state: String,
    pub tags: BTreeMap<String, String>,
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

pub fn unsafe_kill_int(pid: u32) {
    Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
}

/// The settings every test template needs to reach moto and the sshd.
pub fn connection(cloud: &Cloud) -> String {
    format!(
        "custom_endpoint_ec2     = \"{}\"\n  skip_metadata_api_check = true\n  ssh_host                = \"127.0.0.1\"\n  ssh_port                = {}",
        cloud.moto.endpoint(),
        cloud.sshd.port()
    )
}

/// A small amazon-ebs template: `source_ami_filter` → jammy, one inline
/// shell provisioner (`echo provisioned`). `ssh_extra` replaces the SSH
/// port line when it sets `ssh_port`; `extra` goes into the source.
pub fn small_template(cloud: &Cloud, ami_name: &str, ssh_extra: &str, extra: &str) -> String {
    let mut conn = connection(cloud);
    if ssh_extra.contains("ssh_port") {
        conn = conn
            .lines()
            .filter(|l| !l.contains("ssh_port"))
            .collect::<Vec<_>>()
            .join("\n");
    }
    format!(
        r#"source "amazon-ebs" "t" {{
  region        = "us-west-2"
  instance_type = "t3.micro"
  ami_name      = "{ami_name}"
  ssh_username  = "{user}"
  {conn}
  {ssh_extra}
  {extra}
  source_ami_filter {{
    filters = {{
      name = "ubuntu/images/*ubuntu-jammy-22.04-amd64-server-*"
    }}
    owners      = ["{CANONICAL}"]
    most_recent = true
  }}
  tags = {{
    Base = "{{{{ .SourceAMI }}}}"
  }}
}}
build {{
  sources = ["source.amazon-ebs.t"]
  provisioner "shell" {{
    inline = ["echo provisioned"]
  }}
}}
"#,
        user = cloud.sshd.user(),
    )
}

/// The directory of the seed's scripts and playbook, with the seed's
/// template adapted to this machine: `ssh_host`/`ssh_port` to the sshd,
/// `custom_endpoint_ec2` to moto, the sshd's user for `ubuntu`. The
/// scripts and playbook are stand-ins (the seed's install packages).
pub fn guide_dir(cloud: &Cloud) -> Option<tempfile::TempDir> {
    let seed = seed("guide-en-02.pkr.hcl")?;
    let user = cloud.sshd.user();
    let dir = tempfile::tempdir().unwrap();
    let replace = |text: String, from: &str, to: &str| {
        assert!(text.contains(from), "the seed changed: {from:?} missing");
        text.replacen(from, to, 1)
    };
    let t = replace(
        seed,
        "  ssh_username = \"ubuntu\"\n",
        &format!("  ssh_username = \"{user}\"\n  {}\n", connection(cloud)),
    );
    let t = replace(
        t,
        "    user          = \"ubuntu\"",
        &format!("    user          = \"{user}\""),
    );
    std::fs::write(dir.path().join("t.pkr.hcl"), t).unwrap();
    std::fs::create_dir_all(dir.path().join("scripts")).unwrap();
    std::fs::create_dir_all(dir.path().join("ansible")).unwrap();
    std::fs::write(
        dir.path().join("scripts/install-docker.sh"),
        "#!/bin/sh\nset -e\necho \"Installing Docker...\"\necho install-docker ran >> \"$KILN_STUB_LOG\"\necho \"Docker installation completed!\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("scripts/install-monitoring.sh"),
        "#!/bin/sh\nset -e\necho install-monitoring ran >> \"$KILN_STUB_LOG\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("ansible/security-hardening.yml"),
        "---\n- name: Security Hardening\n  hosts: all\n  gather_facts: false\n  vars:\n    ansible_python_interpreter: /usr/bin/python3\n  tasks:\n    - name: stand-in\n      command: echo hardening stand-in ran\n      register: out\n    - debug:\n        var: out.stdout\n",
    )
    .unwrap();
    Some(dir)
}

pub fn seed(name: &str) -> Option<String> {
    let dir = std::env::var_os("KILN_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    let path = dir.join("seeds").join(name);
    let found = path.exists();
    assert!(
        found || std::env::var_os("KILN_REQUIRE_SHARED").is_none(),
        "KILN_REQUIRE_SHARED is set but {} is missing",
        path.display()
    );
    found.then(|| std::fs::read_to_string(path).unwrap())
}

/// The directory holding `ansible-playbook` (`KILN_ANSIBLE_BIN`, else the
/// venv scripts/test.sh makes).
pub fn ansible_bin() -> Option<PathBuf> {
    let dir = std::env::var_os("KILN_ANSIBLE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/peers/ansible/bin")
        });
    if dir.join("ansible-playbook").exists() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("KILN_REQUIRE_ANSIBLE").is_none()
            && std::env::var_os("KILN_REQUIRE_PEERS").is_none(),
        "ansible-playbook is required but missing from {}",
        dir.display()
    );
    None
}

pub fn path_with(dir: &Path) -> String {
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// What the proxy answers instead of forwarding.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// 503 `RequestLimitExceeded` (EC2's throttling error).
    Throttle,
    /// 503 `ServiceUnavailable`.
    Unavailable,
}

/// A loopback HTTP proxy in front of moto: request `n` (1-based) is
/// answered with `plan(n)`'s fault (an AWS-shaped EC2 error body) or
/// forwarded unchanged. It invents no EC2 responses beyond the error.
pub struct FaultProxy {
    port: u16,
    injected: Arc<AtomicUsize>,
    forwarded: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl FaultProxy {
    pub fn start(
        upstream: u16,
        plan: impl Fn(usize) -> Option<Fault> + Send + Sync + 'static,
    ) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let injected = Arc::new(AtomicUsize::new(0));
        let forwarded = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let count = Arc::new(AtomicUsize::new(0));
        let plan = Arc::new(plan);
        {
            let (injected, forwarded, stop) = (injected.clone(), forwarded.clone(), stop.clone());
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let (injected, forwarded, count, plan) = (
                        injected.clone(),
                        forwarded.clone(),
                        count.clone(),
                        plan.clone(),
                    );
                    std::thread::spawn(move || {
                        serve(conn, upstream, &count, &*plan, &injected, &forwarded)
                    });
                }
            });
        }
        FaultProxy {
            port,
            injected,
            forwarded,
            stop,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn injected(&self) -> usize {
        self.injected.load(Ordering::SeqCst)
    }

    pub fn forwarded(&self) -> usize {
        self.forwarded.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// One HTTP/1.1 request: head and body.
fn read_request(conn: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match conn.read(&mut byte) {
            Ok(1) => buf.push(byte[0]),
            _ => return None,
        }
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let len = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    conn.read_exact(&mut body).ok()?;
    Some((head, body))
}

fn serve(
    mut conn: TcpStream,
    upstream: u16,
    count: &AtomicUsize,
    plan: &(dyn Fn(usize) -> Option<Fault> + Send + Sync),
    injected: &AtomicUsize,
    forwarded: &AtomicUsize,
) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(120)));
    // One request per connection: every reply closes it (keeps the
    // proxy simple; the SDK reconnects).
    let Some((head, body)) = read_request(&mut conn) else {
        return;
    };
    let n = count.fetch_add(1, Ordering::SeqCst) + 1;
    let reply = match plan(n) {
        Some(f) => {
            injected.fetch_add(1, Ordering::SeqCst);
            let (code, message) = match f {
                Fault::Throttle => ("RequestLimitExceeded", "Request limit exceeded."),
                Fault::Unavailable => ("ServiceUnavailable", "The service is unavailable."),
            };
            let xml = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>kiln-fault-{n}</RequestID></Response>"
            );
            format!(
                "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/xml;charset=UTF-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{xml}",
                xml.len()
            )
            .into_bytes()
        }
        None => {
            forwarded.fetch_add(1, Ordering::SeqCst);
            match forward(upstream, &head, &body) {
                Some(r) => r,
                None => return,
            }
        }
    };
    let _ = conn.write_all(&reply);
}

fn forward(upstream: u16, head: &str, body: &[u8]) -> Option<Vec<u8>> {
    let mut up = TcpStream::connect(("127.0.0.1", upstream)).ok()?;
    let mut h: Vec<&str> = head
        .trim_end()
        .split("\r\n")
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .collect();
    h.push("Connection: close");
    let head = format!("{}\r\n\r\n", h.join("\r\n"));
    up.write_all(head.as_bytes()).ok()?;
    up.write_all(body).ok()?;
    let mut resp = Vec::new();
    up.read_to_end(&mut resp).ok()?;
    // Tell the client this connection ends here too.
    let text = String::from_utf8_lossy(&resp);
    let split = text.find("\r\n\r\n")?;
    let (rhead, _) = resp.split_at(split);
    let rhead = String::from_utf8_lossy(rhead);
    let mut lines: Vec<&str> = rhead
        .split("\r\n")
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .collect();
    lines.push("Connection: close");
    let mut out = format!("{}\r\n\r\n", lines.join("\r\n")).into_bytes();
    out.extend_from_slice(&resp[split + 4..]);
    Some(out)
}
