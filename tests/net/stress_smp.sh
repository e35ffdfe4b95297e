#!/bin/bash
# stress_smp.sh: the control plane churns while traffic flows through the
# NAT (topology: nat_lib.sh; QEMU runs it on 2 vCPUs, UML on one).
#   - traffic: a TCP upload h1 -> s1 (4 MiB, compared byte for byte) and
#     h2 spraying UDP to new outside ports all along (new flows);
#   - meanwhile, round after round: `ncnat load` of two rulesets in turn
#     (both masquerade, with different filter rules), `flow flush`,
#     timeout and max-mappings changes, attach/detach of a third device
#     and deletion of an attached dummy, an address added to and removed
#     from out0;
#   - the upload arrives intact, and afterwards a fresh UDP exchange works;
#   - QEMU: `rmmod netchannel_nat` and `rmmod netchannel` while the spray
#     runs; no engine slab cache is left; both load again and a second
#     upload through the re-made NAT arrives intact.
# Any splat (lockdep, KASAN-less WARNs, RCU) fails the run by itself.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nat_lib.sh"
nat_require
nat_topo
EDGE="$NC_TOP/tests/net/edge_tool.py"
ROUNDS=${NC_STRESS_ROUNDS:-$([ "${NC_LANE:-}" = qemu ] && echo 6 || echo 15)}
cat >/tmp/nat-rules-a <<'EOF'
rule add prio 5 proto udp dport 9 drop
rule add oif out0 masquerade
EOF
cat >/tmp/nat-rules-b <<'EOF'
rule add prio 5 proto tcp dport 23 drop
rule add oif out0 masquerade ports 1024-65535
EOF
ncnat r1 load /tmp/nat-rules-a
nsx r1 ip link add x0 type dummy
nsx r1 ip link set x0 up
head -c 4M /dev/urandom >/tmp/nat-file
udp_echo s1 /dev/null 10
inmac=$(ip -n "$(ns r1)" link show in0 | awk '/link\/ether/ { print $2 }')

# h2: new UDP flows all along, until /tmp/nat-stop appears
spray() {
	local i=0
	while [ ! -e /tmp/nat-stop ]; do
		nsx h2 python3 "$EDGE" flood v0 "$inmac" udp 10.0.1.3 200 $i >/dev/null 2>&1 || true
		i=$((i + 1))
	done
}
rm -f /tmp/nat-stop
spray &
spray_pid=$!
nc_pids="$nc_pids $spray_pid"

nsbg s1 python3 "$NAT_TOOL" --timeout 120 tcp-sink 9000 /tmp/nat-up-9000 \
	--ready /tmp/nat-ready-9000 >/tmp/nat-sink-9000.log
settle 10 test -e /tmp/nat-ready-9000
nsx h1 python3 "$NAT_TOOL" --timeout 120 tcp-send 192.0.2.2 9000 /tmp/nat-file \
	>/tmp/nat-send.log 2>&1 &
send_pid=$!

churn() (
	set -e
	for r in $(seq "$ROUNDS"); do
		ncnat r1 load "/tmp/nat-rules-$([ $((r % 2)) = 0 ] && echo a || echo b)"
		ncnat r1 flow flush
		ncnat r1 timeout set udp $((20 + r)) max-mappings $((2000 + r))
		ncnat r1 dev attach x0
		nsx r1 ip addr add "192.0.2.$((100 + r))/24" dev out0
		nsx r1 ip link add "d$r" type dummy
		ncnat r1 dev attach "d$r"
		nsx r1 ip link del "d$r"
		ncnat r1 dev detach x0
		nsx r1 ip addr del "192.0.2.$((100 + r))/24" dev out0
	done
)
check "churn: every command succeeded" churn
wait "$send_pid" || true
check_eq "upload during churn: sent" "sent" cat /tmp/nat-send.log
settle 20 grep -q . /tmp/nat-sink-9000.log
check "upload during churn: identical" cmp /tmp/nat-file /tmp/nat-up-9000
check_eq "after churn: udp answered" "ok 3" \
	tool h1 udp-req 192.0.2.2:7000 --sport 43000 --count 3

if [ ! -e /sys/module/netchannel_nat/refcnt ]; then
	touch /tmp/nat-stop
	wait "$spray_pid" || true
	skip "unload under the spray (netchannel is built in here)"
	nc_done
fi
. "$NC_TOP/tests/lib/modules.sh"
trap 'touch /tmp/nat-stop; nc_cleanup; [ -d /sys/module/netchannel_nat ] || nc_load_modules >/dev/null' EXIT
check "rmmod netchannel_nat under the spray" timeout 120 rmmod netchannel_nat
check "rmmod netchannel under the spray" timeout 120 rmmod netchannel
touch /tmp/nat-stop
wait "$spray_pid" || true
check_eq "no engine slab cache left" "" \
	sh -c "grep -E '^nc_nat_(flow|binding) ' /proc/slabinfo || true"
check "modules load again" nc_load_modules
ncnat r1 dev attach in0
ncnat r1 dev attach out0
ncnat r1 load /tmp/nat-rules-a
upload "after reload" s1 192.0.2.2 9001 /tmp/nat-file
nc_done
