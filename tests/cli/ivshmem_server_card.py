#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
"""ivshmem_server_card: vmsg-ivshmem-server --card-socket, as the card VM
rig uses it. The one client on the card socket is peer VMSG_EMU_CARD_PEER_ID
(0), a second one is refused; clients on --socket are hosts; the wire section
of struct vmsg_emu_page [EMU-7] in the last 4 KiB of the shared memory file
follows them (host_peer_id, host_generation, card_connected).

Usage: ivshmem_server_card.py BINARY
"""
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

SHM_SIZE = 65536
PAGE = SHM_SIZE - 4096
WIRE_MAGIC = 0x52495756
NO_PEER = 0xFFFFFFFF
VECTORS = 2


def wire(path):
    with open(path, "rb") as f:
        f.seek(PAGE + 0x40)
        magic, version, host, gen, card = struct.unpack("<5I", f.read(20))
    return {"magic": magic, "version": version, "host": host, "gen": gen, "card": card}


def wait_for(what, cond, secs=5.0):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if cond():
            return
        time.sleep(0.01)
    sys.exit("FAIL: timed out waiting for %s" % what)


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    wait_for(path, lambda: os.path.exists(path))
    s.connect(path)
    return s


def recv_msg(s):
    """One 8-byte message and its fd (or None); None on EOF."""
    data, fds, _, _ = socket.recv_fds(s, 8, 1)
    if not data:
        return None
    if len(data) != 8:
        sys.exit("FAIL: half a message")
    for fd in fds:
        os.close(fd)
    return struct.unpack("<q", data)[0], bool(fds)


def greeting(s, other_vectors):
    """Version, id, shm fd, other peers' vectors, own vectors: returns id."""
    assert recv_msg(s) == (0, False), "protocol version"
    pid, has_fd = recv_msg(s)
    assert not has_fd
    assert recv_msg(s) == (-1, True), "shared memory fd"
    own = other = 0
    while own < VECTORS:
        val, has_fd = recv_msg(s)
        assert has_fd, "vector without an eventfd"
        if val == pid:
            own += 1
        else:
            other += 1
    assert other == other_vectors, "%d other vectors, expected %d" % (other, other_vectors)
    return pid


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="ivs-card-") as d:
        shm = os.path.join(d, "shm")
        hsock = os.path.join(d, "host.sock")
        csock = os.path.join(d, "card.sock")
        # the page needs room for BAR0 before it
        p = subprocess.run([binary, "--socket", hsock, "--card-socket", csock,
                            "--shm-path", shm, "--shm-size", "4096"],
                           capture_output=True, text=True, timeout=10)
        assert p.returncode == 2 and "--shm-size" in p.stderr, p.stderr
        srv = subprocess.Popen([binary, "--socket", hsock, "--card-socket", csock,
                                "--shm-path", shm, "--shm-size", str(SHM_SIZE),
                                "--vectors", str(VECTORS)],
                               stderr=subprocess.PIPE, text=True)
        try:
            wait_for("the card socket", lambda: os.path.exists(csock))
            wait_for("the wire", lambda: wire(shm)["magic"] == WIRE_MAGIC)
            w = wire(shm)
            assert (w["version"], w["host"], w["card"]) == (1, NO_PEER, 0), w
            gen0 = w["gen"]

            card = connect(csock)
            assert greeting(card, 0) == 0, "the card must be peer 0"
            wait_for("card_connected", lambda: wire(shm)["card"] == 1)

            card2 = connect(csock)
            assert recv_msg(card2) is None, "a second card must be refused"
            card2.close()

            host = connect(hsock)
            hid = greeting(host, VECTORS)
            assert hid >= 1, hid
            wait_for("the host on the wire", lambda: wire(shm)["host"] == hid)
            assert wire(shm)["gen"] == gen0 + 1
            for _ in range(VECTORS):  # the card hears of the host
                assert recv_msg(card) == (hid, True)

            host.close()
            wait_for("no host on the wire", lambda: wire(shm)["host"] == NO_PEER)
            assert wire(shm)["gen"] == gen0 + 2
            assert recv_msg(card) == (hid, False), "the card hears the host leave"

            card.close()
            wait_for("card_connected 0", lambda: wire(shm)["card"] == 0)
            card = connect(csock)  # the card VM may come back
            assert greeting(card, 0) == 0
            wait_for("card_connected again", lambda: wire(shm)["card"] == 1)
            card.close()
        finally:
            srv.send_signal(signal.SIGTERM)
            err = srv.communicate(timeout=10)[1]
        assert srv.returncode == 0, err
        assert not os.path.exists(csock) and not os.path.exists(hsock), "sockets left"
        assert wire(shm)["card"] == 0
        assert "refusing a second card" in err, err
    print("ivshmem_server_card: ok")


if __name__ == "__main__":
    main()
