//! Connecting to the Docker Engine API (Docker or Podman's compatible
//! service) the way the `docker` CLI does: `DOCKER_HOST`, else the default
//! unix socket.

use bollard::Docker;

use kiln_sdk::BuildError;

/// The API version kiln speaks: 1.41 is what Docker 20.10 and Podman 4
/// both serve.
const API_VERSION: &bollard::ClientVersion = &bollard::ClientVersion {
    major_version: 1,
    minor_version: 41,
};

/// The default daemon address when `DOCKER_HOST` is unset.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// Where the daemon is expected (`DOCKER_HOST` or the default socket).
pub fn daemon_host() -> String {
    std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| DEFAULT_HOST.to_string())
}

/// Connect and check the daemon answers (`GET /_ping`), naming
/// `DOCKER_HOST` when it does not.
pub async fn connect() -> Result<Docker, BuildError> {
    let host = daemon_host();
    let unreachable = |why: String| {
        BuildError::Step(format!(
            "Cannot connect to the Docker daemon at {host} (set by DOCKER_HOST, default {DEFAULT_HOST}): {why}"
        ))
    };
    let docker = match host.strip_prefix("unix://") {
        Some(path) => Docker::connect_with_unix(path, 600, API_VERSION),
        None if host.starts_with('/') => Docker::connect_with_unix(&host, 600, API_VERSION),
        None => {
            return Err(unreachable(
                "only unix:// sockets are supported by kiln's docker client".to_string(),
            ))
        }
    }
    .map_err(|e| unreachable(e.to_string()))?;
    docker
        .ping()
        .await
        .map_err(|e| unreachable(e.to_string()))?;
    Ok(docker.with_request_modifier(|mut req| {
        if let Some(query) = req.uri().query().filter(|q| q.contains("changes=")) {
            let uri = req.uri().to_string();
            let base = uri.split_once('?').map(|x| x.0).unwrap_or(&uri);
            if let Ok(fixed) = format!("{base}?{}", repeat_changes(query)).parse() {
                *req.uri_mut() = fixed;
            }
        }
        req
    }))
}

/// bollard sends `changes` as one newline-joined parameter; the Engine API
/// (and Podman's import in particular) wants one `changes` per
/// instruction, as the docker CLI sends them.
pub fn repeat_changes(query: &str) -> String {
    query
        .split('&')
        .flat_map(|pair| match pair.strip_prefix("changes=") {
            Some(value) => value
                .split("%0A")
                .filter(|v| !v.is_empty())
                .map(|v| format!("changes={v}"))
                .collect::<Vec<_>>(),
            None => vec![pair.to_string()],
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A Docker API error as one line for the user.
pub fn api_error(what: &str, e: bollard::errors::Error) -> BuildError {
    BuildError::Step(format!("{what}: {}", describe(&e)))
}

/// The daemon's own message when there is one.
pub fn describe(e: &bollard::errors::Error) -> String {
    match e {
        bollard::errors::Error::DockerResponseServerError {
            status_code,
            message,
        } => format!("{message} (HTTP {status_code})"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn repeats_changes_parameters() {
        assert_eq!(
            super::repeat_changes("repo=a&changes=ENV+A%3D1%0AWORKDIR+%2Ft&tag=x"),
            "repo=a&changes=ENV+A%3D1&changes=WORKDIR+%2Ft&tag=x"
        );
    }
}
