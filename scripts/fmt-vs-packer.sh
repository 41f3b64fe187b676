#!/usr/bin/env bash
# Side-by-side benchmark of `kiln fmt` and `packer fmt`.
#
# Builds the release kiln binary, then runs the engine's fmt benchmark,
# which formats the shared corpus in-process and times
# `kiln fmt -check` / `packer fmt -check` on a generated 10,000-file tree
# and on a single file. Packer columns are skipped if `packer` is not on
# PATH. Usage: scripts/fmt-vs-packer.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p kiln
KILN_BIN="${KILN_BIN:-$PWD/target/release/kiln}" cargo bench -p kiln-lang --bench fmt
