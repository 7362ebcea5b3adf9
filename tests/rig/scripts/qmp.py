#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""qmp.py - a minimal QMP client for the rig tests.

    qmp.py SOCKET [--timeout S] STEP...

Each STEP is one of:
    CMD[:JSON-ARGS]      execute a QMP command; fails on an "error" reply
    ?CMD[:JSON-ARGS]     execute, ignore an "error" reply
    wait:EVENT[:S]       wait up to S seconds (default --timeout) for EVENT
    sleep:S              sleep S seconds

Example (replug the soft card's ivshmem device behind root port rp0):
    qmp.py /tmp/q.sock 'device_del:{"id":"vmsgcard"}' wait:DEVICE_DELETED:30 \
        'chardev-remove:{"id":"ivs"}' \
        'chardev-add:{"id":"ivs","backend":{"type":"socket","data":{"addr":{"type":"unix","data":{"path":"/tmp/l/ivshmem.sock"}},"server":false}}}' \
        'device_add:{"driver":"ivshmem-doorbell","id":"vmsgcard","chardev":"ivs","vectors":8,"bus":"rp0"}'
Exit status 0 when every step succeeded, 1 otherwise, 2 on bad usage.
"""
import json
import socket
import sys
import time


class Qmp:
    def __init__(self, path, timeout):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.events = []
        self.recv()  # greeting
        self.execute("qmp_capabilities", None, True)

    def recv(self, deadline=None):
        while b"\n" not in self.buf:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                self.sock.settimeout(left)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("QMP socket closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def execute(self, cmd, args, strict):
        msg = {"execute": cmd}
        if args is not None:
            msg["arguments"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            r = self.recv()
            if "event" in r:
                self.events.append(r)
                continue
            if "error" in r:
                print(f"qmp: {cmd}: {r['error'].get('desc')}", file=sys.stderr)
                return not strict
            return True

    def wait_event(self, name, secs):
        for i, e in enumerate(self.events):
            if e["event"] == name:
                del self.events[i]
                return True
        deadline = time.monotonic() + secs
        try:
            while True:
                r = self.recv(deadline)
                if r.get("event") == name:
                    return True
                if "event" in r:
                    self.events.append(r)
        except TimeoutError:
            print(f"qmp: no {name} event within {secs} s", file=sys.stderr)
            return False


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    path = argv[1]
    steps = argv[2:]
    timeout = 30.0
    if steps[:1] == ["--timeout"] and len(steps) > 1:
        timeout = float(steps[1])
        steps = steps[2:]
    q = Qmp(path, timeout)
    for step in steps:
        if step.startswith("wait:"):
            parts = step.split(":")
            secs = float(parts[2]) if len(parts) > 2 else timeout
            if not q.wait_event(parts[1], secs):
                return 1
            continue
        if step.startswith("sleep:"):
            time.sleep(float(step.split(":", 1)[1]))
            continue
        strict = not step.startswith("?")
        step = step.lstrip("?")
        cmd, _, args = step.partition(":")
        if not q.execute(cmd, json.loads(args) if args else None, strict):
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
