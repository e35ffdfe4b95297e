#!/bin/bash
# filter_priority.sh: which rule decides when several match.  A lower prio
# value wins over an earlier handle; within one prio the lower handle wins;
# deleting the winner lets the next one decide (the survivors keep their
# counters); a rule added later with a lower prio takes over; flush
# restores pass-through.  Proved with real traffic and exact counters.
#
#   c v0 ---- c r s0 ---- v0 s      (netchannel on r's c, ingress)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/traffic_lib.sh"

nc_require
qns c r s
qline c r s
forwarding r
attach r c
server s
client c r c s
C4=10.1.0.2 S4=10.2.0.2 C6=fd01::2 S6=fd02::2

# rule_order NS: the labels of the rules in `rule list` order
rule_order() {
	local out w l order=''
	out=$(ncnat "$1" rule list)
	while read -r -a w; do
		for l in ${RULES[$1]}; do
			if [ "${w[1]:-}" = "${H[$1:$l]}" ]; then order="$order $l"; fi
		done
	done <<<"$out"
	echo "${order# }"
}

# a lower prio value wins over an earlier handle; the more specific rule
# does not win by being specific
rule r a prio 20 proto udp dport 5000 drop
rule r b prio 10 proto udp dport 5000-5001 accept
rule r c prio 30 family ip drop
rule r d prio 10 proto udp dport 5000 drop	# same prio as b, later
check_eq "prio order listed" "b d a c" rule_order r
tx c b:accept udp $C4 0 $S4 5000 2 10
tx c b:accept udp $C4 0 $S4 5001 1 20
tx c c:drop udp $C4 0 $S4 5002 4 10
tx c c:drop icmp $C4 $S4 1 8
tx c b:accept udp $C6 0 $S6 5000 2 10
tx c miss icmp $C6 $S6 1 8
verify "lower prio first"

# within one prio the lower handle wins, whatever the shape
flush r
rule r x prio 5 proto udp drop
rule r y prio 5 family ip proto udp dport 6000 accept
rule r z prio 5 family ip6 accept
rule r w prio 6 daddr $S6/128 drop
check_eq "handle order listed" "x y z w" rule_order r
tx c x:drop udp $C4 0 $S4 6000 2 10
tx c x:drop udp $C6 0 $S6 6000 1 10
tx c z:accept icmp $C6 $S6 2 8
tx c z:accept tcp $C6 0 $S6 6000 1
tx c miss icmp $C4 $S4 1 8
verify "same prio"

# deleting the winner lets the next rule decide; the others keep counting
ncnat r rule del handle "${H[r:x]}"
RULES[r]=" y z w"
tx c y:accept udp $C4 0 $S4 6000 2 10
tx c miss udp $C4 0 $S4 6001 1 10
tx c z:accept udp $C6 0 $S6 6000 4 10
verify "winner deleted"

ncnat r rule del handle "${H[r:z]}"
RULES[r]=" y w"
tx c y:accept udp $C4 0 $S4 6000 1 10
tx c w:drop udp $C6 0 $S6 6000 2 10
tx c w:drop icmp $C6 $S6 1 8
verify "next winner deleted"
check_fails "deleted handle gone" ncnat r rule del handle "${H[r:z]}"

# a rule added later with a lower prio takes over
rule r v prio 1 proto udp drop
tx c v:drop udp $C4 0 $S4 6000 2 10
tx c v:drop udp $C6 0 $S6 6000 1 10
tx c w:drop icmp $C6 $S6 1 8
verify "later lower prio"

# the extremes of prio
flush r
rule r top prio 0 proto icmp accept
rule r bottom prio 4294967295 family ip drop
rule r mid prio 2147483648 proto icmp drop
check_eq "extreme prios listed" "top mid bottom" rule_order r
check_fails "prio beyond 32 bits refused" ncnat r rule add prio 4294967296 family ip drop
tx c top:accept icmp $C4 $S4 1 8
tx c bottom:drop udp $C4 0 $S4 7 2 10
tx c miss udp $C6 0 $S6 7 1 10
verify "prio extremes"

# flush restores pass-through
flush r
tx c miss udp $C4 0 $S4 5000 2 10
tx c miss icmp $C4 $S4 1 8
tx c miss udp $C6 0 $S6 6000 1 10
verify "flushed"

nc_done
