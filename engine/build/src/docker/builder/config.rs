//! The `docker` builder's configuration, read and checked before anything
//! runs (Packer's `Prepare`).

use std::collections::BTreeMap;

use kiln_lang::template::model::Component;
use kiln_sdk::{BuildError, Settings};

/// Dockerfile instructions `changes` may hold (what `docker commit
/// --change` accepts).
pub const CHANGE_INSTRUCTIONS: &[&str] = &[
    "CMD",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "LABEL",
    "USER",
    "WORKDIR",
    "VOLUME",
    "ONBUILD",
];

/// Packer's default `run_command`.
pub const DEFAULT_RUN_COMMAND: &[&str] =
    &["-d", "-i", "-t", "--entrypoint=/bin/sh", "--", "{{.Image}}"];

/// What happens to the container at the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    Commit,
    Export(String),
    Discard,
}

/// Registry credentials (`login*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub server: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub image: String,
    pub pull: bool,
    pub finish: Finish,
    pub changes: Vec<String>,
    pub run_command: Vec<String>,
    pub volumes: BTreeMap<String, String>,
    pub privileged: bool,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub platform: Option<String>,
    pub container_dir: String,
    pub exec_user: Option<String>,
    pub author: Option<String>,
    pub message: Option<String>,
    pub login: Option<Login>,
    pub fix_upload_owner: bool,
}

/// The container `run_command` describes, as create options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSpec {
    pub image: String,
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Vec<String>,
    pub tty: bool,
    pub interactive: bool,
    pub privileged: bool,
    pub user: Option<String>,
    pub workdir: Option<String>,
    pub env: Vec<String>,
    pub binds: Vec<String>,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub platform: Option<String>,
}

impl Config {
    pub fn prepare(c: &Component) -> Result<Self, BuildError> {
        let s = Settings::of("docker builder", c)?;
        let cfg_err = |m: String| BuildError::config(format!("docker builder: {m}"));
        let image = s.required_string("image")?;
        let commit = s.bool("commit")?.unwrap_or(false);
        let discard = s.bool("discard")?.unwrap_or(false);
        let export = s.string("export_path")?.filter(|p| !p.is_empty());
        let finish = match (commit, discard, export) {
            (true, false, None) => Finish::Commit,
            (false, true, None) => Finish::Discard,
            (false, false, Some(p)) => Finish::Export(p),
            (false, false, None) => {
                return Err(cfg_err(
                    "one of \"commit\", \"discard\", or \"export_path\" must be specified"
                        .to_string(),
                ))
            }
            _ => {
                return Err(cfg_err(
                    "only one of \"commit\", \"discard\", or \"export_path\" may be specified"
                        .to_string(),
                ))
            }
        };
        let changes = s.string_list("changes")?;
        if finish != Finish::Commit && !changes.is_empty() {
            return Err(cfg_err(
                "\"changes\" can only be used with \"commit\"".to_string(),
            ));
        }
        for change in &changes {
            let word = change
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_ascii_uppercase();
            if !CHANGE_INSTRUCTIONS.contains(&word.as_str()) {
                return Err(cfg_err(format!(
                    "invalid value for \"changes\": {change:?}: the instruction must be one of {}",
                    CHANGE_INSTRUCTIONS.join(", ")
                )));
            }
        }
        let mut run_command = s.string_list("run_command")?;
        if run_command.is_empty() {
            run_command = DEFAULT_RUN_COMMAND.iter().map(|s| s.to_string()).collect();
        }
        let login = if s.bool("login")?.unwrap_or(false) {
            Some(Login {
                server: s.string("login_server")?,
                username: s.string("login_username")?,
                password: s.string("login_password")?,
            })
        } else {
            None
        };
        let cfg = Config {
            image,
            pull: s.bool("pull")?.unwrap_or(true),
            finish,
            changes,
            run_command,
            volumes: s.string_map("volumes")?,
            privileged: s.bool("privileged")?.unwrap_or(false),
            cap_add: s.string_list("cap_add")?,
            cap_drop: s.string_list("cap_drop")?,
            platform: s.string("platform")?.filter(|p| !p.is_empty()),
            container_dir: s
                .string("container_dir")?
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| "/packer-files".to_string()),
            exec_user: s.string("exec_user")?.filter(|u| !u.is_empty()),
            author: s.string("author")?,
            message: s.string("message")?,
            login,
            fix_upload_owner: s.bool("fix_upload_owner")?.unwrap_or(true),
        };
        // Fail now, not after the pull, on a run_command kiln cannot map.
        cfg.run_spec(&BTreeMap::new())?;
        Ok(cfg)
    }

    /// `run_command` with `{{.Image}}` filled in, translated into create
    /// options; `volumes` (host → container, plus the shared temporary
    /// directory) become binds.
    pub fn run_spec(&self, volumes: &BTreeMap<String, String>) -> Result<RunSpec, BuildError> {
        let args: Vec<String> = self
            .run_command
            .iter()
            .map(|a| a.replace("{{.Image}}", &self.image))
            .collect();
        let mut spec = RunSpec {
            privileged: self.privileged,
            cap_add: self.cap_add.clone(),
            cap_drop: self.cap_drop.clone(),
            platform: self.platform.clone(),
            binds: volumes.iter().map(|(h, c)| format!("{h}:{c}")).collect(),
            ..Default::default()
        };
        let bad = |m: String| BuildError::config(format!("docker builder: run_command: {m}"));
        let mut it = args.into_iter();
        let mut rest: Vec<String> = Vec::new();
        while let Some(arg) = it.next() {
            if arg == "--" || !arg.starts_with('-') {
                if arg != "--" {
                    rest.push(arg);
                }
                rest.extend(it.by_ref());
                break;
            }
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
                _ => (arg.clone(), None),
            };
            let mut value = |name: &str| -> Result<String, BuildError> {
                match &inline {
                    Some(v) => Ok(v.clone()),
                    None => it
                        .next()
                        .ok_or_else(|| bad(format!("{name} needs a value"))),
                }
            };
            match flag.as_str() {
                "-d" | "--detach" | "--rm" => {}
                "-i" | "--interactive" => spec.interactive = true,
                "-t" | "--tty" => spec.tty = true,
                "-it" | "-ti" | "-dit" | "-itd" => {
                    spec.interactive = true;
                    spec.tty = true;
                }
                "--privileged" => spec.privileged = true,
                "--entrypoint" => spec.entrypoint = Some(vec![value("--entrypoint")?]),
                "-u" | "--user" => spec.user = Some(value("--user")?),
                "-w" | "--workdir" => spec.workdir = Some(value("--workdir")?),
                "-e" | "--env" => spec.env.push(value("--env")?),
                "-v" | "--volume" => spec.binds.push(value("--volume")?),
                "--cap-add" => spec.cap_add.push(value("--cap-add")?),
                "--cap-drop" => spec.cap_drop.push(value("--cap-drop")?),
                "--platform" => spec.platform = Some(value("--platform")?),
                other => {
                    return Err(bad(format!(
                        "the docker run option {other:?} is not supported by kiln (supported: -d, -i, -t, --entrypoint, --user, --workdir, --env, --volume, --privileged, --cap-add, --cap-drop, --platform)"
                    )))
                }
            }
        }
        let mut rest = rest.into_iter();
        spec.image = rest
            .next()
            .ok_or_else(|| bad("no image given (use {{.Image}})".to_string()))?;
        spec.cmd = rest.collect();
        Ok(spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(run_command: &[&str]) -> Config {
        Config {
            image: "localhost/base:1".into(),
            pull: false,
            finish: Finish::Discard,
            changes: vec![],
            run_command: run_command.iter().map(|s| s.to_string()).collect(),
            volumes: BTreeMap::new(),
            privileged: false,
            cap_add: vec![],
            cap_drop: vec![],
            platform: None,
            container_dir: "/packer-files".into(),
            exec_user: None,
            author: None,
            message: None,
            login: None,
            fix_upload_owner: true,
        }
    }

    #[test]
    fn default_run_command_maps_to_create_options() {
        let spec = config(DEFAULT_RUN_COMMAND)
            .run_spec(&BTreeMap::new())
            .unwrap();
        assert_eq!(spec.image, "localhost/base:1");
        assert_eq!(spec.entrypoint, Some(vec!["/bin/sh".to_string()]));
        assert!(spec.tty && spec.interactive);
        assert!(spec.cmd.is_empty());
    }

    #[test]
    fn flags_with_separate_values_and_a_command() {
        let c = config(&[
            "-d",
            "-u",
            "nobody",
            "-e",
            "A=1",
            "{{.Image}}",
            "sleep",
            "9",
        ]);
        let spec = c.run_spec(&BTreeMap::new()).unwrap();
        assert_eq!(spec.user.as_deref(), Some("nobody"));
        assert_eq!(spec.env, ["A=1"]);
        assert_eq!(spec.cmd, ["sleep", "9"]);
        assert_eq!(spec.entrypoint, None);
    }

    #[test]
    fn unknown_flag_is_named() {
        let err = config(&["--network=host", "{{.Image}}"])
            .run_spec(&BTreeMap::new())
            .unwrap_err();
        assert!(err.to_string().contains("--network"), "{err}");
    }
}
