#!/bin/bash
# nat_renumber.sh: masquerade flows follow the outside address when r1 is
# renumbered (`oif out0 masquerade`, topology: nat_lib.sh), as netfilter's
# masquerade drops its conntrack entries then.
#   - a UDP flow h1:40000 -> s1:7000 goes out as 192.0.2.1:40000;
#   - `ip addr del 192.0.2.1/24 dev out0` (PPPoE/DHCP renumbering) removes
#     it at once (flow list empty, counted in masq-flushed), with h2's
#     hairpin flow to h1's endpoint on it; a flow of another rule stays;
#     after `ip addr add 192.0.2.9/24 dev out0` the same h1 port is
#     answered again, now as 192.0.2.9:40000 (without the flush it kept
#     the dead address until a timeout a keepalive never reached);
#   - out0 down removes the masquerade flows whose outside address is on
#     it; after out0 up the same port is answered again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nat_lib.sh"
nat_require
nat_topo
# h2 goes out by a static snat rule (first handle): its flows stay
ncnat r1 rule add saddr 10.0.1.3 oif out0 snat to 192.0.2.1 >/dev/null
ncnat r1 rule add oif out0 masquerade >/dev/null
udp_echo s1 /tmp/nat-echo-s1.log

check_eq "before: answered" "ok 2" \
	tool h1 udp-req 192.0.2.2:7000 --sport 40000 --count 2
check_eq "before: h2 (snat) answered" "ok 1" \
	tool h2 udp-req 192.0.2.2:7000 --sport 40001 --count 1
check_eq "before: flows" \
	"udp 10.0.1.2:40000 192.0.2.1:40000 192.0.2.2:7000
udp 10.0.1.3:40001 192.0.2.1:40001 192.0.2.2:7000" flows r1
# h2 to h1's outside endpoint: a hairpin flow through 192.0.2.1
ctr_snap r1
tool h2 udp-send 192.0.2.1 40000 --sport 40002
check "before: hairpin flow made" wait_until 5 ctr_is r1 flows-created 1

# --- renumbering: the address goes, another comes ---
ctr_snap r1
nsx r1 ip addr del 192.0.2.1/24 dev out0
check_eq "addr del: masquerade and hairpin flows gone, snat flow kept" \
	"udp 10.0.1.3:40001 192.0.2.1:40001 192.0.2.2:7000" flows r1
check_eq "addr del: counted" "masq-flushed=2" ctr_deltas r1 masq-flushed
nsx r1 ip addr add 192.0.2.9/24 dev out0
nsx r1 ip route replace 198.51.100.0/24 via 192.0.2.254
check_eq "renumbered: same port answered" "ok 2" \
	tool h1 udp-req 192.0.2.2:7000 --sport 40000 --count 2
check_eq "renumbered: new flow by 192.0.2.9" \
	"udp 10.0.1.2:40000 192.0.2.9:40000 192.0.2.2:7000" \
	flowq r1 'f["inside"] == "10.0.1.2:40000"' proto inside outside remote
check_eq "renumbered: s1 saw 192.0.2.9:40000" 2 \
	sh -c "grep -c '^192.0.2.9:40000 ' /tmp/nat-echo-s1.log"

# --- the device goes down and comes back ---
ctr_snap r1
nsx r1 ip link set out0 down
check_eq "link down: no masquerade flow left" "" \
	flowq r1 'f["inside"].startswith("10.0.1.2:")' proto inside outside remote
check "link down: counted" above 0 ctr_delta r1 masq-flushed
nsx r1 ip link set out0 up
nsx r1 ip route replace 198.51.100.0/24 via 192.0.2.254
settle 10 nsx r1 ping -c1 -W1 192.0.2.2
check_eq "link up: same port answered" "ok 2" \
	tool h1 udp-req 192.0.2.2:7000 --sport 40000 --count 2
check_eq "link up: new flow by 192.0.2.9" \
	"udp 10.0.1.2:40000 192.0.2.9:40000 192.0.2.2:7000" \
	flowq r1 'f["inside"] == "10.0.1.2:40000"' proto inside outside remote
check_eq "nothing dropped for want of memory" 0 ctr r1 nomem
check_csum "no checksum errors"
nc_done
