// SPDX-License-Identifier: GPL-2.0
/*
 * epf_window.c - the outbound window onto host memory (MAP_HOST), the
 * daemon's mappings of BAR0 and of that window, and copies to and from
 * host memory (a DMA engine channel when the controller offers one, else
 * the CPU through the window).
 *
 * Alignment: a controller maps host PCI addresses in units of its window's
 * page (pci_epc_mem_init()); a real iATU wants the PCI address aligned the
 * same way. The request is therefore aligned down to the largest window
 * page and the daemon is told where it landed (map_pci_addr). A controller
 * whose page is its whole window can only map one range at a time, which
 * this handles the same way.
 *
 * User mappings are VM_PFNMAP, filled lazily by the fault handler: BAR0
 * pages while bound, the window's pages only while the mapping the vma was
 * made for is current, and the dead page (reads all ones, writes dropped)
 * otherwise: the daemon never gets SIGBUS from a link that went away,
 * unbind or a replaced mapping.
 */
#include <linux/dma-direct.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "epf_vmsg.h"

#define VMSG_EPF_HOST_PGOFF (VMSG_EPF_MMAP_HOST >> PAGE_SHIFT)

/* vma->vm_private_data: 0 for BAR0, map_gen << 1 | 1 for the window. */
static unsigned long vmsg_epf_host_tag(struct vmsg_epf *dev)
{
	return ((unsigned long)dev->map_gen << 1) | 1;
}

/* Called with dev->lock held. */
void vmsg_epf_unmap_host(struct vmsg_epf *dev)
{
	struct pci_epf *epf = dev->epf;

	if (!dev->mapped)
		return;
	if (dev->mapping)
		unmap_mapping_range(dev->mapping, VMSG_EPF_MMAP_HOST, 0, 1);
	pci_epc_unmap_addr(epf->epc, epf->func_no, epf->vfunc_no, dev->win_phys);
	pci_epc_mem_free_addr(epf->epc, dev->win_phys, dev->win_virt,
			      dev->win_alloc);
	dev->mapped = false;
	dev->map_gen++;
	dev->map_pci = 0;
	dev->map_size = 0;
}

/* VMSG_EPF_IOC_MAP_HOST, dev->lock held. */
int vmsg_epf_map_host(struct vmsg_epf *dev, struct vmsg_epf_map *m)
{
	struct pci_epf *epf = dev->epf;
	struct pci_epc *epc = epf->epc;
	u64 align = dev->window_align;
	u64 start, span, size;
	void __iomem *virt;
	unsigned long flags;
	phys_addr_t phys;
	bool up;
	u32 gen;
	u64 rem;
	int ret;

	if (m->reserved[0] || m->reserved[1] || !m->size ||
	    m->pci_addr + m->size < m->pci_addr)
		return -EINVAL;
	spin_lock_irqsave(&dev->ev_lock, flags);
	up = dev->link_up;
	gen = dev->link_gen;
	spin_unlock_irqrestore(&dev->ev_lock, flags);
	if (!up || !dev->hw_ready)
		return -ENOLINK;
	if (!dev->window_size)
		return -ENOMEM;

	div64_u64_rem(m->pci_addr, align, &rem);
	start = m->pci_addr - rem;
	span = m->pci_addr + m->size - start;
	if (span > dev->window_size)
		return -EINVAL;
	div64_u64_rem(span, align, &rem);
	size = rem ? span + (align - rem) : span;
	if (size > dev->window_size || size > SIZE_MAX)
		return -EINVAL;

	vmsg_epf_unmap_host(dev);
	virt = pci_epc_mem_alloc_addr(epc, &phys, size);
	if (!virt)
		return -ENOMEM;
	ret = pci_epc_map_addr(epc, epf->func_no, epf->vfunc_no, phys, start,
			       size);
	if (ret) {
		pci_epc_mem_free_addr(epc, phys, virt, size);
		dev_dbg(&epf->dev, "controller refused to map 0x%llx+0x%llx: %d\n",
			start, size, ret);
		return ret == -ENOMEM ? -ENOMEM : -EINVAL;
	}
	dev->win_phys = phys;
	dev->win_virt = virt;
	dev->win_alloc = size;
	dev->map_pci = start;
	dev->map_size = size;
	dev->map_link_gen = gen;
	dev->map_gen++;
	dev->mapped = true;
	m->map_pci_addr = start;
	m->map_size = size;
	return 0;
}

/*
 * The page of BAR0 at @off. Linear-map memory has a struct page; memory the
 * DMA API remapped (a per-device coherent pool, uncached remaps) is found
 * through its DMA address, which is the physical address without an IOMMU
 * (ioremap'd pools may be mapped with huge pages: vmalloc_to_pfn() cannot
 * walk them); with an IOMMU the allocation is vmapped page by page.
 */
static unsigned long vmsg_epf_bar0_pfn(struct vmsg_epf *dev, u64 off)
{
	struct device *dd = dev->epf->epc->dev.parent;
	void *va = (u8 *)dev->bar0 + off;

	if (!is_vmalloc_addr(va))
		return page_to_pfn(virt_to_page(va));
	if (device_iommu_mapped(dd))
		return vmalloc_to_pfn(va);
	return PHYS_PFN(dma_to_phys(dd, dev->epf->bar[BAR_0].phys_addr + off));
}

/*
 * Where nothing is mapped (any more), reads see the dead page, read-only
 * and all ones; the first write to such a page replaces it (pfn_mkwrite
 * below) by the sink page, where writes go and are never looked at. So a
 * write can never make a dead read look alive elsewhere.
 */
static vm_fault_t vmsg_epf_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct vmsg_epf *dev = vma->vm_file->private_data;
	unsigned long tag = (unsigned long)vma->vm_private_data;
	pgprot_t prot = vm_get_page_prot(vma->vm_flags);
	unsigned long pfn = 0;
	vm_fault_t ret;
	u64 off;

	mutex_lock(&dev->lock);
	if (!tag && dev->bound) {
		off = (u64)vmf->pgoff << PAGE_SHIFT;
		if (off < dev->bar0_usable) {
			pfn = vmsg_epf_bar0_pfn(dev, off);
			if (!dev_is_dma_coherent(dev->epf->epc->dev.parent))
				prot = pgprot_dmacoherent(prot);
		}
	} else if (tag && dev->mapped && tag == vmsg_epf_host_tag(dev)) {
		off = (u64)(vmf->pgoff - VMSG_EPF_HOST_PGOFF) << PAGE_SHIFT;
		if (off < dev->map_size) {
			pfn = PHYS_PFN(dev->win_phys + off);
			prot = pgprot_noncached(prot);
		}
	}
	if (!pfn && (vmf->flags & FAULT_FLAG_WRITE)) {
		pfn = page_to_pfn(dev->sink_page);
	} else if (!pfn) {
		pfn = page_to_pfn(dev->dead_page);
		prot = vm_get_page_prot(vma->vm_flags & ~VM_WRITE);
	}
	ret = vmf_insert_pfn_prot(vma, vmf->address, pfn, prot);
	mutex_unlock(&dev->lock);
	return ret;
}

/* A write to the read-only dead page: drop it, fault again as a write. */
static vm_fault_t vmsg_epf_pfn_mkwrite(struct vm_fault *vmf)
{
	struct vmsg_epf *dev = vmf->vma->vm_file->private_data;

	if (pte_pfn(vmf->orig_pte) != page_to_pfn(dev->dead_page))
		return 0;
	zap_vma_ptes(vmf->vma, vmf->address & PAGE_MASK, PAGE_SIZE);
	return VM_FAULT_NOPAGE;
}

const struct vm_operations_struct vmsg_epf_vm_ops = {
	.fault = vmsg_epf_fault,
	.pfn_mkwrite = vmsg_epf_pfn_mkwrite,
};

/*
 * Both regions are VM_PFNMAP and filled by the fault handler under
 * dev->lock, so a mapping made while unbind runs can only ever see the
 * dead page, and zapping the linked vmas (unmap_mapping_range) is enough.
 */
int vmsg_epf_mmap(struct vmsg_epf *dev, struct vm_area_struct *vma)
{
	unsigned long len = vma->vm_end - vma->vm_start;
	unsigned long pgoff = vma->vm_pgoff;
	unsigned long idx;
	int ret = 0;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	mutex_lock(&dev->lock);
	if (!dev->bound) {
		ret = -ENODEV;
		goto out;
	}
	if (pgoff < VMSG_EPF_HOST_PGOFF) {
		if (pgoff > dev->bar0_usable >> PAGE_SHIFT ||
		    len > dev->bar0_usable - ((u64)pgoff << PAGE_SHIFT)) {
			ret = -EINVAL;
			goto out;
		}
		vma->vm_private_data = NULL;
	} else {
		idx = pgoff - VMSG_EPF_HOST_PGOFF;
		if (!dev->mapped) {
			ret = -ENXIO;
			goto out;
		}
		if (idx > dev->map_size >> PAGE_SHIFT ||
		    len > dev->map_size - ((u64)idx << PAGE_SHIFT)) {
			ret = -EINVAL;
			goto out;
		}
		vma->vm_private_data = (void *)vmsg_epf_host_tag(dev);
	}
	vma->vm_ops = &vmsg_epf_vm_ops;
	vmsg_epf_vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND |
			      VM_DONTDUMP | VM_DONTCOPY);
out:
	mutex_unlock(&dev->lock);
	return ret;
}

static void vmsg_epf_dma_cb(void *param)
{
	struct vmsg_epf *dev = param;
	enum dma_status st;

	st = dmaengine_tx_status(dev->dma_cur, dev->dma_cookie, NULL);
	if (st == DMA_COMPLETE || st == DMA_ERROR) {
		dev->dma_status = st;
		complete(&dev->dma_done);
	}
}

/* One transfer on the channel, bounded in time. dev->lock held. */
static int vmsg_epf_dma_xfer(struct vmsg_epf *dev, struct dma_chan *chan,
			     dma_addr_t local, phys_addr_t win, u64 pci,
			     size_t len, bool to_host)
{
	enum dma_transfer_direction dir = to_host ? DMA_MEM_TO_DEV :
						    DMA_DEV_TO_MEM;
	unsigned long flags = DMA_CTRL_ACK | DMA_PREP_INTERRUPT;
	struct dma_async_tx_descriptor *tx;
	int ret = 0;

	if (dev->dma_private) {
		struct dma_slave_config sc = { .direction = dir };

		if (to_host)
			sc.dst_addr = pci;
		else
			sc.src_addr = pci;
		if (dmaengine_slave_config(chan, &sc))
			return -EIO;
		tx = dmaengine_prep_slave_single(chan, local, len, dir, flags);
	} else {
		tx = dmaengine_prep_dma_memcpy(chan, to_host ? win : local,
					       to_host ? local : win, len,
					       flags);
	}
	if (!tx)
		return -EIO;
	reinit_completion(&dev->dma_done);
	dev->dma_cur = chan;
	dev->dma_status = DMA_IN_PROGRESS;
	tx->callback = vmsg_epf_dma_cb;
	tx->callback_param = dev;
	dev->dma_cookie = dmaengine_submit(tx);
	if (dma_submit_error(dev->dma_cookie)) {
		ret = -EIO;
		goto out;
	}
	dma_async_issue_pending(chan);
	if (!wait_for_completion_timeout(&dev->dma_done, VMSG_EPF_DMA_TIMEOUT))
		ret = -ETIMEDOUT;
	else if (dev->dma_status != DMA_COMPLETE)
		ret = -EIO;
out:
	dmaengine_terminate_sync(chan);
	return ret;
}

static int vmsg_epf_copy_locked(struct vmsg_epf *dev, void *buf, u64 host,
				size_t len, bool to_host)
{
	struct dma_chan *chan = to_host ? dev->dma_tx : dev->dma_rx;
	enum dma_data_direction dir = to_host ? DMA_TO_DEVICE : DMA_FROM_DEVICE;
	struct device *dd;
	dma_addr_t local;
	u64 off;
	int ret;

	if (!dev->bound)
		return -ENODEV;
	if (!READ_ONCE(dev->link_up))
		return -ENOLINK;
	if (!dev->mapped || host < dev->map_pci)
		return -EFAULT;
	off = host - dev->map_pci;
	if (off > dev->map_size || len > dev->map_size - off)
		return -EFAULT;

	if (chan && !is_vmalloc_addr(buf)) {
		dd = dmaengine_get_dma_device(chan);
		local = dma_map_single(dd, buf, len, dir);
		if (!dma_mapping_error(dd, local)) {
			ret = vmsg_epf_dma_xfer(dev, chan, local,
						dev->win_phys + off, host, len,
						to_host);
			dma_unmap_single(dd, local, len, dir);
			return ret;
		}
	}
	if (to_host)
		memcpy_toio(dev->win_virt + off, buf, len);
	else
		memcpy_fromio(buf, dev->win_virt + off, len);
	return 0;
}

/* VMSG_EPF_IOC_DMA: user memory is copied outside dev->lock (it may be
 * one of our own mappings, whose fault handler takes the lock).
 */
int vmsg_epf_dma(struct vmsg_epf *dev, const struct vmsg_epf_dma *d)
{
	bool to_host = d->dir == VMSG_EPF_DMA_TO_HOST;
	void __user *ubuf = u64_to_user_ptr(d->user_addr);
	void *buf;
	int ret = 0;

	if (d->reserved || !d->len || d->len > VMSG_EPF_DMA_MAX ||
	    (d->dir != VMSG_EPF_DMA_TO_HOST && d->dir != VMSG_EPF_DMA_FROM_HOST))
		return -EINVAL;
	buf = kvmalloc(d->len, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	if (to_host && copy_from_user(buf, ubuf, d->len)) {
		ret = -EFAULT;
		goto out;
	}
	mutex_lock(&dev->lock);
	ret = vmsg_epf_copy_locked(dev, buf, d->host_addr, d->len, to_host);
	mutex_unlock(&dev->lock);
	if (!ret && !to_host && copy_to_user(ubuf, buf, d->len))
		ret = -EFAULT;
out:
	kvfree(buf);
	return ret;
}

struct vmsg_epf_dma_filter {
	struct device *dev;
	u32 dirs;
};

static bool vmsg_epf_dma_filter_fn(struct dma_chan *chan, void *param)
{
	struct vmsg_epf_dma_filter *f = param;
	struct dma_slave_caps caps = {};

	dma_get_slave_caps(chan, &caps);
	return chan->device->dev == f->dev && (f->dirs & caps.directions);
}

/*
 * As pci-epf-test: the controller's own channels (an eDMA reaching host
 * PCI addresses) if it has a pair, else any memcpy channel (through the
 * window), else none and the CPU copies. dev->lock held.
 */
void vmsg_epf_dma_init(struct vmsg_epf *dev)
{
	struct vmsg_epf_dma_filter f = { .dev = dev->epf->epc->dev.parent };
	struct dma_chan *chan;
	dma_cap_mask_t mask;

	dma_cap_zero(mask);
	dma_cap_set(DMA_SLAVE, mask);
	f.dirs = BIT(DMA_DEV_TO_MEM);
	dev->dma_rx = dma_request_channel(mask, vmsg_epf_dma_filter_fn, &f);
	if (dev->dma_rx) {
		f.dirs = BIT(DMA_MEM_TO_DEV);
		dev->dma_tx = dma_request_channel(mask, vmsg_epf_dma_filter_fn,
						  &f);
		if (dev->dma_tx) {
			dev->dma_private = true;
			return;
		}
		dma_release_channel(dev->dma_rx);
		dev->dma_rx = NULL;
	}
	dev->dma_private = false;
	dma_cap_zero(mask);
	dma_cap_set(DMA_MEMCPY, mask);
	chan = dma_request_chan_by_mask(&mask);
	if (IS_ERR(chan))
		return;
	dev->dma_tx = chan;
	dev->dma_rx = chan;
}

void vmsg_epf_dma_release(struct vmsg_epf *dev)
{
	if (dev->dma_tx)
		dma_release_channel(dev->dma_tx);
	if (dev->dma_rx && dev->dma_rx != dev->dma_tx)
		dma_release_channel(dev->dma_rx);
	dev->dma_tx = NULL;
	dev->dma_rx = NULL;
}
