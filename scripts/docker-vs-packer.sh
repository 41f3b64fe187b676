#!/usr/bin/env bash
# Wall time of the same docker template (run, shell-local, commit with
# changes, docker-tag) under kiln and under Packer 1.6.6, both against a
# private podman service (own storage and state in a temp dir); Packer
# drives it through a `docker` shim that execs podman. Prints the figures.
# Usage: scripts/docker-vs-packer.sh [KILN_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
KILN=${1:-target/debug/kiln}
[ -x "$KILN" ] || cargo build -p kiln
D=$(mktemp -d /tmp/kiln-dvp.XXXXXX)
cleanup() { [ -n "${SVC:-}" ] && kill "$SVC" 2>/dev/null; wait 2>/dev/null; rm -rf "$D"; }
trap cleanup EXIT
cat > "$D/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$D/events.log"
tmp_dir = "$D/tmp"
static_dir = "$D/root/libpod"
volume_path = "$D/root/volumes"
CONF
printf '[storage]\ndriver = "vfs"\ngraphroot = "%s"\nrunroot = "%s"\n' "$D/root" "$D/run" > "$D/storage.conf"
export CONTAINERS_CONF=$D/containers.conf CONTAINERS_STORAGE_CONF=$D/storage.conf
mkdir -p "$D/rootfs/bin" "$D/rootfs/tmp" "$D/rootfs/etc" "$D/rootfs/root" "$D/shim"
cp /bin/busybox "$D/rootfs/bin/"
for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$D/rootfs/bin/$a"; done
tar -C "$D/rootfs" -c . | podman import -q - localhost/kiln-base:test >/dev/null
podman system service --time=0 "unix://$D/podman.sock" 2>"$D/service.log" & SVC=$!
export DOCKER_HOST=unix://$D/podman.sock
for _ in $(seq 100); do [ -S "$D/podman.sock" ] && break; sleep 0.1; done
printf '#!/bin/sh\nexec podman "$@"\n' > "$D/shim/docker"; chmod +x "$D/shim/docker"
cat > "$D/t.json" <<'JSON'
{
  "builders": [{
    "type": "docker", "image": "localhost/kiln-base:test", "pull": false, "commit": true,
    "changes": ["ENV BUILT=yes", "LABEL bench=docker"]
  }],
  "provisioners": [{ "type": "shell-local", "inline": ["echo provisioned"] }],
  "post-processors": [{ "type": "docker-tag", "repository": "localhost/bench", "tag": "1" }]
}
JSON
time_of() { local s e; s=$(date +%s.%N); "$@" >"$D/out.log" 2>&1 || { cat "$D/out.log"; exit 1; }; e=$(date +%s.%N); echo "$e - $s" | bc; }
(cd "$D" && PATH="$D/shim:$PATH" time_of packer build t.json) > "$D/packer.t"
(cd "$D" && time_of "$OLDPWD/$KILN" build -color=false t.json) > "$D/kiln.t"
left=$(podman ps -aq | wc -l)
echo "docker template (run, shell-local, commit with changes, docker-tag):"
echo "  packer 1.6.6: $(cat "$D/packer.t") s"
echo "  kiln:         $(cat "$D/kiln.t") s"
echo "  containers left: $left"
