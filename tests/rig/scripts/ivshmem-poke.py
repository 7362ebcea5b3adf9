#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""ivshmem-poke.py SOCKET [SECONDS] - connect to an ivshmem server as an
extra client, stay SECONDS (default 0.3), disconnect. vmsg-card treats the
newest client as the host, so this ends the current host's session (as a
link down would) and, on disconnect, hands the link back: the real host
then sees the card READY on a new epoch in the same BAR and must re-attach.
"""
import socket
import sys
import time

s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect(sys.argv[1])
s.recv(4096)  # greeting (fds are dropped)
time.sleep(float(sys.argv[2]) if len(sys.argv) > 2 else 0.3)
s.close()
