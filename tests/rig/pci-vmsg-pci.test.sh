#!/usr/bin/env bash
# vmsg-pci (userspace_pmd/tools/vmsg_pci, libpci) inside the host VM, copied
# in with its shared libraries (libpci and its own):
#   1. the soft card's ivshmem device: listed as an emulated link with the
#      identity read from BAR0 (magic, binding 1.1: the card offers OOB_NOTIFY, link READY, no driver),
#      then, once vmsg_pci attached, driver vmsg_pci, link RUN and the
#      driver's epoch (read through vmsg_pci's debugfs regs: Debian's kernel,
#      CONFIG_IO_STRICT_DEVMEM, refuses user mappings of a BAR a driver
#      holds); --json parsed here (the VM has no python); -s filters;
#   2. foreign ivshmem devices (pci-foreign.test.sh's two kinds: no link
#      page; a link page whose ids are not in the id table): nothing listed,
#      exit 1, -v says why, --json prints [].
# About 25 s.
set -uo pipefail
. "$(dirname "$0")/scripts/kbus-lib.sh"
VP=$(kb_find_built userspace_pmd/tools/vmsg_pci/vmsg-pci) ||
	kb_die "vmsg-pci not built (meson setup build && ninja -C build)"
SRV=$(kb_find_built common/vmsg-ivshmem-server) ||
	kb_die "vmsg-ivshmem-server not built (meson setup build && ninja -C build)"
kb_init
kb_say "vmsg-pci $VP"

# json_check NAME PYTHON-ASSERTIONS: the NAME JSON block of the console,
# parsed, with `d` the list; each assertion line is "expression # what".
json_check() {
	local name=$1 out
	if out=$(tr -d '\r' <"$KB_CONSOLE" | python3 -c '
import json, sys
name, checks = sys.argv[1], sys.argv[2]
lines, inside = [], False
for l in sys.stdin:
    l = l.rstrip("\n")
    if l == "@@JSON BEGIN " + name:
        inside = True
    elif l == "@@JSON END " + name:
        break
    elif inside:
        lines.append(l)
try:
    d = json.loads("\n".join(lines))
except ValueError as e:
    print("FAIL - %s: not JSON: %s" % (name, e))
    sys.exit(1)
fails = 0
for c in checks.strip().splitlines():
    expr, _, what = c.partition(" # ")
    try:
        ok = eval(expr.strip(), {"d": d})
    except Exception as e:
        ok = False
        what += " (%s: %s)" % (type(e).__name__, e)
    print("%s - %s: %s" % ("ok" if ok else "FAIL", name, what or expr))
    fails += not ok
sys.exit(1 if fails else 0)
' "$name" "$2"); then :; fi
	while IFS= read -r l; do
		case $l in
		"ok - "*) kb_ok "${l#ok - }" ;;
		*) kb_bad "${l#FAIL - }" ;;
		esac
	done <<<"$out"
}

# 1. The soft card.
kb_card_start --rng
kb_vm_prelude 'MODE=card'
t=$(kb_now)
kb_vm "$KB_SCRIPTS/pci-vmsg-pci.vm.sh" --timeout 180 --file "$VP"
rc=$?
kb_say "VM run took $(kb_since "$t") s"
kb_vm_results
json_check beforejson '
len(d) == 1 # one card
d[0]["address"] == "0000:01:00.0" # address
d[0]["kind"] == "emulated" and d[0]["vendor_id"] == "1af4" and d[0]["device_id"] == "1110" # ivshmem ids
d[0]["driver"] is None # no driver yet
d[0]["bar"] == 2 and d[0]["bar0_len"] > 0 and d[0]["bar0_len"] + 4096 <= d[0]["bar_size"] # BAR0 inside BAR 2
d[0]["link_page"]["vendor_id"] == "766d" and d[0]["link_page"]["class"] == "ff0000" # link page ids
d[0]["identity"]["magic"] == "0x47534d56" and d[0]["identity"]["version"] == "1.1" # magic, version
d[0]["identity"]["link_state"] == "READY" # READY before the driver
d[0]["identity"]["problems"] == [] # no problem
d[0]["identity_source"] == "BAR" # read from the mapped BAR (no driver holds it)
d[0]["identity"]["h2c_slots"] >= 2 and d[0]["identity"]["h2c_slot_size"] >= 64 # h2c ring geometry from the ring header
'
ep=$(tr -d '\r' <"$KB_CONSOLE" | sed -n 's/^vm: debugfs epoch \([0-9]*\)$/\1/p' | head -n 1)
json_check afterjson "
d[0]['driver'] == 'vmsg_pci' # driver vmsg_pci
d[0]['identity']['link_state'] == 'RUN' # link RUN
d[0]['identity']['epoch'] == int('${ep:-0}') and d[0]['identity']['epoch'] != 0 # epoch = the driver's (${ep:-none})
d[0]['identity']['host_epoch'] == d[0]['identity']['epoch'] # the host attached to that epoch
'C2H_HOST_MEM' in d[0]['identity']['card_feature_names'] # features named
d[0]['identity_source'] == 'vmsg_pci debugfs' # the driver holds the BAR: its debugfs copy
d[0]['identity']['problems'] == [] # no problem
set(d[0]['identity']['counters']) >= {'rx_msgs', 'tx_msgs', 'doorbells', 'irqs'} # counters
"
kb_card_stop TERM
[ "$rc" -eq 0 ] || rc1=$rc
rc1=${rc1:-0}

# 2. Foreign ivshmem devices (as in pci-foreign.test.sh).
SIZE=$((1 << 20))
run_foreign() {
	local name=$1 shm=$2 rc srv
	shift 2
	rm -rf "$KB_LINK"
	mkdir -p "$KB_LINK"
	"$SRV" --socket "$KB_LINK/ivshmem.sock" --shm-path "$shm" --shm-size "$SIZE" \
		--pidfile "$KB_T/srv.pid" >"$KB_T/server-$name.log" 2>&1 &
	srv=$!
	# shellcheck disable=SC2034 # read by kb_cleanup (kbus-lib.sh)
	KB_EXTRA_PIDS=$srv
	for _ in $(seq 100); do [ -S "$KB_LINK/ivshmem.sock" ] && break; sleep 0.05; done
	KB_VM_PRELUDE=
	kb_vm_prelude 'MODE=foreign' "$@"
	KB_CONSOLE=$KB_T/console-$name.log
	kb_vm "$KB_SCRIPTS/pci-vmsg-pci.vm.sh" --timeout 120 --file "$VP"
	rc=$?
	kill -TERM "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	KB_EXTRA_PIDS=
	return $rc
}
SHM=$KB_T/foreign.shm
head -c "$SIZE" /dev/zero | tr '\000' '\132' >"$SHM"
run_foreign no-header "$SHM" 'FOREIGN=no-header'
rc2=$?
kb_vm_results
SHM2=$KB_T/foreign-ids.shm
python3 - "$SHM2" "$SIZE" <<'PY' || kb_die "cannot write $SHM2"
import struct, sys
path, size = sys.argv[1], int(sys.argv[2])
b = bytearray(size)
struct.pack_into("<II", b, 0, 0x47534D56, 0x00010000)
pg = size - 4096
struct.pack_into("<IIHHHHIII", b, pg, 0x52484556, 1, 0x1234, 0x5678, 0x1234, 0x0002,
                 0x020000 << 8, size - 4096, 0)
open(path, "wb").write(b)
PY
run_foreign foreign-ids "$SHM2" 'FOREIGN=ids'
rc3=$?
for r in "$rc1" "$rc2"; do [ "$r" -ne 0 ] && [ "$rc3" -eq 0 ] && rc3=$r; done
kb_finish "$rc3"
