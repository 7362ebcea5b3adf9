/* SPDX-License-Identifier: GPL-2.0 */
/*
 * epf_compat.h - the endpoint API differences between the kernels
 * pci-epf-vmsg builds against: Debian's 6.1 (the reference, built and run
 * in the rig) and newer ones (6.12 and 6.17+, compile-checked only, see
 * README.md). Everything version-dependent is here; the .c files use the
 * vmsg_epf_* names below.
 *
 *  6.3  vm_flags_set() replaces writing vma->vm_flags
 *  6.4  pci_epc_event_ops (core_init/link_up/link_down/bme) replace the
 *       EPC's atomic notifier chain (CORE_INIT, LINK_UP); probe() gets the
 *       matched id
 *  6.8  pci_epc_raise_irq() takes PCI_IRQ_MSI/PCI_IRQ_MSIX
 *  6.9  pci_epc_features.bar[] descriptors replace reserved_bar,
 *       bar_fixed_64bit and bar_fixed_size[]; pci_epf_alloc_space() takes
 *       the features instead of an alignment
 *  6.11 core_init/bme become epc_init/bus_master_enable, epc_deinit is
 *       added and core_init_notifier is gone: the EPC calls epc_init once
 *       it is ready (right after bind when it already is)
 *  6.17 pci_epf_alloc_doorbell() (CONFIG_PCI_ENDPOINT_MSI_DOORBELL)
 */
#ifndef EPF_COMPAT_H
#define EPF_COMPAT_H

#include <linux/mm.h>
#include <linux/pci-epc.h>
#include <linux/pci-epf.h>
#include <linux/version.h>

#if LINUX_VERSION_MAJOR > 6 || \
	(LINUX_VERSION_MAJOR == 6 && LINUX_VERSION_PATCHLEVEL >= 4)
#define VMSG_EPF_HAVE_EVENT_OPS 1
#define VMSG_EPF_PROBE_ARGS struct pci_epf *epf, const struct pci_epf_device_id *id
#else
#define VMSG_EPF_PROBE_ARGS struct pci_epf *epf
#endif

#if LINUX_VERSION_MAJOR > 6 || \
	(LINUX_VERSION_MAJOR == 6 && LINUX_VERSION_PATCHLEVEL >= 11)
#define VMSG_EPF_HAVE_EPC_INIT 1
#endif

#if LINUX_VERSION_MAJOR > 6 || \
	(LINUX_VERSION_MAJOR == 6 && LINUX_VERSION_PATCHLEVEL >= 8)
#define VMSG_EPF_IRQ_MSI  PCI_IRQ_MSI
#define VMSG_EPF_IRQ_MSIX PCI_IRQ_MSIX
#else
#define VMSG_EPF_IRQ_MSI  PCI_EPC_IRQ_MSI
#define VMSG_EPF_IRQ_MSIX PCI_EPC_IRQ_MSIX
#endif

#if LINUX_VERSION_MAJOR > 6 || \
	(LINUX_VERSION_MAJOR == 6 && LINUX_VERSION_PATCHLEVEL >= 17)
#include <linux/pci-ep-msi.h>
#if IS_ENABLED(CONFIG_PCI_ENDPOINT_MSI_DOORBELL)
#define VMSG_EPF_HAVE_DOORBELL 1
#endif
#endif

/* The EPC asks for its core-init event before BARs may be set (6.1-6.10);
 * from 6.11 every EPC sends epc_init.
 */
static inline bool vmsg_epf_wait_core_init(const struct pci_epc_features *f)
{
#ifdef VMSG_EPF_HAVE_EPC_INIT
	return true;
#else
	return f->core_init_notifier;
#endif
}

#if LINUX_VERSION_MAJOR > 6 || \
	(LINUX_VERSION_MAJOR == 6 && LINUX_VERSION_PATCHLEVEL >= 9)
static inline bool vmsg_epf_bar_reserved(const struct pci_epc_features *f,
					 enum pci_barno bar)
{
	return f->bar[bar].type == BAR_RESERVED;
}

static inline u64 vmsg_epf_bar_fixed_size(const struct pci_epc_features *f,
					  enum pci_barno bar)
{
	return f->bar[bar].type == BAR_FIXED ? f->bar[bar].fixed_size : 0;
}

static inline bool vmsg_epf_bar_only_64bit(const struct pci_epc_features *f,
					   enum pci_barno bar)
{
	return f->bar[bar].only_64bit;
}

static inline void *vmsg_epf_alloc_space(struct pci_epf *epf, size_t size,
					 enum pci_barno bar,
					 const struct pci_epc_features *f)
{
	return pci_epf_alloc_space(epf, size, bar, f, PRIMARY_INTERFACE);
}
#else
static inline bool vmsg_epf_bar_reserved(const struct pci_epc_features *f,
					 enum pci_barno bar)
{
	return f->reserved_bar & BIT(bar);
}

static inline u64 vmsg_epf_bar_fixed_size(const struct pci_epc_features *f,
					  enum pci_barno bar)
{
	return f->bar_fixed_size[bar];
}

static inline bool vmsg_epf_bar_only_64bit(const struct pci_epc_features *f,
					   enum pci_barno bar)
{
	return f->bar_fixed_64bit & BIT(bar);
}

static inline void *vmsg_epf_alloc_space(struct pci_epf *epf, size_t size,
					 enum pci_barno bar,
					 const struct pci_epc_features *f)
{
	return pci_epf_alloc_space(epf, size, bar, f->align, PRIMARY_INTERFACE);
}
#endif

static inline void vmsg_epf_vm_flags_set(struct vm_area_struct *vma,
					 vm_flags_t flags)
{
#if LINUX_VERSION_MAJOR > 6 || \
	(LINUX_VERSION_MAJOR == 6 && LINUX_VERSION_PATCHLEVEL >= 3)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

#endif /* EPF_COMPAT_H */
