// SPDX-License-Identifier: GPL-2.0
/*
 * vmsg_pci_ping.c - bus liveness of the PCIe bus, both ways: our PING every
 * ping_ms (default VMSG_PCIE_PING_INTERVAL_MS; [BUS-4], [TMO-4]; a PING
 * still unanswered when the next is due is a miss, ping_misses in a row,
 * default VMSG_PCIE_PING_MISSES, end the session)
 * and the answer to the card's PING ([BUS-5]). The responses are matched in
 * vmsg_pci_req.c (vp_complete()).
 */
#include <linux/jiffies.h>
#include <linux/workqueue.h>

#include "vmsg_pci.h"
#include "virtio_msg_build.h"
#include "vmsg_bytes.h"

/* The card's PING: answer it ([BUS-5]); never waits for room. */
void vp_answer_ping(struct vmsg_pci *vp, const struct vmsg_msg_info *mi,
		    const u8 *msg)
{
	u8 m[VIRTIO_MSG_SIZE(sizeof(struct virtio_bus_msg_ping))];
	size_t n;

	vp_count(vp, VP_ST_CARD_PINGS);
	n = vmsg_build_bus_ping_resp(m, sizeof(m), mi->token,
				     vmsg_get_le32(msg + VIRTIO_MSG_HEADER_SIZE));
	vp_send(vp, m, n);
}

int vp_send_ping(struct vmsg_pci *vp)
{
	u8 m[VIRTIO_MSG_SIZE(sizeof(struct virtio_bus_msg_ping))];
	int token, rc;
	u32 data;
	size_t n;

	token = vp_req_ping_start(vp, &data);
	if (token < 0)
		return token;
	n = vmsg_build_bus_ping_req(m, sizeof(m), token, data);
	rc = vp_send(vp, m, n);
	if (!rc) {
		vp_count(vp, VP_ST_PINGS_SENT);
		return 0;
	}
	vp_req_ping_cancel(vp, token);
	return rc;
}

/* [BUS-4], [TMO-4] */
void vp_ping_work(struct work_struct *work)
{
	struct vmsg_pci *vp = container_of(to_delayed_work(work),
					   struct vmsg_pci, ping_dwork);
	unsigned long fl;
	u32 misses;
	int r;

	if (!vp_running(vp))
		return;
	if (vp_req_ping_expire(vp)) {
		vp_count(vp, VP_ST_PING_MISSES);
		vp_check_link(vp, "PING not answered");
	}
	if (!vp_running(vp))
		return;
	misses = READ_ONCE(vp->ping_misses);
	if (misses >= vp_ping_misses_max()) {
		vp_declare_dead(vp, "PING not answered", true);
		return;
	}
	r = vp_send_ping(vp);
	if (r == -EAGAIN) {
		/* The card does not even take messages: that is a miss. */
		spin_lock_irqsave(&vp->req_lock, fl);
		vp->ping_misses++;
		spin_unlock_irqrestore(&vp->req_lock, fl);
		vp_count(vp, VP_ST_PING_MISSES);
	}
	/* Also a safety net against a lost interrupt. */
	vp_kick_rx(vp, 0);
	queue_delayed_work(system_wq, &vp->ping_dwork,
			   vp_ping_jiffies());
}
