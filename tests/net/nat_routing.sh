#!/bin/bash
# nat_routing.sh: a new flow is routed as ip_rcv() would route its first
# packet (an input route with the input device, mark and TOS), so the
# stack's forwarding checks and policy routing hold for the fast path
# (topology: nat_lib.sh, plus a second uplink out1 203.0.113.1 -- s3).
#   - reverse path filter: with rp_filter 1, a packet from h1 with a
#     spoofed source 10.9.9.9 is not translated, forwarded or given a flow;
#   - the forwarding switch of the input device: with in0's forwarding
#     off, h1's datagrams to s1 are not forwarded and make no flow;
#   - policy routing: `ip rule iif in0 lookup 100`, whose default route
#     leaves by out1: h1's flow to s2 leaves by out1 with out1's address
#     (s3 captures it), not by the main table's out0;
#   - 1:1 NAT to an address the router holds (`netmap to
#     203.0.113.100/32`, the address on r1's out0): h1's requests reach s1
#     from 203.0.113.100 and are answered (the translated source is the
#     router's own, which an input route by it takes for a martian).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nat_lib.sh"
nat_require
nat_topo
EDGE="$NC_TOP/tests/net/edge_tool.py"
ncnat r1 rule add oif out0 masquerade >/dev/null
udp_echo s1 /tmp/nat-echo-s1.log
rmac=$(ip -n "$(ns r1)" link show in0 | awk '/link\/ether/ { print $2 }')
nsx h1 ping -c1 -W2 10.0.1.1 >/dev/null
nsx r1 ping -c1 -W2 192.0.2.2 >/dev/null
capsecs=$([ "${NC_LANE:-}" = qemu ] && echo 12 || echo 3)
capwait=$([ "${NC_LANE:-}" = qemu ] && echo 5 || echo 0.5)

# --- reverse path filter ---
nsx r1 sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.in0.rp_filter=1
ctr_snap r1
nsbg s1 python3 "$EDGE" capture v0 "$capsecs" 17 >/tmp/nat-rp-cap.txt
cap=$!
sleep "$capwait"
nsx h1 python3 "$EDGE" send v0 "$rmac" 10.9.9.9 192.0.2.2 udp 71
wait "$cap"
check_eq "rp_filter: spoofed source not forwarded" "" \
	awk '$1 == 71' /tmp/nat-rp-cap.txt
check_eq "rp_filter: no flow" "flows-created=0" ctr_deltas r1 flows-created
check_eq "rp_filter: a real source still works" "ok 2" \
	tool h1 udp-req 192.0.2.2:7000 --sport 42000 --count 2
nsx r1 sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.in0.rp_filter=0

# --- the input device's forwarding switch ---
nsx r1 sysctl -qw net.ipv4.conf.in0.forwarding=0
ctr_snap r1
check_eq "forwarding off on in0: not forwarded" "192.0.2.2:7000 request 0: no reply" \
	tool h1 --timeout 1 udp-req 192.0.2.2:7000 --sport 42001
check_eq "forwarding off on in0: no flow" "flows-created=0" ctr_deltas r1 flows-created
nsx r1 sysctl -qw net.ipv4.conf.in0.forwarding=1

# --- policy routing by input device ---
ns_add s3
no_ipv6 s3
veth r1 out1 203.0.113.1/24 s3 v0 203.0.113.2/24
ncnat r1 dev attach out1
ncnat r1 rule add oif out1 masquerade >/dev/null
nsx r1 ip route add default via 203.0.113.2 dev out1 table 100
nsx r1 ip rule add iif in0 lookup 100 priority 100
nsx r1 ping -c1 -W2 203.0.113.2 >/dev/null
nsbg s3 python3 "$EDGE" capture v0 "$capsecs" 17 >/tmp/nat-pbr-cap.txt
cap=$!
sleep "$capwait"
tool h1 udp-send 198.51.100.2 7000 --sport 42002 >/dev/null
wait "$cap"
check_eq "policy routing: left by out1, from its address" "203.0.113.1 198.51.100.2" \
	sh -c "awk '{ print \$2, \$3 }' /tmp/nat-pbr-cap.txt | sort -u"
check_eq "policy routing: the flow's outside address" "203.0.113.1" \
	flowq r1 'f["inside"] == "10.0.1.2:42002"' addr:outside
nsx r1 ip rule del priority 100

# --- 1:1 NAT to an address of the router ---
ncnat r1 rule flush
ncnat r1 flow flush
nsx r1 ip addr add 203.0.113.100/32 dev out0
nsx s1 ip route add 203.0.113.100/32 via 192.0.2.1
ncnat r1 rule add saddr 10.0.1.2/32 netmap to 203.0.113.100/32 >/dev/null
check_eq "netmap to a local address: answered" "ok 3" \
	tool h1 udp-req 192.0.2.2:7000 --sport 42003 --count 3
check_eq "netmap to a local address: s1 saw 203.0.113.100" "203.0.113.100:42003" \
	sh -c "grep -a ':42003 ' /tmp/nat-echo-s1.log | cut -d' ' -f1 | sort -u"
nc_done
