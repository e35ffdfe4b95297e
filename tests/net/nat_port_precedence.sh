#!/bin/bash
# nat_port_precedence.sh: port forwards and the router's own sockets come
# before port-preserving bindings (topology: nat_lib.sh).  A binding keeps
# its inside port when it can; it must not take an outside port that a
# dnat rule forwards or a local socket of r1 answers on, or unsolicited
# packets to that port would meet the binding instead (dropped as
# `filtered`, or with `filtering eif` handed to the inside host).
#   1. `daddr 192.0.2.1 proto udp dport 8080 dnat to 10.0.1.2:53` and a
#      default masquerade: h2 sends from UDP port 8080; its mapping gets
#      another port, and s1's requests to 192.0.2.1:8080 still reach h1.
#   2. masquerade `filtering eif`, r1 serves UDP on 0.0.0.0:7000 and TCP
#      on 0.0.0.0:7001: h2 sends from those ports; the mappings get other
#      ports, s2 reaches r1's services, and h2 gets nothing of them.
#   3. a range of four ports (20000-20003), one forwarded and one held by
#      r1's socket: four new inside ports get exactly two mappings, the
#      free ports, and two `no-port` drops; a flood of 200 more first
#      packets to the exhausted range is counted, port for port.
#   4. port forwards added after bindings took their ports, with
#      masquerade `filtering eif`: h2's mappings of UDP 8080 and 8081 keep
#      those outside ports (no rule yet); then a forward of
#      192.0.2.1:8080 and one of 8081 on another address (192.0.2.99)
#      come.  A new peer (s2) reaches h1 through 192.0.2.1:8080 (before:
#      the binding took it), and still reaches h2 through 8081, which no
#      rule takes for 192.0.2.1; h2's own flow carries its peer's replies.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nat_lib.sh"
nat_require
nat_topo

# outside port of h2's mapping of inside port PORT (empty: none)
outport() {
	flowq r1 "f[\"inside\"] == \"10.0.1.3:$1\"" outside | cut -d: -f2 | sort -u
}

# hello_echo N: s1 echoes the next N datagrams to port 5000, so that
# udp-recv --assure makes h2's mappings assured: a mapping of one
# exchange lives 30 s, less than a sanitizer kernel takes for a part
hello_echo() {
	nsbg s1 python3 "$NAT_TOOL" udp-echo 5000 --count "$1" >/dev/null
	settle 30 listening s1 udp 5000
}

# outside ports of every mapping, one per line
outports() { flowq r1 True outside | cut -d: -f2 | sort -u; }

# --- 1. a port forward keeps its port ---
ncnat r1 rule add daddr 192.0.2.1 proto udp dport 8080 dnat to 10.0.1.2:53 >/dev/null
ncnat r1 rule add oif out0 masquerade >/dev/null
nsbg h1 python3 "$NAT_TOOL" udp-echo 53 >/tmp/nat-echo-h1.log
settle 30 listening h1 udp 53
ctr_snap r1
tool h2 udp-send 192.0.2.2 5000 --sport 8080 --payload x >/dev/null
check "dnat: h2's mapping made" wait_until 15 ctr_is r1 flows-created 1
p=$(outport 8080)
check "dnat: h2's mapping does not take 8080 (got '$p')" \
	test -n "$p" -a "$p" != 8080
check_eq "dnat: s1 -> 192.0.2.1:8080 reaches h1" "ok 3" \
	tool s1 udp-req 192.0.2.1:8080 --sport 46000 --count 3
check_eq "dnat: nothing filtered" "filtered=0" ctr_deltas r1 filtered

# --- 2. r1's own sockets keep their ports (eif) ---
ncnat r1 rule flush
ncnat r1 flow flush
ncnat r1 rule add oif out0 masquerade filtering eif >/dev/null
udp_echo r1 /tmp/nat-echo-r1.log
nsbg r1 python3 "$NAT_TOOL" --timeout 300 tcp-serve 7001 /etc/hostname \
	--ready /tmp/nat-ready-7001 >/tmp/nat-serve-r1.log
settle 30 test -e /tmp/nat-ready-7001
ctr_snap r1
hello_echo 2
nsbg h2 python3 "$NAT_TOOL" --timeout 120 udp-recv 7000 --count 10 \
	--hello 192.0.2.2:5000 --assure --until end --ready /tmp/nat-ready-h2 >/tmp/nat-h2.log
settle 30 test -e /tmp/nat-ready-h2
# a TCP SYN from port 7001 to s1 (nothing listens there: s1 resets it)
nsx h2 python3 -c '
import socket
s = socket.socket()
s.bind(("", 7001))
s.settimeout(3)
try:
    s.connect(("192.0.2.2", 5001))
except OSError:
    pass
' || true
check "local: h2's mappings made" wait_until 15 ctr_is r1 flows-created 2
p=$(outport 7000)
check "local udp: h2's mapping does not take 7000 (got '$p')" \
	test -n "$p" -a "$p" != 7000
p=$(outport 7001)
check "local tcp port: h2's mapping does not take 7001 (got '$p')" \
	test -n "$p" -a "$p" != 7001
check_eq "local udp: s2 -> 192.0.2.1:7000 answered by r1" "ok 3" \
	tool s2 udp-req 192.0.2.1:7000 --sport 46001 --count 3
check_eq "local tcp: s2 fetches from r1's 192.0.2.1:7001" "fetched" \
	tool s2 --timeout 20 tcp-fetch 192.0.2.1 7001 /tmp/nat-got-7001
check "local tcp: r1's file" cmp /etc/hostname /tmp/nat-got-7001
# h2's own mapping still works both ways: s1 answers to it
tool s1 udp-send 192.0.2.1 "$(outport 7000)" --sport 5000 --payload end >/dev/null
settle 30 grep -q '^got' /tmp/nat-h2.log
check_eq "local: h2 got only its own peer's packet" "192.0.2.2:5000 end
got 1" cat /tmp/nat-h2.log
check_eq "local: nothing filtered, no extra flow" "flows-created=2 filtered=0" \
	ctr_deltas r1 flows-created filtered

# --- 3. forwarded and local ports leave a small range; exhaustion ---
ncnat r1 rule flush
ncnat r1 flow flush
ncnat r1 rule add daddr 192.0.2.1 proto udp dport 20001 dnat to 10.0.1.2:53 >/dev/null
ncnat r1 rule add oif out0 masquerade ports 20000-20003 >/dev/null
nsbg r1 python3 "$NAT_TOOL" udp-echo 20002 >/tmp/nat-echo-r1b.log
settle 30 listening r1 udp 20002
ctr_snap r1
# two exchanges each: a mapping answered twice is assured (an unanswered
# one lives 30 s, less than a sanitizer kernel takes for the flood below)
hello_echo 4
rm -f /tmp/nat-range.log
for sp in 20000 20001 20002 20003; do
	tool h2 udp-req 192.0.2.2:5000 --sport "$sp" --count 2 >>/tmp/nat-range.log || true
done
check "range: two mappings, two refused" \
	wait_until 15 ctr_is r1 no-port 2
check_eq "range: only the free ports are taken" "20000
20003" outports
check_eq "range: both mappings answered twice" "ok 2
ok 2" grep '^ok' /tmp/nat-range.log
for sp in $(seq 30000 30199); do
	echo "$sp"
done | nsenter --net="/run/netns/$(ns h2)" python3 -c '
import socket, sys
for sp in sys.stdin:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("", int(sp)))
    s.sendto(b"x", ("192.0.2.2", 5000))
    s.close()
'
check "flood: 200 more refused, each counted" \
	wait_until 15 ctr_is r1 no-port 202
check_eq "flood: no other flow" "flows-created=2" ctr_deltas r1 flows-created
check_eq "range: forward still answered" "ok 2" \
	tool s1 udp-req 192.0.2.1:20001 --sport 46002 --count 2

# --- 4. a forward added later wins over a binding of its port ---
ncnat r1 rule flush
ncnat r1 flow flush
ncnat r1 rule add oif out0 masquerade filtering eif >/dev/null
ctr_snap r1
hello_echo 4
for p in 8080 8081; do
	nsbg h2 python3 "$NAT_TOOL" --timeout 120 udp-recv $p --count 10 \
		--hello 192.0.2.2:5000 --assure --until late --ready /tmp/nat-ready-h2-$p >/tmp/nat-h2-$p.log
	settle 30 test -e /tmp/nat-ready-h2-$p
done
check "late: h2's mappings made" wait_until 15 ctr_is r1 flows-created 2
check_eq "late: h2's mapping keeps port 8080 (no forward yet)" 8080 outport 8080
check_eq "late: h2's mapping keeps port 8081 (no forward yet)" 8081 outport 8081
ncnat r1 rule add prio 5 daddr 192.0.2.1 proto udp dport 8080 dnat to 10.0.1.2:53 >/dev/null
ncnat r1 rule add prio 5 daddr 192.0.2.99 proto udp dport 8081 dnat to 10.0.1.2:53 >/dev/null
check_eq "late: s2 -> 192.0.2.1:8080 reaches h1 through the new forward" "ok 3" \
	tool s2 udp-req 192.0.2.1:8080 --sport 46003 --count 3
tool s2 udp-send 192.0.2.1 8081 --sport 46004 --payload late >/dev/null
settle 30 grep -q '^got' /tmp/nat-h2-8081.log
check_eq "late: s2 -> 192.0.2.1:8081 (forwarded on another address) still reaches h2" \
	"198.51.100.2:46004 late
got 1" cat /tmp/nat-h2-8081.log
tool s1 udp-send 192.0.2.1 8080 --sport 5000 --payload late >/dev/null
settle 30 grep -q '^got' /tmp/nat-h2-8080.log
check_eq "late: h2 still gets its own peer's packet on 8080" "192.0.2.2:5000 late
got 1" cat /tmp/nat-h2-8080.log
check_eq "late: nothing filtered; the forward's flow and s2's to h2 made" \
	"flows-created=4 filtered=0" ctr_deltas r1 flows-created filtered
check_csum "no checksum errors"
nc_done
