// SPDX-License-Identifier: GPL-2.0
/*
 * vmsg_rig_selftest.ko - test module for tests/rig/selftest.sh (not part of the
 * product). It checks that the rig's --modules path works end to end:
 *  - it uses a symbol of virtio.ko, so `modprobe vmsg_rig_selftest` only works
 *    if depmod recorded that dependency for the extra module;
 *  - it carries a PCI alias for QEMU's ivshmem device (1af4:1110), so the rig's
 *    modalias autoloading can be tested (it registers no driver);
 *  - with warn=1 it raises a real kernel WARNING, which the rig must report.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/virtio.h>

static bool warn;
module_param(warn, bool, 0444);
MODULE_PARM_DESC(warn, "raise a kernel WARNING on load (rig self-test)");

static const struct pci_device_id vmsg_rig_selftest_ids[] = {
	{ PCI_DEVICE(0x1af4, 0x1110) },
	{ }
};
MODULE_DEVICE_TABLE(pci, vmsg_rig_selftest_ids);

static int __init vmsg_rig_selftest_init(void)
{
	pr_info("vmsg_rig_selftest: loaded (uses %ps)\n", register_virtio_driver);
	WARN(warn, "vmsg_rig_selftest: deliberate warning (warn=1)\n");
	return 0;
}

static void __exit vmsg_rig_selftest_exit(void)
{
	pr_info("vmsg_rig_selftest: unloaded\n");
}

module_init(vmsg_rig_selftest_init);
module_exit(vmsg_rig_selftest_exit);
MODULE_DESCRIPTION("vmsg-pcie test rig self-test module");
MODULE_LICENSE("GPL");
