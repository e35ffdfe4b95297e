#!/bin/bash
# nat_frag_scope.sh: NAT reassembles only the fragments a NAT flow can own
# (topology: nat_lib.sh with an inside MTU of 1000, so h1's and h2's
# 8000-byte datagrams leave in 9 fragments; at r1's outside MTU 1500 a
# reassembled one would leave in 6, as s1's replies come).
#   - only h1 is masqueraded: h2's routed datagrams to s1 and back are
#     not reassembled by r1 (the 9 fragments and the reply's 6 are counted
#     in frag-passed), and work; a lone first fragment from h2 reaches s1
#     (r1 did not hold it in a reassembly queue), one from h1 does not;
#   - h1's are reassembled, translated and fragmented to 1500; replies to
#     r1's own address are reassembled, translated back and fragmented
#     to 1000;
#   - ICMP fragments are always reassembled (an error quotes its flow);
#   - a port forward to h2: s1's datagrams to r1 and h2's fragmented
#     replies (from the dnat target) are reassembled and translated;
#   - a rule for h1's second address 10.0.1.4 added: its fragments are
#     reassembled and translated; the rule deleted, its flow still owns
#     them (nothing passes);
#   - filtering eif: a rule for h1's third address 10.0.1.6 names only
#     198.51.100.0/24; s1 gets in through the mapping it made, and
#     10.0.1.6's fragments to s1 are then reassembled and translated
#     (passed whole, they would reach s1 from 10.0.1.6);
#   - a port forward for 10.0.1.4 on 198.51.100.80, an address r1 only
#     routes: a hairpin through it binds 10.0.1.4 to 198.51.100.80, and
#     10.0.1.7's fragments to that endpoint are reassembled (no rule
#     names 10.0.1.7 as a source).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nat_lib.sh"
nat_require
nat_topo
for p in p0 p1 p2; do mtu swi $p 1000; done
mtu r1 in0 1000; mtu h1 v0 1000; mtu h2 v0 1000
route s1 10.0.1.0/24 via 192.0.2.1
ncnat r1 rule add saddr 10.0.1.2/32 oif out0 masquerade >/dev/null
udp_echo s1 /tmp/nat-echo-s1.log

# reasm NS: the fragments NS received for reassembly (ReasmReqds)
reasm() {
	nsx "$1" awk '$1 == "Ip:" { if (!h) { for (i = 2; i <= NF; i++) k[i] = $i; h = 1 }
		else for (i = 2; i <= NF; i++) if (k[i] == "ReasmReqds") print $i }' /proc/net/snmp
}
got() { echo "$(($(reasm "$1") - $2))"; }
got_is() { [ "$(got "$1" "$2")" = "$3" ]; }
# raw_udp NS SRC SPORT DST DPORT FRAGOFF: one UDP datagram (or, with
# FRAGOFF 0x2000, the first fragment of one whose others never come)
raw_udp() {
	nsx "$1" python3 -c '
import socket, struct, sys
src, sport, dst, dport, off = sys.argv[1:6]
udp = struct.pack("!HHHH", int(sport), int(dport), 8 + 64, 0) + b"x" * 64
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0x4e43, int(off, 0),
                 64, 17, 0, socket.inet_aton(src), socket.inet_aton(dst))
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.sendto(ip + udp, (dst, 0))
' "${@:2}"
}
lone_frag() { raw_udp "$1" "$2" "$3" 192.0.2.2 7000 0x2000; }
# exchange LABEL NS DEST SPORT N COUNTERS [ARG...]: N datagrams of 8000
# bytes from NS to DEST and back; COUNTERS: r1's frag-passed, fragmented
# and flows-created deltas; ARGs to nat_tool.py's udp-req
exchange() {
	ctr_snap r1
	check_eq "$1: $5 datagrams $2 -> $3 and back" "ok $5" \
		tool "$2" udp-req "$3" --sport "$4" --count "$5" --size 8000 --nodf "${@:7}"
	check_eq "$1: counters" "$6" ctr_deltas r1 frag-passed fragmented flows-created
}

# --- routed, no NAT rule for h2: fragments go through as they came ---
exchange routed h2 192.0.2.2:7000 43000 3 "frag-passed=45 fragmented=0 flows-created=0"
check "routed: s1 saw h2's own address" grep -q '^10.0.1.3:43000 ' /tmp/nat-echo-s1.log
ctr_snap r1
s1_0=$(reasm s1)
lone_frag h2 10.0.1.3 43010
check "routed: a lone first fragment reached s1" wait_until 5 got_is s1 "$s1_0" 1
check_eq "routed: passed whole" "frag-passed=1" ctr_deltas r1 frag-passed

# --- masqueraded h1: reassembled, translated, fragmented to 1500 ---
exchange nat h1 192.0.2.2:7000 43001 3 "frag-passed=0 fragmented=6 flows-created=1"
check "nat: s1 saw the outside address" grep -q '^192.0.2.1:43001 ' /tmp/nat-echo-s1.log
check_eq "nat: replies reassembled at r1 (3 in)" "3 3" \
	flowq r1 'f["inside"] == "10.0.1.2:43001"' packets_out packets_in
ctr_snap r1
s1_0=$(reasm s1)
lone_frag h1 10.0.1.2 43011
sleep 1
check_eq "nat: a lone first fragment is held by r1" 0 got s1 "$s1_0"
check_eq "nat: not passed whole" "frag-passed=0" ctr_deltas r1 frag-passed

# --- ICMP: reassembled whatever the addresses ---
ctr_snap r1
check "icmp: h2's 3000-byte pings answered" nsx h2 ping -c 2 -i 0.2 -W 3 -s 3000 -M dont 192.0.2.2
check_eq "icmp: none passed whole" "frag-passed=0" ctr_deltas r1 frag-passed

# --- a port forward to h2: its replies come from the dnat target ---
nsbg h2 python3 "$NAT_TOOL" udp-echo 7000 >/tmp/nat-echo-h2.log
settle 30 listening h2 udp 7000
ncnat r1 rule add daddr 192.0.2.1 proto udp dport 7001 dnat to 10.0.1.3:7000 >/dev/null
exchange dnat s1 192.0.2.1:7001 43020 3 "frag-passed=0 fragmented=6 flows-created=1"
check "dnat: h2 saw s1" grep -q '^192.0.2.2:43020 ' /tmp/nat-echo-h2.log

# more addresses of h1's, which no rule above names
for a in 10.0.1.4 10.0.1.6 10.0.1.7; do nsx h1 ip addr add $a/24 dev v0; done

# --- a rule for 10.0.1.4 added, then deleted while its flow lives ---
h=$(ncnat r1 rule add saddr 10.0.1.4/32 oif out0 masquerade)
exchange "rule added" h1 192.0.2.2:7000 43002 3 "frag-passed=0 fragmented=6 flows-created=1" --bind 10.0.1.4
check "rule added: s1 saw the outside address" grep -q '^192.0.2.1:43002 ' /tmp/nat-echo-s1.log
ncnat r1 rule del handle "$h"
exchange "rule deleted" h1 192.0.2.2:7000 43002 2 "frag-passed=0 fragmented=4 flows-created=0" --bind 10.0.1.4
check_eq "rules added, deleted: s1 never saw 10.0.1.4" 0 sh -c "grep -c '^10.0.1.4:' /tmp/nat-echo-s1.log"

# --- filtering eif: a remote the rule never named gets a flow ---
udp_echo s2 /tmp/nat-echo-s2.log
ncnat r1 rule add saddr 10.0.1.6/32 daddr 198.51.100.0/24 oif out0 masquerade filtering eif >/dev/null
check_eq "eif: 10.0.1.6 -> s2" "ok 1" \
	tool h1 udp-req 198.51.100.2:7000 --bind 10.0.1.6 --sport 43030
port=$(flowq r1 'f["inside"] == "10.0.1.6:43030"' outside | cut -d: -f2)
ctr_snap r1
raw_udp s1 192.0.2.2 7000 192.0.2.1 "$port" 0
check "eif: s1 let in through the mapping" wait_until 5 ctr_is r1 flows-created 1
exchange eif h1 192.0.2.2:7000 43030 1 "frag-passed=0 fragmented=2 flows-created=0" --bind 10.0.1.6
check "eif: s1 saw the outside address" grep -q "^192.0.2.1:$port " /tmp/nat-echo-s1.log
check_eq "eif: s1 never saw 10.0.1.6" 0 sh -c "grep -c '^10.0.1.6:' /tmp/nat-echo-s1.log"

# --- a port forward on an address r1 routes (not its own): hairpin ---
ncnat r1 rule add saddr 10.0.1.4/32 daddr 198.51.100.80 proto udp dport 7002 dnat to 10.0.1.3:7000 >/dev/null
check_eq "hairpin: 10.0.1.4 -> 198.51.100.80 -> h2" "ok 1" \
	tool h1 udp-req 198.51.100.80:7002 --bind 10.0.1.4 --sport 43040
out=$(flowq r1 'f["inside"] == "10.0.1.4:43040"' outside)
check "hairpin: 10.0.1.4 bound to the forwarded address" test "${out%:*}" = 198.51.100.80
# 10.0.1.7 to that endpoint: any inside host may send to it
ctr_snap r1
tool h1 --timeout 1 udp-req "$out" --bind 10.0.1.7 --sport 43041 --size 8000 --nodf >/dev/null || true
check_eq "hairpin: 10.0.1.7's fragments to it reassembled, a hairpin flow" \
	"frag-passed=0 flows-created=1" ctr_deltas r1 frag-passed flows-created
check_eq "no fragment reached a NAT rule whole" 0 ctr r1 frag-unassembled

check_csum "no checksum errors"
nc_done
