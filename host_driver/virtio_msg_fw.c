// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_msg_fw.c - the fw_shared message builders, compiled into
 * virtio_msg.ko: the transport builds every message with them and never
 * packs bytes by hand. Not exported; a bus module compiles its own copy.
 */
#include "../fw_shared/src/virtio_msg_build.c"
