#!/usr/bin/env python3
"""Minimal ivshmem server for testing the rig (tests/rig/selftest.sh).

Speaks the ivshmem-doorbell server protocol (QEMU docs/specs/ivshmem-spec.rst):
on connect each client gets, as 8-byte little-endian signed integers on a UNIX
stream socket, the protocol version (0), its peer id, then -1 with the shared
memory fd (SCM_RIGHTS), then the eventfds of every other peer (one message per
vector, carrying that peer's id) and finally its own eventfds. Other peers are
told about a new peer's eventfds, and about a peer leaving (its id, no fd).

This is a test stand-in; the project's soft card (`vmsg-card --platform sim`)
is the real server. Debian's QEMU package does not ship QEMU's ivshmem-server.

Usage: ivshmem-mini-server.py --socket PATH [--shm-path FILE] [--shm-size BYTES]
                              [--vectors N] [--pidfile FILE]
"""
import argparse
import os
import select
import signal
import socket
import struct
import sys


def send_msg(conn, value, fd=None):
    data = struct.pack("<q", value)
    if fd is None:
        conn.sendall(data)
    else:
        socket.send_fds(conn, [data], [fd])


class Peer:
    def __init__(self, conn, peer_id, vectors):
        self.conn = conn
        self.id = peer_id
        self.fds = [os.eventfd(0, os.EFD_CLOEXEC) for _ in range(vectors)]

    def close(self):
        self.conn.close()
        for fd in self.fds:
            os.close(fd)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--socket", required=True)
    ap.add_argument("--shm-path", help="back the shared memory with this file "
                    "(default: an anonymous memfd)")
    ap.add_argument("--shm-size", type=int, default=4 << 20,
                    help="bytes, a power of two (default 4 MiB)")
    ap.add_argument("--vectors", type=int, default=8)
    ap.add_argument("--pidfile")
    args = ap.parse_args()

    size = args.shm_size
    if size <= 0 or size & (size - 1):
        sys.exit("ivshmem-mini-server: --shm-size must be a power of two")
    if args.shm_path:
        shm_fd = os.open(args.shm_path, os.O_RDWR | os.O_CREAT, 0o600)
    else:
        shm_fd = os.memfd_create("ivshmem", os.MFD_CLOEXEC)
    os.ftruncate(shm_fd, size)

    if os.path.exists(args.socket):
        os.unlink(args.socket)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(args.socket)
    srv.listen(8)
    if args.pidfile:
        with open(args.pidfile, "w") as f:
            f.write(f"{os.getpid()}\n")

    def stop(*_):
        try:
            os.unlink(args.socket)
        except OSError:
            pass
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    peers = {}
    next_id = 0
    while True:
        rlist = [srv] + [p.conn for p in peers.values()]
        ready, _, _ = select.select(rlist, [], [])
        for s in ready:
            if s is srv:
                conn, _ = srv.accept()
                peer = Peer(conn, next_id, args.vectors)
                next_id += 1
                try:
                    send_msg(conn, 0)           # protocol version
                    send_msg(conn, peer.id)     # its id
                    send_msg(conn, -1, shm_fd)  # shared memory
                    for other in peers.values():
                        for fd in peer.fds:
                            send_msg(other.conn, peer.id, fd)
                        for fd in other.fds:
                            send_msg(conn, other.id, fd)
                    for fd in peer.fds:
                        send_msg(conn, peer.id, fd)
                except OSError as e:
                    print(f"ivshmem-mini-server: peer {peer.id}: {e}", file=sys.stderr)
                    peer.close()
                    continue
                peers[peer.id] = peer
                print(f"ivshmem-mini-server: peer {peer.id} connected", file=sys.stderr)
            else:
                peer = next(p for p in peers.values() if p.conn is s)
                try:
                    data = s.recv(64)
                except OSError:
                    data = b""
                if data:
                    continue  # clients do not send anything; ignore
                del peers[peer.id]
                peer.close()
                print(f"ivshmem-mini-server: peer {peer.id} left", file=sys.stderr)
                for other in peers.values():
                    try:
                        send_msg(other.conn, peer.id)
                    except OSError:
                        pass


if __name__ == "__main__":
    main()
