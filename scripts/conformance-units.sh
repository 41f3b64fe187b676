#!/usr/bin/env bash
# List the conformance units (one template file, or a directory whose files
# form one configuration) and run `kiln validate` and `packer validate` on
# each, printing: unit, kiln exit code, packer exit code.
# Usage: scripts/conformance-units.sh [KILN_BIN]
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${KILN_SHARED_DIR:-$here/../shared}
root="$shared/conformance/templates"
kiln=${1:-$here/target/debug/kiln}
dirs="actions__runner-images/images/ubuntu/templates
actions__runner-images/images/windows/templates
chef__bento/packer_templates
hashicorp__learn-packer-multicloud/packer
hashicorp__packer/examples/hcl/linux
hashicorp__packer/hcl2template/testdata/complete
hashicorp__packer/hcl2template/testdata/variables/complicated"
cd "$root" || exit 1
{
  echo "$dirs"
  awk -F'\t' 'NR>1 && ($5=="hcl2-template" || $5=="hcl2-json-template" || $5=="json-template") {print $1}' MANIFEST.tsv |
    while read -r f; do
      d=$(dirname "$f")
      if ! grep -qx "$d" <<<"$dirs"; then echo "$f"; fi
    done
} | while read -r unit; do
  "$kiln" validate "$unit" >/dev/null 2>&1; k=$?
  if command -v packer >/dev/null; then
    (cd "$(dirname "$unit")" && packer validate "$(basename "$unit")" >/dev/null 2>&1); p=$?
  else
    p=-
  fi
  printf '%s\t%s\t%s\n' "$unit" "$k" "$p"
done
