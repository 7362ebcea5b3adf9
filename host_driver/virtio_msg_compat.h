/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio_msg_compat.h - the differences between the kernels virtio_msg.ko
 * builds against (Debian 12: 6.1, bookworm-backports/security: 6.12).
 *
 * 6.11 replaced find_vqs()'s parallel callbacks[]/names[]/ctx[] arrays with
 * one struct virtqueue_info array. The transport reads the per-queue
 * arguments through vm_vq_arg() only.
 */
#ifndef VIRTIO_MSG_COMPAT_H
#define VIRTIO_MSG_COMPAT_H

#include <linux/version.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>

/*
 * The version tests of this out-of-tree module (the only place it has
 * them), written with the macros of <linux/version.h>.
 */
#if LINUX_VERSION_MAJOR > 6 || \
	(LINUX_VERSION_MAJOR == 6 && LINUX_VERSION_PATCHLEVEL >= 11)
#define VIRTIO_MSG_HAVE_VQS_INFO 1
#endif

/*
 * virtio_blk fails the in-flight requests of a broken device on remove
 * itself from this release on: the transport's own failing
 * (virtio_msg_compat_blk.c, which says why and what upstream has) is
 * compiled out there. No release does yet, so the default is no version;
 * a build for a kernel with the fix sets it, e.g.
 * ccflags-y += -DVIRTIO_MSG_BLK_FIXED_IN=KERNEL_VERSION(6,20,0).
 */
#ifndef VIRTIO_MSG_BLK_FIXED_IN
#define VIRTIO_MSG_BLK_FIXED_IN KERNEL_VERSION(255, 255, 255)
#endif
#if LINUX_VERSION_CODE < VIRTIO_MSG_BLK_FIXED_IN
#define VIRTIO_MSG_BLK_FAIL_INFLIGHT 1
#endif

/* 6.1's uapi lacks it (and its vring_transport_features() drops bit 38). */
#ifndef VIRTIO_F_NOTIFICATION_DATA
#define VIRTIO_F_NOTIFICATION_DATA 38
#endif

/* find_vqs() arguments, as the running kernel passes them. */
struct vmsg_find_vqs_args {
#ifdef VIRTIO_MSG_HAVE_VQS_INFO
	struct virtqueue_info *info;
#else
	vq_callback_t **callbacks;
	const char * const *names;
	const bool *ctx;
#endif
};

/* Queue i of a find_vqs() call: its name (NULL: skip it), callback, ctx. */
static inline const char *vm_vq_arg(const struct vmsg_find_vqs_args *a,
				    unsigned int i, vq_callback_t **cb,
				    bool *ctx)
{
#ifdef VIRTIO_MSG_HAVE_VQS_INFO
	*cb = a->info[i].callback;
	*ctx = a->info[i].ctx;
	return a->info[i].name;
#else
	*cb = a->callbacks[i];
	*ctx = a->ctx ? a->ctx[i] : false;
	return a->names[i];
#endif
}

/* The transport's find_vqs, common to every kernel (virtio_msg_vq.c). */
int vmsg_find_vqs_common(struct virtio_device *vdev, unsigned int nvqs,
			 struct virtqueue *vqs[],
			 const struct vmsg_find_vqs_args *args);

/* virtio_config_ops.find_vqs, in the running kernel's signature. */
#ifdef VIRTIO_MSG_HAVE_VQS_INFO
static inline int vm_find_vqs(struct virtio_device *vdev, unsigned int nvqs,
			      struct virtqueue *vqs[],
			      struct virtqueue_info vqs_info[],
			      struct irq_affinity *desc)
{
	struct vmsg_find_vqs_args a = { .info = vqs_info };

	return vmsg_find_vqs_common(vdev, nvqs, vqs, &a);
}
#else
static inline int vm_find_vqs(struct virtio_device *vdev, unsigned int nvqs,
			      struct virtqueue *vqs[],
			      vq_callback_t *callbacks[],
			      const char * const names[], const bool *ctx,
			      struct irq_affinity *desc)
{
	struct vmsg_find_vqs_args a = {
		.callbacks = callbacks,
		.names = names,
		.ctx = ctx,
	};

	return vmsg_find_vqs_common(vdev, nvqs, vqs, &a);
}
#endif

struct virtio_msg_device;

/*
 * A dead virtio-blk device's in-flight requests, failed with an I/O error
 * before its driver's remove (virtio_msg_compat_blk.c); nothing to do where
 * virtio_blk does it itself.
 */
#ifdef VIRTIO_MSG_BLK_FAIL_INFLIGHT
void vmsg_blk_fail_inflight(struct virtio_msg_device *vm);
#else
static inline void vmsg_blk_fail_inflight(struct virtio_msg_device *vm)
{
}
#endif

#endif /* VIRTIO_MSG_COMPAT_H */
