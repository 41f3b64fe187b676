#!/usr/bin/env python3
"""Draft engine/lang/tests/conformance/verdicts.tsv: run `kiln validate` and
Packer 1.6.6's `packer validate` on every conformance unit (with the unit's
arguments from the existing table, if any) and print rows
`unit, kiln, packer, args, reason`. Reasons of existing rows are kept;
review every row whose verdicts differ before committing.

Usage: scripts/gen-verdicts.py > engine/lang/tests/conformance/verdicts.tsv
"""
import os, shlex, subprocess, sys

here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
shared = os.environ.get("KILN_SHARED_DIR", os.path.join(here, "..", "shared"))
root = os.path.join(shared, "conformance", "templates")
kiln = os.environ.get("KILN_BIN", os.path.join(here, "target", "debug", "kiln"))
table = os.path.join(here, "engine", "tests", "conformance", "verdicts.tsv")

old = {}
units = []
if os.path.exists(table):
    for line in open(table):
        if line.startswith("#") or not line.strip():
            continue
        parts = line.rstrip("\n").split("\t")
        while len(parts) < 5:
            parts.append("")
        old[parts[0]] = parts
        units.append(parts[0])

def verdict(cmd, cwd):
    r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return "valid" if r.returncode == 0 else "invalid"

print("# unit\tkiln\tpacker-1.6.6\targs\treason (when kiln differs from Packer 1.6.6)")
for u in units:
    args = old[u][3]
    argv = [] if args in ("", "-") else shlex.split(args)
    # Both tools run in the unit's directory (args are relative to it).
    cwd = os.path.join(root, os.path.dirname(u))
    k = verdict([kiln, "validate"] + argv + [os.path.basename(u)], cwd)
    p = verdict(["packer", "validate"] + argv + [os.path.basename(u)], cwd)
    reason = old[u][4]
    if k != old[u][1]:
        print(f"# CHANGED kiln verdict for {u}: {old[u][1]} -> {k}", file=sys.stderr)
    print(f"{u}\t{k}\t{p}\t{args or '-'}\t{reason}")
