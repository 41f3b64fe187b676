#!/usr/bin/env bash
# Post-processor throughput and memory, kiln beside Packer 1.6.6: a file
# builder copies an N MB file, then compress (tar.gz) → checksum (sha256)
# → manifest. Prints wall time and peak RSS per tool and size; peak RSS
# must not grow with the file (streaming).
#   KILN=path/to/kiln (default: target/release/kiln, else target/debug/kiln)
#   SIZES="20 200" (MB)
set -euo pipefail
cd "$(dirname "$0")/.."
KILN=${KILN:-}
if [ -z "$KILN" ]; then
    if [ -x target/release/kiln ]; then KILN=$PWD/target/release/kiln; else KILN=$PWD/target/debug/kiln; fi
fi
SIZES=${SIZES:-"20 200"}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/bench.pkr.hcl" <<'HCL'
source "file" "big" {
  source = "input.bin"
  target = "big.bin"
}
build {
  sources = ["source.file.big"]
  post-processors {
    post-processor "compress" {
      output              = "big.tar.gz"
      keep_input_artifact = true
    }
    post-processor "checksum" {
      checksum_types = ["sha256"]
    }
    post-processor "manifest" {}
  }
}
HCL
echo "kiln binary: $KILN"
printf '%-8s %-6s %10s %10s %12s\n' tool MB wall_s cpu_s peak_rss_MB
for mb in $SIZES; do
    # Half random, half zeros: compressible but not trivially.
    { head -c $((mb * 512 * 1024)) /dev/urandom; head -c $((mb * 512 * 1024)) /dev/zero; } > "$work/input.bin"
    for tool in kiln packer; do
        if [ "$tool" = packer ] && ! command -v packer >/dev/null 2>&1; then continue; fi
        run="$work/run-$tool-$mb"; mkdir -p "$run"; cp "$work/bench.pkr.hcl" "$run/"; ln -s "$work/input.bin" "$run/input.bin"
        cmd=("$KILN" build -color=false bench.pkr.hcl)
        [ "$tool" = packer ] && cmd=(env CHECKPOINT_DISABLE=1 HOME="$run" packer build -color=false bench.pkr.hcl)
        ( cd "$run" && /usr/bin/time -f '%e %U %S %M' -o time.txt "${cmd[@]}" >out.txt 2>&1 ) || { cat "$run/out.txt"; exit 1; }
        read -r wall user sys rss < "$run/time.txt"
        cpu=$(awk "BEGIN { print $user + $sys }")
        printf '%-8s %-6s %10s %10s %12s\n' "$tool" "$mb" "$wall" "$cpu" "$((rss / 1024))"
        rm -rf "$run"
    done
done
