# (g) virtio-net over the card's tap into a network namespace on the
# machine: ping, then 16 MiB over TCP each way with sha256 (busybox nc).
load_bus
check "eth0 within 20 s" wait_for 20 test -e /sys/class/net/eth0
ip addr add 10.77.0.2/24 dev eth0
ip link set eth0 up
check "ping 10.77.0.1 (the namespace) within 20 s" wait_for 20 ping -c 1 -W 1 10.77.0.1
# ping's own exit status (busybox sh has no pipefail) and all 5 replies
ping -c 5 -i 0.2 10.77.0.1 >/tmp/ping.out 2>&1
rc=$?
tail -n 2 /tmp/ping.out | sed "s/^/vm: /"
check "ping -c 5 exits 0 (got $rc)" [ "$rc" = 0 ]
check "ping -c 5: 5 replies" grep -Eq '^5 packets transmitted, 5 (packets )?received' /tmp/ping.out
dd if=/dev/urandom of=/tmp/tx bs=1M count=16 2>/dev/null
echo "@@TXSUM $(sha256sum </tmp/tx | cut -d' ' -f1)"
mark tx-ready
t=$(up)
check "16 MiB VM -> namespace over TCP" sh -c 'nc 10.77.0.1 5001 </tmp/tx'
say "VM -> namespace: 16 MiB in $(since "$t") s"
rm -f /tmp/tx
mark rx-listen
t=$(up)
# stdin held open (a FIFO nobody writes): busybox nc half-closes when its
# stdin ends, and a busybox nc sender (card-net's card VM) stops sending
# when its peer half-closes.
mkfifo /tmp/hold
exec 3<>/tmp/hold
nc -l -p 5002 >/tmp/rx <&3
exec 3>&-
say "namespace -> VM: $(wc -c </tmp/rx) bytes in $(since "$t") s"
echo "@@RXSUM $(sha256sum </tmp/rx | cut -d' ' -f1)"
stat_show 'tx_msgs|rx_msgs|irqs|h2c_ring_full|avail_deferred|avail_coalesced|request_timeouts'
check "no request timed out" [ "$(stat_get request_timeouts)" = 0 ]
mark net-done
finish
