#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
"""Seeds for fuzz_card_msg (see the op list in fuzz_card_msg.c): a device
brought up the way a driver does it, with buffers on its queues, so the
fuzzer starts inside the device state machines and the virtqueues.
Run from the repository: tests/fuzz/mkseeds_card_msg.py"""
import os
import struct

OUT = os.path.join(os.path.dirname(__file__), "seeds", "fuzz_card_msg")
VQ_BASE = 0x10000000 + 0x10000


def req(dev, kind, fields=b"", tok=1):
    return bytes([2, dev]) + struct.pack("<H", tok) + bytes([kind]) + fields


def status(dev, bits, tok):
    return req(dev, 6, bytes([0, bits]), tok)


def features(dev, tok):
    f = struct.pack("<IIII", 0, 3, 0, 0)  # VERSION_1 | ACCESS_PLATFORM
    return req(dev, 2, f + bytes([0, 1]), tok)  # blocks 0..1


def set_vq(dev, index, log2size, desc, avail, used, tok):
    f = bytes([index, log2size])
    for a in (desc, avail, used):
        f += struct.pack("<H", a // 16)
    return req(dev, 8, f, tok)


def mem(off, data):
    out = b""
    while data:
        chunk, data = data[:60], data[60:]
        out += bytes([4]) + struct.pack("<H", off // 4) + bytes([len(chunk)]) + chunk
        off += len(chunk)
    return out


def ring(desc_off, avail_off, buf_off, length, write):
    d = struct.pack("<QIHH", VQ_BASE + buf_off, length, 2 if write else 0, 0)
    a = struct.pack("<HHH", 0, 1, 0)  # flags, idx 1, ring[0] = head 0
    return mem(desc_off, d) + mem(avail_off, a)


def avail(dev, vq, tok):
    return req(dev, 11, bytes([vq]) + struct.pack("<I", 0), tok)


def bring_up(dev, queues, tok=1):
    s = b""
    for bits in (1, 3):
        s += status(dev, bits, tok)
        tok += 1
    s += features(dev, tok) + status(dev, 0xB, tok + 1)
    tok += 2
    for q, (desc, av, used) in enumerate(queues):
        s += set_vq(dev, q, 3, desc, av, used, tok)
        tok += 1
    s += status(dev, 0xF, tok) + bytes([3, 6])
    return s, tok + 1


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = {}
    # net (device 1): rx queue 0 with a writable buffer, tx queue 1 with a frame
    s, tok = bring_up(1, [(0x400, 0x500, 0x600), (0x000, 0x100, 0x200)])
    s += ring(0x400, 0x500, 0x2000, 2048, True) + ring(0x000, 0x100, 0x1000, 80, False)
    s += mem(0x1000, bytes(12) + b"\xff" * 6 + b"\x02\0\0\0\0\x01" + b"\x88\xb5" + bytes(56))
    s += avail(1, 0, tok) + avail(1, 1, tok + 1) + bytes([3, 3, 6])
    seeds["net_up_tx_rx"] = bytes([0]) + s
    seeds["net_up_tx_rx_msix"] = bytes([3]) + s
    # rng (device 2): one writable buffer
    s, tok = bring_up(2, [(0x800, 0x900, 0xA00)])
    s += ring(0x800, 0x900, 0x3000, 64, True) + avail(2, 0, tok) + bytes([3, 6])
    seeds["rng_up_read"] = bytes([0]) + s
    # bus: GET_DEVICES, PING, config read/write, GET_SHM, a queue reset
    s = req(0, 12, struct.pack("<HH", 0, 64)) + req(0, 13, struct.pack("<I", 7), 2)
    s += req(1, 3, bytes([0, 6]), 3) + req(1, 4, bytes([0, 2, 1, 2]) + struct.pack("<I", 0), 4)
    s += req(1, 10, bytes([0]), 5) + req(1, 0, b"", 6) + req(3, 5, b"", 7)
    s += bytes([3, 6])
    seeds["bus_and_config"] = bytes([1]) + s
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
