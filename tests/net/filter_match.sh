#!/bin/bash
# filter_match.sh: every match kind of a filter rule (family, iif, proto,
# saddr, daddr, sport, dport; single ports and range edges), IPv4 and IPv6,
# drop and accept, proved with real traffic and exact counters.
#
#   c1 v0 ---- c1 \
#                  r s0 ---- v0 s
#   c2 v0 ---- c2 /
#
# netchannel is attached to r's c1 and c2 (ingress from the clients).  Each
# step installs rules, sends a known set of packets from c1/c2 (UDP and TCP
# SYNs from chosen ports, ICMP/ICMPv6 echo requests, bare IP protocols 253
# and 254) and checks every counter exactly (see the traffic block).  Port
# matches get 1, 2, 4, 8 or 16 packets per port, so a rule's count tells
# exactly which ports it matched: min-1, min, middle, max, max+1.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/traffic_lib.sh"

nc_require
qns c1 c2 r s
qveth c1 v0 r c1
qveth c2 v0 r c2
qveth r s0 s v0
ipb c1 <<EOT
addr add 10.1.0.2/24 dev v0
addr add 10.1.0.130/24 dev v0
addr add fd01::2/64 dev v0
addr add fd01::102/64 dev v0
route add default via 10.1.0.1
route add default via fd01::1
EOT
ipb c2 <<EOT
addr add 10.3.0.2/24 dev v0
addr add fd03::2/64 dev v0
route add default via 10.3.0.1
route add default via fd03::1
EOT
ipb r <<EOT
addr add 10.1.0.1/24 dev c1
addr add fd01::1/64 dev c1
addr add 10.3.0.1/24 dev c2
addr add fd03::1/64 dev c2
addr add 10.2.0.1/24 dev s0
addr add fd02::1/64 dev s0
EOT
ipb s <<EOT
addr add 10.2.0.2/24 dev v0
addr add 10.2.0.130/24 dev v0
addr add fd02::2/64 dev v0
addr add fd02::102/64 dev v0
route add default via 10.2.0.1
route add default via fd02::1
EOT
forwarding r
attach r c1
attach r c2
server s
client c1 r c1 s
client c2 r c2 s

# fams F: addresses of family F (4 or 6): C, CX (c1; CX outside CNET), C2
# (c2), S, SX (s; SX inside SNET), HOST (a host prefix length)
fams() {
	if [ "$1" = 4 ]; then
		C=10.1.0.2 CX=10.1.0.130 C2=10.3.0.2 S=10.2.0.2 SX=10.2.0.130
		CNET=10.1.0.0/25 SNET=10.2.0.128/25 HOST=32
	else
		C=fd01::2 CX=fd01::102 C2=fd03::2 S=fd02::2 SX=fd02::102
		CNET=fd01::/120 SNET=fd02::100/120 HOST=128
	fi
}

# the lanes work, and nothing is matched while there is no rule
for f in 4 6; do
	fams $f
	tx c1 miss udp $C 0 $S 7 1 10
	tx c1 miss icmp $C $S 1 8
	tx c2 miss tcp $C2 0 $S 7 1
done
verify "no rules"

# family, on every input device; the first matching rule decides
rule r d4 family ip drop
rule r a6 family ip6 accept
rule r x family ip accept	# same family as d4, later handle: never used
fams 4
tx c1 d4:drop udp $C 0 $S 7 2 10
tx c1 d4:drop icmp $C $S 1 16
tx c2 d4:drop udp $C2 0 $S 7 1 20
fams 6
tx c1 a6:accept udp $C 0 $S 7 3 10
tx c2 a6:accept icmp $C2 $S 1 32
tx c1 a6:accept raw 253 $C $S 1 5
verify "family"

# iif: a rule on one input device leaves the other alone
flush r
rule r i iif c2 drop
rule r j iif c1 family ip6 accept
tx c2 i:drop udp 10.3.0.2 0 10.2.0.2 7 2 10
tx c2 i:drop udp fd03::2 0 fd02::2 7 1 10
tx c2 i:drop icmp fd03::2 fd02::2 1 8
tx c1 j:accept udp fd01::2 0 fd02::2 7 2 10
tx c1 miss udp 10.1.0.2 0 10.2.0.2 7 1 10
verify "iif"

# proto: by name and number; without a family it covers both, and icmp
# is not icmpv6
flush r
rule r udp proto udp drop
rule r tcp proto tcp accept
rule r icmp proto icmp drop
rule r icmpv6 proto icmpv6 accept
rule r 253 proto 253 drop
for f in 4 6; do
	fams $f
	tx c1 udp:drop udp $C 0 $S 9 2 10
	tx c1 tcp:accept tcp $C 0 $S 9 1
	if [ $f = 4 ]; then tx c2 icmp:drop icmp $C2 $S 1 8; fi
	if [ $f = 6 ]; then tx c2 icmpv6:accept icmp $C2 $S 1 8; fi
	tx c1 253:drop raw 253 $C $S 1 12
	tx c1 miss raw 254 $C $S 1 12
done
verify "proto"

# saddr: a prefix (an address inside and one outside) and a host prefix
flush r
for f in 4 6; do
	fams $f
	rule r net$f saddr $CNET drop
	rule r host$f saddr $CX/$HOST accept
	tx c1 net$f:drop udp $C 0 $S 7 2 10
	tx c1 net$f:drop icmp $C $S 1 8
	tx c1 host$f:accept udp $CX 0 $S 7 1 10
	tx c2 miss udp $C2 0 $S 7 1 10
done
verify "saddr"

# daddr
flush r
for f in 4 6; do
	fams $f
	rule r net$f daddr $SNET drop
	rule r host$f daddr $S/$HOST accept
	tx c1 net$f:drop udp $C 0 $SX 7 2 10
	tx c1 net$f:drop icmp $C $SX 1 8
	tx c1 host$f:accept udp $C 0 $S 7 1 10
	tx c2 host$f:accept raw 253 $C2 $S 1 3
done
verify "daddr"

# ports: a single source port, a source range, a single destination port
# (TCP), a destination range; each rule sees only its own traffic
flush r
rule r sport proto udp sport 3333 drop
rule r sports proto udp sport 3000-3100 drop
rule r dport proto tcp dport 8080 drop
rule r dports proto udp dport 2000-2010 drop
for f in 4 6; do
	fams $f
	tx c1 miss udp $C 3332 $S 7 1 10
	tx c1 sport:drop udp $C 3333 $S 7 2 10
	tx c1 miss udp $C 3334 $S 7 4 10
	tx c1 miss tcp $C 3333 $S 7 1		# not udp
	tx c1 miss udp $C 2999 $S 7 1 10
	tx c1 sports:drop udp $C 3000 $S 7 2 10
	tx c1 sports:drop udp $C 3100 $S 7 4 10
	tx c1 miss udp $C 3101 $S 7 8 10
	tx c1 sports:drop udp $C 3047 $S 7 16 10
	tx c1 miss tcp $C 0 $S 8079 1
	tx c1 dport:drop tcp $C 0 $S 8080 2
	tx c1 miss tcp $C 0 $S 8081 4
	tx c1 miss udp $C 0 $S 8080 1 10	# not tcp
	tx c1 miss udp $C 0 $S 1999 1 10
	tx c1 dports:drop udp $C 0 $S 2000 2 10
	tx c1 dports:drop udp $C 0 $S 2010 4 10
	tx c1 miss udp $C 0 $S 2011 8 10
	tx c1 dports:drop udp $C 0 $S 2005 16 10
done
verify "ports"

# port ranges without a protocol: TCP and UDP match; ICMP and protocols
# without ports never do (they fall through to the rule after)
flush r
rule r both sport 40000-40009 dport 53 accept
rule r rest family ip drop
for f in 4 6; do
	fams $f
	miss=miss
	if [ $f = 4 ]; then miss=rest:drop; fi
	tx c1 both:accept udp $C 40000 $S 53 1 10
	tx c1 both:accept tcp $C 40009 $S 53 1
	tx c1 $miss udp $C 40010 $S 53 2 10
	tx c1 $miss udp $C 40000 $S 54 4 10
	tx c1 $miss icmp $C $S 1 8
	tx c1 $miss raw 253 $C $S 1 8
done
verify "ports without proto"

flush r
fams 4
tx c1 miss udp $C 0 $S 2000 1 10
tx c2 miss icmp $C2 $S 1 8
verify "flushed"

nc_done
