//! The `ansible` and `ansible-local` provisioners with a real
//! `ansible-playbook` (ansible-core from PyPI, installed by scripts/test.sh)
//! against a real OpenSSH server on loopback. The managed machine is this
//! one, so the playbooks' effects are checked on the local disk.

mod remote;

use std::path::Path;

use kiln_lang::template::Value;
use kiln_peers::Sshd;
use remote::{ansible_bin, list, null_job, prov, run, s};

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(p, text).expect("write");
}

/// The machine's Python for Ansible's modules (discovery could pick a
/// version-manager shim on a developer machine).
const PYTHON: &str = "ansible_python_interpreter=/usr/bin/python3";

const MARKER_PLAYBOOK: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - name: write the marker
      ansible.builtin.copy:
        dest: "{{ marker }}"
        content: "built by {{ packer_build_name }} on {{ packer_builder_type }} in {{ group_names | join(',') }}\n"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ansible_runs_the_playbook_against_the_host() {
    let Some(bin) = ansible_bin() else { return };
    let Some(sshd) = Sshd::start() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "site.yml", MARKER_PLAYBOOK);
    let marker = dir.path().join("marker.txt");
    let inventories = dir.path().join("inv");
    std::fs::create_dir(&inventories).expect("mkdir inv");
    let job = null_job(
        &sshd,
        "web",
        vec![prov(
            "ansible",
            &[
                ("playbook_file", s("site.yml")),
                (
                    "command",
                    s(&bin.join("ansible-playbook").display().to_string()),
                ),
                (
                    "extra_arguments",
                    list(&["-e", &format!("marker={}", marker.display()), "-e", PYTHON]),
                ),
                ("groups", list(&["webservers"])),
                ("empty_groups", list(&["dbservers"])),
                ("inventory_directory", s("inv")),
                ("keep_inventory_file", Value::Bool(true)),
                ("ansible_env_vars", list(&["ANSIBLE_NOCOLOR=True"])),
                ("use_proxy", Value::Bool(true)),
            ],
        )],
    );
    let ran = run(dir.path(), vec![job]).await;
    assert!(ran.ok(), "{:?}\n{}", ran.error(), ran.text());
    assert_eq!(
        std::fs::read_to_string(&marker).expect("the playbook wrote the marker"),
        "built by web on null in webservers\n"
    );
    assert!(
        ran.lines()
            .iter()
            .any(|l| l.starts_with("err: Warning: kiln has no SSH proxy adapter for Ansible")),
        "use_proxy = true is reported: {}",
        ran.text()
    );
    assert!(
        ran.has("say: Provisioning with Ansible..."),
        "{}",
        ran.text()
    );
    // Ansible's own output is streamed.
    assert!(
        ran.lines()
            .iter()
            .any(|l| l.starts_with("msg: TASK [write the marker]")),
        "{}",
        ran.text()
    );
    // The inventory is Packer's default format, kept on request.
    let kept: Vec<_> = std::fs::read_dir(&inventories)
        .expect("read inv")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let host = format!(
        "default ansible_host=127.0.0.1 ansible_user={} ansible_port={}\n",
        sshd.user(),
        sshd.port()
    );
    assert_eq!(
        std::fs::read_to_string(&kept[0]).expect("inventory"),
        format!("{host}[webservers]\n{host}[dbservers]\n")
    );
    // Ansible authenticates with the communicator's key file.
    let exec = ran
        .lines()
        .into_iter()
        .find(|l| l.starts_with("say: Executing Ansible: "))
        .expect("the command line is shown");
    let key = exec
        .split_whitespace()
        .find_map(|a| a.strip_prefix("ansible_ssh_private_key_file="))
        .expect("a key file is passed");
    assert_eq!(Path::new(key), sshd.client_key());
    assert!(exec.contains("-e packer_build_name=\"web\" -e packer_builder_type=null"));
    assert!(exec.contains("--ssh-extra-args '-o IdentitiesOnly=yes'"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ansible_failure_is_reported_like_packer() {
    let Some(bin) = ansible_bin() else { return };
    let Some(sshd) = Sshd::start() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "fail.yml",
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - ansible.builtin.fail:\n        msg: planned failure\n",
    );
    let job = null_job(
        &sshd,
        "web",
        vec![prov(
            "ansible",
            &[
                ("playbook_file", s("fail.yml")),
                ("extra_arguments", list(&["-e", PYTHON])),
                (
                    "command",
                    s(&bin.join("ansible-playbook").display().to_string()),
                ),
            ],
        )],
    );
    let ran = run(dir.path(), vec![job]).await;
    assert_eq!(
        ran.error().as_deref(),
        Some("Error executing Ansible: Non-zero exit status: exit status 2"),
        "{}",
        ran.text()
    );
    assert!(ran.text().contains("planned failure"), "{}", ran.text());
    // No inventory is left behind by default.
    let left: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .expect("tmp")
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("packer-provisioner-ansible")
                && std::fs::read_to_string(e.path())
                    .is_ok_and(|t| t.contains(&format!("ansible_port={} ", sshd.port())))
        })
        .collect();
    assert!(left.is_empty(), "inventory left: {left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ansible_missing_playbook_is_a_clear_error() {
    let Some(sshd) = Sshd::start() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let job = null_job(
        &sshd,
        "web",
        vec![prov(
            "ansible",
            &[
                ("playbook_file", s("nope.yml")),
                ("skip_version_check", Value::Bool(true)),
            ],
        )],
    );
    let ran = run(dir.path(), vec![job]).await;
    let err = ran.error().unwrap_or_default();
    assert!(
        err.starts_with("playbook_file: nope.yml is invalid:"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ansible_local_stages_files_and_runs_on_the_machine() {
    let Some(bin) = ansible_bin() else { return };
    let Some(sshd) = Sshd::start() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("local-marker.txt");
    write(
        dir.path(),
        "local.yml",
        "- hosts: all\n  gather_facts: false\n  roles:\n    - greeter\n",
    );
    write(
        dir.path(),
        "roles/greeter/tasks/main.yml",
        "- ansible.builtin.copy:\n    dest: \"{{ marker }}\"\n    content: \"{{ greeting }} from {{ packer_build_name }}\\n\"\n",
    );
    write(
        dir.path(),
        "group_vars/builders.yml",
        &format!("greeting: hello-group-vars\nmarker: {}\n", marker.display()),
    );
    let staging = dir.path().join("staging");
    let job = null_job(
        &sshd,
        "local",
        vec![prov(
            "ansible-local",
            &[
                ("playbook_file", s("local.yml")),
                (
                    "command",
                    s(&format!(
                        "ANSIBLE_NOCOLOR=1 {}",
                        bin.join("ansible-playbook").display()
                    )),
                ),
                ("extra_arguments", list(&["-e", PYTHON])),
                ("role_paths", list(&["roles/greeter"])),
                ("group_vars", s("group_vars")),
                ("inventory_groups", list(&["builders"])),
                ("staging_directory", s(&staging.display().to_string())),
                ("clean_staging_directory", Value::Bool(true)),
            ],
        )],
    );
    let ran = run(dir.path(), vec![job]).await;
    assert!(ran.ok(), "{:?}\n{}", ran.error(), ran.text());
    assert_eq!(
        std::fs::read_to_string(&marker).expect("the playbook wrote the marker"),
        "hello-group-vars from local\n"
    );
    assert!(
        ran.has("msg: Uploading role directories..."),
        "{}",
        ran.text()
    );
    assert!(!staging.exists(), "clean_staging_directory removes it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ansible_local_without_ansible_on_the_machine() {
    let Some(sshd) = Sshd::start() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "p.yml", "- hosts: all\n  tasks: []\n");
    let job = null_job(
        &sshd,
        "local",
        vec![prov(
            "ansible-local",
            &[
                ("playbook_file", s("p.yml")),
                ("command", s("kiln-no-such-ansible-playbook")),
                (
                    "staging_directory",
                    s(&dir.path().join("st").display().to_string()),
                ),
            ],
        )],
    );
    let ran = run(dir.path(), vec![job]).await;
    assert_eq!(
        ran.error().as_deref(),
        Some(
            "Error executing Ansible: kiln-no-such-ansible-playbook could not be found. Verify \
             that it is available on the\nPATH after connecting to the machine."
        ),
        "{}",
        ran.text()
    );
}

/// A role packed as a local tarball and a requirements file naming it, so
/// `ansible-galaxy install` works without a network.
fn galaxy_role(dir: &Path, marker: &Path) {
    write(
        dir,
        "src/fromgalaxy/tasks/main.yml",
        &format!(
            "- ansible.builtin.copy:\n    dest: {}\n    content: \"installed by galaxy\\n\"\n",
            marker.display()
        ),
    );
    write(
        dir,
        "src/fromgalaxy/meta/main.yml",
        "galaxy_info:\n  author: kiln\n  description: test role\n  license: MIT\n  min_ansible_version: \"2.9\"\n  platforms: []\ndependencies: []\n",
    );
    let status = std::process::Command::new("tar")
        .args(["czf", "fromgalaxy.tar.gz", "-C", "src", "fromgalaxy"])
        .current_dir(dir)
        .status()
        .expect("tar");
    assert!(status.success());
    write(
        dir,
        "requirements.yml",
        &format!(
            "- src: file://{}\n  name: fromgalaxy\n",
            dir.join("fromgalaxy.tar.gz").display()
        ),
    );
    write(
        dir,
        "galaxy.yml",
        "- hosts: all\n  gather_facts: false\n  roles:\n    - fromgalaxy\n",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ansible_installs_galaxy_roles_first() {
    let Some(bin) = ansible_bin() else { return };
    let Some(sshd) = Sshd::start() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("galaxy-marker.txt");
    galaxy_role(dir.path(), &marker);
    let job = null_job(
        &sshd,
        "web",
        vec![prov(
            "ansible",
            &[
                ("playbook_file", s("galaxy.yml")),
                (
                    "command",
                    s(&bin.join("ansible-playbook").display().to_string()),
                ),
                ("galaxy_file", s("requirements.yml")),
                (
                    "galaxy_command",
                    s(&bin.join("ansible-galaxy").display().to_string()),
                ),
                ("roles_path", s("roles")),
                ("extra_arguments", list(&["-e", PYTHON])),
            ],
        )],
    );
    let ran = run(dir.path(), vec![job]).await;
    assert!(ran.ok(), "{:?}\n{}", ran.error(), ran.text());
    assert!(ran.has("msg: Executing Ansible Galaxy"), "{}", ran.text());
    assert!(dir.path().join("roles/fromgalaxy/tasks/main.yml").exists());
    assert_eq!(
        std::fs::read_to_string(&marker).expect("the galaxy role ran"),
        "installed by galaxy\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ansible_local_installs_galaxy_roles_on_the_machine() {
    let Some(bin) = ansible_bin() else { return };
    let Some(sshd) = Sshd::start() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("galaxy-local-marker.txt");
    galaxy_role(dir.path(), &marker);
    let staging = dir.path().join("staging");
    let job = null_job(
        &sshd,
        "local",
        vec![prov(
            "ansible-local",
            &[
                ("playbook_file", s("galaxy.yml")),
                (
                    "command",
                    s(&bin.join("ansible-playbook").display().to_string()),
                ),
                ("galaxy_file", s("requirements.yml")),
                (
                    "galaxy_command",
                    s(&bin.join("ansible-galaxy").display().to_string()),
                ),
                ("extra_arguments", list(&["-e", PYTHON])),
                ("staging_directory", s(&staging.display().to_string())),
            ],
        )],
    );
    let ran = run(dir.path(), vec![job]).await;
    assert!(ran.ok(), "{:?}\n{}", ran.error(), ran.text());
    assert!(staging.join("roles/fromgalaxy").exists(), "{}", ran.text());
    assert!(staging.join("requirements.yml").exists());
    assert_eq!(
        std::fs::read_to_string(&marker).expect("the galaxy role ran"),
        "installed by galaxy\n"
    );
}
