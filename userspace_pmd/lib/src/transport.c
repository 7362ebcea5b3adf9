// SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause)
/*
 * transport.c - the virtio-msg transport, driver side: device info, status,
 * reset, feature negotiation, config space, DRIVER_OK, shared memory.
 */
#include "dev_priv.h"
#include "virtio_msg_build.h"
#include "vmsg_bytes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CFG_READ_ATTEMPTS  16u
#define CFG_WRITE_ATTEMPTS VMSG_PCIE_SET_CONFIG_TRIES /* [OP-4]: attempts in total */
#define RESET_POLL_MIN_US  1000u		      /* [RST-1]: 1 ms ... */
#define RESET_POLL_MAX_US  100000u		      /* ... growing to 100 ms */
#define MSG_MAX		   VMSG_PCIE_MAX_MSG_SIZE
#define PL(resp)	   ((resp) + VIRTIO_MSG_HEADER_SIZE)

/* ---- plumbing ---- */

int vmsg_host_dev_error(struct vmsg_host_dev *dev)
{
	int err;

	pthread_mutex_lock(&dev->bus->lock);
	err = dev->ref.gone ? (dev->ref.gone_reason ? dev->ref.gone_reason : -ENODEV) : 0;
	if (!err && dev->bus->state != VMSG_HOST_RUN)
		err = -ENOTCONN;
	pthread_mutex_unlock(&dev->bus->lock);
	return err;
}

int dev_request(struct vmsg_host_dev *dev, const void *msg, size_t len, void *resp, size_t cap)
{
	int ret = vmsg_host_dev_error(dev);

	if (ret)
		return ret;
	if (len == 0)
		return -EMSGSIZE;
	ret = vmsg_host_bus_request(dev->bus, msg, len, resp, cap, 0);
	if (ret == -ENODEV || ret == -ECONNRESET || ret == -EHOSTDOWN) {
		int e = vmsg_host_dev_error(dev);

		return e ? e : ret;
	}
	return ret;
}

void dev_echo_mismatch(struct vmsg_host_dev *dev, const char *what)
{
	dev->st.echo_mismatch++;
	pthread_mutex_lock(&dev->bus->lock);
	dev->bus->st.rx_mismatch++;
	pthread_mutex_unlock(&dev->bus->lock);
	bus_log(dev->bus, "dev %u: %s does not echo the request", dev->dev_num, what);
}

static uint32_t msg_max(struct vmsg_host_dev *dev)
{
	return vmsg_host_bus_max_msg_size(dev->bus);
}

/* ---- open / close ---- */

int vmsg_host_dev_open(struct vmsg_host_bus *bus, vmsg_dev_num_t dev_num,
		       struct vmsg_host_dev **out)
{
	uint8_t req[16], resp[MSG_MAX];
	struct vmsg_host_dev *dev;
	const uint8_t *p;
	int ret;

	*out = NULL;
	if (dev_num == 0)
		return -EINVAL;
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		return -ENOMEM;
	dev->bus = bus;
	dev->dev_num = dev_num;
	dev->ref.dev_num = dev_num;
	bus_devref_add(bus, &dev->ref);
	ret = dev_request(dev, req, vmsg_build_get_device_info_req(req, sizeof(req), dev_num, 0),
			  resp, sizeof(resp));
	if (ret < 0)
		goto fail;
	p = PL(resp);
	dev->info.device_id = vmsg_get_le32(p);
	dev->info.vendor_id = vmsg_get_le32(p + 4);
	dev->info.num_feature_bits = vmsg_get_le32(p + 8);
	dev->info.config_size = vmsg_get_le32(p + 12);
	dev->info.max_virtqueues = vmsg_get_le32(p + 16);
	dev->info.admin_vq_start = vmsg_get_le16(p + 20);
	dev->info.admin_vq_count = vmsg_get_le16(p + 22);
	if (dev->info.num_feature_bits % 32u || dev->info.num_feature_bits == 0 ||
	    dev->info.num_feature_bits > VMSG_HOST_MAX_FEATURE_BITS ||
	    dev->info.config_size > VMSG_HOST_MAX_CONFIG_SIZE) {
		bus_log(bus, "dev %u: GET_DEVICE_INFO unusable (%u feature bits, config %u)",
			dev_num, dev->info.num_feature_bits, dev->info.config_size);
		ret = -EPROTO;
		goto fail;
	}
	dev->nblocks = dev->info.num_feature_bits / 32u;
	/* [SEC-H-3]: from now on the bus holds this device's events to these */
	bus_devref_set_info(bus, &dev->ref, dev->info.max_virtqueues, dev->info.config_size);
	*out = dev;
	return 0;
fail:
	bus_devref_del(bus, &dev->ref);
	free(dev);
	return ret;
}

void vmsg_host_dev_close(struct vmsg_host_dev *dev)
{
	unsigned int i;

	if (!dev)
		return;
	if (vmsg_host_dev_error(dev) == 0 && dev->status != 0)
		vmsg_host_dev_reset(dev);
	for (i = 0; i < VMSG_HOST_MAX_VQS; i++)
		if (dev->vqs[i])
			vmsg_host_vq_destroy(dev->vqs[i]);
	bus_devref_del(dev->bus, &dev->ref);
	free(dev);
}

const struct vmsg_device_info *vmsg_host_dev_info(const struct vmsg_host_dev *dev)
{
	return &dev->info;
}

vmsg_dev_num_t vmsg_host_dev_num(const struct vmsg_host_dev *dev)
{
	return dev->dev_num;
}

struct vmsg_host_bus *vmsg_host_dev_bus(const struct vmsg_host_dev *dev)
{
	return dev->bus;
}

bool vmsg_host_dev_needs_reset(struct vmsg_host_dev *dev)
{
	bool r;

	pthread_mutex_lock(&dev->bus->lock);
	r = dev->ref.needs_reset || (dev->status & VIRTIO_MSG_STATUS_DEVICE_NEEDS_RESET);
	pthread_mutex_unlock(&dev->bus->lock);
	return r;
}

bool vmsg_host_dev_config_changed(struct vmsg_host_dev *dev)
{
	bool r;

	pthread_mutex_lock(&dev->bus->lock);
	r = dev->ref.config_changed;
	dev->ref.config_changed = false;
	if (dev->ref.have_generation) {
		dev->generation = dev->ref.generation;
		dev->have_generation = true;
	}
	pthread_mutex_unlock(&dev->bus->lock);
	return r;
}

uint64_t vmsg_host_dev_take_used(struct vmsg_host_dev *dev)
{
	return __atomic_exchange_n(&dev->ref.used_bits, 0, __ATOMIC_ACQ_REL);
}

void vmsg_host_dev_get_stats(struct vmsg_host_dev *dev, struct vmsg_host_dev_stats *st)
{
	*st = dev->st;
}

/* ---- status ---- */

static void note_status(struct vmsg_host_dev *dev, uint32_t st)
{
	dev->status = st;
	if (st & VIRTIO_MSG_STATUS_DEVICE_NEEDS_RESET) {
		pthread_mutex_lock(&dev->bus->lock);
		dev->ref.needs_reset = true;
		pthread_mutex_unlock(&dev->bus->lock);
	}
}

int vmsg_host_dev_get_status(struct vmsg_host_dev *dev, uint32_t *status)
{
	uint8_t req[16], resp[MSG_MAX];
	int ret;

	ret = dev_request(dev, req,
			  vmsg_build_get_device_status_req(req, sizeof(req), dev->dev_num, 0), resp,
			  sizeof(resp));
	if (ret < 0)
		return ret;
	if (status)
		*status = vmsg_get_le32(PL(resp));
	note_status(dev, vmsg_get_le32(PL(resp)));
	return 0;
}

int vmsg_host_dev_set_status(struct vmsg_host_dev *dev, uint32_t status, uint32_t *result)
{
	uint8_t req[16], resp[MSG_MAX];
	int ret;

	ret = dev_request(
	    dev, req, vmsg_build_set_device_status_req(req, sizeof(req), dev->dev_num, 0, status),
	    resp, sizeof(resp));
	if (ret < 0)
		return ret;
	if (result)
		*result = vmsg_get_le32(PL(resp));
	note_status(dev, vmsg_get_le32(PL(resp)));
	return 0;
}

static void sleep_us(unsigned int us)
{
	struct timespec ts = {.tv_sec = us / 1000000u, .tv_nsec = (long)(us % 1000000u) * 1000};

	nanosleep(&ts, NULL);
}

int vmsg_host_dev_reset(struct vmsg_host_dev *dev)
{
	uint64_t deadline =
	    bus_now_ns() +
	    (uint64_t)vmsg_host_bus_timeout_ms(dev->bus, VMSG_HOST_TMO_RESET) * 1000000u;
	unsigned int backoff = RESET_POLL_MIN_US;
	uint32_t st;
	int ret;

	ret = vmsg_host_dev_set_status(dev, 0, &st);
	if (ret)
		return ret;
	/* the device may finish the reset later than its answer: poll for 0 */
	while (st != 0) {
		uint64_t now = bus_now_ns();

		if (now >= deadline) {
			/* [RST-3]: a device that does not reset means a failed card */
			bus_log(dev->bus,
				"dev %u: status %#x, still not 0 after reset: card failed",
				dev->dev_num, st);
			pthread_mutex_lock(&dev->bus->lock);
			bus_declare_dead(dev->bus, -ETIMEDOUT);
			pthread_mutex_unlock(&dev->bus->lock);
			bus_dispatch(dev->bus);
			return -ETIMEDOUT;
		}
		if ((uint64_t)backoff * 1000u > deadline - now)
			backoff = (unsigned int)((deadline - now) / 1000u) + 1u;
		sleep_us(backoff);
		backoff = backoff * 2 > RESET_POLL_MAX_US ? RESET_POLL_MAX_US : backoff * 2;
		dev->st.reset_polls++;
		ret = vmsg_host_dev_get_status(dev, &st);
		if (ret)
			return ret;
	}
	dev->features = 0;
	pthread_mutex_lock(&dev->bus->lock);
	dev->ref.needs_reset = false;
	pthread_mutex_unlock(&dev->bus->lock);
	vq_dev_reset_all(dev);
	return 0;
}

/* ---- features ---- */

static int read_features(struct vmsg_host_dev *dev)
{
	uint32_t per_msg = (msg_max(dev) - VIRTIO_MSG_SIZE(8u)) / 4u;
	uint8_t req[32], resp[MSG_MAX];
	uint32_t block = 0, i;
	int ret;

	while (block < dev->nblocks) {
		uint32_t want = dev->nblocks - block, got, first;

		if (want > per_msg)
			want = per_msg;
		ret = dev_request(dev, req,
				  vmsg_build_get_device_features_req(req, sizeof(req), dev->dev_num,
								     0, block, want),
				  resp, sizeof(resp));
		if (ret < 0)
			return ret;
		first = vmsg_get_le32(PL(resp));
		got = vmsg_get_le32(PL(resp) + 4);
		if (first != block || got == 0 || got > want) {
			dev_echo_mismatch(dev, "GET_DEVICE_FEATURES");
			return -EPROTO;
		}
		for (i = 0; i < got; i++)
			dev->offered_blocks[block + i] = vmsg_get_le32(PL(resp) + 8 + 4 * i);
		block += got;
	}
	dev->offered = (uint64_t)dev->offered_blocks[0] |
		       (dev->nblocks > 1 ? (uint64_t)dev->offered_blocks[1] << 32 : 0);
	return 0;
}

static int write_features(struct vmsg_host_dev *dev, uint64_t f)
{
	uint32_t per_msg = (msg_max(dev) - VIRTIO_MSG_SIZE(8u)) / 4u;
	uint32_t blocks[VMSG_HOST_MAX_FEATURE_BITS / 32u] = {0};
	uint8_t req[MSG_MAX], resp[MSG_MAX];
	uint32_t block = 0;
	int ret;

	blocks[0] = (uint32_t)f;
	if (dev->nblocks > 1)
		blocks[1] = (uint32_t)(f >> 32);
	while (block < dev->nblocks) {
		uint32_t n = dev->nblocks - block;

		if (n > per_msg)
			n = per_msg;
		ret = dev_request(dev, req,
				  vmsg_build_set_driver_features_req(
				      req, msg_max(dev), dev->dev_num, 0, block, blocks + block, n),
				  resp, sizeof(resp));
		if (ret < 0)
			return ret;
		block += n;
	}
	return 0;
}

int vmsg_host_dev_negotiate(struct vmsg_host_dev *dev, uint64_t want, uint64_t *negotiated)
{
	const uint64_t must =
	    VMSG_HOST_BIT(VMSG_HOST_F_VERSION_1) | VMSG_HOST_BIT(VMSG_HOST_F_ACCESS_PLATFORM);
	uint64_t transport_range = ((1ull << 41) - 1) & ~((1ull << 28) - 1); /* 28..40 */
	uint64_t allowed, accept;
	uint32_t st, s;
	int ret;

	ret = vmsg_host_dev_reset(dev);
	if (ret)
		return ret;
	s = VIRTIO_MSG_STATUS_ACKNOWLEDGE;
	ret = vmsg_host_dev_set_status(dev, s, &st);
	if (ret)
		return ret;
	s |= VIRTIO_MSG_STATUS_DRIVER;
	if (!(st & VIRTIO_MSG_STATUS_ACKNOWLEDGE) ||
	    (ret = vmsg_host_dev_set_status(dev, s, &st)) != 0 || (st & s) != s) {
		bus_log(dev->bus, "dev %u: status %#x refused (%#x)", dev->dev_num, s, st);
		return ret ? ret : -EPROTO;
	}
	ret = read_features(dev);
	if (ret)
		return ret;
	if ((dev->offered & must) != must) {
		bus_log(dev->bus, "dev %u: device does not offer VERSION_1 and ACCESS_PLATFORM",
			dev->dev_num);
		vmsg_host_dev_set_status(dev, s | VIRTIO_MSG_STATUS_FAILED, NULL);
		return -EOPNOTSUPP;
	}
	allowed = (~transport_range) | VMSG_HOST_TRANSPORT_FEATURES;
	accept = dev->offered & (want | must) & allowed;
	ret = write_features(dev, accept);
	if (ret)
		return ret;
	s |= VIRTIO_MSG_STATUS_FEATURES_OK;
	ret = vmsg_host_dev_set_status(dev, s, &st);
	if (ret)
		return ret;
	if (!(st & VIRTIO_MSG_STATUS_FEATURES_OK)) {
		bus_log(dev->bus, "dev %u: device refused features %#llx", dev->dev_num,
			(unsigned long long)accept);
		vmsg_host_dev_set_status(dev, s | VIRTIO_MSG_STATUS_FAILED, NULL);
		return -EOPNOTSUPP;
	}
	/* and it stuck */
	ret = vmsg_host_dev_get_status(dev, &st);
	if (ret)
		return ret;
	if (!(st & VIRTIO_MSG_STATUS_FEATURES_OK)) {
		bus_log(dev->bus, "dev %u: FEATURES_OK did not stick (%#x)", dev->dev_num, st);
		return -EPROTO;
	}
	dev->features = accept;
	if (negotiated)
		*negotiated = accept;
	return 0;
}

uint64_t vmsg_host_dev_offered(const struct vmsg_host_dev *dev)
{
	return dev->offered;
}

uint64_t vmsg_host_dev_features(const struct vmsg_host_dev *dev)
{
	return dev->features;
}

int vmsg_host_dev_driver_ok(struct vmsg_host_dev *dev)
{
	uint32_t st;
	int ret;

	if (!(dev->status & VIRTIO_MSG_STATUS_FEATURES_OK))
		return -EINVAL;
	ret = vmsg_host_dev_set_status(dev, dev->status | VIRTIO_MSG_STATUS_DRIVER_OK, &st);
	if (ret)
		return ret;
	if (!(st & VIRTIO_MSG_STATUS_DRIVER_OK)) {
		bus_log(dev->bus, "dev %u: DRIVER_OK refused (%#x)", dev->dev_num, st);
		return -EPROTO;
	}
	return 0;
}

/* ---- config ---- */

static void note_generation(struct vmsg_host_dev *dev, uint32_t gen)
{
	dev->generation = gen;
	dev->have_generation = true;
}

/* One GET_CONFIG chunk. */
static int cfg_get(struct vmsg_host_dev *dev, uint32_t off, void *buf, uint32_t len, uint32_t *gen)
{
	uint8_t req[16], resp[MSG_MAX];
	int ret;

	ret = dev_request(dev, req,
			  vmsg_build_get_config_req(req, sizeof(req), dev->dev_num, 0, off, len),
			  resp, sizeof(resp));
	if (ret < 0)
		return ret;
	if (vmsg_get_le32(PL(resp) + 4) != off || vmsg_get_le32(PL(resp) + 8) != len) {
		dev_echo_mismatch(dev, "GET_CONFIG");
		return vmsg_get_le32(PL(resp) + 8) == 0 ? -EIO : -EPROTO;
	}
	*gen = vmsg_get_le32(PL(resp));
	memcpy(buf, PL(resp) + 12, len);
	return 0;
}

static bool cfg_range_ok(struct vmsg_host_dev *dev, uint32_t off, uint32_t len)
{
	return len > 0 && (uint64_t)off + len <= dev->info.config_size;
}

int vmsg_host_dev_config_read(struct vmsg_host_dev *dev, uint32_t offset, void *buf, uint32_t len,
			      uint32_t *generation)
{
	uint32_t chunk = VIRTIO_MSG_CONFIG_DATA_MAX(msg_max(dev));
	unsigned int attempt;
	int ret;

	if (!cfg_range_ok(dev, offset, len))
		return -ERANGE;
	for (attempt = 0; attempt < CFG_READ_ATTEMPTS; attempt++) {
		uint32_t done = 0, first_gen = 0, gen;
		bool same = true;

		while (done < len) {
			uint32_t n = len - done < chunk ? len - done : chunk;

			ret = cfg_get(dev, offset + done, (uint8_t *)buf + done, n, &gen);
			if (ret)
				return ret;
			if (done == 0)
				first_gen = gen;
			else if (gen != first_gen)
				same = false;
			done += n;
		}
		note_generation(dev, gen);
		if (same) {
			if (generation)
				*generation = gen;
			return 0;
		}
		dev->st.config_rereads++;
	}
	return -EAGAIN;
}

int vmsg_host_dev_config_write(struct vmsg_host_dev *dev, uint32_t offset, const void *buf,
			       uint32_t len)
{
	uint32_t chunk = VIRTIO_MSG_CONFIG_DATA_MAX(msg_max(dev));
	uint8_t req[MSG_MAX], resp[MSG_MAX], tmp[MSG_MAX];
	uint32_t done = 0;
	int ret;

	if (!cfg_range_ok(dev, offset, len))
		return -ERANGE;
	while (done < len) {
		uint32_t n = len - done < chunk ? len - done : chunk, off = offset + done;
		unsigned int attempt;

		for (attempt = 0;; attempt++) {
			uint32_t sent_gen, got, gen;

			if (!dev->have_generation) {
				ret = cfg_get(dev, off, tmp, n, &gen);
				if (ret)
					return ret;
				note_generation(dev, gen);
			}
			sent_gen = dev->generation;
			ret = dev_request(dev, req,
					  vmsg_build_set_config_req(req, msg_max(dev), dev->dev_num,
								    0, sent_gen, off,
								    (const uint8_t *)buf + done, n),
					  resp, sizeof(resp));
			if (ret < 0)
				return ret;
			if (vmsg_get_le32(PL(resp) + 4) != off) {
				dev_echo_mismatch(dev, "SET_CONFIG");
				return -EPROTO;
			}
			got = vmsg_get_le32(PL(resp) + 8);
			note_generation(dev, vmsg_get_le32(PL(resp)));
			if (got == n)
				break;
			if (got != 0) {
				dev_echo_mismatch(dev, "SET_CONFIG length");
				return -EPROTO;
			}
			/* refused: stale generation? re-read it and retry if it moved */
			ret = cfg_get(dev, off, tmp, n, &gen);
			if (ret)
				return ret;
			note_generation(dev, gen);
			if (gen == sent_gen)
				return -EPERM;
			if (attempt + 1 >= CFG_WRITE_ATTEMPTS) {
				bus_log(dev->bus, "dev %u: SET_CONFIG refused %u times, giving up",
					dev->dev_num, CFG_WRITE_ATTEMPTS);
				return -EAGAIN;
			}
			dev->st.config_retries++;
		}
		done += n;
	}
	return 0;
}

uint32_t vmsg_host_dev_generation(struct vmsg_host_dev *dev)
{
	vmsg_host_dev_config_changed(dev); /* fold in EVENT_CONFIG */
	return dev->generation;
}

/* ---- shared memory ---- */

int vmsg_host_dev_get_shm(struct vmsg_host_dev *dev, uint32_t index, uint64_t *addr, uint64_t *len)
{
	uint8_t req[16], resp[MSG_MAX];
	int ret;

	ret =
	    dev_request(dev, req, vmsg_build_get_shm_req(req, sizeof(req), dev->dev_num, 0, index),
			resp, sizeof(resp));
	if (ret < 0)
		return ret;
	if (vmsg_get_le32(PL(resp)) != index) {
		dev_echo_mismatch(dev, "GET_SHM");
		return -EPROTO;
	}
	*len = vmsg_get_le32(PL(resp) + 4);
	*addr = vmsg_get_le32(PL(resp) + 8);
	return 0;
}

/* ---- one-call setup ---- */

int vmsg_host_dev_setup(struct vmsg_host_dev *dev, uint64_t want, uint32_t nqueues, uint32_t qsize,
			struct vmsg_host_vq **vqs)
{
	uint32_t i;
	int ret;

	if (nqueues > VMSG_HOST_MAX_VQS || nqueues > dev->info.max_virtqueues)
		return -EINVAL;
	ret = vmsg_host_dev_negotiate(dev, want, NULL);
	if (ret)
		return ret;
	for (i = 0; i < nqueues; i++) {
		ret = vmsg_host_vq_create(dev, i, qsize, &vqs[i]);
		if (ret) {
			while (i--) {
				vmsg_host_vq_destroy(vqs[i]);
				vqs[i] = NULL;
			}
			return ret;
		}
	}
	return vmsg_host_dev_driver_ok(dev);
}
