#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
"""Check docs/conformance.md, the spec conformance matrix.

Fails (exit 1) when:
  - the matrix misses a normative block of docs/spec-normative-sections.txt,
    lists one twice, lists one that is not there, or gives a row a kind or
    label that differs from the list;
  - a row's status is not one of: covered, partly, not covered, n/a; a
    covered or partly row names no test; a not covered or n/a row gives no
    reason;
  - the document (anywhere, not only the test column) names a test that does
    not exist:
        `meson:NAME`       a test of this meson build (meson-info/intro-tests.json)
        `meson:NAME:FUNC`  and FUNC is a cmocka test registered in a source
                           file of NAME's executable (meson-info/intro-targets.json)
        `rig:NAME`         tests/rig/NAME.test.sh
        `fuzz:NAME`        tests/fuzz/NAME.c, named in a meson.build under tests/
  - the document points outside the repository (../shared, shared/spec/);
  - the summary line "Of the N: a covered, b partly, c not covered, d n/a"
    does not match the rows.
With --spec TEX (or $VIRTIO_MSG_SPEC_TEX) the list is also compared with the
.tex (tests/conformance/spec_sections.py). Exit 77 (skip) only when the one
problem is meson tests missing from a build configured without cmocka.

    check_conformance.py --source-root SRC --build-root BUILD [--cmocka yes|no]
                         [--matrix FILE] [--list FILE] [--spec TEX]
"""

import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import spec_sections  # noqa: E402

STATUSES = ("covered", "partly", "not covered", "n/a")
TOKEN = re.compile(r"`(meson|rig|fuzz):([A-Za-z0-9_.+-]+)(?::([A-Za-z0-9_]+))?`")
ROW = re.compile(r"^\|\s*(N\d\d)\s*\|")
SUMMARY = re.compile(
    r"Of the (\d+): (\d+) covered, (\d+) partly, (\d+) not covered, (\d+) n/a")
OUTSIDE = re.compile(r"\.\./shared|(?<![\w/])shared/spec/")


class Checker:
    def __init__(self, a):
        self.a = a
        self.errors = []
        self.missing_meson = []

    def err(self, msg):
        self.errors.append(msg)

    # ---- what exists ----

    def load_build(self):
        info = os.path.join(self.a.build_root, "meson-info")
        try:
            with open(os.path.join(info, "intro-tests.json"), encoding="utf-8") as f:
                tests = json.load(f)
            with open(os.path.join(info, "intro-targets.json"), encoding="utf-8") as f:
                targets = json.load(f)
        except OSError as e:
            self.err("cannot read the build's test list (%s): pass --build-root" % e)
            return False
        by_file = {}
        for t in targets:
            srcs = []
            for ts in t.get("target_sources", []):
                srcs += ts.get("sources", [])
            for fn in t.get("filename", []):
                by_file[os.path.realpath(fn)] = srcs
        self.meson = {}
        for t in tests:
            exe = os.path.realpath(t["cmd"][0]) if t.get("cmd") else ""
            self.meson[t["name"]] = by_file.get(exe, [])
        return True

    def cmocka_funcs(self, name):
        funcs = set()
        for src in self.meson.get(name, []):
            if not src.endswith(".c"):
                continue
            try:
                with open(src, encoding="utf-8", errors="replace") as f:
                    text = f.read()
            except OSError:
                continue
            funcs.update(re.findall(r"cmocka_unit_test\w*\(\s*(\w+)", text))
        return funcs

    def check_token(self, where, kind, name, func):
        src = self.a.source_root
        if kind == "meson":
            if name not in self.meson:
                if self.a.cmocka == "no":
                    self.missing_meson.append(name)
                else:
                    self.err("%s: no meson test named %r in this build" % (where, name))
                return
            if func and func not in self.cmocka_funcs(name):
                self.err("%s: meson test %r registers no cmocka test %r" % (where, name, func))
        elif kind == "rig":
            if func:
                self.err("%s: rig:%s:%s: rig tests have no functions" % (where, name, func))
            if not os.path.isfile(os.path.join(src, "tests", "rig", name + ".test.sh")):
                self.err("%s: no rig test tests/rig/%s.test.sh" % (where, name))
        elif kind == "fuzz":
            path = os.path.join(src, "tests", "fuzz", name + ".c")
            mb = ""
            for d, _, files in os.walk(os.path.join(src, "tests")):
                if "meson.build" in files:
                    with open(os.path.join(d, "meson.build"), encoding="utf-8") as f:
                        mb += f.read()
            if func:
                self.err("%s: fuzz:%s:%s: fuzz targets have no functions" % (where, name, func))
            if not os.path.isfile(path) or ("'%s'" % name) not in mb:
                self.err("%s: no fuzz target %s (tests/fuzz/%s.c, named in a tests/ meson.build)"
                         % (where, name, name))

    # ---- the matrix ----

    def run(self):
        a = self.a
        with open(a.list, encoding="utf-8") as f:
            want = spec_sections.parse_list(f.read())
        if a.spec:
            with open(a.spec, encoding="utf-8") as f:
                tex = [(k, p, t) for k, p, t in spec_sections.extract(f.read())]
            if [(k, p, t) for _, k, p, t in want] != tex:
                self.err("%s differs from %s: regenerate it with spec_sections.py --write"
                         % (a.list, a.spec))
        with open(a.matrix, encoding="utf-8") as f:
            lines = f.read().splitlines()
        if not self.load_build():
            return
        for n, line in enumerate(lines, 1):
            where = "%s:%d" % (os.path.basename(a.matrix), n)
            for m in TOKEN.finditer(line):
                self.check_token(where, m.group(1), m.group(2), m.group(3))
            if OUTSIDE.search(line):
                self.err("%s: points outside the repository: %s" % (where, line.strip()))
        want_by_id = {w[0]: w for w in want}
        seen = {}
        count = dict((s, 0) for s in STATUSES)
        for n, line in enumerate(lines, 1):
            m = ROW.match(line)
            if not m:
                continue
            where = "%s:%d" % (os.path.basename(a.matrix), n)
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rid = m.group(1)
            if len(cells) != 6:
                self.err("%s: %s: want 6 cells (id, kind, label, status, tests, notes), got %d"
                         % (where, rid, len(cells)))
                continue
            _, kind, label, status, tests, notes = cells
            if rid in seen:
                self.err("%s: %s listed twice (first at line %d)" % (where, rid, seen[rid]))
                continue
            seen[rid] = n
            w = want_by_id.get(rid)
            if not w:
                self.err("%s: %s is not a normative block of the spec list" % (where, rid))
                continue
            if kind != w[1] or label.strip("`") != w[2]:
                self.err("%s: %s is %s %r in the spec list, the matrix says %s %r"
                         % (where, rid, w[1], w[2], kind, label))
            status = status.strip("*").strip()
            if status in count:
                count[status] += 1
            if status not in STATUSES:
                self.err("%s: %s: status %r is not one of %s" % (where, rid, status, STATUSES))
            elif status in ("covered", "partly") and not TOKEN.search(tests):
                self.err("%s: %s is %s but names no test" % (where, rid, status))
            elif status in ("not covered", "n/a") and len(notes) < 20:
                self.err("%s: %s is %s without a reason" % (where, rid, status))
        text = "\n".join(lines)
        m = SUMMARY.search(text)
        got = [len(seen)] + [count[s] for s in STATUSES]
        if not m:
            self.err("no summary line 'Of the N: a covered, b partly, c not covered, d n/a'")
        elif [int(x) for x in m.groups()] != got:
            self.err("summary line says %s; the rows give: of the %d: %d covered, %d partly, "
                     "%d not covered, %d n/a" % (m.group(0), *got))
        for w in want:
            if w[0] not in seen:
                self.err("%s: %s (%s: %s) has no row" % (os.path.basename(a.matrix), w[0],
                                                          w[1], w[2]))


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source-root", required=True)
    ap.add_argument("--build-root", required=True)
    ap.add_argument("--cmocka", choices=("yes", "no"), default="yes")
    ap.add_argument("--matrix")
    ap.add_argument("--list")
    ap.add_argument("--spec", default=os.environ.get("VIRTIO_MSG_SPEC_TEX") or None)
    a = ap.parse_args(argv)
    a.matrix = a.matrix or os.path.join(a.source_root, "docs", "conformance.md")
    a.list = a.list or os.path.join(a.source_root, "docs", "spec-normative-sections.txt")
    c = Checker(a)
    try:
        c.run()
    except (OSError, ValueError) as e:
        c.err(str(e))
    for e in c.errors:
        print("FAIL: " + e)
    if c.errors:
        print("conformance matrix: %d problem(s)" % len(c.errors))
        return 1
    if c.missing_meson:
        print("SKIP: built without cmocka, cannot check: %s"
              % ", ".join(sorted(set(c.missing_meson))))
        return 77
    print("conformance matrix: OK (%s against %s)" % (a.matrix, a.list))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
