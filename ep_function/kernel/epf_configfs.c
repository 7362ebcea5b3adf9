// SPDX-License-Identifier: GPL-2.0
/*
 * epf_configfs.c - the function's own configfs attributes: the binding
 * parameters, in .../functions/pci_epf_vmsg/<func>/pci_epf_vmsg.<n>/. The
 * standard header attributes (vendorid, msix_interrupts, ...) are the
 * framework's, one level up. Every value is checked when written, the
 * combination when the function is bound; nothing changes while bound.
 */
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/string.h>

#include "epf_vmsg.h"

#define P_POW2	BIT(0)
#define P_ALIGN64 BIT(1)

struct vmsg_epf_param_desc {
	u32 min, max, def, flags;
};

static const struct vmsg_epf_param_desc vmsg_epf_params[VMSG_P_NR] = {
	[VMSG_P_RING_SLOTS] = { VMSG_RING_MIN_SLOTS, VMSG_RING_MAX_SLOTS,
				VMSG_RING_DEFAULT_SLOTS, P_POW2 },
	[VMSG_P_SLOT_SIZE] = { VMSG_RING_SLOT_ALIGN, VMSG_RING_MAX_SLOT_SIZE,
			       VMSG_RING_DEFAULT_SLOT_SIZE, P_ALIGN64 },
	[VMSG_P_MAX_MSG_SIZE] = { VMSG_PCIE_MIN_MSG_SIZE, VMSG_PCIE_MAX_MSG_SIZE,
				  VMSG_PCIE_MAX_MSG_SIZE, 0 },
	[VMSG_P_DMA_ADDR_BITS] = { VMSG_PCIE_DMA_ADDR_BITS_MIN,
				   VMSG_PCIE_DMA_ADDR_BITS_MAX, 64, 0 },
	/* default: the daemon's 64 KiB plus room for an MSI-X table above */
	[VMSG_P_BAR0_SIZE] = { VMSG_PCIE_BAR0_MIN_SIZE, SZ_256M,
			       2 * VMSG_PCIE_BAR0_MIN_SIZE, P_POW2 },
	/* h2c and ctrl are the binding's doorbells 0 and 1 */
	[VMSG_P_NUM_DOORBELLS] = { VMSG_DB_CTRL + 1, VMSG_PCIE_MAX_DOORBELLS,
				   VMSG_DB_CTRL + 1, 0 },
	[VMSG_P_POLL_BUSY_US] = { 0, 10000, 50, 0 },
	/* never slower than the binding's re-check period */
	[VMSG_P_POLL_INTERVAL_US] = { 10, VMSG_PCIE_NOTIFY_RECHECK_MS * 1000,
				      500, 0 },
	[VMSG_P_DOORBELL_MODE] = { VMSG_EPF_DB_POLL, VMSG_EPF_DB_MSI,
				   VMSG_EPF_DB_POLL, 0 },
};

void vmsg_epf_cfg_defaults(u32 *cfg)
{
	int i;

	for (i = 0; i < VMSG_P_NR; i++)
		cfg[i] = vmsg_epf_params[i].def;
}

/* The combination, at bind; @usable is the BAR0 space the daemon gets. */
int vmsg_epf_cfg_check(struct vmsg_epf *dev, const u32 *cfg, size_t usable)
{
	struct device *d = &dev->epf->dev;
	u64 need;

	if (cfg[VMSG_P_SLOT_SIZE] < ALIGN(sizeof(struct vmsg_slot_hdr) +
					  cfg[VMSG_P_MAX_MSG_SIZE],
					  VMSG_RING_SLOT_ALIGN)) {
		dev_err(d, "slot_size %u cannot hold max_msg_size %u plus the slot header\n",
			cfg[VMSG_P_SLOT_SIZE], cfg[VMSG_P_MAX_MSG_SIZE]);
		return -EINVAL;
	}
	need = VMSG_PCIE_REGS_SIZE + (u64)VMSG_RING_HDR_SIZE +
	       (u64)cfg[VMSG_P_SLOT_SIZE] * cfg[VMSG_P_RING_SLOTS];
	if (need > usable) {
		dev_err(d, "BAR0 has %zu usable bytes; control block and h2c ring need %llu (raise bar0_size or lower ring_slots)\n",
			usable, need);
		return -ENOSPC;
	}
#ifndef VMSG_EPF_HAVE_DOORBELL
	if (cfg[VMSG_P_DOORBELL_MODE] != VMSG_EPF_DB_POLL)
		return -EOPNOTSUPP;
#endif
	return 0;
}

static ssize_t vmsg_epf_show(struct config_item *item, char *page,
			     enum vmsg_epf_param p)
{
	struct vmsg_epf *dev = to_vmsg_epf(item);
	u32 v;

	mutex_lock(&dev->lock);
	v = dev->cfg[p];
	mutex_unlock(&dev->lock);
	return sysfs_emit(page, "%u\n", v);
}

static ssize_t vmsg_epf_set(struct vmsg_epf *dev, enum vmsg_epf_param p, u32 v,
			    size_t len)
{
	ssize_t ret = len;

	mutex_lock(&dev->lock);
	if (dev->bound)
		ret = -EBUSY;
	else
		dev->cfg[p] = v;
	mutex_unlock(&dev->lock);
	return ret;
}

static ssize_t vmsg_epf_store(struct config_item *item, const char *page,
			      size_t len, enum vmsg_epf_param p)
{
	const struct vmsg_epf_param_desc *d = &vmsg_epf_params[p];
	u32 v;
	int ret;

	ret = kstrtou32(page, 0, &v);
	if (ret)
		return ret;
	if (v < d->min || v > d->max)
		return -ERANGE;
	if ((d->flags & P_POW2) && !is_power_of_2(v))
		return -EINVAL;
	if ((d->flags & P_ALIGN64) && !IS_ALIGNED(v, VMSG_RING_SLOT_ALIGN))
		return -EINVAL;
	return vmsg_epf_set(to_vmsg_epf(item), p, v, len);
}

#define VMSG_EPF_ATTR(_name, _p)					\
static ssize_t vmsg_epf_##_name##_show(struct config_item *item,	\
				       char *page)			\
{									\
	return vmsg_epf_show(item, page, _p);				\
}									\
static ssize_t vmsg_epf_##_name##_store(struct config_item *item,	\
					const char *page, size_t len)	\
{									\
	return vmsg_epf_store(item, page, len, _p);			\
}									\
CONFIGFS_ATTR(vmsg_epf_, _name)

VMSG_EPF_ATTR(ring_slots, VMSG_P_RING_SLOTS);
VMSG_EPF_ATTR(slot_size, VMSG_P_SLOT_SIZE);
VMSG_EPF_ATTR(max_msg_size, VMSG_P_MAX_MSG_SIZE);
VMSG_EPF_ATTR(dma_addr_bits, VMSG_P_DMA_ADDR_BITS);
VMSG_EPF_ATTR(bar0_size, VMSG_P_BAR0_SIZE);
VMSG_EPF_ATTR(num_doorbells, VMSG_P_NUM_DOORBELLS);
VMSG_EPF_ATTR(poll_busy_us, VMSG_P_POLL_BUSY_US);
VMSG_EPF_ATTR(poll_interval_us, VMSG_P_POLL_INTERVAL_US);

static const char *const vmsg_epf_db_modes[] = {
	[VMSG_EPF_DB_POLL] = "poll",
	[VMSG_EPF_DB_MSI] = "msi",
};

static ssize_t vmsg_epf_doorbell_mode_show(struct config_item *item, char *page)
{
	struct vmsg_epf *dev = to_vmsg_epf(item);
	u32 v;

	mutex_lock(&dev->lock);
	v = dev->cfg[VMSG_P_DOORBELL_MODE];
	mutex_unlock(&dev->lock);
	return sysfs_emit(page, "%s\n", vmsg_epf_db_modes[v]);
}

/* "msi" needs pci_epf_alloc_doorbell() (6.17+, MSI doorbell support). */
static ssize_t vmsg_epf_doorbell_mode_store(struct config_item *item,
					    const char *page, size_t len)
{
	int v = sysfs_match_string(vmsg_epf_db_modes, page);

	if (v < 0)
		return v;
#ifndef VMSG_EPF_HAVE_DOORBELL
	if (v != VMSG_EPF_DB_POLL)
		return -EOPNOTSUPP;
#endif
	return vmsg_epf_set(to_vmsg_epf(item), VMSG_P_DOORBELL_MODE, v, len);
}
CONFIGFS_ATTR(vmsg_epf_, doorbell_mode);

static struct configfs_attribute *vmsg_epf_attrs[] = {
	&vmsg_epf_attr_ring_slots,
	&vmsg_epf_attr_slot_size,
	&vmsg_epf_attr_max_msg_size,
	&vmsg_epf_attr_dma_addr_bits,
	&vmsg_epf_attr_bar0_size,
	&vmsg_epf_attr_num_doorbells,
	&vmsg_epf_attr_poll_busy_us,
	&vmsg_epf_attr_poll_interval_us,
	&vmsg_epf_attr_doorbell_mode,
	NULL,
};

static const struct config_item_type vmsg_epf_group_type = {
	.ct_attrs = vmsg_epf_attrs,
	.ct_owner = THIS_MODULE,
};

struct config_group *vmsg_epf_add_cfs(struct pci_epf *epf,
				      struct config_group *group)
{
	struct vmsg_epf *dev = epf_get_drvdata(epf);

	config_group_init_type_name(&dev->group, dev_name(&epf->dev),
				    &vmsg_epf_group_type);
	return &dev->group;
}
