# (h) virtio-console: text both ways through the card's pty.
load_bus
check "virtio-console bound within 20 s" wait_for 20 sh -c 'ls /sys/bus/virtio/drivers/virtio_console/ | grep -q virtio'
check "/dev/hvc0 exists within 10 s" wait_for 10 test -c /dev/hvc0
stty -F /dev/hvc0 raw -echo 2>/dev/null
# Reader first, so nothing the host sends is missed.
(timeout 40 head -n 1 /dev/hvc0 >/tmp/from-host) &
RD=$!
sleep 0.3
MSG="hello-from-vm-$RIG_RUN_ID"
t=$(up)
check "write to /dev/hvc0" sh -c "echo $MSG >/dev/hvc0"
mark vm-sent
wait $RD
say "round trip $(since "$t") s"
check "read the host's line from /dev/hvc0" grep -q "hello-from-host-$RIG_RUN_ID" /tmp/from-host
say "from the host: $(cat /tmp/from-host | tr -d '\r')"
check "no request timed out" [ "$(stat_get request_timeouts)" = 0 ]
finish
