#!/bin/bash
# nat_local.sh: source NAT rules without an `oif` on r1 (topology:
# nat_lib.sh) translate only what r1 routes on, as netfilter's SNAT in
# postrouting does; what r1's stack delivers to itself keeps its source
# (translated, it would carry r1's own address and be dropped as a
# martian):
#   - `saddr 10.0.1.0/24 masquerade`: h1 pings r1's inside and outside
#     addresses and gets every reply, with no flow made; its ping to s1
#     is still masqueraded (s1 sees 192.0.2.1; one flow);
#   - `saddr 10.0.1.0/24 snat to 192.0.2.1`: h1's UDP requests to an echo
#     server on r1 are answered, and r1 sees 10.0.1.2; to s1 they are
#     translated (s1 sees 192.0.2.1).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nat_lib.sh"
nat_require
nat_topo

# ping_ok NS ADDR N: NS's N pings to ADDR are all answered
ping_ok() {
	nsx "$1" ping -c "$3" -i 0.05 -W 2 "$2" 2>&1 |
		grep -q "^$3 packets transmitted, $3 received"
}

ncnat r1 rule add saddr 10.0.1.0/24 masquerade >/dev/null
ctr_snap r1
check "masquerade: h1 pings r1's inside address" ping_ok h1 10.0.1.1 3
check "masquerade: h1 pings r1's outside address" ping_ok h1 192.0.2.1 3
check_eq "masquerade: no flow for r1's own addresses" 0 nflows r1
nsx s1 nft -f - <<'EOT'
table ip t {
	counter from_nat {}
	chain in {
		type filter hook input priority 0;
		icmp type echo-request ip saddr 192.0.2.1 counter name from_nat
	}
}
EOT
check "masquerade: h1 pings s1" ping_ok h1 192.0.2.2 3
check_eq "masquerade: s1 saw r1's address" 3 nft_counter s1 ip t from_nat
check_eq "masquerade: one flow, to s1" "flows-created=1" ctr_deltas r1 flows-created

ncnat r1 rule flush >/dev/null
ncnat r1 flow flush >/dev/null
ncnat r1 rule add saddr 10.0.1.0/24 snat to 192.0.2.1 >/dev/null
ctr_snap r1
udp_echo r1 /tmp/nat-local-r1.log
check_eq "snat: h1 -> r1's echo answered" "ok 4" \
	tool h1 udp-req 10.0.1.1:7000 --sport 46000 --count 4
check_eq "snat: r1 saw h1 itself" "10.0.1.2:46000 64" \
	sh -c "sort -u /tmp/nat-local-r1.log"
udp_echo s1 /tmp/nat-local-s1.log
check_eq "snat: h1 -> s1 answered" "ok 4" \
	tool h1 udp-req 192.0.2.2:7000 --sport 46001 --count 4
check_eq "snat: s1 saw r1's address" "192.0.2.1:46001 64" \
	sh -c "sort -u /tmp/nat-local-s1.log"
check_eq "snat: one flow, to s1" "flows-created=1" ctr_deltas r1 flows-created
nc_done
