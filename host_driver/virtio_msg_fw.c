// SPDX-License-Identifier: GPL-2.0
/*
 * virtio_msg_fw.c - the virtio-msg message library of fw_shared, compiled
 * once, into virtio_msg.ko: the builders (the transport builds every message
 * with them and never packs bytes by hand) and the validator (every bus
 * checks each message from its peer with it). A bus module depends on
 * virtio_msg.ko anyway; it uses the exports below and compiles no copy, so
 * the two modules also link together built in (host_driver/README.md).
 */
#include <linux/export.h>

#include "../fw_shared/src/virtio_msg_build.c"
#include "../fw_shared/src/virtio_msg_validate.c"

/*
 * What a bus uses (vmsg_pci.ko); modpost refuses a module that needs an
 * export missing here. One comment per export: who uses it.
 */
/* a request's token, set by the bus that owns the token space */
EXPORT_SYMBOL_GPL(vmsg_set_token);
/* EVENT_AVAILs the bus kept while its ring was full, sent later */
EXPORT_SYMBOL_GPL(vmsg_build_event_avail);
/* the bus's enumeration */
EXPORT_SYMBOL_GPL(vmsg_build_bus_get_devices_req);
/* the bus's liveness PING, and its answer to the peer's */
EXPORT_SYMBOL_GPL(vmsg_build_bus_ping_req);
/* see vmsg_build_bus_ping_req */
EXPORT_SYMBOL_GPL(vmsg_build_bus_ping_resp);
/* every message the bus takes from, or puts on, the wire */
EXPORT_SYMBOL_GPL(vmsg_validate);
/* verdict names in the bus's logs and counters */
EXPORT_SYMBOL_GPL(vmsg_verdict_str);
