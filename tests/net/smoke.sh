#!/bin/bash
# smoke.sh: proves a lane works (netns, veth, addresses, ping both ways,
# v4 and v6).  Placeholder until the real scenarios arrive.
. "$(dirname "$0")/lib.sh"

ns_add a b
veth a v0 10.0.0.1/24 b v0 10.0.0.2/24
addr a v0 fd00::1/64
addr b v0 fd00::2/64
check "ping a->b v4" nsx a ping -c1 -W2 10.0.0.2
check "ping b->a v4" nsx b ping -c1 -W2 10.0.0.1
check "ping a->b v6" nsx a ping -c1 -W2 fd00::2
check_eq "netns listed" "$(ns a)" sh -c "ip netns list | grep -o '^$(ns a)\b'"
check "rx counted" test "$(link_stat b v0 rx_packets)" -ge 2
# guest-init.sh holds netstamp_needed_key on under QEMU (jump label patching
# races the other vCPU under TCG); its socket must be there all run long
[ "${NC_LANE:-}" != qemu ] ||
	check_eq "QEMU: timestamping socket held from boot" on cat /run/nc-tstamp
nc_done
