// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * names.c - human-readable names for codes the library reports.
 */
#include "vmsg_host_bus.h"

#include <errno.h>
#include <string.h>

const char *vmsg_host_attach_error_str(uint32_t e)
{
	switch (e) {
	case VMSG_ATTACH_OK:
		return "OK";
	case VMSG_ATTACH_EFEATURES:
		return "EFEATURES (host_features not a subset of card_features)";
	case VMSG_ATTACH_EEPOCH:
		return "EEPOCH (host_epoch does not match epoch)";
	case VMSG_ATTACH_EAREA:
		return "EAREA (host area address/size unusable)";
	case VMSG_ATTACH_EIRQ:
		return "EIRQ (irq_mode or vector unusable)";
	case VMSG_ATTACH_EVERSION:
		return "EVERSION (host_version major differs)";
	default:
		return "unknown attach_error";
	}
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
