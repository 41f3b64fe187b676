//! The `shell` provisioner against a real OpenSSH server on loopback (the
//! "remote" machine is this one, so the tests can look at its files).

mod remote;

use std::time::{Duration, Instant};

use kiln_lang::template::Value;
use kiln_peers::Sshd;
use kiln_sdk::CancelToken;
use remote::{list, map, null_job, numbers, prov, run, run_in, s};

fn sshd() -> Option<Sshd> {
    Sshd::start()
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inline_runs_with_packer_env_and_streams_output() {
    let Some(sshd) = sshd() else { return };
    let dir = tmp();
    let job = null_job(
        &sshd,
        "box",
        vec![prov(
            "shell",
            &[(
                "inline",
                list(&[
                    "echo \"hello from $PACKER_BUILD_NAME/$PACKER_BUILDER_TYPE\"",
                    "echo to-stderr >&2",
                    "printf 'progress 10%%\\rprogress 100%%\\n'",
                ]),
            )],
        )],
    );
    let ran = run(dir.path(), vec![job]).await;
    assert!(
        ran.ok(),
        "{:?}\n{}\n{}",
        ran.error(),
        ran.text(),
        sshd.log()
    );
    assert!(ran.has("msg: hello from box/null"), "{}", ran.text());
    assert!(ran.has("err: to-stderr"), "{}", ran.text());
    // Packer keeps what follows the last carriage return.
    assert!(ran.has("msg: progress 100%"), "{}", ran.text());
    assert!(
        ran.lines()
            .iter()
            .any(|l| l.starts_with("say: Provisioning with shell script: ")),
        "{}",
        ran.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripts_run_in_order_crlf_converted_and_removed() {
    let Some(sshd) = sshd() else { return };
    let dir = tmp();
    let out = dir.path().join("out.txt");
    std::fs::write(
        dir.path().join("a.sh"),
        format!("#!/bin/sh\r\necho a >> {}\r\n", out.display()),
    )
    .expect("write a.sh");
    std::fs::write(
        dir.path().join("b.sh"),
        format!("#!/bin/sh\necho b >> {}\necho ran-b", out.display()),
    )
    .expect("write b.sh");
    let remote_path = dir.path().join("uploaded.sh");
    let job = null_job(
        &sshd,
        "box",
        vec![prov(
            "shell",
            &[
                ("scripts", list(&["a.sh", "b.sh"])),
                ("remote_path", s(&remote_path.display().to_string())),
            ],
        )],
    );
    let ran = run(dir.path(), vec![job]).await;
    assert!(ran.ok(), "{:?}\n{}", ran.error(), ran.text());
    assert_eq!(
        std::fs::read_to_string(&out).expect("out.txt"),
        "a\nb\n",
        "CRLF must be converted (no 'out.txt\\r' file)"
    );
    let says: Vec<String> = ran
        .lines()
        .into_iter()
        .filter(|l| l.starts_with("say: Provisioning with shell script"))
        .collect();
    assert_eq!(
        says,
        [
            "say: Provisioning with shell script: a.sh",
            "say: Provisioning with shell script: b.sh"
        ]
    );
    assert!(ran.has("msg: ran-b"), "{}", ran.text());
    assert!(!remote_path.exists(), "the uploaded script must be removed");
    assert!(!dir.path().join("uploaded.sh.pid").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_clean_leaves_the_uploaded_script() {
    let Some(sshd) = sshd() else { return };
    let dir = tmp();
    let remote_path = dir.path().join("kept.sh");
    let job = null_job(
        &sshd,
        "box",
        vec![prov(
            "shell",
            &[
                ("inline", list(&["echo one", "echo two"])),
                ("remote_path", s(&remote_path.display().to_string())),
                ("skip_clean", Value::Bool(true)),
            ],
        )],
    );
    let ran = run(dir.path(), vec![job]).await;
    assert!(ran.ok(), "{:?}\n{}", ran.error(), ran.text());
    assert_eq!(
        std::fs::read_to_string(&remote_path).expect("kept script"),
        "#!/bin/sh -e\necho one\necho two\n"
    );
    assert!(!dir.path().join("kept.sh.pid").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn environment_values_keep_quotes_and_spaces() {
    let Some(sshd) = sshd() else { return };
    let dir = tmp();
    let job = null_job(
        &sshd,
        "box",
        vec![prov(
            "shell",
            &[
                (
                    "environment_vars",
                    list(&[
                        "QUOTED=it's \"quoted\" $HOME `x`",
                        "SPACED=a  b c",
                        "EQ=x=y",
                        "OVERRIDDEN=from list",
                    ]),
                ),
                (
                    "env",
                    map(&[("FROM_MAP", "m a p"), ("OVERRIDDEN", "from map")]),
                ),
                (
                    "inline",
                    list(&[
                        "printf '[%s]\\n' \"$QUOTED\" \"$SPACED\" \"$EQ\" \"$FROM_MAP\" \"$OVERRIDDEN\"",
                    ]),
                ),
            ],
        )],
    );
    let ran = run(dir.path(), vec![job]).await;
    assert!(ran.ok(), "{:?}\n{}", ran.error(), ran.text());
    for want in [
        "msg: [it's \"quoted\" $HOME `x`]",
        "msg: [a  b c]",
        "msg: [x=y]",
        "msg: [m a p]",
        "msg: [from map]",
    ] {
        assert!(ran.has(want), "missing {want:?} in\n{}", ran.text());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn execute_command_and_env_var_file() {
    let Some(sshd) = sshd() else { return };
    let dir = tmp();
    let remote_path = dir.path().join("exec.sh");
    let job = null_job(
        &sshd,
        "box",
        vec![
            prov(
                "shell",
                &[
                    ("inline", list(&["echo \"script sees $GREETING\""])),
                    ("environment_vars", list(&["GREETING=hi there"])),
                    ("remote_path", s(&remote_path.display().to_string())),
                    (
                        "execute_command",
                        s("echo \"custom runs {{.Path}}\"; {{.Vars}} /bin/sh {{.Path}}"),
                    ),
                ],
            ),
            prov(
                "shell",
                &[
                    ("inline", list(&["echo \"from file: $GREETING\""])),
                    ("environment_vars", list(&["GREETING=it's a file"])),
                    ("use_env_var_file", Value::Bool(true)),
                    ("remote_folder", s(&dir.path().display().to_string())),
                ],
            ),
        ],
    );
    let ran = run(dir.path(), vec![job]).await;
    assert!(ran.ok(), "{:?}\n{}", ran.error(), ran.text());
    assert!(
        ran.has(&format!("msg: custom runs {}", remote_path.display())),
        "{}",
        ran.text()
    );
    assert!(ran.has("msg: script sees hi there"), "{}", ran.text());
    assert!(ran.has("msg: from file: it's a file"), "{}", ran.text());
    // Both the script and the variables file are removed afterwards.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("read dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("script_") || n.starts_with("varfile_"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn valid_exit_codes_and_packer_error_text() {
    let Some(sshd) = sshd() else { return };
    let dir = tmp();
    let marker = dir.path().join("not-reached");
    let failed_script = dir.path().join("failed.sh");
    let ok = null_job(
        &sshd,
        "allowed",
        vec![prov(
            "shell",
            &[
                ("inline", list(&["echo exiting 3", "exit 3"])),
                ("valid_exit_codes", numbers(&[0.0, 3.0])),
            ],
        )],
    );
    let ran = run(dir.path(), vec![ok]).await;
    assert!(ran.ok(), "{:?}\n{}", ran.error(), ran.text());

    let failing = null_job(
        &sshd,
        "failing",
        vec![
            prov(
                "shell",
                &[
                    ("inline", list(&["exit 3"])),
                    ("remote_path", s(&failed_script.display().to_string())),
                ],
            ),
            prov(
                "shell",
                &[("inline", list(&[&format!("touch {}", marker.display())]))],
            ),
        ],
    );
    let ran = run(dir.path(), vec![failing]).await;
    assert_eq!(
        ran.error().as_deref(),
        Some("Script exited with non-zero exit status: 3. Allowed exit codes are: [0]"),
        "{}",
        ran.text()
    );
    assert!(!marker.exists(), "no provisioner runs after a failure");
    assert!(!failed_script.exists(), "the failed script is removed too");
}

/// A script that kills its own SSH session (as a reboot would).
const KILL_SESSION: &str = "p=$$; while [ \"$p\" -gt 1 ]; do \
     case \"$(cat /proc/$p/comm)\" in sshd*) kill -9 \"$p\"; break;; esac; \
     p=$(awk '{print $4}' /proc/$p/stat); done; sleep 5";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expect_disconnect_accepts_a_dropped_session() {
    let Some(sshd) = sshd() else { return };
    let dir = tmp();
    let expected = null_job(
        &sshd,
        "expected",
        vec![prov(
            "shell",
            &[
                ("inline", list(&["echo going down", KILL_SESSION])),
                ("expect_disconnect", Value::Bool(true)),
                ("skip_clean", Value::Bool(true)),
            ],
        )],
    );
    let started = Instant::now();
    let ran = run(dir.path(), vec![expected]).await;
    assert!(
        ran.ok(),
        "{:?}\n{}\n{}",
        ran.error(),
        ran.text(),
        sshd.log()
    );
    assert!(ran.has("msg: going down"), "{}", ran.text());
    assert!(started.elapsed() < Duration::from_secs(60));

    let unexpected = null_job(
        &sshd,
        "unexpected",
        vec![prov(
            "shell",
            &[
                ("inline", list(&[KILL_SESSION])),
                ("skip_clean", Value::Bool(true)),
            ],
        )],
    );
    let ran = run(dir.path(), vec![unexpected]).await;
    let err = ran.error().unwrap_or_default();
    assert!(
        err.starts_with("Script disconnected unexpectedly."),
        "{err}\n{}",
        ran.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_retry_timeout_waits_for_the_machine() {
    let Some(sshd) = sshd() else { return };
    let dir = tmp();
    // The upload fails until the folder exists (created 3 s in).
    let later = dir.path().join("later");
    let remote_path = later.join("script.sh");
    let maker = {
        let later = later.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(3));
            std::fs::create_dir(&later).expect("mkdir later");
        })
    };
    let job = null_job(
        &sshd,
        "retry",
        vec![prov(
            "shell",
            &[
                ("inline", list(&["echo made it"])),
                ("remote_path", s(&remote_path.display().to_string())),
                ("start_retry_timeout", s("60s")),
            ],
        )],
    );
    let ran = run(dir.path(), vec![job]).await;
    maker.join().expect("maker thread");
    assert!(ran.ok(), "{:?}\n{}", ran.error(), ran.text());
    assert!(ran.has("msg: made it"), "{}", ran.text());

    let never = null_job(
        &sshd,
        "never",
        vec![prov(
            "shell",
            &[
                ("inline", list(&["echo never"])),
                (
                    "remote_path",
                    s(&dir.path().join("missing/x.sh").display().to_string()),
                ),
                ("start_retry_timeout", s("1s")),
            ],
        )],
    );
    let started = Instant::now();
    let ran = run(dir.path(), vec![never]).await;
    let err = ran.error().unwrap_or_default();
    assert!(err.starts_with("Error uploading script:"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_stops_a_long_script_promptly() {
    let Some(sshd) = sshd() else { return };
    let dir = tmp();
    let marker = format!("sleep 600.{}", std::process::id());
    let remote_path = dir.path().join("long.sh");
    let job = null_job(
        &sshd,
        "long",
        vec![prov(
            "shell",
            &[
                ("inline", list(&["echo sleeping", &marker])),
                ("remote_path", s(&remote_path.display().to_string())),
            ],
        )],
    );
    let cancel = CancelToken::new();
    let c2 = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(3)).await;
        c2.cancel();
    });
    let started = Instant::now();
    let ran = run_in(dir.path(), vec![job], cancel).await;
    assert_eq!(ran.error().as_deref(), Some("Build was cancelled."));
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
    // The remote script was stopped and removed.
    let running = || {
        std::process::Command::new("pgrep")
            .args(["-f", &marker])
            .output()
            .map(|o| !o.stdout.is_empty())
            .unwrap_or(false)
    };
    let waited = Instant::now();
    while running() && waited.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let still = running();
    let _ = std::process::Command::new("pkill")
        .args(["-f", &marker])
        .status();
    assert!(!still, "the remote script is still running");
    assert!(!remote_path.exists(), "the remote script is removed");
    assert!(!dir.path().join("long.sh.pid").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_after_and_disabled_breakpoint() {
    let Some(sshd) = sshd() else { return };
    let dir = tmp();
    let job = null_job(
        &sshd,
        "paused",
        vec![
            prov(
                "shell",
                &[("inline", list(&["true"])), ("pause_after", s("1s"))],
            ),
            prov(
                "breakpoint",
                &[("disable", Value::Bool(true)), ("note", s("look here"))],
            ),
        ],
    );
    let started = Instant::now();
    let ran = run(dir.path(), vec![job]).await;
    assert!(ran.ok(), "{:?}\n{}", ran.error(), ran.text());
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert!(
        ran.has("say: Pausing 1s after this provisioner..."),
        "{}",
        ran.text()
    );
    assert!(
        ran.has("say: Breakpoint provisioner with note \"look here\" disabled; continuing..."),
        "{}",
        ran.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_without_a_communicator_is_a_clear_error() {
    let dir = tmp();
    let job = kiln_build::runner::BuildJob {
        name: "null.none".into(),
        source_name: "none".into(),
        builder: remote::component(
            kiln_lang::template::model::ComponentKind::Builder,
            "null",
            &[("communicator", s("none"))],
        ),
        provisioners: vec![prov("shell", &[("inline", list(&["true"]))])],
        post_processors: vec![],
        error_cleanup_provisioner: None,
        reevaluate: Default::default(),
        hcp_packer_registry: None,
    };
    let ran = run(dir.path(), vec![job]).await;
    assert_eq!(
        ran.error().as_deref(),
        Some(
            "The shell provisioner needs a connection to the machine, but this build's \
             communicator is \"none\"."
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn env_var_format_shapes_the_vars() {
    let Some(sshd) = sshd() else { return };
    let dir = tmp();
    let job = null_job(
        &sshd,
        "fmt",
        vec![prov(
            "shell",
            &[
                ("environment_vars", list(&["A=it's one", "B=two"])),
                ("env_var_format", s("export %s='%s'; ")),
                (
                    "execute_command",
                    s("{{.Vars}}echo \"vars: $A|$B|$PACKER_BUILD_NAME\"; /bin/sh {{.Path}}"),
                ),
                ("inline", list(&["echo inline ran"])),
            ],
        )],
    );
    let ran = run(dir.path(), vec![job]).await;
    assert!(ran.ok(), "{:?}\n{}", ran.error(), ran.text());
    assert!(ran.has("msg: vars: it's one|two|fmt"), "{}", ran.text());
    assert!(ran.has("msg: inline ran"), "{}", ran.text());
}
