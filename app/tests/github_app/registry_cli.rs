//! `kiln-app token create` reads the database like the server: the
//! `--database-url` flag / `KILN_DATABASE_URL`, then `database_url` of the
//! `--config` / `KILN_APP_CONFIG` file, then the default; a broken config
//! file is a clear error; a database password never appears in its output.

use std::path::Path;
use std::process::{Command, Output};

use kiln_app::registry::store::Registry;
use kiln_app::registry::tokens;
use kiln_app::store::Store;

use crate::harness::{free_port, Postgres};

fn token_cmd(cwd: &Path, args: &[&str], env: &[(&str, String)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kiln-app"));
    c.current_dir(cwd).env_clear();
    for (k, v) in env {
        c.env(k, v);
    }
    c.args(args).output().expect("kiln-app token create")
}

fn token_of(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(t.starts_with("kiln_"), "{t}");
    t
}

async fn repo_of(url: &str, token: &str) -> Option<String> {
    let store = Store::connect(url).await.expect("connect");
    Registry::new(&store)
        .token_repo(&tokens::hash(token))
        .await
        .expect("lookup")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_create_uses_the_config_file_like_the_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cwd = dir.path().join("cwd");
    std::fs::create_dir_all(&cwd).expect("mkdir");
    let cfg_url = format!("sqlite://{}/from-config.db?mode=rwc", dir.path().display());
    let cfg = dir.path().join("kiln-app.yml");
    std::fs::write(
        &cfg,
        format!("app_id: 1\nwebhook_secret: s\ndatabase_url: \"{cfg_url}\"\n"),
    )
    .expect("config");
    let cfg_s = cfg.display().to_string();

    // --config after the subcommand (a global flag) and before it.
    for args in [
        vec!["token", "create", "--repo", "octo/a", "--config", &cfg_s],
        vec!["--config", &cfg_s, "token", "create", "--repo", "octo/a"],
    ] {
        let t = token_of(&token_cmd(&cwd, &args, &[]));
        assert_eq!(repo_of(&cfg_url, &t).await.as_deref(), Some("octo/a"));
    }
    assert!(
        !cwd.join("kiln-app.db").exists(),
        "the default database was used instead of the config's"
    );
    // KILN_APP_CONFIG, as the server reads it.
    let t = token_of(&token_cmd(
        &cwd,
        &["token", "create", "--repo", "octo/b"],
        &[("KILN_APP_CONFIG", cfg_s.clone())],
    ));
    assert_eq!(repo_of(&cfg_url, &t).await.as_deref(), Some("octo/b"));
    // The flag (and KILN_DATABASE_URL) win over the file.
    let flag_url = format!("sqlite://{}/from-flag.db?mode=rwc", dir.path().display());
    let t = token_of(&token_cmd(
        &cwd,
        &[
            "token",
            "create",
            "--repo",
            "octo/c",
            "--config",
            &cfg_s,
            "--database-url",
            &flag_url,
        ],
        &[],
    ));
    assert_eq!(repo_of(&flag_url, &t).await.as_deref(), Some("octo/c"));
    assert_eq!(repo_of(&cfg_url, &t).await, None);
    let env_url = format!("sqlite://{}/from-env.db?mode=rwc", dir.path().display());
    let t = token_of(&token_cmd(
        &cwd,
        &["token", "create", "--repo", "octo/d", "--config", &cfg_s],
        &[("KILN_DATABASE_URL", env_url.clone())],
    ));
    assert_eq!(repo_of(&env_url, &t).await.as_deref(), Some("octo/d"));

    // Without any setting: the default file in the working directory.
    let t = token_of(&token_cmd(
        &cwd,
        &["token", "create", "--repo", "octo/e"],
        &[],
    ));
    let default_url = format!("sqlite://{}/kiln-app.db?mode=rwc", cwd.display());
    assert_eq!(repo_of(&default_url, &t).await.as_deref(), Some("octo/e"));

    // A config file with an unknown key: refused, naming the file.
    let bad = dir.path().join("bad.yml");
    std::fs::write(&bad, "database_url: x\ndatabse_url: y\n").expect("bad config");
    let out = token_cmd(
        &cwd,
        &[
            "token",
            "create",
            "--repo",
            "octo/f",
            "--config",
            &bad.display().to_string(),
        ],
        &[],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(out.stdout.is_empty());
    assert!(
        err.contains(&format!("config file {}", bad.display())) && err.contains("databse_url"),
        "{err}"
    );
}

/// PostgreSQL from the config file; an unreachable server's password is
/// not printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_create_on_postgres_from_the_config_file() {
    let Some(pg) = Postgres::start() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("kiln-app.yml");
    std::fs::write(&cfg, format!("database_url: \"{}\"\n", pg.url)).expect("config");
    let t = token_of(&token_cmd(
        dir.path(),
        &[
            "token",
            "create",
            "--repo",
            "octo/pg",
            "--config",
            &cfg.display().to_string(),
        ],
        &[],
    ));
    assert_eq!(repo_of(&pg.url, &t).await.as_deref(), Some("octo/pg"));
    assert!(!dir.path().join("kiln-app.db").exists());

    let closed = free_port();
    std::fs::write(
        &cfg,
        format!("database_url: \"postgres://kiln:hunter2-secret@127.0.0.1:{closed}/kiln\"\n"),
    )
    .expect("config");
    let out = token_cmd(
        dir.path(),
        &[
            "token",
            "create",
            "--repo",
            "octo/pg",
            "--config",
            &cfg.display().to_string(),
        ],
        &[],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("127.0.0.1:{closed}")), "{err}");
    assert!(!err.contains("hunter2-secret"), "password printed: {err}");
}
