#!/usr/bin/env bash
# Compare `kiln validate` with `packer validate` over the conformance units
# (engine/lang/tests/conformance/verdicts.tsv): wall time and peak RSS of each
# run, measured with GNU time (`/usr/bin/time -f "%e %M"`), then the
# medians side by side and kiln's ratios. Each unit runs in its directory
# with its recorded arguments.
#
# Usage: scripts/validate-vs-packer.sh [KILN_BIN]   (default: target/release/kiln,
#        falling back to target/debug/kiln); KILN_SHARED_DIR overrides the corpus.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${KILN_SHARED_DIR:-$here/../shared}
root="$shared/conformance/templates"
kiln=${1:-}
if [ -z "$kiln" ]; then
  kiln=$here/target/release/kiln
  [ -x "$kiln" ] || kiln=$here/target/debug/kiln
fi
[ -x "$kiln" ] || { echo "kiln binary not found: $kiln (cargo build first)" >&2; exit 2; }
kiln=$(cd "$(dirname "$kiln")" && pwd)/$(basename "$kiln")
command -v packer >/dev/null || { echo "packer not on PATH" >&2; exit 2; }
if [ ! -x /usr/bin/time ]; then
  echo "installing GNU time" >&2
  apt-get install -y time >/dev/null
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

measure() { # dir, out-file, command...
  local dir=$1 out=$2; shift 2
  (cd "$dir" && /usr/bin/time -f "%e %M" -o "$out" "$@" >/dev/null 2>&1) || true
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) print 0; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

printf '%-90s %10s %10s %10s %10s\n' unit kiln_s packer_s kiln_KB packer_KB
grep -v '^#' "$here/engine/lang/tests/conformance/verdicts.tsv" | while IFS=$'\t' read -r unit _ _ args _; do
  [ -n "$unit" ] || continue
  [ "$args" = "-" ] && args=""
  dir="$root/$(dirname "$unit")"; name=$(basename "$unit")
  # shellcheck disable=SC2086
  measure "$dir" "$tmp/k" "$kiln" validate $args "$name"
  # shellcheck disable=SC2086
  measure "$dir" "$tmp/p" env CHECKPOINT_DISABLE=1 packer validate $args "$name"
  read -r kw km < <(tail -1 "$tmp/k")
  read -r pw pm < <(tail -1 "$tmp/p")
  printf '%-90s %10s %10s %10s %10s\n' "$unit" "$kw" "$pw" "$km" "$pm"
  echo "$kw $pw $km $pm" >> "$tmp/all"
done
kw=$(awk '{print $1}' "$tmp/all" | median); pw=$(awk '{print $2}' "$tmp/all" | median)
km=$(awk '{print $3}' "$tmp/all" | median); pm=$(awk '{print $4}' "$tmp/all" | median)
echo
printf 'median wall:    kiln %ss   packer %ss   ratio %s\n' "$kw" "$pw" "$(awk -v a="$kw" -v b="$pw" 'BEGIN{ if (b>0) printf "%.3f", a/b; else print "n/a"}')"
printf 'median peak RSS: kiln %sKB packer %sKB ratio %s\n' "$km" "$pm" "$(awk -v a="$km" -v b="$pm" 'BEGIN{ if (b>0) printf "%.3f", a/b; else print "n/a"}')"
