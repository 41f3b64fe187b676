//! `aws_secretsmanager` / `aws_secretsmanager_raw` through the CLI against
//! moto_server's Secrets Manager: the secret is fetched on kiln's one AWS
//! chain (kiln-build's client), with the region and credentials of a
//! profile in the shared files and the endpoint from `AWS_ENDPOINT_URL`.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use kiln_peers::Moto;

/// `CreateSecret` on moto in `region` (moto takes the region from the
/// credential scope and does not check signatures).
fn create_secret(moto: &Moto, region: &str, name: &str, value: &str) {
    let body = format!(
        "{{\"Name\":{},\"SecretString\":{}}}",
        serde_json_string(name),
        serde_json_string(value)
    );
    let req = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: secretsmanager.CreateSecret\r\nAuthorization: AWS4-HMAC-SHA256 Credential=testing/20240101/{region}/secretsmanager/aws4_request, SignedHeaders=host, Signature=0\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n{body}",
        port = moto.port(),
        len = body.len()
    );
    let mut s = std::net::TcpStream::connect(("127.0.0.1", moto.port())).expect("connect to moto");
    s.write_all(req.as_bytes()).expect("send CreateSecret");
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("read CreateSecret");
    assert!(
        resp.starts_with("HTTP/1.1 200") || resp.starts_with("HTTP/1.0 200"),
        "{resp}"
    );
}

fn serde_json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `kiln console` in `dir` with only the AWS settings given here.
fn console(dir: &Path, env: &[(&str, String)], input: &str) -> (Option<i32>, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kiln"));
    cmd.arg("console").arg("t.pkr.hcl").current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("AWS_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("HOME", dir)
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kiln");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.as_bytes()).expect("stdin");
    }
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn secrets_come_from_moto_with_a_profile_from_the_shared_files() {
    let Some(moto) = Moto::start() else { return };
    create_secret(&moto, "eu-west-1", "app", "{\"user\":\"u\",\"pass\":\"p\"}");
    create_secret(&moto, "eu-west-1", "plain", "hello");
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::write(d.path().join("t.pkr.hcl"), "locals {\n  x = 1\n}\n").expect("write");
    let creds = d.path().join("credentials");
    let config = d.path().join("config");
    std::fs::write(
        &creds,
        "[default]\naws_access_key_id = A\naws_secret_access_key = B\n[dev]\naws_access_key_id = testing\naws_secret_access_key = testing\n",
    )
    .expect("write credentials");
    std::fs::write(
        &config,
        "[default]\nregion = us-east-1\n[profile dev]\nregion = eu-west-1\n",
    )
    .expect("write config");
    let env = [
        ("AWS_ENDPOINT_URL", moto.endpoint()),
        ("AWS_PROFILE", "dev".to_string()),
        ("AWS_SHARED_CREDENTIALS_FILE", creds.display().to_string()),
        ("AWS_CONFIG_FILE", config.display().to_string()),
    ];
    let (code, out, err) = console(
        d.path(),
        &env,
        "aws_secretsmanager(\"app\", \"pass\")\naws_secretsmanager_raw(\"plain\")\naws_secretsmanager(\"plain\", null)\n",
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, "p\nhello\nhello\n", "{err}");

    // A missing secret: the service's error, named.
    let (code, _, err) = console(d.path(), &env, "aws_secretsmanager_raw(\"nope\")\n");
    assert_eq!(code, Some(1));
    assert!(
        err.contains("AWS Secrets Manager: error getting secret \"nope\"")
            && err.contains("ResourceNotFoundException"),
        "{err}"
    );
}

#[test]
fn without_a_region_the_error_says_so() {
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::write(d.path().join("t.pkr.hcl"), "locals {\n  x = 1\n}\n").expect("write");
    let env = [
        ("AWS_ACCESS_KEY_ID", "testing".to_string()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_string()),
        (
            "AWS_CONFIG_FILE",
            d.path().join("none").display().to_string(),
        ),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            d.path().join("none").display().to_string(),
        ),
    ];
    let (code, _, err) = console(d.path(), &env, "aws_secretsmanager_raw(\"s\")\n");
    assert_eq!(code, Some(1));
    assert!(err.contains("no AWS region configured"), "{err}");
}
