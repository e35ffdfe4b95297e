#!/bin/bash
# fault_inject_data.sh: allocation failures injected into the engine's
# data path (fault_lib.sh; the control path is fault_inject.sh's): with 5%
# then 30% of the engine's allocations failing in every context, new UDP
# flows and a TCP upload through masquerade: at 5% the upload completes
# byte-exact, at 30% what arrives is exact (TCP may not finish under that
# loss); the failures are counted drops; then, injection off, everything
# works as before, a new upload byte-exact.  The boot's splat check (KASAN, UBSAN, lockdep, kmemleak) covers
# it.  Topology: nat_lib.sh.
# nc-timeout: 3600
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nat_lib.sh"
. "$(dirname "$0")/fault_lib.sh"
fault_setup
ncnat r1 rule add oif out0 masquerade >/dev/null
udp_echo s1 /tmp/nat-echo-s1.log

# --- data path ---
check "fault: setup traffic works" nsx h1 ping -c1 -W5 192.0.2.2
head -c 2000000 /dev/urandom >/tmp/nat-fault-file-5
head -c 200000 /dev/urandom >/tmp/nat-fault-file-30
for pct in 5 30; do
	ctr_snap r1
	$FT rate $pct
	for p in $(seq 1 40); do
		tool h1 --timeout 1 udp-req 192.0.2.2:7000 --sport $((42000 + p)) >/dev/null || true
	done
	port=$((9000 + pct)) file=/tmp/nat-fault-file-$pct
	if [ "$pct" = 5 ]; then
		upload "fault $pct%" s1 192.0.2.2 $port $file 300
	else
		# 30% of the engine's allocations failing is about as much
		# packet loss: TCP backs off and may not finish in a slow
		# kernel; what arrives must still be exact
		nsbg s1 python3 "$NAT_TOOL" --timeout 300 tcp-sink $port /tmp/nat-up-$port \
			--ready /tmp/nat-ready-$port >/tmp/nat-sink-$port.log
		settle 20 test -e /tmp/nat-ready-$port
		tool h1 --timeout 300 tcp-send 192.0.2.2 $port $file >/dev/null 2>&1 || true
		got=$(stat -c %s /tmp/nat-up-$port 2>/dev/null || echo 0)
		echo "    ($got of 200000 bytes arrived)"
		check "fault $pct%: upload made progress" test "$got" -gt 0
		check "fault $pct%: what arrived is exact" cmp -n "$got" $file /tmp/nat-up-$port
	fi
	$FT rate 0
	check "fault $pct%: failures counted as drops" \
		test "$(($(ctr_delta r1 nomem) + $(ctr_delta r1 early-drop)))" -gt 0
done
ncnat r1 flow flush
check_eq "after: udp answered" "ok 3" tool h1 udp-req 192.0.2.2:7000 --sport 43999 --count 3
check "after: ping" nsx h1 ping -c1 -W5 192.0.2.2
upload "after" s1 192.0.2.2 9031 /tmp/nat-fault-file-30 60
check_csum "no checksum errors"
nc_done
