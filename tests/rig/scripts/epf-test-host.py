#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""epf-test-host.py HOST_SOCKET RAM_FILE [VENDOR DEVICE] - the host side of
tests/rig/card-vm-epc.test.sh, as an ivshmem client instead of a host VM.

Connects to vmsg-ivshmem-server's host socket (becoming the host peer: the
card VM's controller sees the link come up), checks the emulated link page
that the card VM's controller wrote from the endpoint function's header
(pci-epf-test through configfs), then drives pci-epf-test through BAR0 (the
start of the shared memory) as the host's pci_endpoint_test driver would:
MSI-X interrupts raised by the card arrive on this client's eventfds, and
READ/WRITE go through the controller's outbound window, which is RAM_FILE
(the host VM's RAM file; host physical address 0 at offset 0). Prints
"host: ok - ..." / "host: FAIL - ..." lines; exit 1 on any failure.
"""
import mmap
import os
import select
import socket
import struct
import sys
import time
import zlib

PAGE_SIZE = 4096
HDR_MAGIC = 0x52484556
WIRE_MAGIC = 0x52495756
# pci-epf-test (drivers/pci/endpoint/functions/pci-epf-test.c, Linux 6.1)
REG = struct.Struct("<IIIQQIIIII")  # magic command status src dst size checksum irq_type irq_number flags
CMD_RAISE_MSIX, CMD_READ, CMD_WRITE = 1 << 2, 1 << 3, 1 << 4
ST_READ_OK, ST_READ_FAIL, ST_WRITE_OK = 1 << 0, 1 << 1, 1 << 2
ST_IRQ, ST_SRC_INVALID = 1 << 6, 1 << 7
ST_DONE = 0x3f  # READ/WRITE/COPY success or fail: the command finished
IRQ_MSIX = 2
MSIX_VECTORS = 8

fails = 0


def ok(what):
    print("host: ok - " + what, flush=True)


def bad(what):
    global fails
    fails += 1
    print("host: FAIL - " + what, flush=True)


def check(what, cond):
    (ok if cond else bad)(what)
    return cond


def recv_msg(s):
    data, fds, _, _ = socket.recv_fds(s, 8, 1)
    if len(data) != 8:
        raise SystemExit("host: FAIL - the server closed the connection")
    return struct.unpack("<q", data)[0], (fds[0] if fds else -1)


def connect(path):
    """Greeting: version, own id, shm fd; then vectors until our own ones."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    assert recv_msg(s) == (0, -1), "protocol version"
    my_id, _ = recv_msg(s)
    val, shm_fd = recv_msg(s)
    assert val == -1 and shm_fd >= 0, "shared memory fd"
    own, card = [], []
    while len(own) < MSIX_VECTORS:
        val, fd = recv_msg(s)
        if val == my_id:
            own.append(fd)
        elif val == 0:
            card.append(fd)
        elif fd >= 0:
            os.close(fd)
    return s, my_id, shm_fd, own, card


def u32(buf, off):
    return struct.unpack_from("<I", buf, off)[0]


def u16(buf, off):
    return struct.unpack_from("<H", buf, off)[0]


def fired(fd, secs):
    r, _, _ = select.select([fd], [], [], secs)
    if not r:
        return False
    os.read(fd, 8)
    return True


def drain(fds):
    for fd in fds:
        while fired(fd, 0):
            pass


def command(bar, cmd, irq=1, src=0, dst=0, size=0, checksum=0, wait=30.0):
    """Write the registers, the command last; wait until the card took it
    and set a status (or, with want_status False, just took it)."""
    REG.pack_into(bar, 0, 0, 0, 0, src, dst, size, checksum, IRQ_MSIX, irq, 0)
    struct.pack_into("<I", bar, 4, cmd)
    end = time.monotonic() + wait
    while time.monotonic() < end:
        # pci-epf-test sets SRC_ADDR_INVALID before READ_FAIL: wait for
        # the outcome bit, not just any status.
        if u32(bar, 4) == 0 and u32(bar, 8) & ST_DONE:
            break
        time.sleep(0.005)
    return REG.unpack_from(bar, 0)


def main():
    sock, ram = sys.argv[1], sys.argv[2]
    vendor = int(sys.argv[3], 0) if len(sys.argv) > 3 else 0x104C
    device = int(sys.argv[4], 0) if len(sys.argv) > 4 else 0xB500
    s, my_id, shm_fd, own, card = connect(sock)
    print("host: connected as peer %d (%d card vectors)" % (my_id, len(card)), flush=True)
    check("the card (peer 0) is there with its vectors", len(card) == MSIX_VECTORS)
    size = os.fstat(shm_fd).st_size
    shm = mmap.mmap(shm_fd, size)
    page = size - PAGE_SIZE

    end = time.monotonic() + 30
    while time.monotonic() < end and u32(shm, page) != HDR_MAGIC:
        time.sleep(0.05)
    if not check("the card's header is valid (hdr_magic)", u32(shm, page) == HDR_MAGIC):
        return 1
    check("header ids are the configfs ones (%04x:%04x)" % (vendor, device),
          (u16(shm, page + 8), u16(shm, page + 10)) == (vendor, device))
    check("header class 0xff0000 rev 0 (configfs baseclass_code 0xff)",
          u32(shm, page + 16) == 0xFF000000)
    bar0 = u32(shm, page + 20)
    check("bar0_size %d: pci-epf-test's register BAR" % bar0, 4096 <= bar0 <= page)
    check("card_peer_id 0", u32(shm, page + 24) == 0)
    # The server writes the wire section after the greeting it sends us.
    end = time.monotonic() + 10
    wire = struct.unpack_from("<5I", shm, page + 0x40)
    while time.monotonic() < end and wire[2] != my_id:
        time.sleep(0.02)
        wire = struct.unpack_from("<5I", shm, page + 0x40)
    check("the wire names this client the host (%s)" % (wire,),
          wire[0] == WIRE_MAGIC and wire[2] == my_id and wire[4] == 1)

    bar = memoryview(shm)[:bar0]
    drain(own)
    # 1. MSI-X vectors 1 and 3: the card's raise_irq rings our eventfds.
    for irq in (1, 3):
        st = command(bar, CMD_RAISE_MSIX, irq=irq)[2]
        check("RAISE_MSIX %d: status IRQ_RAISED (%#x)" % (irq, st), st & ST_IRQ)
        check("RAISE_MSIX %d: our vector %d fired" % (irq, irq - 1), fired(own[irq - 1], 10))
    # 2. READ through the outbound window: host address 0 maps.
    data = os.urandom(4096)
    with open(ram, "r+b") as f:
        f.write(data)
    crc = zlib.crc32(data) ^ 0xFFFFFFFF
    st = command(bar, CMD_READ, irq=2, src=0, size=4096, checksum=crc)[2]
    check("READ 4 KiB at host address 0 (window start): READ_SUCCESS (%#x)" % st,
          st & ST_READ_OK and not st & ST_READ_FAIL)
    check("READ: interrupt on vector 1", fired(own[1], 10))
    # 3. A host address the window cannot map at PCI address 0: refused.
    st = command(bar, CMD_READ, irq=2, src=0x10000, size=4096, checksum=crc)[2]
    check("READ at host address 0x10000: the controller refuses the mapping (%#x)" % st,
          st & ST_READ_FAIL and st & ST_SRC_INVALID)
    fired(own[1], 5)
    # 4. WRITE: the card writes random bytes into host memory at 0.
    reg = command(bar, CMD_WRITE, irq=4, dst=0, size=8192)
    with open(ram, "rb") as f:
        got = f.read(8192)
    check("WRITE 8 KiB at host address 0: WRITE_SUCCESS (%#x)" % reg[2], reg[2] & ST_WRITE_OK)
    check("WRITE: the card's checksum matches the host RAM file",
          (zlib.crc32(got) ^ 0xFFFFFFFF) == reg[6] and got != bytes(8192))
    check("WRITE: interrupt on vector 3", fired(own[3], 10))
    bar.release()
    shm.close()
    s.close()
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
