// SPDX-License-Identifier: GPL-2.0
/*
 * vmsg_pci_ops.c - the virtio_msg_bus_ops of the PCIe bus, what the
 * transport (virtio_msg.ko) calls: requests, sleeping or atomic (the
 * atomic one polls the c2h ring itself), one-way events (vmsg_pci_h2c.c)
 * and the fence of a card that lost control of a device.
 */
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>

#include "vmsg_pci.h"
#include "vmsg_bytes.h"

int vp_request(struct vmsg_pci *vp, const void *req, size_t len, void *resp,
	       size_t resp_cap, unsigned int timeout_ms)
{
	DECLARE_COMPLETION_ONSTACK(done);
	unsigned long deadline;
	u8 buf[VP_MSG_MAX];
	int token, r;
	long left;

	might_sleep();
	if (!timeout_ms)
		timeout_ms = VMSG_PCIE_REQUEST_TIMEOUT_MS;
	deadline = jiffies + msecs_to_jiffies(timeout_ms);
	token = vp_req_start(vp, req, len, resp, resp_cap, &done, buf);
	if (token < 0)
		return token;
	vp_count(vp, VP_ST_TX_REQUESTS);
	r = vp_send_wait(vp, buf, len, deadline);
	if (r) {
		/* Not sent; a result (link lost meanwhile) wins. */
		int f = vp_req_finish(vp, token);

		if (f != -ETIMEDOUT)
			r = f;
		if (r == -ETIMEDOUT)
			vp_count(vp, VP_ST_REQ_TIMEOUTS);
		return r;
	}
	if (vp->irq_mode == VMSG_IRQ_POLL)
		vp_kick_rx(vp, 1);
	left = (long)(deadline - jiffies);
	if (left > 0)
		wait_for_completion_timeout(&done, left);
	r = vp_req_finish(vp, token);
	if (r == -ETIMEDOUT) {
		vp_count(vp, VP_ST_REQ_TIMEOUTS);
		vp_warn_rl(vp, "request 0x%02x to dev %u timed out (%u ms)\n",
			   buf[1], vmsg_get_le16(buf + 2), timeout_ms);
		/* [TMO-2]: is the card still there? */
		vp_check_link(vp, "request timeout");
	}
	return r;
}

static int vp_op_request(struct virtio_msg_bus *bus, const void *req,
			 size_t len, void *resp, size_t resp_cap,
			 unsigned int timeout_ms)
{
	return vp_request(bus->priv, req, len, resp, resp_cap, timeout_ms);
}

static int vp_op_request_atomic(struct virtio_msg_bus *bus, const void *req,
				size_t len, void *resp, size_t resp_cap,
				unsigned int timeout_us)
{
	struct vmsg_pci *vp = bus->priv;
	u8 buf[VP_MSG_MAX], rx[VP_MSG_MAX];
	u64 deadline;
	int token, r;

	if (!timeout_us)
		timeout_us = VMSG_PCIE_REQUEST_TIMEOUT_MS * 1000u;
	deadline = ktime_get_ns() + (u64)timeout_us * NSEC_PER_USEC;
	token = vp_req_start(vp, req, len, resp, resp_cap, NULL, buf);
	if (token < 0)
		return token;
	vp_count(vp, VP_ST_ATOMIC_REQUESTS);
	for (;;) {
		r = vp_send(vp, buf, len);
		if (r != -EAGAIN)
			break;
		if (ktime_get_ns() > deadline) {
			r = -ETIMEDOUT;
			break;
		}
		udelay(5);
	}
	if (r) {
		int f = vp_req_finish(vp, token);

		if (f != -ETIMEDOUT)
			r = f;
		goto out;
	}
	/* Bounded busy poll: the interrupt may never come (irqs off). */
	while (!vp_req_is_done(vp, token) && ktime_get_ns() <= deadline) {
		preempt_disable();
		vp_rx_poll_atomic(vp, rx, token);
		preempt_enable();
		if (vp_req_is_done(vp, token))
			break;
		udelay(2);
	}
	r = vp_req_finish(vp, token);
out:
	if (r == -ETIMEDOUT)
		vp_count(vp, VP_ST_REQ_TIMEOUTS);
	if (READ_ONCE(vp->evq_count))
		vp_kick_rx(vp, 0);
	return r;
}

static int vp_op_send_event(struct virtio_msg_bus *bus, const void *msg,
			    size_t len)
{
	return vp_send_event(bus->priv, msg, len);
}

static int vp_op_fence(struct virtio_msg_bus *bus, u16 dev_num)
{
	struct vmsg_pci *vp = bus->priv;

	vp_warn(vp, "transport lost control of dev %u: treating the card as failed\n",
		dev_num);
	vp_declare_dead(vp, "device reset timed out", true);
	if (vp->emu)
		return -EOPNOTSUPP; /* clearing BME does not stop a soft card */
	pci_clear_master(vp->pdev);
	return 0;
}

const struct virtio_msg_bus_ops vp_bus_ops = {
	.request = vp_op_request,
	.request_atomic = vp_op_request_atomic,
	.send_event = vp_op_send_event,
	.fence = vp_op_fence,
	.oob_setup = vp_oob_setup,
	.oob_kick = vp_oob_kick,
	.oob_release = vp_oob_release,
};
