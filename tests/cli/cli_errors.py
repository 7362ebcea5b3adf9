#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
"""cli_errors: what a newcomer's mistakes get from the host-side tools.

Each bad command line must end with the documented exit status and one
clear message naming the option, quickly (nothing is run first).

Usage: cli_errors.py vmsg-host-demo BINARY
       cli_errors.py vmsg-bench BINARY
       cli_errors.py vmsg-pci BINARY
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

FAILS = []


def run(binary, args, timeout=30):
    t0 = time.monotonic()
    p = subprocess.run([binary] + args, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout + p.stderr, time.monotonic() - t0


def expect(binary, args, status, text, max_s=None, absent=None):
    rc, out, secs = run(binary, args)
    what = " ".join(args) or "(no arguments)"
    problems = []
    if rc != status:
        problems.append("exit status %d, expected %d" % (rc, status))
    if text not in out:
        problems.append("output lacks %r" % text)
    if absent and absent in out:
        problems.append("output has %r" % absent)
    if max_s is not None and secs > max_s:
        problems.append("took %.1f s, expected under %.1f s" % (secs, max_s))
    if problems:
        FAILS.append(what)
        print("FAIL %s: %s\n  output: %s" % (what, "; ".join(problems), out.strip()))
    else:
        print("ok   %s -> %d, %r" % (what, rc, out.strip().splitlines()[0] if out else ""))
    return out


def host_demo(b, tmp):
    link = ["--link", tmp, "--host-mem", os.path.join(tmp, "mem")]
    for opt, val, want in (("--frames", "-1", "--frames '-1': expected a whole number"),
                           ("--frames", "abc", "--frames 'abc': expected a whole number"),
                           ("--frames", "0", "--frames '0': expected a whole number"),
                           ("--frames", "4294967296", "--frames '4294967296'"),
                           ("--blk-mib", "abc", "--blk-mib 'abc': expected a whole number"),
                           ("--blk-mib", "0", "--blk-mib '0'"),
                           ("--blk-mib", "1025", "--blk-mib '1025'"),
                           ("--blk-mib", "8x", "--blk-mib '8x'")):
        expect(b, link + [opt, val], 2, want, absent="--link")
    expect(b, ["--host-mem", "/x"], 2, "--link DIR is required")
    expect(b, ["--link", tmp], 2, "--host-mem FILE is required")
    expect(b, link + ["extra"], 2, "unexpected argument 'extra'")
    # --pci (the vfio link): exclusive with --link, checked address, a clear
    # error for a function that does not exist.
    expect(b, ["--pci", "0000:01:00.0", "--link", tmp], 2, "--pci and --link/--host-mem exclude")
    expect(b, ["--pci", "0000:01:00.0", "--mem-mib", "1"], 2, "--mem-mib '1'")
    expect(b, ["--pci", "../../x"], 1, "--pci ../../x: Invalid argument", max_s=2)
    expect(b, ["--pci", "ffff:ff:1f.7"], 1, "ffff:ff:1f.7: no such PCI function", max_s=2)
    # No card: said at once, and no blame on a card.
    out = expect(b, link, 1, "no card at %s: %s/ivshmem.sock does not exist" % (tmp, tmp),
                 max_s=2, absent="card says")
    expect(b, ["--link", os.path.join(tmp, "nodir"), "--host-mem", "/x"], 1,
           "No such file or directory", max_s=2)
    if os.path.exists(os.path.join(tmp, "mem")):
        FAILS.append("no card: --host-mem file created")
        print("FAIL no card: the --host-mem file was created")
    # A stale socket (a card that crashed): a timeout that says so, no
    # "(card says: OK)"; the 64 MiB --host-mem file it created is removed,
    # one that existed before is kept.
    s = socket.socket(socket.AF_UNIX)
    s.bind(os.path.join(tmp, "ivshmem.sock"))
    s.close()
    expect(b, link, 1, "no answer on %s/ivshmem.sock" % tmp, absent="card says")
    if os.path.exists(os.path.join(tmp, "mem")):
        FAILS.append("stale socket: created --host-mem file left behind")
        print("FAIL the --host-mem file it created was left behind")
    else:
        print("ok   the --host-mem file it created was removed")
    with open(os.path.join(tmp, "mem"), "wb") as f:
        f.truncate(64 << 20)
    expect(b, link, 1, "no answer on", absent="card says")
    if not os.path.exists(os.path.join(tmp, "mem")):
        FAILS.append("stale socket: an existing --host-mem file was removed")
        print("FAIL an existing --host-mem file was removed")
    else:
        print("ok   an existing --host-mem file is kept")


def bench(b, tmp):
    out = expect(b, ["--help"], 0, "vmsg-bench")
    for bad in ("DESIGN.md", "../shared", "REVIEW-NOTES"):
        if bad in out:
            FAILS.append("--help cites " + bad)
            print("FAIL --help cites %s, which is not in the tree" % bad)
    # An unwritable --json path is found before the benchmark runs.
    expect(b, ["latency", "--json", os.path.join(tmp, "nodir", "x.json")], 1,
           "--json %s/nodir/x.json: No such file or directory" % tmp, max_s=3)
    expect(b, ["latency", "--json", tmp], 1, "--json %s: Is a directory" % tmp, max_s=3)
    expect(b, ["latency", "--iterations", "abc"], 2, "--iterations abc")
    if os.listdir(tmp):
        FAILS.append("files left in the temporary directory")
        print("FAIL left behind: %s" % os.listdir(tmp))


def vmsg_pci(b, tmp):
    out = expect(b, ["--help"], 0, "vmsg-pci - list the virtio-msg PCIe cards")
    for sec in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "EXAMPLES"):
        if "\n%s\n" % sec not in "\n" + out:
            FAILS.append("--help lacks " + sec)
            print("FAIL --help has no %s section" % sec)
    expect(b, ["--version"], 0, "vmsg-pci ")
    expect(b, ["-s", "zz"], 2, "vmsg-pci: -s 'zz': ", max_s=3)
    expect(b, ["-s"], 2, "vmsg-pci: option '-s' needs an argument", max_s=3)
    expect(b, ["--bogus"], 2, "vmsg-pci: unknown option '--bogus'", max_s=3)
    expect(b, ["extra"], 2, "vmsg-pci: unexpected argument 'extra'", max_s=3)
    # A slot with no function: nothing found, said, exit 1; --json prints [].
    expect(b, ["-s", "ffff:ff:1f.7"], 1, "vmsg-pci: no virtio-msg card found", max_s=5)
    expect(b, ["-s", "ffff:ff:1f.7", "--json"], 1, "[]", max_s=5)


def main():
    tools = {"vmsg-host-demo": host_demo, "vmsg-bench": bench, "vmsg-pci": vmsg_pci}
    if len(sys.argv) != 3 or sys.argv[1] not in tools:
        print(__doc__)
        return 2
    with tempfile.TemporaryDirectory(prefix="vmsg-cli-") as tmp:
        tools[sys.argv[1]](sys.argv[2], tmp)
    if FAILS:
        print("cli_errors %s: %d failure(s)" % (sys.argv[1], len(FAILS)))
        return 1
    print("cli_errors %s: all passed" % sys.argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
