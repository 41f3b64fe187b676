//! The SSH communicator against a private OpenSSH sshd on loopback.

mod sshkit;

use std::time::{Duration, Instant};

use kiln_engine::communicator::OutputStream;
use kiln_engine::run::{BuildError, CancelToken};
use kiln_engine::template::Value;
use kiln_peers::Sshd;
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
) -> kiln_engine::template::model::ConfigBody {
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
            "Using SSH communicator to connect: 127.0.0.1",
            "Waiting for SSH to become available...",
            "Connected to SSH!"
        ]
    );
    assert_eq!(generated["Host"], "127.0.0.1");
    assert_eq!(generated["Port"], sshd.port().to_string());
    assert_eq!(generated["User"], sshd.user());
    assert_eq!(generated["ConnType"], "ssh");
    let private = std::fs::read_to_string(sshd.client_key()).expect("key");
    assert_eq!(generated["SSHPrivateKey"], private);
    let public = std::fs::read_to_string(sshd.client_key().with_extension("pub")).expect("pub");
    let key_part = |s: &str| s.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
    assert_eq!(key_part(&generated["SSHPublicKey"]), key_part(&public));
    // The private key is a secret from now on.
    ui.message(format!("key: {private}"));
    assert_eq!(drain(&mut rx), ["key: <sensitive>"]);
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
    let settings = kiln_engine::run::Settings::new("test builder", &b);
    let (ui, _rx) = ui();
    let (comm, generated) = kiln_engine::communicator::connect(
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
