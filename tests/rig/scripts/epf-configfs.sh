#!/bin/sh
# epf-configfs.sh up|down - create and start (up), or stop and remove (down),
# a pci-epf-vmsg function through the endpoint framework's configfs, as a
# user does on a card (the steps docs/epf-chardev.md shows: that page quotes
# the lines between the "steps" markers; tests/rig/card-bringup.test.sh
# checks that they are the same). The card-VM rig tests run this file.
# Optional environment: FUNC (default func0), EPC (default: the first
# controller), VENDORID, DEVICEID, MSIX (header attributes; unset: the
# module's defaults, the binding's ids), BAR0_SIZE, NUM_DOORBELLS (binding
# parameters).
set -e
FUNC=${FUNC:-func0}
case ${1:-} in
up)
	# --- steps: up (docs/epf-chardev.md) ---
	modprobe pci-epf-vmsg                       # or: insmod pci-epf-vmsg.ko
	grep -q ' /sys/kernel/config ' /proc/mounts || mount -t configfs none /sys/kernel/config
	cd /sys/kernel/config/pci_ep
	mkdir functions/pci_epf_vmsg/$FUNC
	# optional: the standard header attributes (defaults: the binding's ids, vmsg_pcie.h)
	[ -z "${VENDORID:-}" ] || echo "$VENDORID" > functions/pci_epf_vmsg/$FUNC/vendorid
	[ -z "${DEVICEID:-}" ] || echo "$DEVICEID" > functions/pci_epf_vmsg/$FUNC/deviceid
	[ -z "${MSIX:-}" ] || echo "$MSIX" > functions/pci_epf_vmsg/$FUNC/msix_interrupts
	# optional: the binding parameters (the module's own attributes, see below)
	A=$(echo functions/pci_epf_vmsg/$FUNC/pci_epf_vmsg.*)         # the module's own group
	[ -z "${BAR0_SIZE:-}" ] || echo "$BAR0_SIZE" > $A/bar0_size
	[ -z "${NUM_DOORBELLS:-}" ] || echo "$NUM_DOORBELLS" > $A/num_doorbells   # > 2: OOB_NOTIFY
	EPC=${EPC:-$(ls /sys/class/pci_epc | head -n 1)}   # the endpoint controller
	ln -s functions/pci_epf_vmsg/$FUNC controllers/$EPC/
	echo 1 > controllers/$EPC/start
	# --- end of steps ---
	;;
down)
	# --- steps: down (docs/epf-chardev.md) ---
	cd /sys/kernel/config/pci_ep
	EPC=${EPC:-$(ls /sys/class/pci_epc | head -n 1)}
	echo 0 > controllers/$EPC/start
	rm controllers/$EPC/$FUNC          # unbind: the daemon shuts down cleanly and exits 0
	rmdir functions/pci_epf_vmsg/$FUNC
	rmmod pci-epf-vmsg
	# --- end of steps ---
	;;
*)
	echo "usage: epf-configfs.sh up|down" >&2
	exit 2
	;;
esac
