# (c) virtio-rng feeds /dev/hwrng.
load_bus
check "virtio-rng device bound within 20 s" wait_for 20 sh -c 'd=$(ls -d /sys/bus/virtio/drivers/virtio_rng/virtio* 2>/dev/null) && [ -n "$d" ]'
check "hw_random uses virtio_rng" wait_for 10 sh -c 'grep -q virtio_rng /sys/class/misc/hw_random/rng_current'
say "rng_current: $(cat /sys/class/misc/hw_random/rng_current)"
t=$(up)
dd if=/dev/hwrng of=/tmp/r1 bs=256 count=16 2>/dev/null
dd if=/dev/hwrng of=/tmp/r2 bs=256 count=16 2>/dev/null
say "8 KiB from /dev/hwrng in $(since "$t") s"
check "/dev/hwrng gave 4096 bytes" [ "$(wc -c </tmp/r1)" = 4096 ]
check "not all zeros" sh -c '[ -n "$(tr -d "\000" </tmp/r1 | head -c 1)" ]'
check "two reads differ" sh -c '! cmp -s /tmp/r1 /tmp/r2'
check "no request timed out" [ "$(stat_get request_timeouts)" = 0 ]
finish
