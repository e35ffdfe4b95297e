#!/bin/bash
# nat_filtering.sh: inbound filtering of masquerade mappings (RFC 4787
# section 5) on r1 (topology: nat_lib.sh).  For each mode - the default
# (address and port dependent), `filtering adf`, `filtering eif` - h1
# sends from a fixed UDP port to s1:5000, then these come to the mapped
# endpoint 192.0.2.1:PORT:
#   a: from s1:5000 (the endpoint h1 sent to)  admitted by all modes
#   b: from s1:5001 (same address, other port) admitted by adf and eif
#   c: from s2:5000 (another outside host)     admitted by eif only
# Admitted packets reach h1's socket (each creates its flow); the others
# are dropped and counted in `filtered`.  Once the counters show every
# packet handled, s1:5000 sends "end": h1 must have received exactly the
# admitted ones, then "end".  Finally an unsolicited packet to a port with
# no mapping goes to r1's stack (port unreachable), not to h1.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nat_lib.sh"
nat_require
nat_topo

# round MODE PORT RULE-ARGS DROPS NEW-FLOWS WANT: one mode
round() {
	local mode=$1 port=$2 rargs=$3 drops=$4 news=$5 want=$6
	local log=/tmp/nat-filter-$mode.log
	ncnat r1 rule flush
	ncnat r1 flow flush
	# shellcheck disable=SC2086
	ncnat r1 rule add oif out0 masquerade $rargs >/dev/null
	ctr_snap r1
	rm -f /tmp/nat-ready
	nsbg h1 python3 "$NAT_TOOL" --timeout 30 udp-recv "$port" --count 10 \
		--hello 192.0.2.2:5000 --until end --ready /tmp/nat-ready >"$log"
	settle 5 test -e /tmp/nat-ready
	check "$mode: mapping made" wait_until 5 ctr_is r1 flows-created 1
	local out
	out=$(flowq r1 "f[\"inside\"] == \"10.0.1.2:$port\"" outside)
	check_eq "$mode: port kept" "192.0.2.1:$port" echo "$out"
	tool s1 udp-send 192.0.2.1 "$port" --sport 5000 --payload a
	tool s1 udp-send 192.0.2.1 "$port" --sport 5001 --payload b
	tool s2 udp-send 192.0.2.1 "$port" --sport 5000 --payload c
	check "$mode: $drops filtered" wait_until 5 ctr_is r1 filtered "$drops"
	check "$mode: $news new flows" wait_until 5 ctr_is r1 flows-created "$((1 + news))"
	tool s1 udp-send 192.0.2.1 "$port" --sport 5000 --payload end
	settle 5 grep -q '^got' "$log"
	check_eq "$mode: h1 received exactly" "$want" cat "$log"
}

round apdf 48001 "" 2 0 "192.0.2.2:5000 a
192.0.2.2:5000 end
got 2"
round adf 48002 "filtering adf" 1 1 "192.0.2.2:5000 a
192.0.2.2:5001 b
192.0.2.2:5000 end
got 3"
round eif 48003 "filtering eif" 0 2 "192.0.2.2:5000 a
192.0.2.2:5001 b
198.51.100.2:5000 c
192.0.2.2:5000 end
got 4"
check_eq "eif: flows of the mapping" \
	"udp 10.0.1.2:48003 192.0.2.1:48003 192.0.2.2:5000
udp 10.0.1.2:48003 192.0.2.1:48003 192.0.2.2:5001
udp 10.0.1.2:48003 192.0.2.1:48003 198.51.100.2:5000" \
	flowq r1 True proto inside outside remote

# unsolicited, default mode: no mapping for port 48100
ncnat r1 rule flush
ncnat r1 flow flush
ncnat r1 rule add oif out0 masquerade >/dev/null
ctr_snap r1
noports() { nsx r1 awk '/^Udp:/ { if (h) print $3; h = 1 }' /proc/net/snmp; }
noports_above() { [ "$(noports)" -gt "$1" ]; }
np=$(noports)
nsbg h1 python3 "$NAT_TOOL" --timeout 30 udp-recv 48100 --count 10 --until end >/tmp/nat-unsol.log
settle 5 listening h1 udp 48100
tool s1 udp-send 192.0.2.1 48100 --sport 5000 --payload x
check "unsolicited: r1's stack got it (no port)" wait_until 5 noports_above "$np"
check_eq "unsolicited: no flow, nothing filtered" "flows-created=0 filtered=0" \
	ctr_deltas r1 flows-created filtered
# h1's listener gets "end" directly (h1's own address, not via NAT)
nsx h1 python3 "$NAT_TOOL" udp-send 127.0.0.1 48100 --payload end
settle 5 grep -q '^got' /tmp/nat-unsol.log
check_eq "unsolicited: h1 got nothing (only the local end)" "end" \
	sh -c "grep -v '^got' /tmp/nat-unsol.log | cut -d' ' -f2"
check_csum "no checksum errors"
nc_done
