//! The `file` provisioner over SSH against a private sshd.

mod sshkit;

use std::path::Path;
use std::sync::Arc;

use kiln_build::components;
use kiln_lang::template::model::{Component, ComponentKind};
use kiln_lang::template::Value;
use kiln_peers::Sshd;
use kiln_sdk::communicator::{Communicator, GeneratedData};
use kiln_sdk::ProvisionContext;
use kiln_sdk::{BuildError, CancelToken, Ui};
use sshkit::*;

fn component(attrs: &[(&str, Value)]) -> Component {
    Component {
        kind: ComponentKind::Provisioner,
        type_name: "file".to_string(),
        name: None,
        type_range: None,
        context: "provisioner \"file\"".to_string(),
        config: body(attrs),
    }
}

async fn provision(
    comm: Option<Arc<dyn Communicator>>,
    ui: &Ui,
    cwd: &Path,
    attrs: &[(&str, Value)],
) -> Result<(), BuildError> {
    let p = components::provisioner(&component(attrs))?;
    let cancel = CancelToken::new();
    let ctx = ProvisionContext {
        ui,
        cancel: &cancel,
        cwd,
        build_name: "test",
        builder_type: "null",
        run_uuid: "uuid",
        communicator: comm,
        generated: GeneratedData::new(),
    };
    p.provision(&ctx).await
}

fn p(path: &Path) -> Value {
    s(&path.display().to_string())
}

fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).expect("stat").permissions().mode() & 0o7777
}

#[tokio::test]
async fn uploads_files_with_packers_destination_rules() {
    let Some(sshd) = Sshd::start() else { return };
    let comm = connect(&sshd).await;
    let (ui, mut rx) = ui();
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let src = d.join("app.conf");
    std::fs::write(&src, "setting = 1\n").expect("write");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&src, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    }
    std::fs::create_dir(d.join("remote")).expect("mkdir");

    // Destination is a file path.
    let dst = d.join("remote/renamed.conf");
    provision(
        Some(comm.clone()),
        &ui,
        d,
        &[("source", p(&src)), ("destination", p(&dst))],
    )
    .await
    .expect("upload");
    assert_eq!(
        std::fs::read_to_string(&dst).expect("read"),
        "setting = 1\n"
    );
    assert_eq!(mode_of(&dst), 0o640);
    assert_eq!(
        drain(&mut rx),
        [format!("Uploading {} => {}", src.display(), dst.display())]
    );

    // Trailing slash: the file keeps its name inside the directory.
    let dst_dir = format!("{}/", d.join("remote").display());
    provision(
        Some(comm.clone()),
        &ui,
        d,
        &[
            ("sources", Value::List(vec![p(&src)])),
            ("destination", s(&dst_dir)),
        ],
    )
    .await
    .expect("upload");
    assert_eq!(
        std::fs::read_to_string(d.join("remote/app.conf")).expect("read"),
        "setting = 1\n"
    );

    // content.
    provision(
        Some(comm.clone()),
        &ui,
        d,
        &[
            ("content", s("hello from content\n")),
            ("destination", s(&dst_dir)),
        ],
    )
    .await
    .expect("content");
    assert_eq!(
        std::fs::read_to_string(d.join("remote/pkr-file-content")).expect("read"),
        "hello from content\n"
    );
}

#[tokio::test]
async fn uploads_and_downloads_directories_by_trailing_slash() {
    let Some(sshd) = Sshd::start() else { return };
    let comm = connect(&sshd).await;
    let (ui, _rx) = ui();
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    std::fs::create_dir_all(d.join("site/css")).expect("mkdir");
    std::fs::write(d.join("site/index.html"), "<h1>hi</h1>\n").expect("write");
    std::fs::write(d.join("site/css/a.css"), "a{}\n").expect("write");
    std::fs::create_dir_all(d.join("srv1")).expect("mkdir");
    std::fs::create_dir_all(d.join("srv2")).expect("mkdir");

    provision(
        Some(comm.clone()),
        &ui,
        d,
        &[
            ("source", p(&d.join("site"))),
            ("destination", p(&d.join("srv1"))),
        ],
    )
    .await
    .expect("upload dir");
    assert!(d.join("srv1/site/css/a.css").is_file());
    provision(
        Some(comm.clone()),
        &ui,
        d,
        &[
            ("source", s(&format!("{}/", d.join("site").display()))),
            ("destination", p(&d.join("srv2"))),
        ],
    )
    .await
    .expect("upload contents");
    assert!(d.join("srv2/css/a.css").is_file());
    assert!(!d.join("srv2/site").exists());

    // Download a file into a directory (trailing slash) that does not
    // exist yet, and a directory's contents.
    let out = format!("{}/", d.join("out/nested").display());
    provision(
        Some(comm.clone()),
        &ui,
        d,
        &[
            ("direction", s("download")),
            ("source", p(&d.join("srv1/site/index.html"))),
            ("destination", s(&out)),
        ],
    )
    .await
    .expect("download file");
    assert_eq!(
        std::fs::read_to_string(d.join("out/nested/index.html")).expect("read"),
        "<h1>hi</h1>\n"
    );
    provision(
        Some(comm.clone()),
        &ui,
        d,
        &[
            ("direction", s("download")),
            ("source", s(&format!("{}/", d.join("srv1/site").display()))),
            ("destination", s(&format!("{}/", d.join("out2").display()))),
        ],
    )
    .await
    .expect("download dir");
    // Packer 1.6.6 puts the directory itself inside the destination.
    assert!(d.join("out2/site/css/a.css").is_file());
    assert!(d.join("out2/site/index.html").is_file());
}

#[tokio::test]
async fn missing_sources_fail_at_prepare_unless_generated() {
    let dir = tempfile::tempdir().expect("tmp");
    let later = dir.path().join("made-later.txt");
    let err = components::provisioner(&component(&[
        ("source", p(&later)),
        ("destination", s("/tmp/x")),
    ]))
    .err()
    .expect("missing source is refused");
    assert!(err.to_string().contains("Bad source"), "{err}");
    // generated: accepted at prepare, checked when it runs.
    let gen = components::provisioner(&component(&[
        ("source", p(&later)),
        ("destination", s("/tmp/x")),
        ("generated", Value::Bool(true)),
    ]));
    assert!(gen.is_ok());

    let Some(sshd) = Sshd::start() else { return };
    let comm = connect(&sshd).await;
    let (ui, _rx) = ui();
    let dst = dir.path().join("uploaded.txt");
    let attrs = [
        ("source", p(&later)),
        ("destination", p(&dst)),
        ("generated", Value::Bool(true)),
    ];
    let err = provision(Some(comm.clone()), &ui, dir.path(), &attrs)
        .await
        .expect_err("still missing at run time");
    assert!(err.to_string().contains("Bad source"), "{err}");
    std::fs::write(&later, "made during the build\n").expect("write");
    provision(Some(comm), &ui, dir.path(), &attrs)
        .await
        .expect("generated file uploads");
    assert_eq!(
        std::fs::read_to_string(&dst).expect("read"),
        "made during the build\n"
    );
}

#[tokio::test]
async fn config_errors_and_no_communicator() {
    let err = components::provisioner(&component(&[("destination", s("/tmp/x"))]))
        .err()
        .expect("no source");
    assert!(
        err.to_string()
            .contains("One of \"source\", \"sources\" or \"content\" must be set."),
        "{err}"
    );
    let err = components::provisioner(&component(&[("content", s("x"))]))
        .err()
        .expect("no destination");
    assert!(
        err.to_string()
            .contains("The argument \"destination\" is required, but no definition was found."),
        "{err}"
    );
    let (ui, _rx) = ui();
    let dir = tempfile::tempdir().expect("tmp");
    let err = provision(
        None,
        &ui,
        dir.path(),
        &[("content", s("x")), ("destination", s("/tmp/x"))],
    )
    .await
    .expect_err("nothing to upload with");
    assert!(err.to_string().contains("no communicator"), "{err}");
}

#[tokio::test]
async fn failed_download_leaves_nothing_behind() {
    let Some(sshd) = Sshd::start() else { return };
    let comm = connect(&sshd).await;
    let (ui, mut rx) = ui();
    let dir = tempfile::tempdir().expect("tmp");
    let d = dir.path();
    let dst = d.join("got/file.txt");
    let err = provision(
        Some(comm),
        &ui,
        d,
        &[
            ("direction", s("download")),
            ("source", p(&d.join("absent.txt"))),
            ("destination", p(&dst)),
        ],
    )
    .await
    .expect_err("remote file missing");
    assert!(err.to_string().starts_with("Download failed:"), "{err}");
    assert!(!dst.exists());
    let left: Vec<_> = std::fs::read_dir(d.join("got")).expect("dir").collect();
    assert!(left.is_empty(), "temporary left behind: {left:?}");
    let said = drain(&mut rx);
    assert!(
        said.iter().any(|m| m.starts_with("Download failed:")),
        "{said:?}"
    );
}

#[tokio::test]
async fn cancelling_stops_a_large_upload() {
    let Some(sshd) = Sshd::start() else { return };
    let comm = connect(&sshd).await;
    let (ui, _rx) = ui();
    let dir = tempfile::tempdir().expect("tmp");
    let src = dir.path().join("big.bin");
    // 512 MiB sparse file: cheap to make, slow enough to upload.
    std::fs::File::create(&src)
        .and_then(|f| f.set_len(512 << 20))
        .expect("create");
    let dst = dir.path().join("copy.bin");
    let p = components::provisioner(&component(&[("source", p(&src)), ("destination", p(&dst))]))
        .expect("prepare");
    let cancel = CancelToken::new();
    let c2 = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        c2.cancel();
    });
    let ctx = ProvisionContext {
        ui: &ui,
        cancel: &cancel,
        cwd: dir.path(),
        build_name: "test",
        builder_type: "null",
        run_uuid: "uuid",
        communicator: Some(comm.clone()),
        generated: GeneratedData::new(),
    };
    let start = std::time::Instant::now();
    let err = p.provision(&ctx).await.expect_err("cancelled");
    assert_eq!(err, BuildError::Cancelled);
    assert!(start.elapsed() < std::time::Duration::from_secs(10));
    let copied = std::fs::metadata(&dst).map(|m| m.len()).unwrap_or(0);
    assert!(copied < 512 << 20, "upload ran to the end");
    // The connection is still usable afterwards.
    assert_eq!(run(&*comm, "true").await.0, Some(0));
}
