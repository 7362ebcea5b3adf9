// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * names.c - human-readable names for codes the library reports.
 */
#include "vmsg_host_bus.h"

#include <errno.h>
#include <string.h>

const char *vmsg_host_attach_error_str(uint32_t e)
{
	const char *n = vmsg_attach_error_str(e);

	return n ? n : "unknown attach_error";
}

const char *vmsg_host_bus_error_str(uint16_t e)
{
	switch (e) {
	case 0:
		return "none";
	case VMSG_PCIE_ERR_NO_DEVICE:
		return "NO_DEVICE";
	case VMSG_PCIE_ERR_SHUTDOWN:
		return "SHUTDOWN";
	case VMSG_PCIE_ERR_UNSUPPORTED:
		return "UNSUPPORTED";
	case VMSG_PCIE_ERR_BUSY:
		return "BUSY";
	default:
		return "unknown bus error";
	}
}

const char *vmsg_host_state_str(enum vmsg_host_state st)
{
	switch (st) {
	case VMSG_HOST_DETACHED:
		return "DETACHED";
	case VMSG_HOST_RUN:
		return "RUN";
	case VMSG_HOST_GONE:
		return "GONE";
	case VMSG_HOST_PEER_DEAD:
		return "PEER_DEAD";
	default:
		return "?";
	}
}

const char *vmsg_host_strerror(int err)
{
	switch (err) {
	case -ETIMEDOUT:
		return "request timed out";
	case -ENODEV:
		return "device not present (removed, or the card answered NO_DEVICE)";
	case -ESHUTDOWN:
		return "card is shutting down (ERROR SHUTDOWN)";
	case -EOPNOTSUPP:
		return "not supported (ERROR UNSUPPORTED or feature not negotiated)";
	case -EBUSY:
		return "busy (ERROR BUSY, or too many requests in flight)";
	case -ECONNRESET:
		return "link reset: the card restarted or detached (new epoch)";
	case -EHOSTDOWN:
		return "peer dead: PINGs unanswered";
	case -ENOTCONN:
		return "bus not attached";
	case -ECONNREFUSED:
		return "card refused ATTACH";
	case -EPROTO:
		return "protocol violation by the card";
	default:
		return strerror(err < 0 ? -err : err);
	}
}
