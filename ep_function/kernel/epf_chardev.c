// SPDX-License-Identifier: GPL-2.0
/*
 * epf_chardev.c - /dev/vmsg-epfN, the daemon's side of the function
 * (vmsg_epf_abi.h): one opener, events by read()/poll(), ioctls, mmap.
 * Everything user space passes is checked here or in epf_window.c.
 */
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "epf_vmsg.h"

static DEFINE_IDA(vmsg_epf_ida);

void vmsg_epf_post(struct vmsg_epf *dev, u32 events, u32 doorbells)
{
	unsigned long flags;

	spin_lock_irqsave(&dev->ev_lock, flags);
	dev->ev_pending |= events;
	dev->db_pending |= doorbells;
	spin_unlock_irqrestore(&dev->ev_lock, flags);
	wake_up_interruptible(&dev->read_wq);
}

static bool vmsg_epf_ev_ready(struct vmsg_epf *dev)
{
	return READ_ONCE(dev->ev_pending) || !READ_ONCE(dev->bound);
}

static int vmsg_epf_open(struct inode *inode, struct file *file)
{
	struct miscdevice *misc = file->private_data;
	struct vmsg_epf *dev = container_of(misc, struct vmsg_epf, misc);
	unsigned long flags;
	int ret;

	/* misc_open() holds misc_mtx: unbind cannot deregister under us. */
	mutex_lock(&dev->lock);
	if (!dev->bound || dev->unbinding) {
		ret = -ENODEV;
		goto out;
	}
	if (dev->open) {
		ret = -EBUSY;
		goto out;
	}
	spin_lock_irqsave(&dev->ev_lock, flags);
	dev->ev_pending = 0;
	dev->db_pending = 0;
	dev->seq = 0;
	spin_unlock_irqrestore(&dev->ev_lock, flags);
	dev->open = true;
	dev->bye = false;
	dev->mapping = file->f_mapping;
	ret = vmsg_epf_poll_start(dev);
	if (ret) {
		dev->open = false;
		dev->mapping = NULL;
		goto out;
	}
	kref_get(&dev->ref);
	file->private_data = dev;
out:
	mutex_unlock(&dev->lock);
	return ret;
}

static int vmsg_epf_release_file(struct inode *inode, struct file *file)
{
	struct vmsg_epf *dev = file->private_data;

	mutex_lock(&dev->lock);
	vmsg_epf_poll_stop(dev);
	vmsg_epf_unmap_host(dev);
	dev->mapping = NULL;
	dev->open = false;
	dev->bye = false;
	mutex_unlock(&dev->lock);
	wake_up(&dev->gone_wq);
	vmsg_epf_put(dev);
	return 0;
}

static ssize_t vmsg_epf_read(struct file *file, char __user *buf, size_t count,
			     loff_t *ppos)
{
	struct vmsg_epf *dev = file->private_data;
	struct vmsg_epf_event ev = {};
	unsigned long flags;
	int ret;

	if (count < sizeof(ev))
		return -EINVAL;
	for (;;) {
		spin_lock_irqsave(&dev->ev_lock, flags);
		if (dev->ev_pending) {
			ev.events = dev->ev_pending;
			ev.doorbells = dev->db_pending;
			ev.link_generation = dev->link_gen;
			ev.seq = ++dev->seq;
			dev->ev_pending = 0;
			dev->db_pending = 0;
			spin_unlock_irqrestore(&dev->ev_lock, flags);
			break;
		}
		spin_unlock_irqrestore(&dev->ev_lock, flags);
		if (!READ_ONCE(dev->bound))
			return 0;	/* unbound and UNBIND already read */
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(dev->read_wq,
					       vmsg_epf_ev_ready(dev));
		if (ret)
			return ret;
	}
	if (copy_to_user(buf, &ev, sizeof(ev)))
		return -EFAULT;
	return sizeof(ev);
}

static __poll_t vmsg_epf_poll(struct file *file, poll_table *wait)
{
	struct vmsg_epf *dev = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &dev->read_wq, wait);
	if (READ_ONCE(dev->ev_pending))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (READ_ONCE(dev->unbinding) || !READ_ONCE(dev->bound))
		mask |= EPOLLHUP;
	return mask;
}

static void vmsg_epf_fill_info(struct vmsg_epf *dev, struct vmsg_epf_info *in)
{
	struct pci_epf *epf = dev->epf;
	const char *fn = epf->group ? config_item_name(&epf->group->cg_item) :
			 epf->name;

	in->abi_version = VMSG_EPF_ABI_VERSION;
	if (dev->use_msix)
		in->flags |= VMSG_EPF_INFO_MSIX;
	else if (dev->use_msi)
		in->flags |= VMSG_EPF_INFO_MSI;
	if (dev->dma_tx)
		in->flags |= VMSG_EPF_INFO_DMA;
	if (READ_ONCE(dev->link_up))
		in->flags |= VMSG_EPF_INFO_LINK_UP;
	in->bar0_size = dev->bar0_usable;
	in->window_size = dev->window_size;
	in->window_align = dev->window_align;
	in->num_vectors = dev->num_vectors;
	in->link_generation = READ_ONCE(dev->link_gen);
	in->ring_slots = dev->run[VMSG_P_RING_SLOTS];
	in->slot_size = dev->run[VMSG_P_SLOT_SIZE];
	in->max_msg_size = dev->run[VMSG_P_MAX_MSG_SIZE];
	in->dma_addr_bits = dev->run[VMSG_P_DMA_ADDR_BITS];
	in->num_doorbells = dev->run[VMSG_P_NUM_DOORBELLS];
	in->poll_busy_us = dev->run[VMSG_P_POLL_BUSY_US];
	in->poll_interval_us = dev->run[VMSG_P_POLL_INTERVAL_US];
	strscpy(in->epc_name, dev_name(&epf->epc->dev), sizeof(in->epc_name));
	strscpy(in->function, fn, sizeof(in->function));
}

static long vmsg_epf_ioctl_locked(struct vmsg_epf *dev, unsigned int cmd,
				  void *karg)
{
	if (cmd == VMSG_EPF_IOC_BYE) {
		dev->bye = true;
		wake_up(&dev->gone_wq);
		return 0;
	}
	if (!dev->bound)
		return -ENODEV;
	switch (cmd) {
	case VMSG_EPF_IOC_GET_INFO:
		vmsg_epf_fill_info(dev, karg);
		return 0;
	case VMSG_EPF_IOC_MAP_HOST:
		return vmsg_epf_map_host(dev, karg);
	case VMSG_EPF_IOC_UNMAP_HOST:
		vmsg_epf_unmap_host(dev);
		return 0;
	case VMSG_EPF_IOC_RAISE_IRQ: {
		struct vmsg_epf_irq *irq = karg;

		if (irq->reserved)
			return -EINVAL;
		return vmsg_epf_raise(dev, 0, irq->vector);
	}
	default:
		return -ENOTTY;
	}
}

static long vmsg_epf_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct vmsg_epf *dev = file->private_data;
	void __user *uarg = (void __user *)arg;
	union {
		struct vmsg_epf_info info;
		struct vmsg_epf_map map;
		struct vmsg_epf_irq irq;
		struct vmsg_epf_dma dma;
	} k;
	unsigned int size = _IOC_SIZE(cmd);
	long ret;

	memset(&k, 0, sizeof(k));
	switch (cmd) {
	case VMSG_EPF_IOC_GET_INFO:
	case VMSG_EPF_IOC_UNMAP_HOST:
	case VMSG_EPF_IOC_BYE:
		break;
	case VMSG_EPF_IOC_MAP_HOST:
	case VMSG_EPF_IOC_RAISE_IRQ:
	case VMSG_EPF_IOC_DMA:
		if (copy_from_user(&k, uarg, size))
			return -EFAULT;
		break;
	default:
		return -ENOTTY;
	}
	/* The DMA ioctl copies user memory: it takes the lock itself. */
	if (cmd == VMSG_EPF_IOC_DMA)
		return vmsg_epf_dma(dev, &k.dma);

	mutex_lock(&dev->lock);
	ret = vmsg_epf_ioctl_locked(dev, cmd, &k);
	mutex_unlock(&dev->lock);
	if (ret)
		return ret;
	if (_IOC_DIR(cmd) & _IOC_READ) {
		if (copy_to_user(uarg, &k, size))
			return -EFAULT;
	}
	return 0;
}

static int vmsg_epf_mmap_file(struct file *file, struct vm_area_struct *vma)
{
	return vmsg_epf_mmap(file->private_data, vma);
}

static const struct file_operations vmsg_epf_fops = {
	.owner = THIS_MODULE,
	.open = vmsg_epf_open,
	.release = vmsg_epf_release_file,
	.read = vmsg_epf_read,
	.poll = vmsg_epf_poll,
	.unlocked_ioctl = vmsg_epf_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = vmsg_epf_mmap_file,
	.llseek = noop_llseek,
};

static ssize_t function_show(struct device *d, struct device_attribute *attr,
			     char *buf)
{
	struct miscdevice *misc = dev_get_drvdata(d);
	struct vmsg_epf *dev = container_of(misc, struct vmsg_epf, misc);
	struct pci_epf *epf = dev->epf;

	return sysfs_emit(buf, "%s\n", epf->group ?
			  config_item_name(&epf->group->cg_item) : epf->name);
}
static DEVICE_ATTR_RO(function);

static struct attribute *vmsg_epf_dev_attrs[] = {
	&dev_attr_function.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vmsg_epf_dev);

int vmsg_epf_chardev_register(struct vmsg_epf *dev)
{
	int ret;

	ret = ida_alloc(&vmsg_epf_ida, GFP_KERNEL);
	if (ret < 0)
		return ret;
	dev->id = ret;
	snprintf(dev->name, sizeof(dev->name), VMSG_EPF_DEV_PREFIX "%d",
		 dev->id);
	dev->misc.minor = MISC_DYNAMIC_MINOR;
	dev->misc.name = dev->name;
	dev->misc.fops = &vmsg_epf_fops;
	dev->misc.parent = &dev->epf->dev;
	dev->misc.groups = vmsg_epf_dev_groups;
	dev->misc.mode = 0600;
	ret = misc_register(&dev->misc);
	if (ret) {
		dev_err(&dev->epf->dev, "cannot register /dev/%s: %d\n",
			dev->name, ret);
		ida_free(&vmsg_epf_ida, dev->id);
		dev->id = -1;
		return ret;
	}
	dev->misc_on = true;
	return 0;
}

/* Tells the host the card is going away; dev->lock held, BAR0 alive. */
static void vmsg_epf_tell_host(struct vmsg_epf *dev)
{
	u32 mode, vec;

	if (!dev->hw_ready || vmsg_epf_bar0_read(dev,
		offsetof(struct vmsg_pcie_regs, link_state)) != VMSG_LINK_RUN)
		return;
	vmsg_epf_bar0_write(dev, offsetof(struct vmsg_pcie_regs, link_state),
			    VMSG_LINK_SHUTDOWN);
	wmb(); /* link_state before the interrupt */
	/* Host-written: vmsg_epf_raise() checks the vector and the mode. */
	mode = vmsg_epf_bar0_read(dev, offsetof(struct vmsg_pcie_regs, irq_mode));
	vec = vmsg_epf_bar0_read(dev, offsetof(struct vmsg_pcie_regs, vec_c2h));
	if (mode == VMSG_IRQ_MSIX || mode == VMSG_IRQ_MSI)
		vmsg_epf_raise(dev, mode, vec);
	dev_info(&dev->epf->dev, "daemon did not say BYE: told the host SHUTDOWN\n");
}

/*
 * Unbind, step one: ask the daemon to leave (UNBIND, POLLHUP), give it
 * VMSG_EPF_UNBIND_WAIT to say BYE or close, tell the host ourselves if it
 * did not, then cut it off: every mapping on the dead page, the poller
 * stopped. The file may stay open; it only sees events.
 */
void vmsg_epf_chardev_quiesce(struct vmsg_epf *dev)
{
	bool wait;

	mutex_lock(&dev->lock);
	dev->unbinding = true;
	wait = dev->open && !dev->bye;
	mutex_unlock(&dev->lock);
	if (wait) {
		vmsg_epf_post(dev, VMSG_EPF_EV_UNBIND, 0);
		wait_event_timeout(dev->gone_wq,
				   !READ_ONCE(dev->open) || READ_ONCE(dev->bye),
				   VMSG_EPF_UNBIND_WAIT);
	}

	mutex_lock(&dev->lock);
	if (!dev->bye && dev->bar0)
		vmsg_epf_tell_host(dev);
	dev->bound = false;
	if (dev->open)
		unmap_mapping_range(dev->mapping, 0, 0, 1);
	vmsg_epf_poll_stop(dev);
	mutex_unlock(&dev->lock);
	wake_up_interruptible(&dev->read_wq);
}

void vmsg_epf_chardev_unregister(struct vmsg_epf *dev)
{
	if (dev->misc_on)
		misc_deregister(&dev->misc);
	dev->misc_on = false;
	if (dev->id >= 0)
		ida_free(&vmsg_epf_ida, dev->id);
	dev->id = -1;
}
