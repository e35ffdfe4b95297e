#!/bin/bash
# edge_forwarding.sh: the NAT fast path forwards only what ip_forward()
# would, and never lets an inside source out untranslated (topology:
# nat_lib.sh; r1 masquerades out of out0).  From h1, hand-made frames
# (edge_tool.py) to s1 through r1, each with its own IP identifier; s1
# captures what arrives:
#   - a plain UDP datagram arrives from 192.0.2.1 (the control);
#   - a wrong IPv4 header checksum is not forwarded, counted `bad-csum`
#     (RFC 1812 5.2.2);
#   - a frame to the Ethernet broadcast address is not forwarded;
#   - a frame tagged with a VLAN ID r1 has no vlan device for is not
#     forwarded; a priority-tagged one (VID 0) is, as the untagged network's;
#   - fragments whose last frame carries Ethernet padding arrive
#     reassembled at their true length (padding is not payload);
#   - GRE (no ports) matching the masquerade rule is dropped and counted
#     `unsupported-protocol`: it would have left with 10.0.1.2;
#   - a loose source route option is not forwarded, nor is an option too
#     broken to parse, counted `source-route` (the fast path never routes
#     by an option; RFC 7126); a record route option travels as it came;
#   - TCP with a truncated header (the stack would forward it as it is,
#     with 10.0.1.2) is dropped while NAT is in use, counted `truncated`;
#   - an snat pool of all 2^32 addresses translates (its size once
#     wrapped to 0 and divided by it in softirq);
#   - masquerade out of a device when the router has no global address
#     drops and counts `no-address` instead of forwarding 10.9.0.2.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nat_lib.sh"
nat_require
nat_topo
ncnat r1 rule add oif out0 masquerade >/dev/null
EDGE="$NC_TOP/tests/net/edge_tool.py"
rmac=$(ip -n "$(ns r1)" link show in0 | awk '/link\/ether/ { print $2 }')
# warm ARP both ways, so no frame waits for resolution
nsx h1 ping -c1 -W2 10.0.1.1 >/dev/null
nsx r1 ping -c1 -W2 192.0.2.2 >/dev/null

# sends KIND:ID...: each frame from h1 to s1, captured on s1 meanwhile
sends() {
	local kv cap
	nsbg s1 python3 "$EDGE" capture v0 "$([ "${NC_LANE:-}" = qemu ] && echo 15 || echo 6)" \
		>/tmp/nat-edge-cap.txt
	cap=$!
	sleep "$([ "${NC_LANE:-}" = qemu ] && echo 5 || echo 0.5)"
	# one process for all: the capture's window must outlast the sends
	nsx h1 python3 "$EDGE" send v0 "$rmac" 10.0.1.2 192.0.2.2 $(printf '%s\n' "$@" | tr : ' ')
	wait "$cap"
}
# seen ID: "SRC TOT_LEN" of each packet with IP identifier ID s1 saw
seen() { awk -v id="$1" '$1 == id && $3 == "192.0.2.2" { print $2, $5 }' /tmp/nat-edge-cap.txt; }

ctr_snap r1
csum0=$(nc_stat r1 drops.bad-csum)
csum_delta() { echo $(($(nc_stat r1 drops.bad-csum) - csum0)); }
trunc_delta() { echo $(($(nc_stat r1 drops.truncated) - trunc0)); }
trunc0=$(nc_stat r1 drops.truncated)
sends udp:1 bad-csum:2 bcast:3 vlan:4 vlan0:5 padded-frags:6 gre:7 tcp-cut:9 \
	lsrr:10 opt-rr:11 opt-broken:12
check_eq "udp: arrives translated" "192.0.2.1 116" seen 1
check_eq "bad header checksum: not forwarded" "" seen 2
check_eq "bad header checksum: counted bad-csum" 1 csum_delta
check_eq "broadcast frame: not forwarded" "" seen 3
check_eq "vlan 5 without a vlan device: not forwarded" "" seen 4
check_eq "priority tag (vid 0): arrives translated" "192.0.2.1 116" seen 5
check_eq "padded fragments: reassembled without the padding" "192.0.2.1 116" seen 6
check_eq "gre: not forwarded" "" seen 7
check_eq "truncated tcp: not forwarded" "" seen 9
check_eq "truncated tcp: counted" 1 trunc_delta
check_eq "source route option: not forwarded" "" seen 10
check_eq "record route option: arrives translated" "192.0.2.1 124" seen 11
check_eq "broken option: not forwarded" "" seen 12
# udp, vlan0, the fragments and record route share one 5-tuple: one flow
check_eq "counters" "flows-created=1 unsupported-protocol=1 source-route=2" \
	ctr_deltas r1 flows-created unsupported-protocol source-route

# --- a pool of every IPv4 address ---
ncnat r1 rule flush
ncnat r1 flow flush
ncnat r1 rule add saddr 10.0.1.0/24 snat to 0.0.0.0-255.255.255.255 >/dev/null
ctr_snap r1
sends udp:8
translated() { seen "$1" | grep -v '^10\.'; }
check "pool of 2^32 addresses: one datagram translated" translated 8
check_eq "pool of 2^32 addresses: one flow" "flows-created=1" \
	ctr_deltas r1 flows-created

# --- masquerade where the router has no global address ---
# mh 10.9.0.2 -- mr in0 10.9.0.1 (scope link) / out0 (none) -- ms 192.0.2.2
ns_add mh mr ms
no_ipv6 mh mr ms
veth mh v0 10.9.0.2/24 mr in0 -
veth mr out0 - ms v0 192.0.2.2/24
nsx mr ip addr add 10.9.0.1/24 dev in0 scope link
nsx mr ip route add 192.0.2.0/24 dev out0
forwarding mr
route mh default via 10.9.0.1
msmac=$(ip -n "$(ns ms)" link show v0 | awk '/link\/ether/ { print $2 }')
nsx mr ip neigh add 192.0.2.2 lladdr "$msmac" dev out0 nud permanent
ncnat mr dev attach in0
ncnat mr dev attach out0
ncnat mr rule add oif out0 masquerade >/dev/null
ctr_snap mr
nsbg ms python3 "$EDGE" capture v0 "$([ "${NC_LANE:-}" = qemu ] && echo 15 || echo 6)" 17 \
	>/tmp/nat-edge-noaddr.txt
cap=$!
sleep "$([ "${NC_LANE:-}" = qemu ] && echo 5 || echo 0.5)"
tool mh udp-send 192.0.2.2 7000 --count 3 >/dev/null
wait "$cap"
check_eq "no address: nothing leaves with an inside source" 0 \
	sh -c "grep -c '10\.9\.0\.2' /tmp/nat-edge-noaddr.txt || true"
check_eq "no address: 3 dropped, counted" "no-address=3 flows-created=0" \
	ctr_deltas mr no-address flows-created
nc_done
