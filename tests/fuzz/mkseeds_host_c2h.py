#!/usr/bin/env python3
# SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
"""Seeds for fuzz_host_c2h (see the op list in fuzz_host_c2h.c): drivers
opened and used, events of every kind. Byte 0x03 pads: as an op it polls,
as the card's answer to a request it means "the model answers", so the
padding never misaligns what follows however many requests an open makes.
Run from the repository: tests/fuzz/mkseeds_host_c2h.py"""
import os
import struct

OUT = os.path.join(os.path.dirname(__file__), "seeds", "fuzz_host_c2h")
PAD = bytes([3])


def msg(mtype, mid, dev, token, payload=b""):
    return struct.pack("<BBHHH", mtype, mid, dev, token, 8 + len(payload)) + payload


def c2h(m):
    return bytes([0, len(m)]) + m


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = {
        # blk: open, write, the card completes it, read (completes the
        # write), the card completes the read with an idx far ahead
        "blk_io": bytes([0, 7, 0]) + PAD * 64 + bytes([8, 0, 1, 0, 0]) + PAD * 8
        + bytes([12, 0, 0, 8]) + bytes([8, 0, 0, 0, 0]) + PAD * 8
        + bytes([12, 0, 0, 4, 0, 0x80]) + bytes([8, 0, 0, 0, 0]) + bytes([7, 0]) + PAD * 16,
        # net: open, send a frame, the card completes it and fills a receive
        # buffer, the host reaps both; then a used entry with a foreign id
        "net_io": bytes([0, 7, 1]) + PAD * 64 + bytes([8, 1, 0]) + PAD * 16
        + bytes([12, 1, 1, 0, 12, 1, 0, 8]) + bytes([8, 1, 40]) + PAD * 16
        + bytes([12, 1, 0, 1, 0x33, 0x00]) + bytes([8, 1, 40]) + PAD * 4,
        # rng in polling mode
        "rng_read": bytes([1, 7, 2]) + PAD * 48 + bytes([8, 2, 16]) + PAD * 8,
        # events: USED, CONFIG, EVENT_DEVICE READY/REMOVED, a bus ERROR
        "events": bytes([0, 7, 0]) + PAD * 64
        + c2h(msg(0, 0x42, 1, 0, struct.pack("<I", 0)))
        + c2h(msg(0, 0x40, 1, 0, struct.pack("<IIII", 0, 1, 0, 8) + bytes(8)))
        + c2h(msg(2, 0x40, 0, 0, struct.pack("<HH", 5, 1)))
        + c2h(msg(2, 0x40, 0, 0, struct.pack("<HH", 5, 2)))
        + c2h(msg(3, 0x80, 0, 9, struct.pack("<BBHHH", 0, 6, 1, 1, 0)))
        + PAD * 4 + bytes([5]) + PAD * 4,
        # a PING from the card, the liveness tick, a restart
        "ping_restart": bytes([0]) + c2h(msg(2, 3, 0, 77, struct.pack("<I", 0xABCD)))
        + PAD * 2 + bytes([4, 5, 11]) + PAD * 8 + bytes([7, 2]) + PAD * 48,
    }
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
