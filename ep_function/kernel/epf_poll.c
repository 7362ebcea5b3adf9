// SPDX-License-Identifier: GPL-2.0
/*
 * epf_poll.c - doorbells. An endpoint function on 6.1 gets no interrupt
 * for a host write into its BAR, so a thread watches the BAR0 doorbell
 * registers while the daemon has the device open: after a change it polls
 * busily for poll_busy_us (the next doorbell usually follows soon), then it
 * sleeps poll_interval_us between looks, so an idle doorbell waits at most
 * that long. Changed registers become VMSG_EPF_EV_DOORBELL bits.
 *
 * With doorbell_mode "msi" (kernels with pci_epf_alloc_doorbell()) an MSI
 * doorbell interrupt also wakes the thread at once. Binding 1.0 gives the
 * host no place to find that doorbell yet, so today it only allocates and
 * wires it (README.md says so); the polling stays the contract.
 */
#include <linux/interrupt.h>
#include <linux/kthread.h>
#include <linux/ktime.h>

#include "epf_vmsg.h"

static int vmsg_epf_poll_fn(void *data)
{
	struct vmsg_epf *dev = data;
	const __le32 *db = (const __le32 *)((u8 *)dev->bar0 +
			   offsetof(struct vmsg_pcie_regs, doorbell));
	u32 n = dev->run[VMSG_P_NUM_DOORBELLS];
	u64 busy_ns = (u64)dev->run[VMSG_P_POLL_BUSY_US] * NSEC_PER_USEC;
	ktime_t interval = ns_to_ktime((u64)dev->run[VMSG_P_POLL_INTERVAL_US] *
				       NSEC_PER_USEC);
	u32 *snap = dev->db_snap;
	u64 last = 0;
	u32 bits, v, i;

	while (!kthread_should_stop()) {
		bits = 0;
		for (i = 0; i < n; i++) {
			v = le32_to_cpu(READ_ONCE(db[i]));
			if (v != snap[i]) {
				snap[i] = v;
				bits |= BIT(i);
			}
		}
		if (bits) {
			vmsg_epf_post(dev, VMSG_EPF_EV_DOORBELL, bits);
			last = ktime_get_ns();
		}
		if (last && ktime_get_ns() - last < busy_ns) {
			cpu_relax();
			cond_resched();
			continue;
		}
		wait_event_interruptible_hrtimeout(dev->poll_wq,
						   READ_ONCE(dev->poll_kick) ||
						   kthread_should_stop(),
						   interval);
		WRITE_ONCE(dev->poll_kick, false);
	}
	return 0;
}

/* At open; dev->lock held, BAR0 allocated. */
int vmsg_epf_poll_start(struct vmsg_epf *dev)
{
	const __le32 *db = (const __le32 *)((u8 *)dev->bar0 +
			   offsetof(struct vmsg_pcie_regs, doorbell));
	struct task_struct *t;
	u32 i;

	/* The baseline is what the registers hold when open() returns: any
	 * doorbell after that is seen, however late the thread first runs.
	 */
	for (i = 0; i < dev->run[VMSG_P_NUM_DOORBELLS]; i++)
		dev->db_snap[i] = le32_to_cpu(READ_ONCE(db[i]));

	t = kthread_run(vmsg_epf_poll_fn, dev, "%s-poll", dev->name);
	if (IS_ERR(t))
		return PTR_ERR(t);
	dev->poll_task = t;
	return 0;
}

/* At close and unbind, before BAR0 goes; dev->lock held (the thread
 * never takes it).
 */
void vmsg_epf_poll_stop(struct vmsg_epf *dev)
{
	if (!dev->poll_task)
		return;
	kthread_stop(dev->poll_task);
	dev->poll_task = NULL;
}

#ifdef VMSG_EPF_HAVE_DOORBELL
static irqreturn_t vmsg_epf_db_irq(int irq, void *data)
{
	struct vmsg_epf *dev = data;

	WRITE_ONCE(dev->poll_kick, true);
	wake_up(&dev->poll_wq);
	return IRQ_HANDLED;
}

int vmsg_epf_doorbell_setup(struct vmsg_epf *dev)
{
	struct pci_epf *epf = dev->epf;
	int ret;

	dev->db_irq = 0;
	if (dev->run[VMSG_P_DOORBELL_MODE] != VMSG_EPF_DB_MSI)
		return 0;
	ret = pci_epf_alloc_doorbell(epf, 1);
	if (ret) {
		dev_err(&epf->dev, "doorbell_mode msi: no MSI doorbell from the controller: %d\n",
			ret);
		return ret;
	}
	ret = request_irq(epf->db_msg[0].virq, vmsg_epf_db_irq, 0,
			  "vmsg-epf-doorbell", dev);
	if (ret) {
		pci_epf_free_doorbell(epf);
		return ret;
	}
	dev->db_irq = epf->db_msg[0].virq;
	return 0;
}

void vmsg_epf_doorbell_free(struct vmsg_epf *dev)
{
	if (!dev->db_irq)
		return;
	free_irq(dev->db_irq, dev);
	pci_epf_free_doorbell(dev->epf);
	dev->db_irq = 0;
}
#else
int vmsg_epf_doorbell_setup(struct vmsg_epf *dev)
{
	return dev->run[VMSG_P_DOORBELL_MODE] == VMSG_EPF_DB_POLL ? 0 : -EOPNOTSUPP;
}

void vmsg_epf_doorbell_free(struct vmsg_epf *dev)
{
}
#endif
