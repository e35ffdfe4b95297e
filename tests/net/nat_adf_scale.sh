#!/bin/bash
# nat_adf_scale.sh: address-dependent filtering (`masquerade filtering
# adf`) on a binding with many flows, on r1 (topology: nat_lib.sh).  The
# admit check of an unsolicited packet is one lookup in a per-netns index
# of the binding's remote addresses, not a walk of its flows; this proves
# that the index answers what the walk did, and follows flows that go.
#
# h1 sends from one UDP port (one binding) to 2,000 remote addresses
# 100.64.0.0 on (routed by r1 to r2, which drops them).  Then, from
# outside (s1 with spoofed sources):
#   A: contacted remotes, from another port, are admitted (each makes its
#      flow and reaches h1); others, and s2, are dropped in `filtered`;
#      the exact remote endpoint of a flow uses that flow
#   B: h1 keeps three of the 2,000 flows alive; once the others expired
#      and were collected, only those three remotes are admitted
#   C: after `flow flush` and new flows to two other remotes on the same
#      port (a new binding), only those two are admitted
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nat_lib.sh"
nat_require
nat_topo

ADF_TOOL="$NC_TOP/tests/net/nat_adf_tool.py"
PORT=40000
N=2000
route r1 100.64.0.0/16 via 192.0.2.254
nsx r2 ip route add blackhole 100.64.0.0/16

# rem I: the I-th remote address (100.64.0.0 + I)
rem() { echo "100.64.$(($1 >> 8)).$(($1 & 255))"; }
# spoof SPORT PAYLOAD ADDR[*N]...: datagrams from s1 to 192.0.2.1:PORT
spoof() {
	local sport=$1 payload=$2; shift 2
	tool_adf s1 spoof 192.0.2.1 "$PORT" "$sport" "$payload" "$@" >/dev/null
}
tool_adf() { local n=$1; shift; nsenter --net="/run/netns/$(ns "$n")" python3 "$ADF_TOOL" "$@"; }
# got LOG: what h1 received, sorted, without the final count
got() { grep -v '^got' "$1" | sort; }
# lines SPORT PAYLOAD I...: the lines h1 prints for remotes I, sorted
lines() {
	local sport=$1 payload=$2 i; shift 2
	for i in "$@"; do echo "$(rem "$i"):$sport $payload"; done | sort
}

ncnat r1 rule add oif out0 masquerade filtering adf >/dev/null

# --- A: 2,000 flows on one binding
ctr_snap r1
logA=/tmp/nat-adf-a.log
rm -f /tmp/nat-adf-ready
nsbg h1 python3 "$ADF_TOOL" --timeout 200 spray "$PORT" 100.64.0.0 "$N" 7000 \
	--keep 3 --ready /tmp/nat-adf-ready --until end >"$logA"
settle 10 test -e /tmp/nat-adf-ready
check "A: $N flows made" wait_until 30 ctr_is r1 flows-created "$N"
# every 100th contacted remote and the last, from port 6000: admitted
admit=() addrs=()
for ((i = 0; i < N; i += 100)); do admit+=("$i"); done
admit+=($((N - 1)))
nadmit=${#admit[@]}
for i in "${admit[@]}"; do addrs+=("$(rem "$i")"); done
spoof 6000 a "${addrs[@]}"
check "A: $nadmit contacted remotes admitted" \
	wait_until 10 ctr_is r1 flows-created "$((N + nadmit))"
# the 50 addresses after the contacted ones, 10 far away, and s2
spoof 6000 f "$(rem "$N")*50" 100.64.200.0*10
tool s2 udp-send 192.0.2.1 "$PORT" --sport 5000 --payload f
check "A: 61 others filtered" wait_until 10 ctr_is r1 filtered 61
# the exact remote endpoint of a flow: that flow, nothing new
spoof 7000 x "$(rem 5)"
spoof 6000 end "$(rem 0)"
settle 10 grep -q '^got' "$logA"
check_eq "A: flows, filtered" "flows-created=$((N + nadmit)) filtered=61" \
	ctr_deltas r1 flows-created filtered
check_eq "A: h1 received exactly the admitted" \
	"$({ lines 6000 a "${admit[@]}"; lines 7000 x 5; lines 6000 end 0; } | sort)" \
	got "$logA"
# outsides: "COUNT OUTSIDE" per outside endpoint of h1's flows
outsides() {
	flowq r1 'f["remote"].endswith(":7000")' outside | sort | uniq -c |
		awk '{ print $1, $2 }'
}
check_eq "A: one binding for all $N flows" "$N 192.0.2.1:$PORT" outsides

# --- B: all but three flows expire (unanswered UDP: 30 s)
logB=/tmp/nat-adf-b.log
rm -f /tmp/nat-adf-ready
nsbg h1 python3 "$ADF_TOOL" --timeout 200 spray "$PORT" 100.64.0.0 3 7000 \
	--keep 3 --ready /tmp/nat-adf-ready --until end >"$logB"
settle 10 test -e /tmp/nat-adf-ready
# collected, not only expired: the index (as the walk did) counts a flow
# until the collector unlinks it (since A's snapshot)
check "B: the others expired and were collected" \
	wait_until 90 ctr_is r1 flows-expired "$((N + nadmit - 3))"
remotes() { flowq r1 True remote | tr '\n' ' '; }
check_eq "B: the three kept flows are left" \
	"$(rem 0):7000 $(rem 1):7000 $(rem 2):7000 " remotes
ctr_snap r1
spoof 6001 b "$(rem 0)*3"
check "B: the three kept remotes admitted" wait_until 10 ctr_is r1 flows-created 3
spoof 6001 f "$(rem 3)" "$(rem 5)" "$(rem 100)" "$(rem 1000)" "$(rem 1999)"
check "B: expired remotes filtered" wait_until 10 ctr_is r1 filtered 5
spoof 6001 end "$(rem 0)"
settle 10 grep -q '^got' "$logB"
check_eq "B: flows, filtered" "flows-created=3 filtered=5" \
	ctr_deltas r1 flows-created filtered
check_eq "B: h1 received exactly the kept remotes'" \
	"$({ lines 6001 b 0 1 2; lines 6001 end 0; } | sort)" got "$logB"

# --- C: flush, then a new binding on the same port to two new remotes
ncnat r1 flow flush
check_eq "C: flush left no flow" 0 nflows r1
logC=/tmp/nat-adf-c.log
rm -f /tmp/nat-adf-ready
ctr_snap r1
nsbg h1 python3 "$ADF_TOOL" --timeout 200 spray "$PORT" "$(rem 3000)" 2 7000 \
	--ready /tmp/nat-adf-ready --until end >"$logC"
settle 10 test -e /tmp/nat-adf-ready
check "C: two new flows" wait_until 10 ctr_is r1 flows-created 2
spoof 6002 f "$(rem 0)*3" "$(rem 100)"
check "C: remotes of flushed flows filtered" wait_until 10 ctr_is r1 filtered 4
spoof 6002 c "$(rem 3000)*2"
check "C: the new remotes admitted" wait_until 10 ctr_is r1 flows-created 4
spoof 6002 end "$(rem 3000)"
settle 10 grep -q '^got' "$logC"
check_eq "C: flows, filtered" "flows-created=4 filtered=4" \
	ctr_deltas r1 flows-created filtered
check_eq "C: h1 received exactly the new remotes'" \
	"$({ lines 6002 c 3000 3001; lines 6002 end 3000; } | sort)" got "$logC"
ncnat r1 flow flush
check_eq "no flow left" 0 nflows r1
check_csum "no checksum errors"
nc_done
