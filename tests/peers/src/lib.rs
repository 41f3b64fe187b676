//! Real peers for kiln's tests, started on loopback with their own keys and
//! configuration, stopped on drop. With `KILN_REQUIRE_PEERS` set (CI), a
//! missing peer program fails the test instead of skipping it.

mod agent;
mod moto;
mod sshd;

pub use agent::SshAgent;
pub use moto::{moto_bin, Moto};

pub use sshd::{Sshd, SshdOptions};

/// Whether `program` exists; panics when it does not and
/// `KILN_REQUIRE_PEERS` is set.
pub fn require(program: &str) -> bool {
    let ok = std::path::Path::new(program).exists()
        || std::process::Command::new("sh")
            .args(["-c", &format!("command -v {program}")])
            .output()
            .is_ok_and(|o| o.status.success());
    assert!(
        ok || std::env::var_os("KILN_REQUIRE_PEERS").is_none(),
        "KILN_REQUIRE_PEERS is set but {program} is not installed (scripts/test.sh installs it)"
    );
    if !ok {
        eprintln!("skipping: {program} is not installed");
    }
    ok
}

/// A free TCP port on 127.0.0.1 (bound and released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free port on 127.0.0.1: {e}"))
}
