// SPDX-License-Identifier: GPL-2.0
/*
 * epf_main.c - pci-epf-vmsg life cycle: the EPF driver, probe/remove,
 * bind/unbind, the controller's events (core init, link up/down) and
 * interrupts towards the host.
 *
 * One function is one virtio-msg PCIe bus instance (docs/pcie-binding.md):
 * BAR0 holds the control block and the h2c ring, written by the card daemon
 * (vmsg-card --platform epf) through the character device of epf_chardev.c.
 */
#include <linux/module.h>
#include <linux/pci_regs.h>
#include <linux/slab.h>

#include "epf_vmsg.h"

static struct workqueue_struct *vmsg_epf_wq;

static void vmsg_epf_release(struct kref *ref)
{
	struct vmsg_epf *dev = container_of(ref, struct vmsg_epf, ref);

	__free_page(dev->dead_page);
	__free_page(dev->sink_page);
	kfree(dev);
}

void vmsg_epf_put(struct vmsg_epf *dev)
{
	kref_put(&dev->ref, vmsg_epf_release);
}

/*
 * Raise @vector (0-based, the binding's numbering; the EPC counts from 1)
 * as MSI-X when the host enabled enough MSI-X vectors, else as MSI. @mode
 * limits the choice to VMSG_IRQ_MSIX or VMSG_IRQ_MSI (0: either).
 * Called with dev->lock held.
 */
int vmsg_epf_raise(struct vmsg_epf *dev, u32 mode, u32 vector)
{
	struct pci_epf *epf = dev->epf;
	struct pci_epc *epc = epf->epc;
	int n;

	if (vector >= dev->num_vectors)
		return -EINVAL;
	if (!dev->hw_ready || !READ_ONCE(dev->link_up))
		return -ENOLINK;
	if (dev->use_msix && mode != VMSG_IRQ_MSI) {
		/* An EPC without get_msix cannot tell: trust the configuration. */
		n = epc->ops->get_msix ?
		    pci_epc_get_msix(epc, epf->func_no, epf->vfunc_no) :
		    dev->num_vectors;
		if (vector < n)
			return pci_epc_raise_irq(epc, epf->func_no, epf->vfunc_no,
						 VMSG_EPF_IRQ_MSIX, vector + 1) ?
			       -EIO : 0;
	}
	if (dev->use_msi && mode != VMSG_IRQ_MSIX) {
		n = epc->ops->get_msi ?
		    pci_epc_get_msi(epc, epf->func_no, epf->vfunc_no) :
		    dev->num_vectors;
		if (vector < n)
			return pci_epc_raise_irq(epc, epf->func_no, epf->vfunc_no,
						 VMSG_EPF_IRQ_MSI, vector + 1) ?
			       -EIO : 0;
	}
	return -EIO;
}

/*
 * A link change from the EPC, any context. A link up while up means the
 * link went down in between (6.1 has no link-down event): both count.
 */
void vmsg_epf_link_event(struct vmsg_epf *dev, bool up)
{
	unsigned long flags;
	u32 ev = 0;

	spin_lock_irqsave(&dev->ev_lock, flags);
	if (!dev->events_on) {
		spin_unlock_irqrestore(&dev->ev_lock, flags);
		return;
	}
	if (dev->link_up) {
		dev->link_gen++;
		ev |= VMSG_EPF_EV_LINK_DOWN;
		WRITE_ONCE(dev->link_up, false);
	}
	if (up) {
		dev->link_gen++;
		ev |= VMSG_EPF_EV_LINK_UP;
		WRITE_ONCE(dev->link_up, true);
	}
	spin_unlock_irqrestore(&dev->ev_lock, flags);
	if (!ev)
		return;
	vmsg_epf_post(dev, ev, 0);
	if (ev & VMSG_EPF_EV_LINK_DOWN)
		queue_work(vmsg_epf_wq, &dev->link_work);
}

/* Drops the host mapping made before the last link change. */
static void vmsg_epf_link_work(struct work_struct *work)
{
	struct vmsg_epf *dev = container_of(work, struct vmsg_epf, link_work);
	unsigned long flags;
	u32 gen;

	spin_lock_irqsave(&dev->ev_lock, flags);
	gen = dev->link_gen;
	spin_unlock_irqrestore(&dev->ev_lock, flags);

	mutex_lock(&dev->lock);
	if (dev->mapped && dev->map_link_gen != gen)
		vmsg_epf_unmap_host(dev);
	mutex_unlock(&dev->lock);
}

/* Header, BAR0 and vectors into the EPC. Called with dev->lock held. */
static int vmsg_epf_hw_init(struct vmsg_epf *dev)
{
	const struct pci_epc_features *f = dev->features;
	struct pci_epf *epf = dev->epf;
	struct pci_epc *epc = epf->epc;
	struct device *d = &epf->dev;
	int ret;

	if (!dev->bound || dev->hw_ready)
		return 0;
	if (epf->vfunc_no <= 1) {
		ret = pci_epc_write_header(epc, epf->func_no, epf->vfunc_no,
					   epf->header);
		if (ret) {
			dev_err(d, "configuration header write failed: %d\n", ret);
			return ret;
		}
	}
	ret = pci_epc_set_bar(epc, epf->func_no, epf->vfunc_no, &epf->bar[BAR_0]);
	if (ret) {
		dev_err(d, "BAR0 setup failed: %d\n", ret);
		return ret;
	}
	dev->bar_set = true;
	if (dev->use_msi) {
		ret = pci_epc_set_msi(epc, epf->func_no, epf->vfunc_no,
				      epf->msi_interrupts);
		if (ret) {
			dev_err(d, "MSI setup failed: %d\n", ret);
			goto clear;
		}
	}
	if (dev->use_msix) {
		ret = pci_epc_set_msix(epc, epf->func_no, epf->vfunc_no,
				       epf->msix_interrupts, BAR_0,
				       dev->msix_offset);
		if (ret) {
			dev_err(d, "MSI-X setup failed: %d\n", ret);
			goto clear;
		}
	}
	dev->hw_ready = true;
	if (!f->linkup_notifier)
		vmsg_epf_link_event(dev, true);
	return 0;

clear:
	pci_epc_clear_bar(epc, epf->func_no, epf->vfunc_no, &epf->bar[BAR_0]);
	dev->bar_set = false;
	return ret;
}

static int vmsg_epf_core_init(struct vmsg_epf *dev)
{
	int ret;

	mutex_lock(&dev->lock);
	ret = vmsg_epf_hw_init(dev);
	mutex_unlock(&dev->lock);
	return ret;
}

static void vmsg_epf_init_work(struct work_struct *work)
{
	vmsg_epf_core_init(container_of(work, struct vmsg_epf, init_work));
}

#ifdef VMSG_EPF_HAVE_EVENT_OPS
static int vmsg_epf_ev_init(struct pci_epf *epf)
{
	return vmsg_epf_core_init(epf_get_drvdata(epf));
}

static int vmsg_epf_ev_link_up(struct pci_epf *epf)
{
	vmsg_epf_link_event(epf_get_drvdata(epf), true);
	return 0;
}

static int vmsg_epf_ev_link_down(struct pci_epf *epf)
{
	vmsg_epf_link_event(epf_get_drvdata(epf), false);
	return 0;
}

#ifdef VMSG_EPF_HAVE_EPC_INIT
/* The EPC lost its state (PERST#): the BAR and the mapping are gone. */
static void vmsg_epf_ev_deinit(struct pci_epf *epf)
{
	struct vmsg_epf *dev = epf_get_drvdata(epf);

	vmsg_epf_link_event(dev, false);
	mutex_lock(&dev->lock);
	vmsg_epf_unmap_host(dev);
	if (dev->bar_set)
		pci_epc_clear_bar(epf->epc, epf->func_no, epf->vfunc_no,
				  &epf->bar[BAR_0]);
	dev->bar_set = false;
	dev->hw_ready = false;
	mutex_unlock(&dev->lock);
}

static const struct pci_epc_event_ops vmsg_epf_event_ops = {
	.epc_init = vmsg_epf_ev_init,
	.epc_deinit = vmsg_epf_ev_deinit,
	.link_up = vmsg_epf_ev_link_up,
	.link_down = vmsg_epf_ev_link_down,
};
#else
static const struct pci_epc_event_ops vmsg_epf_event_ops = {
	.core_init = vmsg_epf_ev_init,
	.link_up = vmsg_epf_ev_link_up,
	.link_down = vmsg_epf_ev_link_down,
};
#endif

static void vmsg_epf_events_register(struct vmsg_epf *dev)
{
}

static void vmsg_epf_events_unregister(struct vmsg_epf *dev)
{
}
#else
/* 6.1: an atomic notifier chain, so the work happens in process context. */
static int vmsg_epf_notifier(struct notifier_block *nb, unsigned long val,
			     void *data)
{
	struct pci_epf *epf = container_of(nb, struct pci_epf, nb);
	struct vmsg_epf *dev = epf_get_drvdata(epf);

	switch (val) {
	case CORE_INIT:
		queue_work(vmsg_epf_wq, &dev->init_work);
		return NOTIFY_OK;
	case LINK_UP:
		vmsg_epf_link_event(dev, true);
		return NOTIFY_OK;
	default:
		return NOTIFY_DONE;
	}
}

static void vmsg_epf_events_register(struct vmsg_epf *dev)
{
	dev->epf->nb.notifier_call = vmsg_epf_notifier;
	pci_epc_register_notifier(dev->epf->epc, &dev->epf->nb);
}

/* 6.1 has no pci_epc_unregister_notifier(): leaving the block on the
 * chain would let the EPC call into a freed function.
 */
static void vmsg_epf_events_unregister(struct vmsg_epf *dev)
{
	atomic_notifier_chain_unregister(&dev->epf->epc->notifier,
					 &dev->epf->nb);
}
#endif

static void vmsg_epf_events_enable(struct vmsg_epf *dev, bool on)
{
	unsigned long flags;

	spin_lock_irqsave(&dev->ev_lock, flags);
	dev->events_on = on;
	if (on) {
		dev->link_up = false;
		dev->ev_pending = 0;
		dev->db_pending = 0;
	}
	spin_unlock_irqrestore(&dev->ev_lock, flags);
}

/* BAR0 size and the MSI-X table at its end; the daemon gets what is below. */
static int vmsg_epf_bar0_layout(struct vmsg_epf *dev, size_t *size)
{
	const struct pci_epc_features *f = dev->features;
	struct pci_epf *epf = dev->epf;
	size_t sz = dev->run[VMSG_P_BAR0_SIZE];
	size_t msix = 0;
	u64 fixed;

	fixed = vmsg_epf_bar_fixed_size(f, BAR_0);
	if (fixed) {
		if (fixed < VMSG_PCIE_BAR0_MIN_SIZE || fixed > SZ_1G) {
			dev_err(&epf->dev, "controller's fixed BAR0 of %llu bytes is unusable\n",
				fixed);
			return -EINVAL;
		}
		sz = fixed;
	}
	if (dev->use_msix)
		msix = PCI_MSIX_ENTRY_SIZE * epf->msix_interrupts +
		       ALIGN(DIV_ROUND_UP(epf->msix_interrupts, 8), 8);
	if (msix + VMSG_PCIE_REGS_SIZE > sz)
		return -ENOSPC;
	dev->msix_offset = msix ? ALIGN_DOWN(sz - msix, PAGE_SIZE) : 0;
	dev->bar0_usable = msix ? dev->msix_offset : ALIGN_DOWN(sz, PAGE_SIZE);
	*size = sz;
	return vmsg_epf_cfg_check(dev, dev->run, dev->bar0_usable);
}

static void vmsg_epf_window_info(struct vmsg_epf *dev)
{
	struct pci_epc *epc = dev->epf->epc;
	unsigned int i;

	dev->window_size = 0;
	dev->window_align = PAGE_SIZE;
	for (i = 0; i < epc->num_windows; i++) {
		struct pci_epc_mem_window *w = &epc->windows[i]->window;

		dev->window_size = max_t(u64, dev->window_size, w->size);
		dev->window_align = max_t(u64, dev->window_align, w->page_size);
	}
}

static int vmsg_epf_bind(struct pci_epf *epf)
{
	struct vmsg_epf *dev = epf_get_drvdata(epf);
	struct pci_epc *epc = epf->epc;
	const struct pci_epc_features *f;
	size_t size;
	int ret;

	if (WARN_ON_ONCE(!epc))
		return -EINVAL;
	f = pci_epc_get_features(epc, epf->func_no, epf->vfunc_no);
	if (!f) {
		dev_err(&epf->dev, "the controller does not report its features\n");
		return -EOPNOTSUPP;
	}
	if (vmsg_epf_bar_reserved(f, BAR_0)) {
		dev_err(&epf->dev, "BAR0 is reserved by the controller; the binding needs it\n");
		return -EINVAL;
	}

	mutex_lock(&dev->lock);
	memcpy(dev->run, dev->cfg, sizeof(dev->run));
	dev->features = f;
	dev->use_msix = f->msix_capable && epf->msix_interrupts;
	dev->use_msi = f->msi_capable && epf->msi_interrupts;
	dev->num_vectors = min_t(u32, VMSG_PCIE_MAX_VECTORS,
				 dev->use_msix ? epf->msix_interrupts :
				 dev->use_msi ? epf->msi_interrupts : 0);
	ret = vmsg_epf_bar0_layout(dev, &size);
	if (ret) {
		mutex_unlock(&dev->lock);
		return ret;
	}
	if (vmsg_epf_bar_only_64bit(f, BAR_0))
		epf->bar[BAR_0].flags |= PCI_BASE_ADDRESS_MEM_TYPE_64;
	dev->bar0 = vmsg_epf_alloc_space(epf, size, BAR_0, f);
	if (!dev->bar0) {
		mutex_unlock(&dev->lock);
		dev_err(&epf->dev, "no memory for a %zu-byte BAR0\n", size);
		return -ENOMEM;
	}
	vmsg_epf_window_info(dev);
	vmsg_epf_dma_init(dev);
	dev->bound = true;
	dev->unbinding = false;
	mutex_unlock(&dev->lock);

	ret = vmsg_epf_doorbell_setup(dev);
	if (ret)
		goto err_free;
	ret = vmsg_epf_chardev_register(dev);
	if (ret)
		goto err_db;

	vmsg_epf_events_enable(dev, true);
	vmsg_epf_events_register(dev);
	if (!vmsg_epf_wait_core_init(f)) {
		ret = vmsg_epf_core_init(dev);
		if (ret)
			goto err_events;
	}
	dev_info(&epf->dev, "bound to %s: BAR0 %zu bytes (%zu for the daemon), %u %s vectors, %s\n",
		 dev_name(&epc->dev), epf->bar[BAR_0].size, dev->bar0_usable,
		 dev->num_vectors, dev->use_msix ? "MSI-X" : "MSI",
		 dev->name);
	return 0;

err_events:
	vmsg_epf_events_unregister(dev);
	vmsg_epf_events_enable(dev, false);
	cancel_work_sync(&dev->init_work);
	cancel_work_sync(&dev->link_work);
	vmsg_epf_chardev_quiesce(dev);
	vmsg_epf_chardev_unregister(dev);
err_db:
	vmsg_epf_doorbell_free(dev);
err_free:
	mutex_lock(&dev->lock);
	dev->bound = false;
	vmsg_epf_dma_release(dev);
	pci_epf_free_space(epf, dev->bar0, BAR_0, PRIMARY_INTERFACE);
	dev->bar0 = NULL;
	mutex_unlock(&dev->lock);
	return ret;
}

static void vmsg_epf_unbind(struct pci_epf *epf)
{
	struct vmsg_epf *dev = epf_get_drvdata(epf);

	/* Tell the daemon (and through it, or ourselves, the host) first. */
	vmsg_epf_chardev_quiesce(dev);
	vmsg_epf_events_unregister(dev);
	vmsg_epf_events_enable(dev, false);
	cancel_work_sync(&dev->init_work);
	cancel_work_sync(&dev->link_work);
	vmsg_epf_doorbell_free(dev);

	mutex_lock(&dev->lock);
	vmsg_epf_unmap_host(dev);
	vmsg_epf_dma_release(dev);
	if (dev->bar_set)
		pci_epc_clear_bar(epf->epc, epf->func_no, epf->vfunc_no,
				  &epf->bar[BAR_0]);
	dev->bar_set = false;
	dev->hw_ready = false;
	pci_epf_free_space(epf, dev->bar0, BAR_0, PRIMARY_INTERFACE);
	dev->bar0 = NULL;
	mutex_unlock(&dev->lock);

	vmsg_epf_chardev_unregister(dev);
	dev_info(&epf->dev, "unbound\n");
}

static int vmsg_epf_probe(VMSG_EPF_PROBE_ARGS)
{
	struct vmsg_epf *dev;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	dev->dead_page = alloc_page(GFP_KERNEL);
	dev->sink_page = alloc_page(GFP_KERNEL);
	if (!dev->dead_page || !dev->sink_page)
		goto err_pages;
	memset(page_address(dev->dead_page), 0xff, PAGE_SIZE);
	/*
	 * The function's configfs group (ours inside it) lives until rmdir;
	 * the module must not go away under it: it stays pinned until
	 * remove(), which rmdir of the function causes.
	 */
	if (!try_module_get(THIS_MODULE)) {
		__free_page(dev->dead_page);
		__free_page(dev->sink_page);
		kfree(dev);
		return -ENODEV;
	}
	kref_init(&dev->ref);
	dev->epf = epf;
	dev->id = -1;
	mutex_init(&dev->lock);
	spin_lock_init(&dev->ev_lock);
	init_waitqueue_head(&dev->read_wq);
	init_waitqueue_head(&dev->gone_wq);
	init_waitqueue_head(&dev->poll_wq);
	init_completion(&dev->dma_done);
	INIT_WORK(&dev->init_work, vmsg_epf_init_work);
	INIT_WORK(&dev->link_work, vmsg_epf_link_work);
	vmsg_epf_cfg_defaults(dev->cfg);

	dev->header.vendorid = VMSG_PCIE_VENDOR_ID;
	dev->header.deviceid = VMSG_PCIE_DEVICE_ID;
	dev->header.subsys_vendor_id = VMSG_PCIE_SUBSYS_VENDOR_ID;
	dev->header.subsys_id = VMSG_PCIE_SUBSYS_ID;
	dev->header.baseclass_code = (VMSG_PCIE_CLASS >> 16) & 0xff;
	dev->header.subclass_code = (VMSG_PCIE_CLASS >> 8) & 0xff;
	dev->header.progif_code = VMSG_PCIE_CLASS & 0xff;
	dev->header.interrupt_pin = PCI_INTERRUPT_UNKNOWN; /* [DISC-4]: no INTx */
	epf->header = &dev->header;
	epf->msi_interrupts = 1;
	epf->msix_interrupts = 1;
#ifdef VMSG_EPF_HAVE_EVENT_OPS
	epf->event_ops = &vmsg_epf_event_ops;
#endif
	epf_set_drvdata(epf, dev);
	return 0;

err_pages:
	if (dev->dead_page)
		__free_page(dev->dead_page);
	if (dev->sink_page)
		__free_page(dev->sink_page);
	kfree(dev);
	return -ENOMEM;
}

static void vmsg_epf_remove(struct pci_epf *epf)
{
	struct vmsg_epf *dev = epf_get_drvdata(epf);

	cancel_work_sync(&dev->init_work);
	cancel_work_sync(&dev->link_work);
	epf->header = NULL;
	epf_set_drvdata(epf, NULL);
	vmsg_epf_put(dev);
	module_put(THIS_MODULE);
}

static struct pci_epf_ops vmsg_epf_ops = {
	.bind = vmsg_epf_bind,
	.unbind = vmsg_epf_unbind,
	.add_cfs = vmsg_epf_add_cfs,
};

static const struct pci_epf_device_id vmsg_epf_ids[] = {
	{ .name = VMSG_EPF_DRV_NAME },
	{},
};

static struct pci_epf_driver vmsg_epf_driver = {
	.driver.name = VMSG_EPF_DRV_NAME,
	.probe = vmsg_epf_probe,
	.remove = vmsg_epf_remove,
	.id_table = vmsg_epf_ids,
	.ops = &vmsg_epf_ops,
	.owner = THIS_MODULE,
};

static int __init vmsg_epf_init(void)
{
	int ret;

	vmsg_epf_wq = alloc_workqueue("vmsg_epf", WQ_MEM_RECLAIM, 0);
	if (!vmsg_epf_wq)
		return -ENOMEM;
	ret = pci_epf_register_driver(&vmsg_epf_driver);
	if (ret) {
		destroy_workqueue(vmsg_epf_wq);
		pr_err("pci-epf-vmsg: driver registration failed: %d\n", ret);
	}
	return ret;
}
module_init(vmsg_epf_init);

static void __exit vmsg_epf_exit(void)
{
	pci_epf_unregister_driver(&vmsg_epf_driver);
	destroy_workqueue(vmsg_epf_wq);
}
module_exit(vmsg_epf_exit);

MODULE_DESCRIPTION("virtio-msg over PCIe: endpoint function (card side)");
MODULE_LICENSE("GPL");
