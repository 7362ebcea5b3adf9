#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""tcp-xfer.py send HOST PORT FILE [TIMEOUT] | recv PORT NBYTES FILE [TIMEOUT]

send: connect to HOST:PORT (retrying until TIMEOUT), send FILE, close.
recv: listen on PORT, accept one connection, read NBYTES into FILE, close.
Exit 0 on success.
"""
import socket
import sys
import time


def send(host, port, path, timeout):
    deadline = time.monotonic() + timeout
    data = open(path, "rb").read()
    while True:
        try:
            s = socket.create_connection((host, int(port)), timeout=5)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    s.settimeout(max(1.0, deadline - time.monotonic()))
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    s.close()


def recv(port, nbytes, path, timeout):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", int(port)))
    ls.listen(1)
    ls.settimeout(timeout)
    c, _ = ls.accept()
    c.settimeout(timeout)
    got = bytearray()
    while len(got) < nbytes:
        b = c.recv(1 << 20)
        if not b:
            break
        got += b
    c.close()
    open(path, "wb").write(got)
    if len(got) != nbytes:
        sys.exit(f"tcp-xfer: got {len(got)} of {nbytes} bytes")


if __name__ == "__main__":
    a = sys.argv
    if a[1] == "send":
        send(a[2], a[3], a[4], float(a[5]) if len(a) > 5 else 60)
    else:
        recv(a[2], int(a[3]), a[4], float(a[5]) if len(a) > 5 else 60)
