// SPDX-License-Identifier: GPL-2.0
/*
 * pcie-vmsg-ivshmem-ep.c - a virtual PCI endpoint controller for the
 * vmsg-pcie card VM test rig.
 *
 * Two QEMU ivshmem devices of the card VM (both 1af4:1110) stand for an
 * endpoint controller:
 *  - the ivshmem-doorbell device (the one with an MSI-X capability), peer
 *    VMSG_EMU_CARD_PEER_ID of the ivshmem server the host VM's ivshmem
 *    device also talks to. Its BAR 2 is the BAR space: BAR0 of the function
 *    is the start of BAR 2; the last VMSG_EMU_PAGE_SIZE bytes are the
 *    emulated link page (struct vmsg_emu_page): the configuration header
 *    the host probe reads, and the server's wire section (link up/down).
 *    Its Doorbell register raises the host VM's MSI-X vectors.
 *  - the ivshmem-plain device (no MSI-X capability): its BAR 2 maps the
 *    host VM's RAM file and is the outbound window, host address 0 at its
 *    start.
 *
 * The controller registers a struct pci_epc with one function. What it
 * cannot do is programmable outbound translation: the window is declared
 * with one allocation page as large as the window, so the only mapping is
 * PCI address 0 at the window's start; EPFs align their PCI addresses down
 * to the window's page size and use the offset, as on controllers with
 * outbound alignment rules. Everything else is refused like a controller
 * would: -EINVAL for what the hardware cannot do, -EBUSY for what is in use.
 *
 * Test infrastructure (tests/rig/card-kernel/ of vmsg-pcie), built into the
 * card VM kernel by scripts/build-card-kernel.sh.
 */

#include <linux/bitfield.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/dma-map-ops.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/pci-epc.h>
#include <linux/pci-epf.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/workqueue.h>

#include "vmsg-include/vmsg_pcie.h"

#define DRV_NAME "pcie-vmsg-ivshmem-ep"

/* ivshmem register of the device's own peer id; the doorbell register */
#define IVSHMEM_REG_IVPOSITION VMSG_EMU_REG_IVPOSITION
#define IVSHMEM_REG_DOORBELL VMSG_EMU_REG_DOORBELL
#define IVSHMEM_BAR_REGS 0
#define IVSHMEM_BAR_SHM VMSG_EMU_SHMEM_BAR
/* QEMU's ivshmem carries the vector in the low 16 bits of a doorbell */
#define IVSHMEM_MAX_VECTORS 2048

static unsigned int link_poll_ms = 10;
module_param(link_poll_ms, uint, 0444);
MODULE_PARM_DESC(link_poll_ms, "Wire section poll interval in ms (1..1000, default 10)");

struct vmsg_ep {
	struct pci_dev *pdev;		/* the ivshmem-doorbell device */
	struct pci_dev *win_pdev;	/* the ivshmem-plain device */
	struct pci_epc *epc;
	void __iomem *regs;		/* ivshmem BAR 0 */
	struct vmsg_emu_page __iomem *page;
	phys_addr_t shm_phys;		/* BAR space = ivshmem BAR 2 */
	resource_size_t shm_len;
	resource_size_t bar_space;	/* shm_len - VMSG_EMU_PAGE_SIZE */
	phys_addr_t win_phys;		/* outbound window = plain BAR 2 */
	resource_size_t win_len;
	u32 own_id;			/* IVPosition of the doorbell device */
	struct pci_epc_features features;

	/* controller state; the ops run under epc->lock */
	bool bar0_set;
	size_t bar0_size;
	bool mapped;
	u16 msix_count;			/* 0: not configured */
	bool started;

	/* link state, polled from the wire section */
	struct mutex link_lock;		/* protects the fields below */
	struct delayed_work link_work;
	bool link_up;
	u32 host_peer_id;
	u32 host_generation;
	u32 linkups;			/* pci_epc_linkup() calls */
	u32 linkdowns;			/* link losses seen (no 6.1 event) */
	u32 irqs_raised;
	u32 irqs_refused;
	struct dentry *debugfs;
};

/* The one ivshmem-plain device that is the outbound window (first found). */
static DEFINE_MUTEX(vmsg_ep_win_lock);
static struct pci_dev *vmsg_ep_win;
/* debugfs: pcie-vmsg-ivshmem-ep/<controller>/state */
static struct dentry *vmsg_ep_debugfs;

static bool vmsg_ep_is_doorbell(struct pci_dev *pdev)
{
	return pdev->msix_cap != 0;
}

static int vmsg_ep_check_fn(u8 func_no, u8 vfunc_no)
{
	return (func_no || vfunc_no) ? -EINVAL : 0;
}

static int vmsg_ep_write_header(struct pci_epc *epc, u8 func_no, u8 vfunc_no,
				struct pci_epf_header *hdr)
{
	struct vmsg_ep *ep = epc_get_drvdata(epc);
	u32 class_rev;

	if (vmsg_ep_check_fn(func_no, vfunc_no))
		return -EINVAL;
	class_rev = (u32)hdr->baseclass_code << 24 |
		    (u32)hdr->subclass_code << 16 |
		    (u32)hdr->progif_code << 8 | hdr->revid;
	/* Invalidate, write the fields, then the magic (the host reads it first). */
	iowrite32(0, &ep->page->hdr_magic);
	wmb(); /* the host sees the header invalid before any field changes */
	iowrite32(VMSG_EMU_PAGE_VERSION, &ep->page->hdr_version);
	iowrite16(hdr->vendorid, &ep->page->vendor_id);
	iowrite16(hdr->deviceid, &ep->page->device_id);
	iowrite16(hdr->subsys_vendor_id, &ep->page->subsys_vendor_id);
	iowrite16(hdr->subsys_id, &ep->page->subsys_id);
	iowrite32(class_rev, &ep->page->class_rev);
	iowrite32(ep->bar0_set ? ep->bar0_size : 0, &ep->page->bar0_size);
	iowrite32(ep->own_id, &ep->page->card_peer_id);
	wmb(); /* every field before the magic that validates them */
	iowrite32(VMSG_EMU_HDR_MAGIC, &ep->page->hdr_magic);
	dev_dbg(&ep->pdev->dev, "header %04x:%04x class %08x\n",
		hdr->vendorid, hdr->deviceid, class_rev);
	return 0;
}

static int vmsg_ep_set_bar(struct pci_epc *epc, u8 func_no, u8 vfunc_no,
			   struct pci_epf_bar *epf_bar)
{
	struct vmsg_ep *ep = epc_get_drvdata(epc);
	struct device *dev = &ep->pdev->dev;
	size_t size = epf_bar->size;

	if (vmsg_ep_check_fn(func_no, vfunc_no))
		return -EINVAL;
	if (epf_bar->barno != BAR_0) {
		dev_err(dev, "set_bar: BAR%d: only BAR0 exists\n", epf_bar->barno);
		return -EINVAL;
	}
	if (epf_bar->flags & PCI_BASE_ADDRESS_SPACE_IO) {
		dev_err(dev, "set_bar: I/O BARs are not supported\n");
		return -EINVAL;
	}
	if (epf_bar->phys_addr != ep->shm_phys) {
		dev_err(dev, "set_bar: BAR0 memory %pa is not the start of the BAR space %pa (use pci_epf_alloc_space)\n",
			&epf_bar->phys_addr, &ep->shm_phys);
		return -EINVAL;
	}
	if (size < SZ_4K || !is_power_of_2(size) || size > ep->bar_space) {
		dev_err(dev, "set_bar: BAR0 size %zu: must be a power of 2 from 4 KiB to %llu\n",
			size, (unsigned long long)ep->bar_space);
		return -EINVAL;
	}
	/* The host may have sized and mapped BAR0 already: no resize under it. */
	if (ep->bar0_set && ep->bar0_size != size) {
		mutex_lock(&ep->link_lock);
		if (ep->link_up && ep->started) {
			mutex_unlock(&ep->link_lock);
			dev_err(dev, "set_bar: BAR0 resize %zu -> %zu with the link up\n",
				ep->bar0_size, size);
			return -EBUSY;
		}
		mutex_unlock(&ep->link_lock);
	}
	ep->bar0_size = size;
	ep->bar0_set = true;
	iowrite32(size, &ep->page->bar0_size);
	return 0;
}

static void vmsg_ep_clear_bar(struct pci_epc *epc, u8 func_no, u8 vfunc_no,
			      struct pci_epf_bar *epf_bar)
{
	struct vmsg_ep *ep = epc_get_drvdata(epc);

	if (vmsg_ep_check_fn(func_no, vfunc_no) || epf_bar->barno != BAR_0 ||
	    !ep->bar0_set)
		return;
	ep->bar0_set = false;
	ep->bar0_size = 0;
	iowrite32(0, &ep->page->bar0_size);
}

static int vmsg_ep_map_addr(struct pci_epc *epc, u8 func_no, u8 vfunc_no,
			    phys_addr_t addr, u64 pci_addr, size_t size)
{
	struct vmsg_ep *ep = epc_get_drvdata(epc);
	struct device *dev = &ep->pdev->dev;

	if (vmsg_ep_check_fn(func_no, vfunc_no))
		return -EINVAL;
	if (addr != ep->win_phys || pci_addr != 0 || !size ||
	    size > ep->win_len) {
		dev_err(dev, "map_addr: %pa -> PCI %#llx size %zu: the window maps PCI 0 at %pa only, %llu bytes at most\n",
			&addr, pci_addr, size, &ep->win_phys,
			(unsigned long long)ep->win_len);
		return -EINVAL;
	}
	if (ep->mapped) {
		dev_err(dev, "map_addr: the outbound window is already mapped\n");
		return -EBUSY;
	}
	ep->mapped = true;
	return 0;
}

static void vmsg_ep_unmap_addr(struct pci_epc *epc, u8 func_no, u8 vfunc_no,
			       phys_addr_t addr)
{
	struct vmsg_ep *ep = epc_get_drvdata(epc);

	if (vmsg_ep_check_fn(func_no, vfunc_no))
		return;
	if (addr != ep->win_phys || !ep->mapped) {
		dev_warn(&ep->pdev->dev, "unmap_addr: %pa is not mapped\n", &addr);
		return;
	}
	ep->mapped = false;
}

/* The host side is ivshmem's MSI-X: this controller has no MSI capability. */
static int vmsg_ep_set_msi(struct pci_epc *epc, u8 func_no, u8 vfunc_no,
			   u8 interrupts)
{
	return -EINVAL;
}

static int vmsg_ep_get_msi(struct pci_epc *epc, u8 func_no, u8 vfunc_no)
{
	return -EINVAL;
}

/* @interrupts is the table size - 1 (the capability's encoding). The table
 * itself is the host ivshmem device's (BAR 1 there): bir/offset are not
 * programmable here and are ignored.
 */
static int vmsg_ep_set_msix(struct pci_epc *epc, u8 func_no, u8 vfunc_no,
			    u16 interrupts, enum pci_barno bir, u32 offset)
{
	struct vmsg_ep *ep = epc_get_drvdata(epc);

	if (vmsg_ep_check_fn(func_no, vfunc_no))
		return -EINVAL;
	if (interrupts >= IVSHMEM_MAX_VECTORS)
		return -EINVAL;
	ep->msix_count = interrupts + 1;
	return 0;
}

static int vmsg_ep_get_msix(struct pci_epc *epc, u8 func_no, u8 vfunc_no)
{
	struct vmsg_ep *ep = epc_get_drvdata(epc);

	if (vmsg_ep_check_fn(func_no, vfunc_no) || !ep->msix_count)
		return -EINVAL;
	return ep->msix_count - 1;
}

/* Read the wire section; false if the server has not published it. */
static bool vmsg_ep_read_wire(struct vmsg_ep *ep, u32 *peer, u32 *gen)
{
	if (ioread32(&ep->page->wire_magic) != VMSG_EMU_WIRE_MAGIC ||
	    ioread32(&ep->page->wire_version) != VMSG_EMU_PAGE_VERSION)
		return false;
	rmb(); /* the server writes the magic last: fields after it */
	*peer = ioread32(&ep->page->host_peer_id);
	*gen = ioread32(&ep->page->host_generation);
	return true;
}

static int vmsg_ep_raise_irq(struct pci_epc *epc, u8 func_no, u8 vfunc_no,
			     enum pci_epc_irq_type type, u16 interrupt_num)
{
	struct vmsg_ep *ep = epc_get_drvdata(epc);
	u32 peer, gen;
	int ret = 0;

	if (vmsg_ep_check_fn(func_no, vfunc_no))
		return -EINVAL;
	if (type != PCI_EPC_IRQ_MSIX)
		return -EINVAL;		/* no INTx, no MSI */
	if (!interrupt_num || interrupt_num > ep->msix_count)
		return -EINVAL;
	mutex_lock(&ep->link_lock);
	if (!ep->started) {
		ret = -EIO;
	} else if (!vmsg_ep_read_wire(ep, &peer, &gen) ||
		   peer == VMSG_EMU_NO_PEER) {
		ret = -ENOLINK;
	} else if (peer > 0xffff || peer == ep->own_id) {
		/* a wire section no server would write */
		ret = -EIO;
	} else {
		iowrite32(peer << 16 | (interrupt_num - 1U),
			  ep->regs + IVSHMEM_REG_DOORBELL);
		ep->irqs_raised++;
	}
	if (ret)
		ep->irqs_refused++;
	mutex_unlock(&ep->link_lock);
	return ret;
}

/* Called with link_lock held: one poll of the wire section. */
static void vmsg_ep_link_update(struct vmsg_ep *ep)
{
	u32 peer = VMSG_EMU_NO_PEER, gen = 0;
	bool up;

	up = vmsg_ep_read_wire(ep, &peer, &gen) && peer != VMSG_EMU_NO_PEER;
	if (up && (!ep->link_up || gen != ep->host_generation)) {
		if (ep->link_up)	/* the host left and came back meanwhile */
			ep->linkdowns++;
		ep->link_up = true;
		ep->host_peer_id = peer;
		ep->host_generation = gen;
		if (ep->started) {
			dev_info(&ep->pdev->dev, "link up: host peer %u generation %u\n",
				 peer, gen);
			ep->linkups++;
			pci_epc_linkup(ep->epc);
		}
	} else if (!up && ep->link_up) {
		ep->link_up = false;
		ep->host_peer_id = VMSG_EMU_NO_PEER;
		ep->host_generation = gen;
		ep->linkdowns++;
		/* Linux 6.1 has no link-down event for EPFs (pci_epc_linkdown
		 * came later): the next pci_epc_linkup() is the new link.
		 */
		if (ep->started)
			dev_info(&ep->pdev->dev, "link down (generation %u)\n", gen);
	}
}

static void vmsg_ep_link_work(struct work_struct *work)
{
	struct vmsg_ep *ep = container_of(to_delayed_work(work), struct vmsg_ep,
					  link_work);

	mutex_lock(&ep->link_lock);
	vmsg_ep_link_update(ep);
	mutex_unlock(&ep->link_lock);
	schedule_delayed_work(&ep->link_work, msecs_to_jiffies(link_poll_ms));
}

static int vmsg_ep_start(struct pci_epc *epc)
{
	struct vmsg_ep *ep = epc_get_drvdata(epc);

	mutex_lock(&ep->link_lock);
	ep->started = true;
	/* A host already there: report it as a link coming up now. */
	ep->link_up = false;
	vmsg_ep_link_update(ep);
	mutex_unlock(&ep->link_lock);
	return 0;
}

static void vmsg_ep_stop(struct pci_epc *epc)
{
	struct vmsg_ep *ep = epc_get_drvdata(epc);

	mutex_lock(&ep->link_lock);
	ep->started = false;
	mutex_unlock(&ep->link_lock);
}

static const struct pci_epc_features *
vmsg_ep_get_features(struct pci_epc *epc, u8 func_no, u8 vfunc_no)
{
	struct vmsg_ep *ep = epc_get_drvdata(epc);

	if (vmsg_ep_check_fn(func_no, vfunc_no))
		return NULL;
	return &ep->features;
}

static const struct pci_epc_ops vmsg_ep_ops = {
	.write_header = vmsg_ep_write_header,
	.set_bar = vmsg_ep_set_bar,
	.clear_bar = vmsg_ep_clear_bar,
	.map_addr = vmsg_ep_map_addr,
	.unmap_addr = vmsg_ep_unmap_addr,
	.set_msi = vmsg_ep_set_msi,
	.get_msi = vmsg_ep_get_msi,
	.set_msix = vmsg_ep_set_msix,
	.get_msix = vmsg_ep_get_msix,
	.raise_irq = vmsg_ep_raise_irq,
	.start = vmsg_ep_start,
	.stop = vmsg_ep_stop,
	.get_features = vmsg_ep_get_features,
	.owner = THIS_MODULE,
};

static int vmsg_ep_state_show(struct seq_file *s, void *unused)
{
	struct vmsg_ep *ep = s->private;
	u32 peer = VMSG_EMU_NO_PEER, gen = 0;
	bool wire;

	mutex_lock(&ep->link_lock);
	wire = vmsg_ep_read_wire(ep, &peer, &gen);
	seq_printf(s, "own_id %u\nstarted %d\nlink_up %d\nhost_peer_id %d\nhost_generation %u\n",
		   ep->own_id, ep->started, ep->link_up,
		   ep->link_up ? (int)ep->host_peer_id : -1,
		   ep->host_generation);
	seq_printf(s, "linkups %u\nlinkdowns %u\nirqs_raised %u\nirqs_refused %u\n",
		   ep->linkups, ep->linkdowns, ep->irqs_raised,
		   ep->irqs_refused);
	seq_printf(s, "wire_valid %d\nwire_host_peer_id %d\nwire_generation %u\ncard_connected %u\n",
		   wire, wire && peer != VMSG_EMU_NO_PEER ? (int)peer : -1, gen,
		   ioread32(&ep->page->card_connected));
	mutex_unlock(&ep->link_lock);
	/* unlocked snapshot of the op state (set under epc->lock) */
	seq_printf(s, "bar0_size %zu\nmapped %d\nmsix_count %u\n",
		   ep->bar0_set ? ep->bar0_size : 0, ep->mapped, ep->msix_count);
	seq_printf(s, "bar_space %pa %llu\nwindow %pa %llu\n", &ep->shm_phys,
		   (unsigned long long)ep->bar_space, &ep->win_phys,
		   (unsigned long long)ep->win_len);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vmsg_ep_state);

static void vmsg_ep_cleanup(void *data)
{
	struct vmsg_ep *ep = data;

	cancel_delayed_work_sync(&ep->link_work);
	debugfs_remove_recursive(ep->debugfs);
}

static void vmsg_ep_release_dma(void *data)
{
	dma_release_coherent_memory(data);
}

static void vmsg_ep_mem_exit(void *data)
{
	pci_epc_mem_exit(data);
}

static int vmsg_ep_probe_window(struct pci_dev *pdev)
{
	int ret;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	if (!(pci_resource_flags(pdev, IVSHMEM_BAR_SHM) & IORESOURCE_MEM) ||
	    !pci_resource_len(pdev, IVSHMEM_BAR_SHM))
		return dev_err_probe(&pdev->dev, -ENODEV, "no memory BAR 2\n");
	/* Claimed, not mapped: pci_epc_mem_alloc_addr() maps it for the EPF. */
	ret = pci_request_region(pdev, IVSHMEM_BAR_SHM, DRV_NAME);
	if (ret)
		return ret;
	mutex_lock(&vmsg_ep_win_lock);
	if (vmsg_ep_win) {
		mutex_unlock(&vmsg_ep_win_lock);
		return dev_err_probe(&pdev->dev, -EBUSY,
				     "a second ivshmem-plain: %s is the window already\n",
				     pci_name(vmsg_ep_win));
	}
	vmsg_ep_win = pdev;
	mutex_unlock(&vmsg_ep_win_lock);
	dev_info(&pdev->dev, "outbound window: %pR\n",
		 &pdev->resource[IVSHMEM_BAR_SHM]);
	return 0;
}

static int vmsg_ep_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct device *dev = &pdev->dev;
	struct pci_dev *win;
	struct vmsg_ep *ep;
	int ret;

	if (!vmsg_ep_is_doorbell(pdev))
		return vmsg_ep_probe_window(pdev);

	if (link_poll_ms < 1 || link_poll_ms > 1000)
		return dev_err_probe(dev, -EINVAL, "link_poll_ms %u: 1..1000\n",
				     link_poll_ms);
	mutex_lock(&vmsg_ep_win_lock);
	win = vmsg_ep_win;
	/* Unbinding the window unbinds the controller first. */
	if (win && !device_link_add(dev, &win->dev, DL_FLAG_AUTOREMOVE_CONSUMER))
		win = ERR_PTR(-EINVAL);
	mutex_unlock(&vmsg_ep_win_lock);
	if (!win)
		return dev_err_probe(dev, -EPROBE_DEFER,
				     "waiting for the ivshmem-plain window device\n");
	if (IS_ERR(win))
		return dev_err_probe(dev, PTR_ERR(win), "device link to the window\n");

	ep = devm_kzalloc(dev, sizeof(*ep), GFP_KERNEL);
	if (!ep)
		return -ENOMEM;
	ep->pdev = pdev;
	ep->win_pdev = win;
	mutex_init(&ep->link_lock);
	INIT_DELAYED_WORK(&ep->link_work, vmsg_ep_link_work);
	ep->host_peer_id = VMSG_EMU_NO_PEER;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = pcim_iomap_regions(pdev, BIT(IVSHMEM_BAR_REGS), DRV_NAME);
	if (ret)
		return ret;
	ret = pci_request_region(pdev, IVSHMEM_BAR_SHM, DRV_NAME);
	if (ret)
		return ret;
	ep->regs = pcim_iomap_table(pdev)[IVSHMEM_BAR_REGS];
	ep->shm_phys = pci_resource_start(pdev, IVSHMEM_BAR_SHM);
	ep->shm_len = pci_resource_len(pdev, IVSHMEM_BAR_SHM);
	if (ep->shm_len < VMSG_PCIE_BAR0_MIN_SIZE + VMSG_EMU_PAGE_SIZE)
		return dev_err_probe(dev, -ENODEV, "BAR 2 of %llu bytes: too small\n",
				     (unsigned long long)ep->shm_len);
	ep->bar_space = ep->shm_len - VMSG_EMU_PAGE_SIZE;
	/* Only the page is ioremapped: the BAR space gets a WC mapping below
	 * (dma_declare_coherent_memory) and x86 refuses two memory types.
	 */
	ep->page = devm_ioremap(dev, ep->shm_phys + ep->bar_space,
				VMSG_EMU_PAGE_SIZE);
	if (!ep->page)
		return -ENOMEM;
	ep->win_phys = pci_resource_start(win, IVSHMEM_BAR_SHM);
	ep->win_len = pci_resource_len(win, IVSHMEM_BAR_SHM);

	ep->own_id = ioread32(ep->regs + IVSHMEM_REG_IVPOSITION);
	if (ep->own_id != VMSG_EMU_CARD_PEER_ID)
		return dev_err_probe(dev, -ENODEV,
				     "ivshmem peer id %u, the card must be peer %u (vmsg-ivshmem-server --card-socket)\n",
				     ep->own_id, VMSG_EMU_CARD_PEER_ID);
	/* A header left by an earlier card is not ours. */
	iowrite32(0, &ep->page->hdr_magic);
	iowrite32(0, &ep->page->bar0_size);

	/* BAR memory: pci_epf_alloc_space() allocates from the BAR space. */
	ret = dma_declare_coherent_memory(dev, ep->shm_phys, ep->shm_phys,
					  ep->bar_space);
	if (ret)
		return dev_err_probe(dev, ret, "declare the BAR space\n");
	ret = devm_add_action_or_reset(dev, vmsg_ep_release_dma, dev);
	if (ret)
		return ret;

	ep->features.linkup_notifier = 1;
	ep->features.msix_capable = 1;
	ep->features.reserved_bar = GENMASK(BAR_5, BAR_1);
	ep->features.align = SZ_4K;

	ep->epc = devm_pci_epc_create(dev, &vmsg_ep_ops);
	if (IS_ERR(ep->epc))
		return dev_err_probe(dev, PTR_ERR(ep->epc), "pci_epc_create\n");
	ep->epc->max_functions = 1;
	epc_set_drvdata(ep->epc, ep);
	/* One page as large as the window: only PCI address 0 maps. */
	ret = pci_epc_mem_init(ep->epc, ep->win_phys, ep->win_len, ep->win_len);
	if (ret)
		return dev_err_probe(dev, ret, "pci_epc_mem_init\n");
	ret = devm_add_action_or_reset(dev, vmsg_ep_mem_exit, ep->epc);
	if (ret)
		return ret;

	ep->debugfs = debugfs_create_dir(dev_name(&ep->epc->dev), vmsg_ep_debugfs);
	debugfs_create_file("state", 0444, ep->debugfs, ep, &vmsg_ep_state_fops);
	ret = devm_add_action_or_reset(dev, vmsg_ep_cleanup, ep);
	if (ret)
		return ret;
	pci_set_drvdata(pdev, ep);
	schedule_delayed_work(&ep->link_work, 0);
	dev_info(dev, "endpoint controller %s: BAR space %pa+%llu, window %pa+%llu, peer %u\n",
		 dev_name(&ep->epc->dev), &ep->shm_phys,
		 (unsigned long long)ep->bar_space, &ep->win_phys,
		 (unsigned long long)ep->win_len, ep->own_id);
	return 0;
}

static void vmsg_ep_remove(struct pci_dev *pdev)
{
	mutex_lock(&vmsg_ep_win_lock);
	if (vmsg_ep_win == pdev)
		vmsg_ep_win = NULL;
	mutex_unlock(&vmsg_ep_win_lock);
}

static const struct pci_device_id vmsg_ep_ids[] = {
	{ PCI_DEVICE(VMSG_EMU_VENDOR_ID, VMSG_EMU_DEVICE_ID) },
	{ }
};
MODULE_DEVICE_TABLE(pci, vmsg_ep_ids);

static struct pci_driver vmsg_ep_driver = {
	.name = DRV_NAME,
	.id_table = vmsg_ep_ids,
	.probe = vmsg_ep_probe,
	.remove = vmsg_ep_remove,
};

static int __init vmsg_ep_init(void)
{
	int ret;

	vmsg_ep_debugfs = debugfs_create_dir(DRV_NAME, NULL);
	ret = pci_register_driver(&vmsg_ep_driver);
	if (ret)
		debugfs_remove_recursive(vmsg_ep_debugfs);
	return ret;
}
module_init(vmsg_ep_init);

static void __exit vmsg_ep_exit(void)
{
	pci_unregister_driver(&vmsg_ep_driver);
	debugfs_remove_recursive(vmsg_ep_debugfs);
}
module_exit(vmsg_ep_exit);

MODULE_DESCRIPTION("vmsg-pcie card VM rig: virtual PCI endpoint controller over ivshmem");
MODULE_LICENSE("GPL");
