//! Shared helpers for the tests that talk to a real sshd: configuration
//! bodies, a Ui that records events, connecting.

#![allow(dead_code)]

use std::sync::Arc;

use kiln_build::ssh::connect as communicator;
use kiln_lang::template::model::ConfigBody;
use kiln_lang::template::Value;
use kiln_peers::Sshd;
use kiln_sdk::communicator::{Communicator, GeneratedData, OutputStream};
use kiln_sdk::{BuildError, BuildEvent, CancelToken, Secrets, Settings, Ui};
use tokio::sync::mpsc::UnboundedReceiver;

pub fn body(attrs: &[(&str, Value)]) -> ConfigBody {
    ConfigBody::from_values(attrs.iter().map(|(k, v)| (*k, v.clone())))
}

pub fn s(v: &str) -> Value {
    Value::String(v.to_string())
}

/// The settings that reach `sshd` with its ed25519 client key.
pub fn key_settings(sshd: &Sshd) -> Vec<(&'static str, Value)> {
    vec![
        ("ssh_host", s(sshd.host())),
        ("ssh_port", Value::Number(sshd.port() as f64)),
        ("ssh_username", s(&sshd.user())),
        (
            "ssh_private_key_file",
            s(&sshd.client_key().display().to_string()),
        ),
        ("ssh_timeout", s("60s")),
    ]
}

pub fn ui() -> (Ui, UnboundedReceiver<BuildEvent>) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    (Ui::new("null.test", Secrets::new(Vec::new()), tx), rx)
}

/// Every message sent so far, as text.
pub fn drain(rx: &mut UnboundedReceiver<BuildEvent>) -> Vec<String> {
    let mut out = Vec::new();
    while let Ok(e) = rx.try_recv() {
        match e {
            BuildEvent::Say { message, .. }
            | BuildEvent::Message { message, .. }
            | BuildEvent::Error { message, .. } => out.push(message),
            _ => {}
        }
    }
    out
}

pub async fn connect_body(
    b: &ConfigBody,
    ui: &Ui,
    cancel: &CancelToken,
) -> Result<Option<(Arc<dyn Communicator>, GeneratedData)>, BuildError> {
    let settings = Settings::new("null builder", b);
    communicator::connect("null builder", &settings, None, ui, cancel).await
}

pub async fn connect(sshd: &Sshd) -> Arc<dyn Communicator> {
    let (ui, _rx) = ui();
    let b = body(&key_settings(sshd));
    match connect_body(&b, &ui, &CancelToken::new()).await {
        Ok(Some((c, _))) => c,
        Ok(None) => panic!("no communicator"),
        Err(e) => panic!("connect failed: {e}\nsshd log:\n{}", sshd.log()),
    }
}

/// Run a command, collecting (stream, line) pairs.
pub async fn run(comm: &dyn Communicator, cmd: &str) -> (Option<u32>, Vec<(OutputStream, String)>) {
    let lines = std::sync::Mutex::new(Vec::new());
    let sink = |s: OutputStream, l: &str| {
        if let Ok(mut v) = lines.lock() {
            v.push((s, l.to_string()))
        }
    };
    let status = comm
        .run(cmd, &sink)
        .await
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    (status.code, lines.into_inner().unwrap_or_default())
}
