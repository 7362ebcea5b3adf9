#!/usr/bin/env bash
# scripts/fuzz-targets.sh BUILDDIR - the libFuzzer targets meson defines in
# BUILDDIR (configured with -Dfuzz=true): one line per target, "NAME PATH",
# PATH relative to BUILDDIR (what ninja builds). A fuzz target is an
# executable named fuzz_* (tests/meson.build). Used by scripts/check.sh and
# scripts/fuzz.sh, so a new target runs there without editing them.
#
# Exits 1 (with a message on stderr) if introspection fails, if there is no
# target, or if a file under tests/fuzz/ defines LLVMFuzzerTestOneInput but
# is the source of no target (a fuzzer that would never run).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bdir=$(cd "${1:?usage: fuzz-targets.sh BUILDDIR}" && pwd)
json=$(meson introspect "$bdir" --targets) || {
	echo "fuzz-targets: meson introspect $bdir failed" >&2
	exit 1
}
mapfile -t entries < <(grep -rl --include='*.c' LLVMFuzzerTestOneInput "$top/tests/fuzz" 2>/dev/null || true)
python3 - "$bdir" "$json" "${entries[@]}" <<'EOF'
import json, os, sys

bdir, targets, entries = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3:]
found, sources = [], set()
for t in targets:
    if t.get("type") != "executable" or not t.get("name", "").startswith("fuzz_"):
        continue
    fn = t["filename"][0]
    found.append((t["name"], os.path.relpath(fn, bdir)))
    for ts in t.get("target_sources", []):
        sources.update(os.path.realpath(s) for s in ts.get("sources", []))
if not found:
    sys.exit("fuzz-targets: no fuzz_* executable in %s (configured with -Dfuzz=true?)" % bdir)
orphans = [e for e in entries if os.path.realpath(e) not in sources]
if orphans:
    sys.exit("fuzz-targets: defines LLVMFuzzerTestOneInput but no fuzz_* target builds it: "
             + ", ".join(orphans))
for name, path in sorted(found):
    print(name, path)
EOF
