#!/usr/bin/env bash
# Build the action's image with buildah (Dockerfile at the root), print its
# size, run it with podman on a sample repository as a GitHub Actions step
# would (validate, fmt, matrix, build) and measure the time from start to
# the first annotation.
#
#   scripts/action-image.sh               the Dockerfile as is: compiles kiln
#                                          in the pinned Rust image (needs
#                                          a container registry)
#   scripts/action-image.sh --local-base  no registry: a Debian bookworm
#                                          base made with debootstrap from the
#                                          apt mirror stands in for both base
#                                          images, and kiln is compiled on the
#                                          host (cargo build --release) and
#                                          passed with KILN_PREBUILT
#
# Extra buildah arguments go after `--` (e.g. -- --build-arg WITH_ANSIBLE=true);
# KILN_IMAGE names the image (default localhost/kiln-action:dev).
set -euo pipefail
cd "$(dirname "$0")/.."

local_base=false
extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        --local-base) local_base=true ;;
        --) shift; extra=("$@"); break ;;
        *) echo "usage: $0 [--local-base] [-- BUILDAH-ARGS...]" >&2; exit 2 ;;
    esac
    shift
done

need=()
command -v buildah >/dev/null || need+=(buildah)
command -v podman >/dev/null || need+=(podman uidmap fuse-overlayfs slirp4netns crun runc)
$local_base && ! command -v debootstrap >/dev/null && need+=(debootstrap)
if [ ${#need[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

work=target/action-image
mkdir -p "$work"
# Without this, crun fails on hybrid cgroups and default rlimits fail.
cat >"$work/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
export CONTAINERS_CONF="$PWD/$work/containers.conf"

image=${KILN_IMAGE:-localhost/kiln-action:dev}
args=(--isolation chroot --format docker --layers -f Dockerfile -t "$image")
if $local_base; then
    base=localhost/kiln-bookworm-standin:minbase
    if ! podman image exists "$base"; then
        mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
        mirror=${mirror:-http://deb.debian.org/debian}
        rm -rf "$work/rootfs"
        echo "=== debootstrap bookworm ($mirror)"
        debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1
        tar -C "$work/rootfs" -c . | podman import - "$base" >/dev/null
        rm -rf "$work/rootfs"
    fi
    echo "=== cargo build --release -p kiln (host)"
    cargo build --release --locked -p kiln
    mkdir -p dist
    install -m 0755 target/release/kiln dist/kiln
    strip dist/kiln 2>/dev/null || true
    args+=(--build-arg "RUST_IMAGE=$base" --build-arg "DEBIAN_IMAGE=$base" --build-arg KILN_PREBUILT=dist/kiln)
fi

echo "=== buildah bud ${args[*]} ${extra[*]}"
t0=$(date +%s.%N)
buildah bud "${args[@]}" "${extra[@]}" . >"$work/build.log" 2>&1 || { tail -40 "$work/build.log"; exit 1; }
t1=$(date +%s.%N)
size=$(podman image inspect --format '{{.Size}}' "$image")
awk -v i="$image" -v s="$size" -v a="$t0" -v b="$t1" \
    'BEGIN { printf "image %s: %.1f MB (%d bytes), built in %.0f s\n", i, s / 1e6, s, b - a }'

# A sample repository: the seeds (one with errors), an unformatted file and
# the README's example build.
repo=$(mktemp -d)
files=$(mktemp -d)
trap 'rm -rf "$repo" "$files"' EXIT
mkdir -p "$repo/packer" "$repo/hello"
shared=${KILN_SHARED_DIR:-../shared}
cp "$shared/seeds/guide-ko-02.pkr.hcl" "$shared/seeds/guide-ko-06.pkr.hcl" "$repo/packer/"
cp examples/hello/hello.pkr.hcl "$repo/hello/"
printf 'source "null" "x" {\n  communicator   = "none"\n}\n' >"$repo/packer/unformatted.pkr.hcl"

step() { # INPUTS... : run the image as the runner runs a docker action
    : >"$files/output"; : >"$files/summary"
    local envs=(-e GITHUB_ACTIONS=true -e GITHUB_WORKSPACE=/github/workspace
        -e GITHUB_OUTPUT=/github/file_commands/output
        -e GITHUB_STEP_SUMMARY=/github/file_commands/summary)
    for kv in "$@"; do envs+=(-e "INPUT_$kv"); done
    podman run --rm --network none -v "$repo:/github/workspace" -v "$files:/github/file_commands" \
        -w /github/workspace "${envs[@]}" "$image" github-action
}

for inputs in "COMMAND=validate TARGET=packer/guide-ko-02.pkr.hcl" \
              "COMMAND=fmt TARGET=packer" \
              "COMMAND=matrix TARGET=packer/guide-ko-06.pkr.hcl" \
              "COMMAND=build TARGET=hello"; do
    echo "=== step: $inputs"
    # shellcheck disable=SC2086
    step $inputs 2>&1 | sed 's/^/    /' || true
    echo "    --- outputs:"; sed 's/^/    /' "$files/output"
    echo "    --- summary: $(wc -l <"$files/summary") lines"
done

echo "=== time from start to first annotation (validate, 5 runs)"
python3 - "$image" "$repo" "$files" <<'PY'
import subprocess, sys, time
image, repo, files = sys.argv[1:4]
host, inner, base = [], [], []
for _ in range(5):
    t0 = time.monotonic()
    subprocess.run(["podman", "run", "--rm", "--network", "none", "--entrypoint", "/bin/true", image], check=True)
    base.append(time.monotonic() - t0)
    cmd = ["podman", "run", "--rm", "--network", "none", "-v", f"{repo}:/github/workspace",
           "-v", f"{files}:/github/file_commands", "-w", "/github/workspace",
           "-e", "GITHUB_ACTIONS=true", "-e", "GITHUB_WORKSPACE=/github/workspace",
           "-e", "GITHUB_OUTPUT=/github/file_commands/output",
           "-e", "INPUT_COMMAND=validate", "-e", "INPUT_TARGET=packer/guide-ko-02.pkr.hcl"]
    t0 = time.monotonic()
    p = subprocess.Popen(cmd + [image, "github-action"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    for line in p.stdout:
        if line.startswith("::error"):
            host.append(time.monotonic() - t0)
            break
    p.wait()
    # Inside the container: 20 whole kiln runs (each an upper bound of the
    # time to its first annotation) timed by busybox's `time` (10 ms
    # resolution, hence the loop).
    out = subprocess.run(cmd + ["--entrypoint", "/bin/sh", image, "-c",
        "busybox time -p sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do kiln github-action >/dev/null 2>&1; done'"],
        capture_output=True, text=True)
    for l in out.stderr.splitlines():
        if l.startswith("real"):
            inner.append(float(l.split()[1]) / 20)
ms = lambda v: f"{1000*min(v):.0f} ms min / {1000*sorted(v)[len(v)//2]:.0f} ms median" if v else "not measured"
print(f"podman run -> first annotation: {ms(host)} (includes creating the container)")
print(f"podman run of /bin/true (container start/stop alone): {ms(base)}")
print(f"kiln process in the container, start -> exit (validate): {ms(inner)}")
PY
