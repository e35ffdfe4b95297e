#!/bin/bash
# fault_inject_data.sh: allocation failures injected into the engine's
# data path (fault_lib.sh; the control path is fault_inject.sh's): with 5%
# then 30% of the engine's allocations failing in every context, new UDP
# flows and a TCP upload through masquerade: the upload is byte-exact, the
# failures are counted drops; then, injection off, everything works as
# before.  The boot's splat check (KASAN, UBSAN, lockdep, kmemleak) covers
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
# (30% of the engine's allocations failing is about as much packet loss
# on the path: TCP backs off, so less data and more time, in a slow kernel)
head -c 2000000 /dev/urandom >/tmp/nat-fault-file-5
head -c 200000 /dev/urandom >/tmp/nat-fault-file-30
for pct in 5 30; do
	ctr_snap r1
	$FT rate $pct
	for p in $(seq 1 40); do
		tool h1 --timeout 1 udp-req 192.0.2.2:7000 --sport $((42000 + p)) >/dev/null || true
	done
	upload "fault $pct%" s1 192.0.2.2 $((9000 + pct)) /tmp/nat-fault-file-$pct 300
	$FT rate 0
	check "fault $pct%: upload byte-exact" cmp /tmp/nat-fault-file-$pct "/tmp/nat-up-$((9000 + pct))"
	check "fault $pct%: failures counted as drops" \
		test "$(($(ctr_delta r1 nomem) + $(ctr_delta r1 early-drop)))" -gt 0
done
ncnat r1 flow flush
check_eq "after: udp answered" "ok 3" tool h1 udp-req 192.0.2.2:7000 --sport 43999 --count 3
check "after: ping" nsx h1 ping -c1 -W5 192.0.2.2
check_csum "no checksum errors"
nc_done
