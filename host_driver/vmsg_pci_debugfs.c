// SPDX-License-Identifier: GPL-2.0
/*
 * vmsg_pci_debugfs.c - /sys/kernel/debug/vmsg_pci/<pci name>/stats:
 * "key value" lines ([CNT-2]): link view, session parameters, devices,
 * the bus's counters, drops per validator verdict, and the card's own
 * counters from BAR0 (read across the link, only when this file is read).
 * .../regs: the card-written part of the BAR0 control block (identity, link,
 * geometry, host fields, counters: up to the doorbells, which are not read),
 * read live (32-bit reads) when the file is read, for vmsg-pci: while this
 * driver holds the BAR, a kernel with CONFIG_IO_STRICT_DEVMEM lets no one
 * map it from user space.
 */
#include <linux/debugfs.h>
#include <linux/io-64-nonatomic-lo-hi.h>
#include <linux/fs.h>
#include <linux/kstrtox.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vmsg_pci.h"
#include "virtio_msg_build.h"
#include "vmsg_bytes.h"

const char *const vp_stat_names[VP_ST__COUNT] = {
	[VP_ST_TX_MSGS] = "tx_msgs",
	[VP_ST_RX_MSGS] = "rx_msgs",
	[VP_ST_TX_REQUESTS] = "tx_requests",
	[VP_ST_TX_EVENTS] = "tx_events",
	[VP_ST_RX_RESPONSES] = "rx_responses",
	[VP_ST_RX_EVENTS] = "rx_events",
	[VP_ST_DROP_MALFORMED] = "drop_malformed",
	[VP_ST_DROP_RING] = "drop_ring_bad",
	[VP_ST_DROP_STALE] = "drop_stale_epoch",
	[VP_ST_DROP_UNMATCHED] = "drop_unmatched",
	[VP_ST_DROP_ECHO] = "drop_echo_mismatch",
	[VP_ST_DROP_NO_DEVICE] = "drop_no_device",
	[VP_ST_DROP_UNSUPPORTED] = "drop_unsupported",
	[VP_ST_DROP_EVQ_FULL] = "drop_deferred_full",
	[VP_ST_DEFERRED] = "deferred_by_atomic",
	[VP_ST_REQ_TIMEOUTS] = "request_timeouts",
	[VP_ST_REQ_FAILED] = "requests_failed",
	[VP_ST_ERRORS_RX] = "bus_errors_rx",
	[VP_ST_H2C_FULL] = "h2c_ring_full",
	[VP_ST_AVAIL_DEFERRED] = "avail_deferred",
	[VP_ST_AVAIL_COALESCED] = "avail_coalesced",
	[VP_ST_AVAIL_ALL] = "avail_all_queues",
	[VP_ST_ATOMIC_REQUESTS] = "atomic_requests",
	[VP_ST_IRQS] = "irqs",
	[VP_ST_IRQS_EMPTY] = "irqs_empty_ring",
	[VP_ST_RX_BUDGET_HIT] = "rx_budget_exhausted",
	[VP_ST_DOORBELLS] = "doorbells",
	[VP_ST_PINGS_SENT] = "pings_sent",
	[VP_ST_PINGS_OK] = "pings_answered",
	[VP_ST_PING_MISSES] = "ping_misses",
	[VP_ST_CARD_PINGS] = "card_pings_answered",
	[VP_ST_LINK_CHECKS] = "link_checks",
	[VP_ST_ATTACHES] = "attaches",
	[VP_ST_ATTACH_FAILS] = "attach_failures",
	[VP_ST_DETACHES] = "detaches",
	[VP_ST_PEER_DEAD] = "peer_dead",
	[VP_ST_HOTPLUG_EVENTS] = "event_device_rx",
	[VP_ST_DEV_ADDED] = "devices_added",
	[VP_ST_DEV_ADD_FAILS] = "device_add_failures",
	[VP_ST_DEV_REMOVED] = "devices_removed",
	[VP_ST_ENUMERATIONS] = "enumerations",
	[VP_ST_OOB_QUEUES] = "oob_queues_mapped",
	[VP_ST_OOB_NO_SLOT] = "oob_queues_inband",
	[VP_ST_OOB_IRQS] = "oob_irqs",
	[VP_ST_OOB_IRQS_IDLE] = "oob_irqs_no_queue",
};

static struct dentry *vp_dbg_root;

/*
 * "atomic_ping": writing N sends N PINGs through the atomic request path
 * (bus->ops->request_atomic, interrupts off, busy-polled for at most 1 s
 * each), to exercise it under load; reading gives "sent ok failed
 * last_error".
 */
static ssize_t vp_atomic_ping_write(struct file *f, const char __user *ubuf,
				    size_t len, loff_t *ppos)
{
	struct vmsg_pci *vp = f->private_data;
	u8 req[VIRTIO_MSG_SIZE(sizeof(struct virtio_bus_msg_ping))];
	u8 resp[VP_MSG_MAX];
	unsigned long fl;
	unsigned int n, i;
	size_t rl;
	int r;

	r = kstrtouint_from_user(ubuf, len, 0, &n);
	if (r)
		return r;
	n = min(n, 100000u);
	for (i = 0; i < n; i++) {
		rl = vmsg_build_bus_ping_req(req, sizeof(req), 0, 0x5a000000 | i);
		local_irq_save(fl);
		r = vp_bus_ops.request_atomic(&vp->bus, req, rl, resp,
					      sizeof(resp), 1000000);
		local_irq_restore(fl);
		if (r == (int)rl &&
		    vmsg_get_le32(resp + VIRTIO_MSG_HEADER_SIZE) == (0x5a000000 | i))
			atomic64_inc(&vp->dbg_atomic_ok);
		else
			WRITE_ONCE(vp->dbg_atomic_err, r);
		atomic64_inc(&vp->dbg_atomic_sent);
		cond_resched();
	}
	return len;
}

static ssize_t vp_atomic_ping_read(struct file *f, char __user *ubuf,
				   size_t len, loff_t *ppos)
{
	struct vmsg_pci *vp = f->private_data;
	char buf[80];
	u64 sent = atomic64_read(&vp->dbg_atomic_sent);
	u64 ok = atomic64_read(&vp->dbg_atomic_ok);
	int n;

	n = scnprintf(buf, sizeof(buf), "%llu %llu %llu %d\n", sent, ok,
		      sent - ok, READ_ONCE(vp->dbg_atomic_err));
	return simple_read_from_buffer(ubuf, len, ppos, buf, n);
}

static const struct file_operations vp_atomic_ping_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = vp_atomic_ping_read,
	.write = vp_atomic_ping_write,
	.llseek = default_llseek,
};

static const char *vp_state_name(enum vp_state st)
{
	switch (st) {
	case VP_DOWN:
		return "DOWN";
	case VP_RUN:
		return "RUN";
	case VP_DEAD:
		return "PEER_DEAD";
	case VP_GONE:
		return "GONE";
	}
	return "?";
}

static const char *const vp_card_cnt_names[] = {
	"card.rx_msgs", "card.tx_msgs", "card.drop_malformed",
	"card.drop_stale", "card.drop_no_device", "card.ring_full",
	"card.irqs", "card.doorbells",
};

static int vp_stats_show(struct seq_file *s, void *unused)
{
	struct vmsg_pci *vp = s->private;
	struct virtio_msg_device *vmdev;
	enum vp_state st = READ_ONCE(vp->state);
	unsigned long idx;
	u32 i;

	seq_printf(s, "state %s\n", vp_state_name(st));
	seq_printf(s, "emulated_link %d\n", vp->emu);
	if (st != VP_GONE && !test_bit(VP_F_FROZEN, &vp->flags)) {
		seq_printf(s, "card.link_state %s\n",
			   vp_link_name(vp_rd(vp, VP_REG(link_state))));
		seq_printf(s, "card.epoch %#x\n", vp_rd(vp, VP_REG(epoch)));
		seq_printf(s, "card.heartbeat %u\n",
			   vp_rd(vp, VP_REG(heartbeat)));
		for (i = 0; i < ARRAY_SIZE(vp_card_cnt_names); i++)
			seq_printf(s, "%s %llu\n", vp_card_cnt_names[i],
				   lo_hi_readq(vp->regs + VP_REG(cnt_rx_msgs) +
					       8 * i));
	}
	seq_printf(s, "epoch %#x\n", READ_ONCE(vp->epoch));
	seq_printf(s, "features %#x\n", vp->features);
	seq_printf(s, "irq_mode %u\n", vp->irq_mode);
	seq_printf(s, "oob_vectors %d\n", vp->oob_nvec);
	for (i = VMSG_OOB_DB_FIRST; i < VMSG_PCIE_MAX_DOORBELLS; i++)
		if (READ_ONCE(vp->oob[i].dev_num))
			seq_printf(s, "oob.%u dev %u queue %u vector %u kicks %llu\n",
				   i, READ_ONCE(vp->oob[i].dev_num),
				   READ_ONCE(vp->oob[i].queue),
				   READ_ONCE(vp->oob[i].vector),
				   (u64)atomic64_read(&vp->oob[i].kicks));
	seq_printf(s, "max_msg_size %u\n", vp->max_msg);
	seq_printf(s, "dma_addr_bits %u\n", vp->dma_bits);
	seq_printf(s, "host_area %pad %zu\n", &vp->area_dma, vp->area_size);
	seq_printf(s, "requests_outstanding %u\n", READ_ONCE(vp->nreqs));
	seq_printf(s, "avail_waiting %u\n", READ_ONCE(vp->navail));
	seq_printf(s, "avail_all_waiting %u\n", READ_ONCE(vp->navail_all));
	seq_printf(s, "h2c_bad_indices %llu\n", vp->h2c.bad);
	seq_printf(s, "c2h_bad_indices %llu\n", vp->c2h.bad);
	seq_printf(s, "devices %u\n", READ_ONCE(vp->ndevs));
	seq_puts(s, "device_numbers");
	rcu_read_lock();
	xa_for_each(&vp->devs, idx, vmdev)
		seq_printf(s, " %lu", idx);
	rcu_read_unlock();
	seq_putc(s, '\n');
	for (i = 0; i < VP_ST__COUNT; i++)
		seq_printf(s, "%s %llu\n", vp_stat_names[i], vp_stat(vp, i));
	for (i = 1; i < VMSG_E__COUNT; i++)
		seq_printf(s, "drop_verdict.%s %lld\n",
			   vmsg_verdict_str((enum vmsg_verdict)i),
			   (long long)atomic64_read(&vp->st_verdict[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vp_stats);

#define VP_DBG_REGS_SIZE offsetof(struct vmsg_pcie_regs, doorbell)

static ssize_t vp_regs_read(struct file *f, char __user *ubuf, size_t len,
			    loff_t *ppos)
{
	struct vmsg_pci *vp = f->private_data;
	loff_t pos = *ppos;
	u32 *buf;
	ssize_t r;
	u32 i;

	if (pos < 0)
		return -EINVAL;
	if (pos >= VP_DBG_REGS_SIZE || !len)
		return 0;
	if (READ_ONCE(vp->state) == VP_GONE || test_bit(VP_F_FROZEN, &vp->flags))
		return -EIO;
	buf = kmalloc(VP_DBG_REGS_SIZE, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	for (i = 0; i < VP_DBG_REGS_SIZE / 4; i++)
		buf[i] = cpu_to_le32(vp_rd(vp, i * 4));
	r = simple_read_from_buffer(ubuf, len, ppos, buf, VP_DBG_REGS_SIZE);
	kfree(buf);
	return r;
}

static const struct file_operations vp_regs_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = vp_regs_read,
	.llseek = default_llseek,
};

void vp_debugfs_add(struct vmsg_pci *vp)
{
	if (IS_ERR_OR_NULL(vp_dbg_root))
		return;
	vp->dbg = debugfs_create_dir(pci_name(vp->pdev), vp_dbg_root);
	debugfs_create_file("stats", 0444, vp->dbg, vp, &vp_stats_fops);
	debugfs_create_file_size("regs", 0400, vp->dbg, vp, &vp_regs_fops,
				 VP_DBG_REGS_SIZE);
	debugfs_create_file("atomic_ping", 0600, vp->dbg, vp,
			    &vp_atomic_ping_fops);
}

void vp_debugfs_remove(struct vmsg_pci *vp)
{
	debugfs_remove_recursive(vp->dbg);
	vp->dbg = NULL;
}

void vp_debugfs_init(void)
{
	vp_dbg_root = debugfs_create_dir(VP_DRV_NAME, NULL);
}

void vp_debugfs_exit(void)
{
	debugfs_remove_recursive(vp_dbg_root);
	vp_dbg_root = NULL;
}
