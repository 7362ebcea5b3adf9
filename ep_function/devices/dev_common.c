/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/* dev_common.c - features and error strings shared by every backend. */
#include "dev_common.h"

#include <stdio.h>

#include "devq.h"

uint64_t dev_transport_features(void)
{
	return DEV_BIT(VMSG_VIRTIO_F_VERSION_1) | DEV_BIT(VMSG_VIRTIO_F_ACCESS_PLATFORM) |
	       DEV_BIT(VMSG_VIRTIO_F_RING_RESET) | devq_ring_features();
}

int dev_check_features(struct vmsg_dev *d, uint64_t features)
{
	if (!(features & DEV_BIT(VMSG_VIRTIO_F_VERSION_1))) {
		vmsg_dev_log(d, VMSG_LOG_WARN, "%s: driver did not accept VERSION_1", d->ops->name);
		return -1;
	}
	if (features & ~d->features) {
		vmsg_dev_log(d, VMSG_LOG_WARN, "%s: driver accepted unoffered features 0x%llx",
			     d->ops->name, (unsigned long long)(features & ~d->features));
		return -1;
	}
	return 0;
}

void dev_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
