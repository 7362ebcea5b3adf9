#!/usr/bin/env bash
# card-net: virtio-net between the host VM's stock virtio_net and the card
# VM's own network stack: `vmsg-card --platform epf --net tap:vmsg0,create`
# in the card VM, its tap vmsg0 10.77.0.1/24; the host VM runs pci-net.vm.sh
# (eth0 10.77.0.2, ping, 16 MiB over TCP each way with busybox nc); the card
# VM receives and sends with busybox nc too, pings back, and the sha256 sums
# are compared at both ends. The pair: tests/rig/scripts/pair-lib.sh.
set -uo pipefail
. "$(dirname "$0")/scripts/kbus-lib.sh"
. "$(dirname "$0")/scripts/pair-lib.sh"
pair_init
pair_card_prelude CARD_NET_ADDR=10.77.0.1/24 \
	"CARD_DEVS='--net tap:vmsg0,create'"
vmrc=1
if pair_card_start 300; then
	# The card VM listens (stdin held open: see pci-net.vm.sh) before the
	# host VM exists; the listener reports the sum when its peer is done.
	# With the Arm card VM at load 12 each 16 MiB took 180 s (the whole test
	# takes 80 s on an idle machine): the waits are bounded for the former.
	pair_card_run listen 30 'mkfifo /tmp/hold; exec 3<>/tmp/hold; (nc -l -p 5001 >/tmp/rx <&3; echo "@@OUT rxsum $(wc -c </tmp/rx) $(sha256sum </tmp/rx | cut -d" " -f1)"; mark card-rx-done) &' ||
		kb_bad "card VM: nc listener"
	kb_vm_bg "$KB_SCRIPTS/pci-net.vm.sh" --timeout 800
	if kb_wait_mark tx-ready 120; then
		t=$(kb_now)
		if pair_card_mark card-rx-done 300; then
			want=$(tr -d '\r' <"$KB_CONSOLE" | grep -a '^@@TXSUM' | awk '{print $2}')
			kb_check "16 MiB host VM -> card VM in $(kb_since "$t") s, sha256 matches" \
				test "$(pair_card_out rxsum)" = "$((16 << 20)) $want"
		else
			kb_bad "host VM -> card VM transfer did not end"
		fi
		kb_check "card VM pings the host VM (10.77.0.2)" pair_card_run ping 30 'ping -c 3 -W 2 10.77.0.2'
		if kb_wait_mark rx-listen 60; then
			t=$(kb_now)
			pair_card_run send 300 'dd if=/dev/urandom of=/tmp/tx bs=1M count=16 2>/dev/null; echo "@@OUT txsum $(sha256sum </tmp/tx | cut -d" " -f1)"; nc 10.77.0.2 5002 </tmp/tx' ||
				kb_bad "card VM -> host VM: nc failed"
			kb_wait_mark net-done 300
			got=$(tr -d '\r' <"$KB_CONSOLE" | grep -a '^@@RXSUM' | awk '{print $2}')
			kb_check "16 MiB card VM -> host VM in $(kb_since "$t") s, sha256 matches" \
				test -n "$got" -a "$(pair_card_out txsum)" = "$got"
		else
			kb_bad "the host VM never listened"
		fi
	else
		kb_bad "the host VM never got ready to send"
	fi
	kb_vm_wait
	vmrc=$?
else
	tail -n 40 "$PAIR_CARD_CONSOLE" | sed "s/^/$KB_NAME: card console: /"
fi
pair_card_finish
kb_finish $vmrc
