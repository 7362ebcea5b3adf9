#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
"""no_outside_refs: the tree must stand on its own. A clone has no
../shared/ (design notes, the spec source, review notes), so no file may
point there: cite "the public virtio-msg v1 posting" and state what matters.
Also no reference to example scripts that do not exist (tests/vm/).

Usage: no_outside_refs.py SOURCE_ROOT
"""
import os
import re
import subprocess
import sys

BAD = re.compile(r"\.\./shared|/work/shared|shared/spec|DESIGN\.md|REVIEW-NOTES|"
                 r"virtio-msg-transport-v1\.tex|virtio-msg-v1-review-thread|tests/vm/")
SELF = "tests/cli/no_outside_refs.py"
# These files name the patterns to look for them.
ALLOWED = {SELF, "tests/cli/cli_errors.py", "tests/conformance/check_conformance.py"}


def main():
    root = sys.argv[1]
    files = subprocess.run(["git", "-C", root, "ls-files", "-co", "--exclude-standard"],
                           capture_output=True, text=True)
    if files.returncode != 0:
        print("no_outside_refs: not a git checkout (%s): cannot list the files" % root)
        return 77
    hits = 0
    for rel in files.stdout.splitlines():
        if rel in ALLOWED or rel.startswith(("build", "subprojects/")):
            continue
        path = os.path.join(root, rel)
        if not os.path.isfile(path):
            continue
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                for n, line in enumerate(f, 1):
                    if BAD.search(line):
                        print("%s:%d: %s" % (rel, n, line.rstrip()))
                        hits += 1
        except OSError as e:
            print("no_outside_refs: %s: %s" % (rel, e))
            return 1
    if hits:
        print("no_outside_refs: %d reference(s) to files outside the tree (above)" % hits)
        return 1
    print("no_outside_refs: no reference outside the tree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
