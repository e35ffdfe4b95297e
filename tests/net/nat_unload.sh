#!/bin/bash
# nat_unload.sh: unloading under traffic (QEMU lane: the modules are
# loadable there; in UML they are built in and every check is a SKIP).
# With mappings live, the NAT in use (masquerade) and pings running both
# through r1 (h1 -> s1) and to r1 itself (s1 -> 192.0.2.1, every 50 ms):
#   - `rmmod netchannel_nat` succeeds, the NAT family is gone, the CLI
#     says so; then `rmmod netchannel` succeeds although in0 and out0 are
#     still attached; traffic keeps flowing to r1 itself;
#   - both load again (tests/lib/modules.sh), r1 attaches and gets its
#     rule again, and NAT works: N pings, N replies, a fresh flow;
#   - no splat in the kernel log (run.sh checks the whole boot as well).
# Other scenarios share this boot: whatever happens, the modules are
# loaded again when the script exits.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nat_lib.sh"
if [ ! -e /sys/module/netchannel_nat/refcnt ] || [ ! -e /sys/module/netchannel/refcnt ]; then
	skip "unload under traffic (netchannel and its NAT are built in here)"
	nc_done
fi
. "$NC_TOP/tests/lib/modules.sh"
nat_require

reload() {
	[ -d /sys/module/netchannel_nat ] || nc_load_modules >/dev/null
}
trap 'nc_cleanup; reload' EXIT

nat_topo
ncnat r1 rule add oif out0 masquerade >/dev/null
udp_echo s1 /dev/null 10
check_eq "udp through NAT before" "ok 3" tool h1 udp-req 192.0.2.2:7000 --sport 52000 --count 3
nsbg h1 ping -q -i 0.05 192.0.2.2 >/dev/null 2>&1
nsbg s1 ping -q -i 0.05 192.0.2.1 >/tmp/nat-ping-r1.log 2>&1
nflows_ge() { [ "$(nflows "$1")" -ge "$2" ]; }
check "flows live (udp and icmp)" wait_until 10 nflows_ge r1 2
dmesg_before=$(dmesg | wc -l)

check "rmmod netchannel_nat under traffic" rmmod netchannel_nat
check "NAT family gone" sh -c "! genl ctrl get name netchannel_nat >/dev/null 2>&1"
check_fails "flow list fails while unloaded" ncnat r1 flow list
check "rmmod netchannel with devices attached" rmmod netchannel
check "netchannel family gone" sh -c "! genl ctrl get name netchannel >/dev/null 2>&1"
# r1 still answers s1's pings without the hook: count some after unload
rx() { nsx s1 cat /sys/class/net/v0/statistics/rx_packets; }
above() { [ "$(rx)" -gt "$1" ]; }
n=$(rx)
check "traffic to r1 flows without the modules" wait_until 5 above "$((n + 5))"

check "modules load again" nc_load_modules
check "NAT family back" genl ctrl get name netchannel_nat
check "attach in0 again" ncnat r1 dev attach in0
check "attach out0 again" ncnat r1 dev attach out0
check "masquerade rule again" ncnat r1 rule add oif out0 masquerade
N=5
out=$(nsx h1 ping -c $N -i 0.05 -W 2 192.0.2.2 2>&1) || true
check_eq "ping through NAT after reload: $N of $N" "$N packets transmitted, $N received" \
	sh -c "echo '$out' | grep -o '[0-9]* packets transmitted, [0-9]* received'"
check_eq "udp through NAT after reload" "ok 3" tool h1 udp-req 192.0.2.2:7000 --sport 52001 --count 3
check_eq "fresh flow" "10.0.1.2:52001 192.0.2.1:52001" \
	flowq r1 'f["inside"] == "10.0.1.2:52001"' inside outside
check_eq "no splat since the unload" "" sh -c \
	"dmesg | tail -n +$((dmesg_before + 1)) | grep -E 'WARNING|BUG|Oops|refcount|leak|use-after-free|unregister_netdevice: waiting' || true"
nc_done
