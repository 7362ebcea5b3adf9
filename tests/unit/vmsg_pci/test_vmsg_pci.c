/* SPDX-License-Identifier: (GPL-2.0 OR BSD-3-Clause) */
/*
 * test_vmsg_pci.c - vmsg-pci's BAR reading and output (pci_probe.c) against
 * crafted BAR files, read through the same read-only file mapping the tool
 * uses on sysfs resourceN: a soft card's emulated BAR 2, a real card's BAR0,
 * foreign ivshmem memory, and hostile values (offsets and sizes outside the
 * BAR, impossible geometry, unknown states, a short file). Also the shared
 * id table (vmsg_pcie_card_ids_match) the tool and the host driver use.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pci_probe.h"
#include "vmsg_pcie.h"

#define BAR2_SIZE (1u << 20) /* the rig's ivshmem memory */
#define PAGE	  (BAR2_SIZE - VMSG_EMU_PAGE_SIZE)

static char tmpdir[] = "/tmp/vmsg-pci-test.XXXXXX";
static char path[64];

static void put32(uint8_t *b, size_t off, uint32_t v)
{
	uint32_t le = vmsg_cpu_to_le32(v);

	memcpy(b + off, &le, 4);
}

static void put16(uint8_t *b, size_t off, uint16_t v)
{
	uint16_t le = vmsg_cpu_to_le16(v);

	memcpy(b + off, &le, 2);
}

#define R(f) offsetof(struct vmsg_pcie_regs, f)
#define E(f) (PAGE + offsetof(struct vmsg_emu_page, f))

/* A healthy control block, as the soft card publishes it, attached (RUN). */
static void good_regs(uint8_t *b)
{
	put32(b, R(magic), VMSG_PCIE_MAGIC);
	put32(b, R(version), VMSG_PCIE_VERSION);
	put32(b, R(transport_rev), 1);
	put32(b, R(max_msg_size), 264);
	put32(b, R(card_features), VMSG_PCIE_F_C2H_HOST_MEM | VMSG_PCIE_F_MSIX);
	put32(b, R(dma_addr_bits), 48);
	put32(b, R(num_doorbells), 2);
	put32(b, R(num_vectors), 8);
	put32(b, R(link_state), VMSG_LINK_RUN);
	put32(b, R(epoch), 7);
	put32(b, R(heartbeat), 1234);
	put32(b, R(h2c_ring_offset), 0x1000);
	put32(b, R(h2c_ring_size), VMSG_RING_BYTES(320, 64));
	put32(b, R(c2h_cons_offset), VMSG_BAR0_C2H_CONS_OFFSET);
	put32(b, R(host_area_min), 0x10000);
	put32(b, R(host_version), VMSG_PCIE_VERSION);
	put32(b, R(irq_mode), VMSG_IRQ_MSIX);
	put32(b, R(host_epoch), 7);
	put32(b, R(cnt_rx_msgs), 11);
	put32(b, R(cnt_tx_msgs) + 4, 1); /* 2^32 */
	put32(b, R(cnt_doorbells), 5);
	put32(b, 0x1000 + offsetof(struct vmsg_ring_hdr, magic), VMSG_RING_MAGIC);
	put32(b, 0x1000 + offsetof(struct vmsg_ring_hdr, slot_size), 320);
	put32(b, 0x1000 + offsetof(struct vmsg_ring_hdr, slot_count), 64);
}

static void emu_header(uint8_t *b, uint16_t ven, uint16_t dev, uint32_t bar0_size)
{
	put32(b, E(hdr_magic), VMSG_EMU_HDR_MAGIC);
	put32(b, E(hdr_version), VMSG_EMU_PAGE_VERSION);
	put16(b, E(vendor_id), ven);
	put16(b, E(device_id), dev);
	put16(b, E(subsys_vendor_id), VMSG_PCIE_SUBSYS_VENDOR_ID);
	put16(b, E(subsys_id), VMSG_PCIE_SUBSYS_ID);
	put32(b, E(class_rev), VMSG_PCIE_CLASS << 8 | 1);
	put32(b, E(bar0_size), bar0_size);
	put32(b, E(wire_magic), VMSG_EMU_WIRE_MAGIC);
	put32(b, E(wire_version), VMSG_EMU_PAGE_VERSION);
	put32(b, E(host_peer_id), 3);
	put32(b, E(host_generation), 2);
	put32(b, E(card_connected), 1);
}

static void write_file(const uint8_t *b, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void emu_dev(struct vpci_dev *d)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->addr, sizeof(d->addr), "0000:01:00.0");
	d->kind = VPCI_KIND_EMU;
	d->vendor = VMSG_EMU_VENDOR_ID;
	d->device = VMSG_EMU_DEVICE_ID;
	d->bar = 2;
	d->bar_size = BAR2_SIZE;
	d->iommu_group = -1;
	snprintf(d->driver, sizeof(d->driver), "vmsg_pci");
	snprintf(d->resource, sizeof(d->resource), "%s", path);
}

/* The text and JSON output of d, in one buffer each. */
static char *text_of(const struct vpci_dev *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	vpci_print_text(f, d);
	fclose(f);
	return buf;
}

/*
 * Minimal JSON well-formedness: strings closed, only known escapes,
 * brackets balanced and matched, no control bytes, no ",]" / ",}" / "[,".
 */
static void assert_json(const char *s)
{
	char stack[32], prev = 0;
	int depth = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		assert_true(c >= 0x20 || c == '\n');
		if (c == '"') {
			for (s++; *s != '"'; s++) {
				assert_true(*s && (unsigned char)*s >= 0x20 &&
					    (unsigned char)*s < 0x7f);
				if (*s == '\\') {
					s++;
					assert_non_null(strchr("\"\\u", *s));
				}
			}
			prev = '"';
			continue;
		}
		if (c == ' ' || c == '\n')
			continue;
		if (c == '{' || c == '[') {
			assert_true(depth < (int)sizeof(stack));
			stack[depth++] = (char)c;
		} else if (c == '}' || c == ']') {
			assert_true(depth > 0);
			assert_int_equal(stack[--depth], c == '}' ? '{' : '[');
			assert_true(prev != ',');
		} else if (c == ',') {
			assert_true(prev != ',' && prev != '[' && prev != '{');
		}
		prev = (char)c;
	}
	assert_int_equal(depth, 0);
}

static char *json_of(const struct vpci_dev *d, unsigned int n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	vpci_print_json(f, d, n);
	fclose(f);
	assert_json(buf);
	return buf;
}

static void test_ids_table(void **state)
{
	(void)state;
	assert_true(vmsg_pcie_card_ids_match(0x766d, 0x0001, 0, 0, 0));
	assert_true(vmsg_pcie_card_ids_match(0x766d, 0x0001, 0x1234, 0x5678, 0x020000));
	assert_false(vmsg_pcie_card_ids_match(0x766d, 0x0002, 0, 0, 0xff0000));
	assert_true(vmsg_pcie_card_ids_match(0x10ee, 0x9038, 0x766d, 0x0001, 0xff0000));
	assert_false(vmsg_pcie_card_ids_match(0x10ee, 0x9038, 0x766d, 0x0001, 0xff0001));
	assert_false(vmsg_pcie_card_ids_match(0x10ee, 0x9038, 0x766d, 0x0002, 0xff0000));
	assert_false(vmsg_pcie_card_ids_match(0x1af4, 0x1110, 0x1af4, 0x1100, 0x050000));
}

static void test_emu_good(void **state)
{
	uint8_t *b = calloc(1, BAR2_SIZE);
	struct vpci_dev d;
	char why[200];
	char *t, *j;

	(void)state;
	good_regs(b);
	emu_header(b, VMSG_PCIE_VENDOR_ID, VMSG_PCIE_DEVICE_ID, PAGE);
	write_file(b, BAR2_SIZE);
	emu_dev(&d);
	assert_int_equal(vpci_probe_file(path, &d, why, sizeof(why)), VPCI_PROBE_OK);
	assert_true(d.have_emu && d.have_ident);
	assert_int_equal(d.bar0_len, PAGE);
	assert_int_equal(d.ident.link_state, VMSG_LINK_RUN);
	assert_int_equal(d.ident.epoch, 7);
	assert_int_equal(d.ident.cnt[1], 1ull << 32);
	assert_int_equal(d.ident.ring_slot_count, 64);
	assert_int_equal(d.ident.nproblems, 0);
	t = text_of(&d);
	assert_non_null(strstr(t, "0000:01:00.0  1af4:1110"));
	assert_non_null(strstr(t, "driver: vmsg_pci"));
	assert_non_null(strstr(t, "magic 0x47534d56, binding 1.1"));
	assert_non_null(strstr(t, "link RUN (2), epoch 7"));
	assert_non_null(strstr(t, "card features 0x3: C2H_HOST_MEM MSIX"));
	assert_non_null(strstr(t, "64 slots of 320 bytes"));
	assert_non_null(strstr(t, "link page: ids 766d:0001 (subsystem 766d:0001, class ff0000"));
	assert_non_null(strstr(t, "wire: card connected, host peer 3, generation 2"));
	assert_non_null(strstr(t, "tx_msgs 4294967296"));
	assert_null(strstr(t, "problem"));
	j = json_of(&d, 1);
	assert_non_null(strstr(j, "\"link_state\": \"RUN\""));
	assert_non_null(strstr(j, "\"driver\": \"vmsg_pci\""));
	assert_non_null(strstr(j, "\"magic\": \"0x47534d56\""));
	assert_non_null(strstr(j, "\"card_feature_names\": [\"C2H_HOST_MEM\", \"MSIX\"]"));
	assert_non_null(strstr(j, "\"problems\": []"));
	free(t);
	free(j);
	/* not attached yet, link page declaring more than the BAR: clamped */
	put32(b, R(link_state), VMSG_LINK_READY);
	put32(b, E(bar0_size), 0xffffffffu);
	write_file(b, BAR2_SIZE);
	emu_dev(&d);
	assert_int_equal(vpci_probe_file(path, &d, why, sizeof(why)), VPCI_PROBE_OK);
	assert_int_equal(d.bar0_len, PAGE);
	assert_int_equal(d.ident.link_state, VMSG_LINK_READY);
	free(b);
}

static void test_emu_not_ours(void **state)
{
	uint8_t *b = malloc(BAR2_SIZE);
	struct vpci_dev d;
	char why[200];

	(void)state;
	/* foreign memory: 0x5a everywhere */
	memset(b, 0x5a, BAR2_SIZE);
	write_file(b, BAR2_SIZE);
	emu_dev(&d);
	assert_int_equal(vpci_probe_file(path, &d, why, sizeof(why)), VPCI_PROBE_NOT_OURS);
	assert_non_null(strstr(why, "no emulated link page"));
	/* card-looking memory with foreign ids (tests/rig/pci-foreign) */
	memset(b, 0, BAR2_SIZE);
	good_regs(b);
	emu_header(b, 0x1234, 0x5678, PAGE);
	put16(b, E(subsys_id), 2);
	put32(b, E(class_rev), 0x020000 << 8);
	write_file(b, BAR2_SIZE);
	emu_dev(&d);
	assert_int_equal(vpci_probe_file(path, &d, why, sizeof(why)), VPCI_PROBE_NOT_OURS);
	assert_string_equal(why, "link page ids 1234:5678 (subsystem 766d:0002, class 020000) "
				 "not in the id table");
	/* our ids but a BAR0 below the binding's minimum */
	emu_header(b, VMSG_PCIE_VENDOR_ID, VMSG_PCIE_DEVICE_ID, 0x8000);
	write_file(b, BAR2_SIZE);
	emu_dev(&d);
	assert_int_equal(vpci_probe_file(path, &d, why, sizeof(why)), VPCI_PROBE_NOT_OURS);
	assert_non_null(strstr(why, "declares a 32768-byte BAR0"));
	/* a valid page but no control block */
	emu_header(b, VMSG_PCIE_VENDOR_ID, VMSG_PCIE_DEVICE_ID, PAGE);
	put32(b, R(magic), 0);
	write_file(b, BAR2_SIZE);
	emu_dev(&d);
	assert_int_equal(vpci_probe_file(path, &d, why, sizeof(why)), VPCI_PROBE_NOT_OURS);
	assert_non_null(strstr(why, "no virtio-msg control block"));
	/* another major version */
	put32(b, R(magic), VMSG_PCIE_MAGIC);
	put32(b, R(version), 2u << 16);
	write_file(b, BAR2_SIZE);
	emu_dev(&d);
	assert_int_equal(vpci_probe_file(path, &d, why, sizeof(why)), VPCI_PROBE_NOT_OURS);
	/* a BAR 2 too small to hold a BAR0 and the page */
	write_file(b, 0x10000);
	emu_dev(&d);
	d.bar_size = 0x10000;
	assert_int_equal(vpci_probe_file(path, &d, why, sizeof(why)), VPCI_PROBE_NOT_OURS);
	assert_non_null(strstr(why, "too small"));
	free(b);
}

static void test_hostile_values(void **state)
{
	uint8_t *b = calloc(1, BAR2_SIZE);
	struct vpci_dev d;
	char why[200];
	char *t, *j;

	(void)state;
	good_regs(b);
	emu_header(b, VMSG_PCIE_VENDOR_ID, VMSG_PCIE_DEVICE_ID, PAGE);
	put32(b, R(link_state), 0x41414141);
	put32(b, R(max_msg_size), 0);
	put32(b, R(dma_addr_bits), 200);
	put32(b, R(num_doorbells), 1000);
	put32(b, R(card_features), 0xffffff00u);
	put32(b, R(host_area_min), 0xffffffffu);
	put32(b, R(c2h_cons_offset), 0xffffffc0u);
	put32(b, R(h2c_ring_offset), PAGE - 32); /* its header would cross the end */
	put32(b, R(h2c_ring_size), 0xffffffffu);
	write_file(b, BAR2_SIZE);
	emu_dev(&d);
	assert_int_equal(vpci_probe_file(path, &d, why, sizeof(why)), VPCI_PROBE_OK);
	assert_false(d.ident.ring_read);
	assert_true(d.ident.nproblems >= 8 && d.ident.nproblems <= VPCI_MAX_PROBLEMS);
	t = text_of(&d);
	assert_non_null(strstr(t, "link INVALID (1094795585)"));
	assert_non_null(strstr(t, "problem: link_state 1094795585 unknown"));
	assert_non_null(strstr(t, "problem: max_msg_size 0 outside [48, 264]"));
	assert_non_null(strstr(t, "problem: dma_addr_bits 200 outside [32, 64]"));
	assert_non_null(strstr(t, "problem: h2c ring [0xfefe0, +0xffffffff) outside BAR0"));
	assert_non_null(strstr(t, "problem: c2h consumer line 0xffffffc0 unusable"));
	assert_non_null(strstr(t, "problem: card offers only the BAR-only c2h ring"));
	assert_non_null(strstr(t, "problem: host_area_min 4294967295 unusable"));
	assert_non_null(strstr(t, "0xffffff00")); /* unknown feature bits shown as a number */
	assert_null(strstr(t, "slots of"));
	j = json_of(&d, 1);
	assert_non_null(strstr(j, "\"link_state\": \"INVALID\", \"link_state_value\": 1094795585"));
	assert_non_null(strstr(j, "\"h2c_slots\": null"));
	free(t);
	free(j);
	/* ring header inside BAR0 but with impossible geometry */
	good_regs(b);
	put32(b, 0x1000 + offsetof(struct vmsg_ring_hdr, slot_count), 3);
	write_file(b, BAR2_SIZE);
	emu_dev(&d);
	assert_int_equal(vpci_probe_file(path, &d, why, sizeof(why)), VPCI_PROBE_OK);
	assert_true(d.ident.ring_read);
	assert_int_equal(d.ident.nproblems, 1);
	assert_string_equal(d.ident.problem[0], "h2c ring geometry 3 slots of 320 bytes unusable");
	/* a ring offset far outside the BAR is never dereferenced */
	put32(b, R(h2c_ring_offset), 0xfffff000u);
	write_file(b, BAR2_SIZE);
	emu_dev(&d);
	assert_int_equal(vpci_probe_file(path, &d, why, sizeof(why)), VPCI_PROBE_OK);
	assert_false(d.ident.ring_read);
	free(b);
}

static void test_card_bar0(void **state)
{
	uint8_t *b = calloc(1, 0x10000);
	struct vpci_dev d;
	char *t, *j;

	(void)state;
	memset(&d, 0, sizeof(d));
	snprintf(d.addr, sizeof(d.addr), "0000:02:00.0");
	d.kind = VPCI_KIND_CARD;
	d.vendor = VMSG_PCIE_VENDOR_ID;
	d.device = VMSG_PCIE_DEVICE_ID;
	d.class_code = VMSG_PCIE_CLASS;
	d.bar_size = 0x10000;
	d.iommu_group = 5;
	good_regs(b);
	write_file(b, 0x10000);
	assert_int_equal(vpci_probe_file(path, &d, NULL, 0), VPCI_PROBE_OK);
	assert_false(d.have_emu);
	assert_int_equal(d.ident.nproblems, 0);
	t = text_of(&d);
	assert_non_null(strstr(t, "766d:0001"));
	assert_non_null(strstr(t, "driver: none, iommu group 5"));
	assert_null(strstr(t, "link page"));
	free(t);
	/* a gone function reads all-ones: listed, with the reason */
	memset(b, 0xff, 0x10000);
	write_file(b, 0x10000);
	assert_int_equal(vpci_probe_file(path, &d, NULL, 0), VPCI_PROBE_ERROR);
	assert_non_null(strstr(d.error, "all-ones"));
	/* no control block */
	memset(b, 0, 0x10000);
	write_file(b, 0x10000);
	assert_int_equal(vpci_probe_file(path, &d, NULL, 0), VPCI_PROBE_ERROR);
	assert_non_null(strstr(d.error, "no virtio-msg control block in BAR0 (magic 0"));
	/* a file shorter than the BAR: refused, never mapped past its end */
	write_file(b, 0x8000);
	assert_int_equal(vpci_probe_file(path, &d, NULL, 0), VPCI_PROBE_ERROR);
	assert_non_null(strstr(d.error, "is not a 65536-byte resource file"));
	/* no file */
	assert_int_equal(vpci_probe_file("/nonexistent/resource0", &d, NULL, 0), VPCI_PROBE_ERROR);
	assert_non_null(strstr(d.error, "No such file"));
	/* a BAR0 below the binding's minimum */
	d.bar_size = 0x1000;
	write_file(b, 0x1000);
	assert_int_equal(vpci_probe_file(path, &d, NULL, 0), VPCI_PROBE_ERROR);
	t = text_of(&d);
	assert_non_null(strstr(t, "identity: not read: BAR0 is 4096 bytes"));
	/* a driver name with odd bytes stays valid JSON */
	snprintf(d.driver, sizeof(d.driver), "a\"b\\c\x01\xc3");
	j = json_of(&d, 1);
	assert_non_null(strstr(j, "\"driver\": \"a\\\"b\\\\c\\u0001\\u00c3\""));
	assert_non_null(strstr(j, "\"identity\": null"));
	free(j);
	free(t);
	j = json_of(&d, 0);
	assert_string_equal(j, "[]\n");
	free(j);
	free(b);
}

/* The host driver's debugfs copy of the control block (a BAR it holds). */
static void test_driver_regs(void **state)
{
	uint8_t *b = calloc(1, 0x10000);
	struct vpci_dev d;
	char *t, *j;

	(void)state;
	emu_dev(&d);
	good_regs(b);
	write_file(b, VPCI_DRIVER_REGS_SIZE);
	assert_int_equal(vpci_probe_regs_file(path, &d, PAGE), VPCI_PROBE_OK);
	assert_true(d.have_ident);
	assert_false(d.ident.ring_read); /* only the first 0x100 bytes exist */
	assert_int_equal(d.ident.link_state, VMSG_LINK_RUN);
	assert_int_equal(d.ident.cnt[7], 5);
	assert_int_equal(d.ident.nproblems, 0);
	t = text_of(&d);
	assert_non_null(strstr(t, "identity read from vmsg_pci's debugfs"));
	j = json_of(&d, 1);
	assert_non_null(strstr(j, "\"identity_source\": \"vmsg_pci debugfs\""));
	assert_non_null(strstr(j, "\"h2c_slots\": null"));
	free(t);
	free(j);
	/* the offsets are still checked against the BAR0 length given */
	put32(b, R(h2c_ring_offset), 0xfc00);
	write_file(b, VPCI_DRIVER_REGS_SIZE);
	assert_int_equal(vpci_probe_regs_file(path, &d, 0x10000), VPCI_PROBE_OK);
	assert_int_equal(d.ident.nproblems, 1);
	assert_non_null(strstr(d.ident.problem[0], "h2c ring [0xfc00, +0x50c0) outside BAR0"));
	/* a short copy is refused */
	write_file(b, 0x80);
	assert_int_equal(vpci_probe_regs_file(path, &d, PAGE), VPCI_PROBE_ERROR);
	assert_non_null(strstr(d.error, "end of file after 128 bytes"));
	assert_false(d.have_ident);
	free(b);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(path, sizeof(path), "%s/resource", tmpdir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ids_table),	 cmocka_unit_test(test_emu_good),
	    cmocka_unit_test(test_emu_not_ours), cmocka_unit_test(test_hostile_values),
	    cmocka_unit_test(test_card_bar0),	 cmocka_unit_test(test_driver_regs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
