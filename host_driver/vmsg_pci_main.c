// SPDX-License-Identifier: GPL-2.0
/*
 * vmsg_pci_main.c - vmsg_pci.ko: the PCI driver of the virtio-msg PCIe bus
 * (docs/pcie-binding.md). Binds a card by the binding's ids ([DISC-3]; more
 * with new_id), or QEMU's ivshmem-doorbell whose link page carries ids of
 * that table and whose BAR 2 carries the binding's magic (the emulated link,
 * [EMU-1]..[EMU-7]); probe, remove, shutdown, FLR
 * (reset_prepare/reset_done) and AER.
 */
#include <linux/bitmap.h>
#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "vmsg_pci.h"

unsigned int vp_param_irq_mode = VP_IRQ_PARAM_AUTO;
module_param_named(irq_mode, vp_param_irq_mode, uint, 0644);
MODULE_PARM_DESC(irq_mode,
		 "card-to-host interrupts: 0 best offered (MSI-X, MSI, polling), 1 MSI-X, 2 MSI, 3 polling");

unsigned int vp_param_ping_ms = VMSG_PCIE_PING_INTERVAL_MS;
module_param_named(ping_ms, vp_param_ping_ms, uint, 0644);
MODULE_PARM_DESC(ping_ms, "liveness PING period in ms (50..60000, default 500)");

unsigned int vp_param_ping_misses = VMSG_PCIE_PING_MISSES;
module_param_named(ping_misses, vp_param_ping_misses, uint, 0644);
MODULE_PARM_DESC(ping_misses,
		 "PINGs missed in a row before the card is declared dead (1..100, default 3)");

bool vp_param_oob = true;
module_param_named(oob, vp_param_oob, bool, 0644);
MODULE_PARM_DESC(oob, "accept out-of-band notifications (per-queue doorbells and MSI-X vectors, binding 7.5) when the card offers them; read at each attach (default 1)");

unsigned int vp_param_max_devices = 64;
module_param_named(max_devices, vp_param_max_devices, uint, 0444);
MODULE_PARM_DESC(max_devices, "devices registered per card at most (1..4096)");

enum { VP_ID_CARD = 0, VP_ID_EMU = 1 };

/* [DISC-3]: the binding's id table (VMSG_PCIE_CARD_IDS, fw_shared). */
#define VP_CARD_ID(v, d, sv, sd, c, cm)						\
	{ .vendor = (v), .device = (d), .subvendor = (sv), .subdevice = (sd),	\
	  .class = (c), .class_mask = (cm), .driver_data = VP_ID_CARD },
static_assert((u32)PCI_ANY_ID == VMSG_PCIE_ANY_ID);

static const struct pci_device_id vp_ids[] = {
	VMSG_PCIE_CARD_IDS(VP_CARD_ID)
	/*
	 * The emulated link: claimed only if the link page's ids match the
	 * id table ([EMU-7]) and BAR 2 carries the magic ([EMU-2]).
	 */
	{ PCI_DEVICE(VMSG_EMU_VENDOR_ID, VMSG_EMU_DEVICE_ID),
	  .driver_data = VP_ID_EMU },
	{ }
};
MODULE_DEVICE_TABLE(pci, vp_ids);

const char *vp_link_name(u32 state)
{
	const char *n = vmsg_link_state_str(state);

	if (n)
		return n;
	return state == 0xffffffffu ? "GONE" : "INVALID";
}

const char *vp_attach_err_name(u32 err)
{
	const char *n = vmsg_attach_error_str(err);

	return n ? n : "unknown";
}

/*
 * [EMU-7], [EMU-2]: read (only read) the card's header in the emulated link
 * page, the last VMSG_EMU_PAGE_SIZE bytes of ivshmem BAR 2. 0 and the
 * length of the binding's BAR0 if the header is valid and its ids are ours,
 * else -ENODEV (the device is left to whoever else uses ivshmem).
 */
static int vp_emu_page(struct pci_dev *pdev, resource_size_t *bar_len)
{
	resource_size_t len = pci_resource_len(pdev, VMSG_EMU_SHMEM_BAR);
	u16 vendor, device, subvendor, subdevice;
	u32 magic, ver, class, size;
	void __iomem *pg;

	if (!(pci_resource_flags(pdev, VMSG_EMU_SHMEM_BAR) & IORESOURCE_MEM) ||
	    len < VMSG_PCIE_BAR0_MIN_SIZE + VMSG_EMU_PAGE_SIZE) {
		dev_dbg(&pdev->dev, "ivshmem BAR%u too small for a virtio-msg card: not ours\n",
			VMSG_EMU_SHMEM_BAR);
		return -ENODEV;
	}
	pg = pci_iomap_range(pdev, VMSG_EMU_SHMEM_BAR, len - VMSG_EMU_PAGE_SIZE,
			     offsetof(struct vmsg_emu_page, wire_magic));
	if (!pg)
		return -ENOMEM;
	magic = readl(pg + offsetof(struct vmsg_emu_page, hdr_magic));
	/* the card writes the magic last */
	rmb();
	ver = readl(pg + offsetof(struct vmsg_emu_page, hdr_version));
	vendor = readw(pg + offsetof(struct vmsg_emu_page, vendor_id));
	device = readw(pg + offsetof(struct vmsg_emu_page, device_id));
	subvendor = readw(pg + offsetof(struct vmsg_emu_page, subsys_vendor_id));
	subdevice = readw(pg + offsetof(struct vmsg_emu_page, subsys_id));
	class = readl(pg + offsetof(struct vmsg_emu_page, class_rev)) >> 8;
	size = readl(pg + offsetof(struct vmsg_emu_page, bar0_size));
	pci_iounmap(pdev, pg);
	if (magic != VMSG_EMU_HDR_MAGIC || ver != VMSG_EMU_PAGE_VERSION) {
		dev_dbg(&pdev->dev, "ivshmem without a virtio-msg link page (magic %#x, version %u): not ours\n",
			magic, ver);
		return -ENODEV;
	}
	/*
	 * The header carries the ids an endpoint function wrote to its
	 * configuration header: they mean what they mean on a real link (the
	 * same table, one match shared with user space).
	 */
	if (!vmsg_pcie_card_ids_match(vendor, device, subvendor, subdevice, class)) {
		dev_info(&pdev->dev,
			 "ivshmem link page ids %04x:%04x (subsystem %04x:%04x, class %06x) not in the id table: not ours\n",
			 vendor, device, subvendor, subdevice, class);
		return -ENODEV;
	}
	dev_info(&pdev->dev, "emulated link: card ids %04x:%04x (subsystem %04x:%04x, class %06x)\n",
		 vendor, device, subvendor, subdevice, class);
	*bar_len = min_t(resource_size_t, size, len - VMSG_EMU_PAGE_SIZE);
	if (*bar_len < VMSG_PCIE_BAR0_MIN_SIZE) {
		dev_info(&pdev->dev, "ivshmem link page declares a %u-byte BAR0: not usable\n",
			 size);
		return -ENODEV;
	}
	return 0;
}

/*
 * [DISC-3], [EMU-2]: read (only read) the start of the BAR: magic and
 * major version. Returns the mapping of the control block, or NULL.
 */
static void __iomem *vp_peek(struct pci_dev *pdev, int bar, bool emu, resource_size_t bar_len)
{
	void __iomem *regs;
	u32 magic, ver;

	if (!(pci_resource_flags(pdev, bar) & IORESOURCE_MEM) ||
	    bar_len < VMSG_PCIE_BAR0_MIN_SIZE) {
		if (!emu)
			dev_err(&pdev->dev, "BAR%d missing or smaller than %u bytes\n",
				bar, VMSG_PCIE_BAR0_MIN_SIZE);
		return NULL;
	}
	regs = pci_iomap_range(pdev, bar, 0, VMSG_PCIE_REGS_SIZE);
	if (!regs)
		return NULL;
	magic = readl(regs + VP_REG(magic));
	ver = readl(regs + VP_REG(version));
	if (magic == VMSG_PCIE_MAGIC &&
	    VMSG_PCIE_VERSION_GET_MAJOR(ver) == VMSG_PCIE_VERSION_MAJOR)
		return regs;
	if (emu)
		dev_dbg(&pdev->dev, "ivshmem without the virtio-msg magic: not ours\n");
	else
		dev_err(&pdev->dev, "no virtio-msg control block (magic %#x, version %#x)\n",
			magic, ver);
	pci_iounmap(pdev, regs);
	return NULL;
}

static void vp_free(struct vmsg_pci *vp)
{
	vp_link_fini(vp);
	xa_destroy(&vp->devs);
	kfree(vp->avail);
	bitmap_free(vp->avail_all);
	kfree(vp->evq);
	kfree(vp);
}

static int vp_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	bool emu = id->driver_data == VP_ID_EMU;
	int bar = emu ? VMSG_EMU_SHMEM_BAR : 0;
	resource_size_t bar_len = pci_resource_len(pdev, bar);
	struct vmsg_pci *vp;
	void __iomem *regs;
	int r;

	r = pci_enable_device_mem(pdev);
	if (r)
		return r;
	if (emu) {
		r = vp_emu_page(pdev, &bar_len);
		if (r) {
			pci_disable_device(pdev);
			return r;
		}
	}
	regs = vp_peek(pdev, bar, emu, bar_len);
	if (!regs) {
		pci_disable_device(pdev);
		return -ENODEV;
	}
	vp = kzalloc(sizeof(*vp), GFP_KERNEL);
	if (!vp) {
		r = -ENOMEM;
		goto err_unmap;
	}
	vp->pdev = pdev;
	vp->emu = emu;
	vp->bar = bar;
	vp->bar_len = bar_len;
	vp->regs = regs;
	vp->max_devs = clamp(vp_param_max_devices, 1u, 4096u);
	spin_lock_init(&vp->req_lock);
	spin_lock_init(&vp->h2c_lock);
	spin_lock_init(&vp->c2h_lock);
	spin_lock_init(&vp->rx_lock);
	vp->rx_cpu = -1;
	spin_lock_init(&vp->evq_lock);
	spin_lock_init(&vp->oob_lock);
	init_waitqueue_head(&vp->h2c_wq);
	mutex_init(&vp->ctl_lock);
	xa_init(&vp->devs);
	INIT_DELAYED_WORK(&vp->rx_dwork, vp_rx_work);
	INIT_DELAYED_WORK(&vp->ctl_dwork, vp_ctl_work);
	INIT_DELAYED_WORK(&vp->ping_dwork, vp_ping_work);
	vp->avail = kcalloc(VP_AVAIL_SLOTS, sizeof(*vp->avail), GFP_KERNEL);
	vp->avail_all = bitmap_zalloc(VP_DEV_NUMS, GFP_KERNEL);
	vp->evq = kcalloc(VP_EVQ_SLOTS, sizeof(*vp->evq), GFP_KERNEL);
	if (!vp->avail || !vp->avail_all || !vp->evq) {
		r = -ENOMEM;
		goto err_free;
	}
	r = vp_link_init(vp);
	if (r)
		goto err_free;

	r = pci_request_region(pdev, bar, VP_DRV_NAME);
	if (r)
		goto err_free;
	if (emu) {
		r = pci_request_region(pdev, 0, VP_DRV_NAME);
		if (r)
			goto err_region;
		vp->emu_regs = pci_iomap_range(pdev, 0, 0, 0x100);
		if (!vp->emu_regs) {
			r = -ENOMEM;
			goto err_region0;
		}
	}
	/* Until the card's dma_addr_bits is known ([ATT-H-5]). */
	r = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(32));
	if (r)
		goto err_emu;

	vp->bus.dma_dev = &pdev->dev;
	vp->bus.ops = &vp_bus_ops;
	vp->bus.name = pci_name(pdev);
	vp->bus.max_msg_size = VMSG_PCIE_MIN_MSG_SIZE;
	vp->bus.revision = VIRTIO_MSG_REVISION;
	vp->bus.dma_addr_bits = 32;
	vp->bus.priv = vp;
	pci_set_drvdata(pdev, vp);
	pci_save_state(pdev);
	vp_debugfs_add(vp);
	dev_info(&pdev->dev, "virtio-msg card%s, BAR%d %llu KiB\n",
		 emu ? " (emulated link: ivshmem)" : "", bar,
		 (u64)vp->bar_len >> 10);
	/* Attach, enumerate and register devices in the background. */
	vp_kick_ctl(vp, VP_F_ATTACH, 0);
	return 0;

err_emu:
	if (vp->emu_regs)
		pci_iounmap(pdev, vp->emu_regs);
err_region0:
	if (emu)
		pci_release_region(pdev, 0);
err_region:
	pci_release_region(pdev, bar);
err_free:
	vp_free(vp);
err_unmap:
	pci_iounmap(pdev, regs);
	pci_disable_device(pdev);
	return r;
}

/* End the session with the card still there: devices, then DETACH. */
static int vp_stop(struct vmsg_pci *vp, bool remove_devices)
{
	bool alive;
	int r = -ENODEV;

	lockdep_assert_held(&vp->ctl_lock);
	if (vp_bar_gone(vp) || test_bit(VP_F_FROZEN, &vp->flags))
		vp_declare_dead(vp, "function gone", false);
	alive = vp_running(vp);
	if (remove_devices)
		vp_teardown(vp, alive);
	cancel_delayed_work_sync(&vp->ping_dwork);
	if (vp_running(vp)) {
		/* No message after this point ([DET-1], [EPOCH-4]). */
		vp_end_session(vp);
		r = vp_detach(vp);
	}
	if (!remove_devices)
		vp_dev_break_all(vp);
	return r;
}

/* Stop every context that could touch the rings or queue work. */
static void vp_quiesce(struct vmsg_pci *vp)
{
	unsigned long fl;

	spin_lock_irqsave(&vp->req_lock, fl);
	spin_lock(&vp->h2c_lock);
	WRITE_ONCE(vp->state, VP_GONE);
	spin_unlock(&vp->h2c_lock);
	spin_unlock_irqrestore(&vp->req_lock, fl);
	vp_quiesce_irq(vp);
	cancel_delayed_work_sync(&vp->ping_dwork);
	cancel_delayed_work_sync(&vp->rx_dwork);
	cancel_delayed_work_sync(&vp->ctl_dwork);
}

static void vp_remove(struct pci_dev *pdev)
{
	struct vmsg_pci *vp = pci_get_drvdata(pdev);
	int r;

	set_bit(VP_F_REMOVING, &vp->flags);
	cancel_delayed_work_sync(&vp->ctl_dwork);
	mutex_lock(&vp->ctl_lock);
	r = vp_stop(vp, true);
	mutex_unlock(&vp->ctl_lock);
	vp_quiesce(vp);
	/* [DET-3], [DMA-4]: without an acknowledged DETACH, fence first. */
	if (r && !pci_dev_is_disconnected(pdev))
		pci_clear_master(pdev);
	vp_debugfs_remove(vp);
	vp_free_area(vp);
	if (vp->emu_regs)
		pci_iounmap(pdev, vp->emu_regs);
	pci_iounmap(pdev, vp->regs);
	if (vp->emu)
		pci_release_region(pdev, 0);
	pci_release_region(pdev, vp->bar);
	pci_disable_device(pdev);
	vp_free(vp);
	dev_info(&pdev->dev, "removed\n");
}

/* Reboot, kexec: DETACH so the card stops using host memory ([DET-4]). */
static void vp_shutdown(struct pci_dev *pdev)
{
	struct vmsg_pci *vp = pci_get_drvdata(pdev);
	bool was_run;
	int r;

	set_bit(VP_F_REMOVING, &vp->flags);
	cancel_delayed_work_sync(&vp->ctl_dwork);
	mutex_lock(&vp->ctl_lock);
	was_run = vp_running(vp);
	r = vp_stop(vp, false);
	mutex_unlock(&vp->ctl_lock);
	vp_quiesce_irq(vp);
	pci_clear_master(pdev);
	if (was_run)
		vp_info(vp, "shutdown: %s\n",
			r ? "DETACH failed, bus mastering off" : "card detached");
}

/* [FLR-H-1]: before a reset: devices removed, DETACH; after: attach. */
static void vp_reset_prepare(struct pci_dev *pdev)
{
	struct vmsg_pci *vp = pci_get_drvdata(pdev);

	vp_info(vp, "function reset: detaching\n");
	mutex_lock(&vp->ctl_lock);
	vp_stop(vp, true);
	set_bit(VP_F_FROZEN, &vp->flags);
	mutex_unlock(&vp->ctl_lock);
}

static void vp_reset_done(struct pci_dev *pdev)
{
	struct vmsg_pci *vp = pci_get_drvdata(pdev);

	clear_bit(VP_F_FROZEN, &vp->flags);
	clear_bit(VP_F_ATTACH_BAD, &vp->flags);
	vp_info(vp, "function reset done: attaching again\n");
	vp_kick_ctl(vp, VP_F_ATTACH, 0);
}

/* [FLR-H-2]: no MMIO, fail everything, devices removed without waiting. */
static pci_ers_result_t vp_error_detected(struct pci_dev *pdev,
					  pci_channel_state_t state)
{
	struct vmsg_pci *vp = pci_get_drvdata(pdev);

	vp_warn(vp, "PCIe error (channel state %d)\n", state);
	set_bit(VP_F_FROZEN, &vp->flags);
	/*
	 * The devices are removed (and their vrings freed) before the slot
	 * is reset: fence the card first ([DMA-4]); attach sets it again.
	 */
	if (state != pci_channel_io_perm_failure)
		pci_clear_master(pdev);
	vp_declare_dead(vp, "PCIe error", false);
	if (state == pci_channel_io_perm_failure)
		return PCI_ERS_RESULT_DISCONNECT;
	return PCI_ERS_RESULT_NEED_RESET;
}

static pci_ers_result_t vp_slot_reset(struct pci_dev *pdev)
{
	pci_restore_state(pdev);
	pci_save_state(pdev);
	return PCI_ERS_RESULT_RECOVERED;
}

static void vp_resume(struct pci_dev *pdev)
{
	struct vmsg_pci *vp = pci_get_drvdata(pdev);

	clear_bit(VP_F_FROZEN, &vp->flags);
	clear_bit(VP_F_ATTACH_BAD, &vp->flags);
	vp_info(vp, "PCIe error recovery done: attaching again\n");
	vp_kick_ctl(vp, VP_F_ATTACH, 0);
}

static const struct pci_error_handlers vp_err_handlers = {
	.error_detected = vp_error_detected,
	.slot_reset = vp_slot_reset,
	.resume = vp_resume,
	.reset_prepare = vp_reset_prepare,
	.reset_done = vp_reset_done,
};

static struct pci_driver vp_driver = {
	.name = VP_DRV_NAME,
	.id_table = vp_ids,
	.probe = vp_probe,
	.remove = vp_remove,
	.shutdown = vp_shutdown,
	.err_handler = &vp_err_handlers,
};

static int __init vp_init(void)
{
	int r;

	vp_debugfs_init();
	r = pci_register_driver(&vp_driver);
	if (r)
		vp_debugfs_exit();
	return r;
}

static void __exit vp_exit(void)
{
	pci_unregister_driver(&vp_driver);
	vp_debugfs_exit();
}

module_init(vp_init);
module_exit(vp_exit);

MODULE_DESCRIPTION("virtio-msg over PCIe: the bus driver (host side)");
MODULE_LICENSE("GPL");
