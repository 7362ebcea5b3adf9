#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""pty-io.py PTY REGEX REPLY [TIMEOUT] - open the pty slave PTY raw, read
until REGEX (bytes, Python syntax, ending with a newline) matches, at most
TIMEOUT seconds (default 30), then write REPLY plus a newline, where {1}
is replaced by the regex's first group. Prints the matched line. Exit 0 if
it matched, 1 otherwise.
"""
import os
import re
import select
import sys
import termios
import time
import tty

path, rx, reply = sys.argv[1], re.compile(sys.argv[2].encode()), sys.argv[3]
timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 30.0
fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
tty.setraw(fd)
attrs = termios.tcgetattr(fd)
attrs[3] &= ~termios.ECHO
termios.tcsetattr(fd, termios.TCSANOW, attrs)
buf = b""
deadline = time.monotonic() + timeout
m = None
while not m:
    left = deadline - time.monotonic()
    if left <= 0:
        print(f"pty-io: no match; got {buf[-200:]!r}", file=sys.stderr)
        sys.exit(1)
    r, _, _ = select.select([fd], [], [], left)
    if r:
        buf += os.read(fd, 4096)
        m = rx.search(buf)
print(m.group(0).decode(errors="replace").strip())
grp = m.group(1).decode(errors="replace") if m.groups() else ""
os.write(fd, reply.replace("{1}", grp).encode() + b"\n")
time.sleep(0.5)
os.close(fd)
