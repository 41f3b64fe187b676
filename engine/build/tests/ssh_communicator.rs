//! The SSH communicator against a private OpenSSH sshd on loopback.

mod sshkit;

use std::time::{Duration, Instant};

use kiln_lang::template::Value;
use kiln_peers::Sshd;
use kiln_sdk::communicator::OutputStream;
use kiln_sdk::{BuildError, CancelToken};
use sshkit::*;

#[tokio::test]
async fn run_streams_lines_exit_codes_and_stderr() {
    let Some(sshd) = Sshd::start() else { return };
    let comm = connect(&sshd).await;
    let (code, lines) = run(
        &*comm,
        "printf 'one\\ntwo\\n'; echo oops >&2; printf tail; exit 3",
    )
    .await;
    assert_eq!(code, Some(3));
    let out: Vec<&str> = lines
        .iter()
        .filter(|(s, _)| *s == OutputStream::Stdout)
        .map(|(_, l)| l.as_str())
        .collect();
    let err: Vec<&str> = lines
        .iter()
        .filter(|(s, _)| *s == OutputStream::Stderr)
        .map(|(_, l)| l.as_str())
        .collect();
    assert_eq!(out, ["one", "two", "tail"]);
    assert_eq!(err, ["oops"]);
    let (code, _) = run(&*comm, "true").await;
    assert_eq!(code, Some(0));
}

fn with(
    sshd: &Sshd,
    overrides: &[(&'static str, Value)],
) -> kiln_lang::template::model::ConfigBody {
    let mut attrs = key_settings(sshd);
    for (k, v) in overrides {
        attrs.retain(|(name, _)| name != k);
        attrs.push((k, v.clone()));
    }
    attrs.retain(|(_, v)| *v != Value::Null);
    body(&attrs)
}

#[tokio::test]
async fn connect_prints_packers_messages_and_generated_data() {
    let Some(sshd) = Sshd::start() else { return };
    let (ui, mut rx) = ui();
    let b = body(&key_settings(&sshd));
    let (comm, generated) = connect_body(&b, &ui, &CancelToken::new())
        .await
        .expect("connects")
        .expect("a communicator");
    let said = drain(&mut rx);
    assert_eq!(
        said,
        [
            "Using ssh communicator to connect: 127.0.0.1",
            "Waiting for SSH to become available...",
            "Connected to SSH!"
        ]
    );
    assert_eq!(generated["Host"], "127.0.0.1");
    assert_eq!(generated["Port"], sshd.port().to_string());
    assert_eq!(generated["User"], sshd.user());
    assert_eq!(generated["ConnType"], "ssh");
    // As in Packer 1.6.6: a user's key file is not a generated key.
    assert_eq!(generated["SSHPrivateKey"], "");
    assert_eq!(generated["SSHPublicKey"], "");
    assert_eq!(
        generated["SSHPrivateKeyFile"],
        sshd.client_key().display().to_string()
    );
    let (code, _) = run(&*comm, "exit 0").await;
    assert_eq!(code, Some(0));
}

#[tokio::test]
async fn rsa_and_ecdsa_keys_authenticate() {
    let Some(sshd) = Sshd::start() else { return };
    for kind in ["rsa", "ecdsa"] {
        let key = sshd.key_of_type(kind).display().to_string();
        let b = with(&sshd, &[("ssh_private_key_file", s(&key))]);
        let (ui, _rx) = ui();
        let (comm, _) = connect_body(&b, &ui, &CancelToken::new())
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}\n{}", sshd.log()))
            .expect("a communicator");
        let (code, lines) = run(&*comm, "echo $((6*7))").await;
        assert_eq!(code, Some(0), "{kind}");
        assert_eq!(lines[0].1, "42");
    }
}

#[tokio::test]
async fn wrong_key_fails_clearly_within_the_timeout() {
    let Some(sshd) = Sshd::start() else { return };
    let key = sshd.wrong_key().display().to_string();
    let b = with(
        &sshd,
        &[
            ("ssh_private_key_file", s(&key)),
            ("ssh_timeout", s("20s")),
            ("ssh_handshake_attempts", Value::Number(2.0)),
        ],
    );
    let (ui, _rx) = ui();
    let start = Instant::now();
    let err = connect_body(&b, &ui, &CancelToken::new())
        .await
        .expect_err("must not authenticate");
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "took {:?}",
        start.elapsed()
    );
    let msg = err.to_string();
    assert!(msg.contains("authentication error"), "{msg}");
    assert!(msg.contains("unable to authenticate"), "{msg}");
}

#[tokio::test]
async fn unreachable_host_times_out() {
    let port = kiln_peers::free_port();
    let b = body(&[
        ("ssh_host", s("127.0.0.1")),
        ("ssh_port", Value::Number(port as f64)),
        ("ssh_username", s("nobody")),
        ("ssh_password", s("x")),
        ("ssh_timeout", s("2s")),
    ]);
    let (ui, _rx) = ui();
    let start = Instant::now();
    let err = connect_body(&b, &ui, &CancelToken::new())
        .await
        .expect_err("nothing listens");
    assert_eq!(err, BuildError::Step("Timeout waiting for SSH.".into()));
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn cancel_stops_waiting_for_ssh() {
    let port = kiln_peers::free_port();
    let b = body(&[
        ("ssh_host", s("127.0.0.1")),
        ("ssh_port", Value::Number(port as f64)),
        ("ssh_username", s("nobody")),
        ("ssh_password", s("x")),
        ("ssh_timeout", s("5m")),
    ]);
    let (ui, _rx) = ui();
    let cancel = CancelToken::new();
    let c2 = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(700)).await;
        c2.cancel();
    });
    let start = Instant::now();
    let err = connect_body(&b, &ui, &cancel).await.expect_err("cancelled");
    assert_eq!(err, BuildError::Cancelled);
    assert!(start.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn ssh_host_overrides_the_builders_address() {
    let Some(sshd) = Sshd::start() else { return };
    let b = body(&key_settings(&sshd));
    let settings = kiln_sdk::Settings::new("test builder", &b);
    let (ui, _rx) = ui();
    let (comm, generated) = kiln_build::ssh::connect::connect(
        "test builder",
        &settings,
        Some("builder-address.invalid"),
        &ui,
        &CancelToken::new(),
    )
    .await
    .expect("connects")
    .expect("a communicator");
    assert_eq!(generated["Host"], "127.0.0.1");
    assert_eq!(run(&*comm, "true").await.0, Some(0));
}

#[tokio::test]
async fn communicator_none_and_unknown() {
    let (ui, _rx) = ui();
    let none = body(&[("communicator", s("none"))]);
    assert!(connect_body(&none, &ui, &CancelToken::new())
        .await
        .expect("none is fine")
        .is_none());
    let winrm = body(&[("communicator", s("winrm"))]);
    let err = connect_body(&winrm, &ui, &CancelToken::new())
        .await
        .expect_err("winrm is not available");
    assert!(
        err.to_string().contains("\"winrm\" is not available"),
        "{err}"
    );
}

#[tokio::test]
async fn known_hosts_file_pins_the_host_key() {
    let Some(sshd) = Sshd::start() else { return };
    let dir = tempfile::tempdir().expect("tmp");
    let good = dir.path().join("good");
    std::fs::write(&good, sshd.known_hosts_line()).expect("write");
    let b = with(
        &sshd,
        &[("ssh_known_hosts_file", s(&good.display().to_string()))],
    );
    let (ui, _rx) = ui();
    let (comm, _) = connect_body(&b, &ui, &CancelToken::new())
        .await
        .expect("listed key connects")
        .expect("a communicator");
    assert_eq!(run(&*comm, "true").await.0, Some(0));

    // Another key for the same host: refused at once, not retried.
    let other = std::fs::read_to_string(sshd.wrong_key().with_extension("pub")).expect("pub");
    let bad = dir.path().join("bad");
    let mut parts = other.split_whitespace();
    std::fs::write(
        &bad,
        format!(
            "[127.0.0.1]:{} {} {}\n",
            sshd.port(),
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default()
        ),
    )
    .expect("write");
    let b = with(
        &sshd,
        &[("ssh_known_hosts_file", s(&bad.display().to_string()))],
    );
    let start = Instant::now();
    let err = connect_body(&b, &ui, &CancelToken::new())
        .await
        .expect_err("changed key refused");
    assert!(start.elapsed() < Duration::from_secs(30));
    let msg = err.to_string();
    assert!(
        msg.contains("does not match line 1 of ssh_known_hosts_file"),
        "{msg}"
    );

    // A host that is not listed at all.
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "").expect("write");
    let b = with(
        &sshd,
        &[("ssh_known_hosts_file", s(&empty.display().to_string()))],
    );
    let err = connect_body(&b, &ui, &CancelToken::new())
        .await
        .expect_err("unknown host refused");
    assert!(
        err.to_string()
            .contains("is not listed in ssh_known_hosts_file"),
        "{err}"
    );
}

fn sha256_file(path: &std::path::Path) -> String {
    let out = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

fn mode_of(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).expect("stat").permissions().mode() & 0o7777
}

#[tokio::test]
async fn large_upload_and_download_stream_with_equal_checksums() {
    let Some(sshd) = Sshd::start() else { return };
    let comm = connect(&sshd).await;
    let dir = tempfile::tempdir().expect("tmp");
    let src = dir.path().join("big.bin");
    // 64 MiB of pseudo-random bytes (xorshift), so compression or sparse
    // files cannot fake it.
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&src).expect("create"));
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut block = vec![0u8; 1 << 20];
        for _ in 0..64 {
            for chunk in block.chunks_mut(8) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                chunk.copy_from_slice(&x.to_le_bytes());
            }
            f.write_all(&block).expect("write");
        }
    }
    let remote = dir.path().join("remote.bin");
    let mut f = tokio::fs::File::open(&src).await.expect("open");
    let n = comm
        .upload(&remote.display().to_string(), &mut f, Some(0o640))
        .await
        .expect("upload");
    assert_eq!(n, 64 << 20);
    assert_eq!(sha256_file(&remote), sha256_file(&src));
    assert_eq!(mode_of(&remote), 0o640);

    let back = dir.path().join("back.bin");
    let mut out = tokio::fs::File::create(&back).await.expect("create");
    let n = comm
        .download(&remote.display().to_string(), &mut out)
        .await
        .expect("download");
    drop(out);
    assert_eq!(n, 64 << 20);
    assert_eq!(sha256_file(&back), sha256_file(&src));
}

#[tokio::test]
async fn transfer_errors_name_the_path() {
    let Some(sshd) = Sshd::start() else { return };
    let comm = connect(&sshd).await;
    let dir = tempfile::tempdir().expect("tmp");
    let missing = dir.path().join("no/such/dir/file");
    let err = comm
        .upload(&missing.display().to_string(), &mut &b"x"[..], None)
        .await
        .expect_err("parent missing");
    assert!(
        err.to_string().contains(&missing.display().to_string()),
        "{err}"
    );
    let mut sink = Vec::new();
    let err = comm
        .download(&missing.display().to_string(), &mut sink)
        .await
        .expect_err("missing");
    assert!(err.to_string().contains("downloading"), "{err}");
}

/// A tree: top/a.txt (0600), top/bin/run.sh (0755), top/sub/deep/c.txt.
fn make_tree(root: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let top = root.join("top");
    std::fs::create_dir_all(top.join("bin")).expect("mkdir");
    std::fs::create_dir_all(top.join("sub/deep")).expect("mkdir");
    std::fs::write(top.join("a.txt"), "alpha\n").expect("write");
    std::fs::set_permissions(top.join("a.txt"), std::fs::Permissions::from_mode(0o600))
        .expect("chmod");
    std::fs::write(top.join("bin/run.sh"), "#!/bin/sh\necho run\n").expect("write");
    std::fs::set_permissions(
        top.join("bin/run.sh"),
        std::fs::Permissions::from_mode(0o755),
    )
    .expect("chmod");
    std::fs::write(top.join("sub/deep/c.txt"), "gamma\n").expect("write");
    std::fs::set_permissions(top.join("sub"), std::fs::Permissions::from_mode(0o750))
        .expect("chmod");
    top
}

fn assert_tree(at: &std::path::Path) {
    assert_eq!(
        std::fs::read_to_string(at.join("a.txt")).expect("a"),
        "alpha\n"
    );
    assert_eq!(mode_of(&at.join("a.txt")), 0o600);
    assert_eq!(mode_of(&at.join("bin/run.sh")), 0o755);
    assert_eq!(mode_of(&at.join("sub")), 0o750);
    assert_eq!(
        std::fs::read_to_string(at.join("sub/deep/c.txt")).expect("c"),
        "gamma\n"
    );
}

#[tokio::test]
async fn directories_follow_the_trailing_slash_rule_both_ways() {
    let Some(sshd) = Sshd::start() else { return };
    let comm = connect(&sshd).await;
    let dir = tempfile::tempdir().expect("tmp");
    let top = make_tree(dir.path());

    // No trailing slash: the directory itself lands inside the destination.
    let dst1 = dir.path().join("up1");
    std::fs::create_dir(&dst1).expect("mkdir");
    comm.upload_dir(&dst1.display().to_string(), &top, &[])
        .await
        .expect("upload_dir");
    assert_tree(&dst1.join("top"));

    // Trailing slash: only the contents.
    let dst2 = dir.path().join("up2");
    std::fs::create_dir(&dst2).expect("mkdir");
    let src = std::path::PathBuf::from(format!("{}/", top.display()));
    comm.upload_dir(&dst2.display().to_string(), &src, &["sub/deep".to_string()])
        .await
        .expect("upload_dir");
    assert_eq!(
        std::fs::read_to_string(dst2.join("a.txt")).expect("a"),
        "alpha\n"
    );
    assert!(!dst2.join("top").exists());
    assert!(dst2.join("sub").is_dir());
    assert!(!dst2.join("sub/deep").exists(), "excluded");

    // Downloads: without a slash the directory is created inside.
    let down1 = dir.path().join("down1");
    std::fs::create_dir(&down1).expect("mkdir");
    comm.download_dir(&top.display().to_string(), &down1, &[])
        .await
        .expect("download_dir");
    assert_tree(&down1.join("top"));
    let down2 = dir.path().join("down2");
    std::fs::create_dir(&down2).expect("mkdir");
    comm.download_dir(&format!("{}/", top.display()), &down2, &[])
        .await
        .expect("download_dir");
    assert_tree(&down2);
}

#[tokio::test]
async fn password_authentication() {
    let Some((user, password)) = Sshd::password_user() else {
        return;
    };
    let Some(sshd) = Sshd::start_with(kiln_peers::SshdOptions {
        password_auth: true,
        ..Default::default()
    }) else {
        return;
    };
    let b = with(
        &sshd,
        &[
            ("ssh_private_key_file", Value::Null),
            ("ssh_username", s(&user)),
            ("ssh_password", s(&password)),
        ],
    );
    let (ui, mut rx) = ui();
    let (comm, generated) = connect_body(&b, &ui, &CancelToken::new())
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", sshd.log()))
        .expect("a communicator");
    assert_eq!(generated["Password"], password);
    let (code, lines) = run(&*comm, "id -un").await;
    assert_eq!(code, Some(0));
    assert_eq!(lines[0].1, user);
    // The password is masked from now on.
    drain(&mut rx);
    ui.message(format!("pw={password}"));
    assert_eq!(drain(&mut rx), ["pw=<sensitive>"]);

    let b = with(
        &sshd,
        &[
            ("ssh_private_key_file", Value::Null),
            ("ssh_username", s(&user)),
            ("ssh_password", s("not-the-password")),
            ("ssh_handshake_attempts", Value::Number(1.0)),
        ],
    );
    let err = connect_body(&b, &ui, &CancelToken::new())
        .await
        .expect_err("wrong password");
    assert!(
        err.to_string()
            .contains("attempted methods [none password]"),
        "{err}"
    );
}

#[tokio::test]
async fn agent_authentication_and_forwarding() {
    let Some(sshd) = Sshd::start() else { return };
    let Some(agent) = kiln_peers::SshAgent::start(&[&sshd.key_of_type("ecdsa")]) else {
        return;
    };
    // nextest runs each test in its own process, so this does not leak.
    std::env::set_var("SSH_AUTH_SOCK", agent.socket());
    let b = with(
        &sshd,
        &[
            ("ssh_private_key_file", Value::Null),
            ("ssh_agent_auth", Value::Bool(true)),
        ],
    );
    let (ui, _rx) = ui();
    let (comm, generated) = connect_body(&b, &ui, &CancelToken::new())
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", sshd.log()))
        .expect("a communicator");
    assert_eq!(generated["SSHPrivateKey"], "");
    // The agent is forwarded: the remote side lists the same key.
    let (code, lines) = run(&*comm, "ssh-add -L").await;
    assert_eq!(code, Some(0), "{lines:?}");
    let public =
        std::fs::read_to_string(sshd.key_of_type("ecdsa").with_extension("pub")).expect("pub");
    let key = public.split_whitespace().nth(1).expect("key");
    assert!(lines.iter().any(|(_, l)| l.contains(key)), "{lines:?}");

    // ssh_disable_agent_forwarding turns that off.
    let b = with(
        &sshd,
        &[
            ("ssh_private_key_file", Value::Null),
            ("ssh_agent_auth", Value::Bool(true)),
            ("ssh_disable_agent_forwarding", Value::Bool(true)),
        ],
    );
    let (comm, _) = connect_body(&b, &ui, &CancelToken::new())
        .await
        .expect("connects")
        .expect("a communicator");
    let (code, _) = run(&*comm, "test -z \"$SSH_AUTH_SOCK\"").await;
    assert_eq!(code, Some(0));
}

#[tokio::test]
async fn bastion_host_tunnels_the_connection() {
    let Some(target) = Sshd::start() else { return };
    let Some(bastion) = Sshd::start_with(kiln_peers::SshdOptions {
        extra_config: vec!["LogLevel DEBUG1".to_string()],
        ..Default::default()
    }) else {
        return;
    };
    let b = with(
        &target,
        &[
            ("ssh_bastion_host", s(bastion.host())),
            ("ssh_bastion_port", Value::Number(bastion.port() as f64)),
            ("ssh_bastion_username", s(&bastion.user())),
            (
                "ssh_bastion_private_key_file",
                s(&bastion.client_key().display().to_string()),
            ),
        ],
    );
    let (ui, _rx) = ui();
    let (comm, _) = connect_body(&b, &ui, &CancelToken::new())
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", bastion.log()))
        .expect("a communicator");
    assert_eq!(run(&*comm, "echo via").await.1[0].1, "via");
    let log = bastion.log();
    assert!(
        log.contains(&format!("target 127.0.0.1 port {}", target.port())),
        "the bastion did not forward the connection:\n{log}"
    );

    // A bastion that refuses our key: a clear error naming the bastion.
    let b = with(
        &target,
        &[
            ("ssh_bastion_host", s(bastion.host())),
            ("ssh_bastion_port", Value::Number(bastion.port() as f64)),
            (
                "ssh_bastion_private_key_file",
                s(&bastion.wrong_key().display().to_string()),
            ),
            ("ssh_handshake_attempts", Value::Number(1.0)),
        ],
    );
    let err = connect_body(&b, &ui, &CancelToken::new())
        .await
        .expect_err("bastion refuses");
    assert!(
        err.to_string().contains("bastion ssh: handshake failed"),
        "{err}"
    );
}

#[tokio::test]
async fn sshd_killed_mid_command_reports_a_lost_connection() {
    let Some(mut sshd) = Sshd::start() else {
        return;
    };
    let comm = connect(&sshd).await;
    let c2 = comm.clone();
    let running = tokio::spawn(async move {
        let sink = |_: OutputStream, _: &str| {};
        c2.run("echo started; sleep 60", &sink).await
    });
    tokio::time::sleep(Duration::from_secs(2)).await;
    let start = Instant::now();
    sshd.kill();
    let status = tokio::time::timeout(Duration::from_secs(30), running)
        .await
        .expect("run returns once the connection is gone")
        .expect("task")
        .expect("a status, not an error");
    assert_eq!(status.code, None, "no exit status: the connection dropped");
    assert!(start.elapsed() < Duration::from_secs(30));
    // The next call tries to reconnect and says why it cannot.
    let sink = |_: OutputStream, _: &str| {};
    let err = comm.run("true", &sink).await.expect_err("server is down");
    assert!(err.to_string().contains("reconnecting"), "{err}");
}

#[tokio::test]
async fn reconnects_after_the_machine_comes_back() {
    let Some(mut sshd) = Sshd::start() else {
        return;
    };
    let comm = connect(&sshd).await;
    assert_eq!(run(&*comm, "true").await.0, Some(0));
    sshd.restart();
    // Like a reboot: the old connection is gone, the next command
    // re-dials transparently.
    let (code, lines) = run(&*comm, "echo back").await;
    assert_eq!(code, Some(0));
    assert_eq!(lines[0].1, "back");
    let dir = tempfile::tempdir().expect("tmp");
    let dst = dir.path().join("after-reboot");
    sshd.restart();
    comm.upload(&dst.display().to_string(), &mut &b"ok"[..], None)
        .await
        .expect("upload after reconnect");
    assert_eq!(std::fs::read(&dst).expect("read"), b"ok");
}

#[tokio::test]
async fn a_builder_generated_key_is_used_exposed_and_masked() {
    let Some(sshd) = Sshd::start() else { return };
    let b = with(&sshd, &[("ssh_private_key_file", Value::Null)]);
    let settings = kiln_sdk::Settings::new("test builder", &b);
    let mut config = kiln_build::ssh::SshConfig::from_settings(&settings, None).expect("config");
    let private = std::fs::read_to_string(sshd.key_of_type("rsa")).expect("key");
    config.target.auth.private_key = Some(private.clone());
    let (ui, mut rx) = ui();
    let (comm, generated) = kiln_build::ssh::connect::connect_ssh(config, &ui, &CancelToken::new())
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", sshd.log()));
    assert_eq!(run(&*comm, "true").await.0, Some(0));
    assert_eq!(generated["SSHPrivateKey"], private);
    let public =
        std::fs::read_to_string(sshd.key_of_type("rsa").with_extension("pub")).expect("pub");
    let key_part = |s: &str| s.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
    assert_eq!(key_part(&generated["SSHPublicKey"]), key_part(&public));
    drain(&mut rx);
    ui.message(format!("key: {private}"));
    assert_eq!(drain(&mut rx), ["key: <sensitive>"]);
}

#[tokio::test]
async fn an_unreadable_key_file_is_a_configuration_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let bad = dir.path().join("not-a-key");
    std::fs::write(&bad, "hello").expect("write");
    for path in [bad.clone(), dir.path().join("missing")] {
        let b = body(&[
            ("ssh_host", s("127.0.0.1")),
            ("ssh_username", s("u")),
            ("ssh_private_key_file", s(&path.display().to_string())),
        ]);
        let (ui, _rx) = ui();
        let err = connect_body(&b, &ui, &CancelToken::new())
            .await
            .expect_err("bad key");
        assert!(matches!(err, BuildError::Config(_)), "{err:?}");
        assert!(
            err.to_string().contains("ssh_private_key_file is invalid"),
            "{err}"
        );
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );
    }
}

#[tokio::test]
async fn clear_authorized_keys_removes_the_ephemeral_key() {
    let Some((user, password)) = Sshd::password_user() else {
        return;
    };
    let Some(sshd) = Sshd::start_with(kiln_peers::SshdOptions {
        password_auth: true,
        ..Default::default()
    }) else {
        return;
    };
    let b = with(
        &sshd,
        &[
            ("ssh_private_key_file", Value::Null),
            ("ssh_username", s(&user)),
            ("ssh_password", s(&password)),
            ("ssh_clear_authorized_keys", Value::Bool(true)),
        ],
    );
    let (ui, mut rx) = ui();
    let (comm, _) = connect_body(&b, &ui, &CancelToken::new())
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", sshd.log()))
        .expect("a communicator");
    let ephemeral =
        std::fs::read_to_string(sshd.key_of_type("rsa").with_extension("pub")).expect("pub");
    let keep = std::fs::read_to_string(sshd.client_key().with_extension("pub")).expect("pub");
    let setup = format!(
        "mkdir -p ~/.ssh && printf '%s%s' '{}' '{}' > ~/.ssh/authorized_keys",
        ephemeral.trim_end().to_owned() + "\n",
        keep.trim_end().to_owned() + "\n"
    );
    assert_eq!(run(&*comm, &setup).await.0, Some(0));
    let mut generated = kiln_sdk::communicator::GeneratedData::new();
    generated.insert("SSHPublicKey".into(), ephemeral.clone());
    drain(&mut rx);
    let settings = kiln_sdk::Settings::new("test builder", &b);
    kiln_build::ssh::clear_authorized_keys(&*comm, &settings, &generated, &ui)
        .await
        .expect("cleared");
    assert_eq!(
        drain(&mut rx),
        ["Trying to remove ephemeral keys from authorized_keys files"]
    );
    let (code, lines) = run(&*comm, "cat ~/.ssh/authorized_keys; ls ~/.ssh").await;
    assert_eq!(code, Some(0));
    let text: Vec<&str> = lines.iter().map(|(_, l)| l.as_str()).collect();
    assert_eq!(text, [keep.trim_end(), "authorized_keys"]);
    let _ = run(&*comm, "rm -rf ~/.ssh").await;
}

#[tokio::test]
async fn pause_before_connecting_is_announced_and_cancellable() {
    let Some(sshd) = Sshd::start() else { return };
    let b = with(&sshd, &[("pause_before_connecting", s("1s"))]);
    let (ui, mut rx) = ui();
    let start = Instant::now();
    connect_body(&b, &ui, &CancelToken::new())
        .await
        .expect("connects")
        .expect("a communicator");
    assert!(start.elapsed() >= Duration::from_secs(1));
    assert_eq!(drain(&mut rx)[0], "Pausing 1s before connecting...");
    let b = with(&sshd, &[("pause_before_connecting", s("10m"))]);
    let cancel = CancelToken::new();
    let c2 = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        c2.cancel();
    });
    let err = connect_body(&b, &ui, &cancel).await.expect_err("cancelled");
    assert_eq!(err, BuildError::Cancelled);
}

#[tokio::test]
async fn ssh_pty_gives_commands_a_terminal() {
    let Some(sshd) = Sshd::start() else { return };
    let plain = connect(&sshd).await;
    let (code, _) = run(&*plain, "tty").await;
    assert_eq!(code, Some(1), "no terminal without ssh_pty");
    let b = with(&sshd, &[("ssh_pty", Value::Bool(true))]);
    let (ui, _rx) = ui();
    let (comm, _) = connect_body(&b, &ui, &CancelToken::new())
        .await
        .expect("connects")
        .expect("a communicator");
    let (code, lines) = run(&*comm, "tty").await;
    assert_eq!(code, Some(0), "{lines:?}");
    assert!(lines[0].1.starts_with("/dev/pts/"), "{lines:?}");
}
