// SPDX-License-Identifier: GPL-2.0
/*
 * vmsg_pci_req.c - the request table of the PCIe bus: tokens ([TOK-2]),
 * storing a request, retiring it, failing the outstanding ones, and
 * matching a response from the card to its request (token, session,
 * dev_num, the echoed msg_id; ERROR: req_type, req_msg_id, req_dev_num).
 * Everything here runs under req_lock.
 */
#include <linux/completion.h>
#include <linux/string.h>

#include "vmsg_pci.h"
#include "virtio_msg_build.h"
#include "vmsg_bytes.h"

#define VP_REQ_MASK (VP_REQ_SLOTS - 1)

static struct vp_req *vp_req_alloc_locked(struct vmsg_pci *vp)
{
	u32 i;

	lockdep_assert_held(&vp->req_lock);
	if (vp->nreqs >= VP_REQ_SLOTS - 1)
		return NULL;
	/* [TOK-2]: sequential, wrapping, never 0, never one in use. */
	for (i = 0; i < 2 * VP_REQ_SLOTS; i++) {
		u16 t = vp->next_token++;
		struct vp_req *r;

		if (!t)
			continue;
		r = &vp->reqs[t & VP_REQ_MASK];
		if (r->kind != VP_REQ_FREE)
			continue;
		memset(r, 0, sizeof(*r));
		r->token = t;
		r->session = vp->session;
		vp->nreqs++;
		return r;
	}
	return NULL;
}

static void vp_req_free_locked(struct vmsg_pci *vp, struct vp_req *r)
{
	r->kind = VP_REQ_FREE;
	r->comp = NULL;
	r->resp = NULL;
	vp->nreqs--;
}

static void vp_req_done_locked(struct vp_req *r, int result)
{
	r->done = true;
	r->result = result;
	if (r->comp)
		complete(r->comp);
}

/* Fail outstanding requests of dev_num (-1: all) with err. */
void vp_fail_requests(struct vmsg_pci *vp, int dev_num, int err)
{
	unsigned long fl;
	u32 i;

	spin_lock_irqsave(&vp->req_lock, fl);
	for (i = 0; i < VP_REQ_SLOTS; i++) {
		struct vp_req *r = &vp->reqs[i];

		if (r->kind == VP_REQ_FREE || r->done)
			continue;
		if (dev_num >= 0 && r->dev_num != dev_num)
			continue;
		if (r->kind == VP_REQ_PING) {
			if (vp->ping_token == r->token)
				vp->ping_token = 0;
			vp_req_free_locked(vp, r);
			continue;
		}
		vp_count(vp, VP_ST_REQ_FAILED);
		vp_req_done_locked(r, err);
	}
	spin_unlock_irqrestore(&vp->req_lock, fl);
}

/*
 * Check a request from the transport, store it in the table and build the
 * wire copy (with its token) in buf. Returns the slot's token or -errno.
 */
int vp_req_start(struct vmsg_pci *vp, const void *req, size_t len,
		 void *resp, size_t resp_cap, struct completion *comp,
		 u8 *buf)
{
	struct vmsg_msg_info mi;
	struct vp_req *r;
	unsigned long fl;
	int ret;

	if (len < VIRTIO_MSG_HEADER_SIZE || len > VP_MSG_MAX ||
	    len > READ_ONCE(vp->max_msg))
		return -EMSGSIZE;
	memcpy(buf, req, len);
	vmsg_set_token(buf, 1);
	if (!vp_validate(vp, buf, len, VMSG_DIR_DRIVER_TO_DEVICE, &mi) ||
	    mi.is_response || mi.is_event) {
		vp_warn_rl(vp, "refusing a malformed request (id 0x%02x)\n",
			   buf[1]);
		return -EIO;
	}
	spin_lock_irqsave(&vp->req_lock, fl);
	if (vp->state != VP_RUN) {
		ret = -ENODEV;
		goto out;
	}
	r = vp_req_alloc_locked(vp);
	if (!r) {
		vp_warn_rl(vp, "request table full\n");
		ret = -EIO;
		goto out;
	}
	r->kind = VP_REQ_WAIT;
	r->type = mi.type;
	r->msg_id = mi.msg_id;
	r->dev_num = mi.dev_num;
	r->resp = resp;
	r->resp_cap = resp_cap;
	r->comp = comp;
	ret = r->token;
	vmsg_set_token(buf, r->token);
out:
	spin_unlock_irqrestore(&vp->req_lock, fl);
	return ret;
}

/* Retire a request; returns its result, -ETIMEDOUT if it has none. */
int vp_req_finish(struct vmsg_pci *vp, u16 token)
{
	struct vp_req *r = &vp->reqs[token & VP_REQ_MASK];
	unsigned long fl;
	int ret = -ETIMEDOUT;

	spin_lock_irqsave(&vp->req_lock, fl);
	if (r->kind == VP_REQ_WAIT && r->token == token) {
		if (r->done)
			ret = r->result;
		vp_req_free_locked(vp, r);
	}
	spin_unlock_irqrestore(&vp->req_lock, fl);
	return ret;
}

bool vp_req_is_done(struct vmsg_pci *vp, u16 token)
{
	struct vp_req *r = &vp->reqs[token & VP_REQ_MASK];
	unsigned long fl;
	bool done;

	spin_lock_irqsave(&vp->req_lock, fl);
	done = r->kind != VP_REQ_WAIT || r->token != token || r->done;
	spin_unlock_irqrestore(&vp->req_lock, fl);
	return done;
}

/* Our liveness PING ([BUS-4]): a slot of its own; its token, or -ENODEV. */
int vp_req_ping_start(struct vmsg_pci *vp, u32 *data)
{
	struct vp_req *r;
	unsigned long fl;
	int token;

	spin_lock_irqsave(&vp->req_lock, fl);
	r = vp->state == VP_RUN ? vp_req_alloc_locked(vp) : NULL;
	if (!r) {
		spin_unlock_irqrestore(&vp->req_lock, fl);
		return -ENODEV;
	}
	r->kind = VP_REQ_PING;
	r->type = VIRTIO_MSG_TYPE_BUS;
	r->msg_id = VIRTIO_BUS_MSG_PING;
	r->ping_data = ++vp->ping_seq;
	token = r->token;
	*data = r->ping_data;
	vp->ping_token = token;
	spin_unlock_irqrestore(&vp->req_lock, fl);
	return token;
}

/* The PING with this token was not sent: free its slot. */
void vp_req_ping_cancel(struct vmsg_pci *vp, u16 token)
{
	struct vp_req *r = &vp->reqs[token & VP_REQ_MASK];
	unsigned long fl;

	spin_lock_irqsave(&vp->req_lock, fl);
	if (r->kind == VP_REQ_PING && r->token == token) {
		vp_req_free_locked(vp, r);
		if (vp->ping_token == token)
			vp->ping_token = 0;
	}
	spin_unlock_irqrestore(&vp->req_lock, fl);
}

/*
 * The next PING is due: an outstanding one is a miss. Frees its slot and
 * counts the miss; true if there was one.
 */
bool vp_req_ping_expire(struct vmsg_pci *vp)
{
	unsigned long fl;
	bool missed = false;

	spin_lock_irqsave(&vp->req_lock, fl);
	if (vp->ping_token) {
		struct vp_req *rq = &vp->reqs[vp->ping_token & VP_REQ_MASK];

		if (rq->kind == VP_REQ_PING && rq->token == vp->ping_token)
			vp_req_free_locked(vp, rq);
		vp->ping_token = 0;
		vp->ping_misses++;
		missed = true;
	}
	spin_unlock_irqrestore(&vp->req_lock, fl);
	return missed;
}

static int vp_error_result(u16 err)
{
	if (err == VMSG_PCIE_ERR_NO_DEVICE || err == VMSG_PCIE_ERR_SHUTDOWN)
		return -ENODEV;
	return -EIO;
}

void vp_complete(struct vmsg_pci *vp, const struct vmsg_msg_info *mi,
		 const u8 *msg, size_t len)
{
	const u8 *pl = msg + VIRTIO_MSG_HEADER_SIZE;
	const u8 tmask = VIRTIO_MSG_TYPE_RESPONSE | VIRTIO_MSG_TYPE_BUS;
	struct vp_req *r = &vp->reqs[mi->token & VP_REQ_MASK];
	bool is_error = mi->is_bus && mi->msg_id == VMSG_PCIE_BUS_MSG_ERROR;
	unsigned long fl;
	int res;

	spin_lock_irqsave(&vp->req_lock, fl);
	if (r->kind == VP_REQ_FREE || r->done || r->token != mi->token ||
	    r->session != vp->session) {
		vp_count(vp, VP_ST_DROP_UNMATCHED);
		goto out;
	}
	if (is_error) {
		/* [ERR-4], [TOK-3]: matched by token and req_dev_num. */
		if (vmsg_get_le16(pl + 2) != r->dev_num) {
			vp_count(vp, VP_ST_DROP_UNMATCHED);
			goto out;
		}
		vp_count(vp, VP_ST_ERRORS_RX);
		if (pl[1] != r->msg_id || (pl[0] & tmask) != (r->type & tmask)) {
			vp_count(vp, VP_ST_DROP_ECHO);
			res = -EIO;
		} else {
			res = vp_error_result(vmsg_get_le16(pl + 4));
		}
	} else {
		if (mi->dev_num != r->dev_num) {
			vp_count(vp, VP_ST_DROP_UNMATCHED);
			goto out;
		}
		if (mi->msg_id != r->msg_id ||
		    mi->is_bus != !!(r->type & VIRTIO_MSG_TYPE_BUS)) {
			/* [TOK-3]: not its answer; fail it at once. */
			vp_count(vp, VP_ST_DROP_ECHO);
			res = -EIO;
		} else if (r->kind == VP_REQ_PING) {
			if (vmsg_get_le32(pl) != r->ping_data) {
				/* [BUS-4]: wrong data does not count. */
				vp_count(vp, VP_ST_DROP_ECHO);
				goto out;
			}
			res = 0;
		} else if (len > r->resp_cap) {
			res = -EMSGSIZE;
		} else {
			memcpy(r->resp, msg, len);
			res = len;
		}
	}
	vp_count(vp, VP_ST_RX_RESPONSES);
	if (r->kind == VP_REQ_PING) {
		if (!res) {
			vp->ping_misses = 0;
			vp_count(vp, VP_ST_PINGS_OK);
		}
		if (vp->ping_token == r->token)
			vp->ping_token = 0;
		vp_req_free_locked(vp, r);
		goto out;
	}
	vp_req_done_locked(r, res);
out:
	spin_unlock_irqrestore(&vp->req_lock, fl);
}
