// SPDX-License-Identifier: GPL-2.0
/*
 * fake-epc.ko - a test-only endpoint controller for the module test of
 * pci-epf-vmsg (tests/rig/epf-module.test.sh). Not a model of hardware:
 * the smallest struct pci_epc that lets the module's own paths run on
 * demand. BAR memory is ordinary DMA memory (nobody reads it but the test);
 * the outbound window is the card VM's ivshmem-plain BAR 2 (the host RAM
 * file), one page as large as the window, so only PCI address 0 maps; MSI-X
 * vectors are counted, not delivered. Writing to the "linkup" parameter
 * calls pci_epc_linkup(); "raised" counts the vectors raised.
 */
#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/pci-epc.h>
#include <linux/platform_device.h>

static struct platform_device *fepc_pdev;
static struct pci_epc *fepc;
static struct pci_dev *fepc_win;
static int fepc_msix;
static int raised;

static int fepc_write_header(struct pci_epc *epc, u8 fn, u8 vfn,
			     struct pci_epf_header *h)
{
	pr_info("fake-epc: header %04x:%04x subsystem %04x:%04x class %02x%02x%02x\n",
		h->vendorid, h->deviceid, h->subsys_vendor_id, h->subsys_id,
		h->baseclass_code, h->subclass_code, h->progif_code);
	return 0;
}

static int fepc_set_bar(struct pci_epc *epc, u8 fn, u8 vfn,
			struct pci_epf_bar *bar)
{
	pr_info("fake-epc: set_bar %d size %zu\n", bar->barno, bar->size);
	return bar->barno == BAR_0 ? 0 : -EINVAL;
}

static void fepc_clear_bar(struct pci_epc *epc, u8 fn, u8 vfn,
			   struct pci_epf_bar *bar)
{
	pr_info("fake-epc: clear_bar %d\n", bar->barno);
}

static int fepc_map_addr(struct pci_epc *epc, u8 fn, u8 vfn, phys_addr_t addr,
			 u64 pci_addr, size_t size)
{
	if (pci_addr || addr != pci_resource_start(fepc_win, 2))
		return -EINVAL;
	return 0;
}

static void fepc_unmap_addr(struct pci_epc *epc, u8 fn, u8 vfn,
			    phys_addr_t addr)
{
}

/* The core passes the count minus one, and adds one to get_msix(). */
static int fepc_set_msix(struct pci_epc *epc, u8 fn, u8 vfn, u16 n,
			 enum pci_barno bar, u32 offset)
{
	fepc_msix = n + 1;
	return 0;
}

static int fepc_get_msix(struct pci_epc *epc, u8 fn, u8 vfn)
{
	return fepc_msix ? fepc_msix - 1 : -EINVAL;
}

static int fepc_raise_irq(struct pci_epc *epc, u8 fn, u8 vfn,
			  enum pci_epc_irq_type type, u16 num)
{
	if (type != PCI_EPC_IRQ_MSIX || !num || num > fepc_msix)
		return -EINVAL;
	raised++;
	return 0;
}

static int fepc_start(struct pci_epc *epc)
{
	return 0;
}

static void fepc_stop(struct pci_epc *epc)
{
}

static const struct pci_epc_features fepc_features = {
	.linkup_notifier = 1,
	.msix_capable = 1,
	.reserved_bar = GENMASK(BAR_5, BAR_1),
	.align = SZ_4K,
};

static const struct pci_epc_features *fepc_get_features(struct pci_epc *epc,
							u8 fn, u8 vfn)
{
	return &fepc_features;
}

static const struct pci_epc_ops fepc_ops = {
	.write_header = fepc_write_header,
	.set_bar = fepc_set_bar,
	.clear_bar = fepc_clear_bar,
	.map_addr = fepc_map_addr,
	.unmap_addr = fepc_unmap_addr,
	.set_msix = fepc_set_msix,
	.get_msix = fepc_get_msix,
	.raise_irq = fepc_raise_irq,
	.start = fepc_start,
	.stop = fepc_stop,
	.get_features = fepc_get_features,
	.owner = THIS_MODULE,
};

static int fepc_linkup(const char *val, const struct kernel_param *kp)
{
	pci_epc_linkup(fepc);
	return 0;
}

static const struct kernel_param_ops fepc_linkup_ops = {
	.set = fepc_linkup,
};

module_param_cb(linkup, &fepc_linkup_ops, NULL, 0200);
module_param(raised, int, 0444);

static int __init fepc_init(void)
{
	struct pci_dev *p = NULL;
	int ret;

	/* the window: the ivshmem device without MSI-X (ivshmem-plain) */
	while ((p = pci_get_device(PCI_VENDOR_ID_REDHAT_QUMRANET, 0x1110, p))) {
		if (!p->msix_cap) {
			fepc_win = p;
			break;
		}
	}
	if (!fepc_win)
		return -ENODEV;
	ret = pci_enable_device_mem(fepc_win);
	if (ret)
		goto put;
	fepc_pdev = platform_device_register_simple("fake-epc", -1, NULL, 0);
	if (IS_ERR(fepc_pdev)) {
		ret = PTR_ERR(fepc_pdev);
		goto put;
	}
	fepc_pdev->dev.coherent_dma_mask = DMA_BIT_MASK(32);
	fepc_pdev->dev.dma_mask = &fepc_pdev->dev.coherent_dma_mask;
	fepc = pci_epc_create(&fepc_pdev->dev, &fepc_ops);
	if (IS_ERR(fepc)) {
		ret = PTR_ERR(fepc);
		goto unreg;
	}
	fepc->max_functions = 1;
	ret = pci_epc_mem_init(fepc, pci_resource_start(fepc_win, 2),
			       pci_resource_len(fepc_win, 2),
			       pci_resource_len(fepc_win, 2));
	if (ret)
		goto destroy;
	return 0;

destroy:
	pci_epc_destroy(fepc);
unreg:
	platform_device_unregister(fepc_pdev);
put:
	pci_dev_put(fepc_win);
	return ret;
}
module_init(fepc_init);

static void __exit fepc_exit(void)
{
	pci_epc_mem_exit(fepc);
	pci_epc_destroy(fepc);
	platform_device_unregister(fepc_pdev);
	pci_dev_put(fepc_win);
}
module_exit(fepc_exit);

MODULE_DESCRIPTION("test-only endpoint controller for pci-epf-vmsg's module test");
MODULE_LICENSE("GPL");
