#!/usr/bin/env python3
"""check-vm-scripts.py - a shell function called inside `sh -c` in an in-VM script.

The in-VM scripts (tests/rig/scripts/*.vm.sh, scripts/*.guest.sh) run with
tests/rig/scripts/kbus-vm-lib.sh prepended. Its functions (dev_of_type,
stat_get, ...) and the script's own exist only in that shell: a
`sh -c '... dev_of_type 2 ...'` runs a new shell where the call fails with
"not found", and a `wait_for 20 sh -c ...` around it then just waits out its
time. This finds such calls: a function name in command position in the
text the inner shell gets (single-quoted text, double-quoted text outside
unescaped $(...) and `...`, which the outer shell expands first).

Usage: check-vm-scripts.py [FILE...] (default: the files above). Exit 1 and
one line per finding if any.
"""
import glob
import os
import re
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LIB = os.path.join(TOP, "tests/rig/scripts/kbus-vm-lib.sh")
FUNC_RE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(\)\s*\{", re.M)
# a word in command position: start, or after ; & | ( ! newline, or a keyword
CMD_RE = re.compile(
    r"(?:^|[;&|(!\n]|\b(?:then|do|else|if|while|until|elif)\b)\s*([A-Za-z_][A-Za-z0-9_]*)")


def functions(text):
    return set(FUNC_RE.findall(text))


def skip_subst(s, i):
    """s[i:] starts after '$(' (or '`' if tick); return the index after the match."""
    depth = 1
    while i < len(s) and depth:
        c = s[i]
        if c == "\\":
            i += 2
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        i += 1
    return i


def inner_text(s, i):
    """The shell word starting at s[i]: what a `sh -c` gets, outer expansions
    replaced by a placeholder. Returns (text, end index)."""
    out = []
    while i < len(s) and s[i] not in " \t\n;&|":
        c = s[i]
        if c == "'":
            j = s.find("'", i + 1)
            j = len(s) if j < 0 else j
            out.append(s[i + 1:j])
            i = j + 1
        elif c == '"':
            i += 1
            while i < len(s) and s[i] != '"':
                if s[i] == "\\" and i + 1 < len(s):
                    out.append(s[i + 1])
                    i += 2
                elif s.startswith("$(", i):
                    i = skip_subst(s, i + 2)
                    out.append("X")
                elif s[i] == "`":
                    j = s.find("`", i + 1)
                    i = len(s) if j < 0 else j + 1
                    out.append("X")
                else:
                    out.append(s[i])
                    i += 1
            i += 1
        elif s.startswith("$(", i):
            i = skip_subst(s, i + 2)
            out.append("X")
        elif c == "\\" and i + 1 < len(s):
            out.append(s[i + 1])
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out), i


def check(path, libfuncs):
    text = open(path).read()
    funcs = libfuncs | functions(text)
    bad = []
    for m in re.finditer(r"\bsh\s+-c\s+", text):
        inner, _ = inner_text(text, m.end())
        for w in CMD_RE.findall(inner):
            if w in funcs:
                line = text.count("\n", 0, m.start()) + 1
                bad.append("%s:%d: shell function '%s' called inside sh -c (not defined there)"
                           % (os.path.relpath(path, TOP), line, w))
    return bad


def main():
    files = sys.argv[1:] or sorted(
        glob.glob(os.path.join(TOP, "tests/rig/scripts/*.vm.sh"))
        + glob.glob(os.path.join(TOP, "scripts/*.guest.sh")))
    libfuncs = functions(open(LIB).read())
    bad = []
    for f in files:
        bad += check(f, libfuncs)
    for b in bad:
        print(b)
    print("check-vm-scripts: %d file(s), %d finding(s)" % (len(files), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
