#!/bin/bash
# netns_isolation.sh: netchannel state is per network namespace.  Two
# routers with identical device names and addresses, each with its own
# rules and attached device: each sees only its own rules (handles count
# from 1 in each), devices and stats; traffic through one never moves the
# other's counters; rules in one never decide the other's traffic; flush,
# load and deleting one namespace leave the other alone.
#
#   c1 v0 ---- c r1 s0 ---- v0 s1
#   c2 v0 ---- c r2 s0 ---- v0 s2     (netchannel on r1's c and r2's c)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/traffic_lib.sh"

nc_require
qns c1 r1 s1 c2 r2 s2 e
for i in 1 2; do
	qline c$i r$i s$i
	forwarding r$i
	attach r$i c
	server s$i
	client c$i r$i c s$i
done
C4=10.1.0.2 S4=10.2.0.2 C6=fd01::2 S6=fd02::2

rule r1 a proto udp drop
rule r1 b family ip6 accept
rule r2 x proto udp dport 7 accept
rule r2 y family ip drop
check_eq "handles count per netns" "1 2 1 2" echo "${H[r1:a]} ${H[r1:b]} ${H[r2:x]} ${H[r2:y]}"
save1="rule add prio 0 proto udp drop
rule add prio 0 family ip6 accept"
save2="rule add prio 0 proto udp dport 7 accept
rule add prio 0 family ip drop"
check_eq "r1 lists only its rules" "$save1" ncnat r1 save
check_eq "r2 lists only its rules" "$save2" ncnat r2 save
# devices: the same name in both, each netns lists its own, by its ifindex
ifindex() { nsx "$1" cat "/sys/class/net/$2/ifindex"; }
check_eq "r1 lists only its device" "c ifindex $(ifindex r1 c)" \
	sh -c "'$NCNAT_BIN' -n '$(ns r1)' dev list | cut -d' ' -f1-3"
check_eq "r2 lists only its device" "c ifindex $(ifindex r2 c)" \
	sh -c "'$NCNAT_BIN' -n '$(ns r2)' dev list | cut -d' ' -f1-3"
stats_head() { ncnat "$1" stats | sed -n '1s/^generation [0-9]* //p'; }
check_eq "r1 stats its own" "rules 2 shapes 2 devices 1" stats_head r1
check_eq "r2 stats its own" "rules 2 shapes 2 devices 1" stats_head r2
check_eq "empty netns: no rules" "" ncnat e rule list
check_eq "empty netns: no devices" "" ncnat e dev list
check_eq "empty netns: stats" "rules 0 shapes 0 devices 0" stats_head e
ip -n "$(ns r2)" link add only2 type dummy
check_fails "r1 cannot attach r2's device" ncnat r1 dev attach only2
check_fails "r1 cannot name r2's device in a rule" ncnat r1 rule add iif only2 drop

# the same packets through both routers, decided by each one's own rules
tx c1 a:drop udp $C4 0 $S4 7 2 10
tx c1 a:drop udp $C6 0 $S6 7 1 10
tx c1 b:accept icmp $C6 $S6 1 8
tx c1 miss icmp $C4 $S4 1 8
tx c2 x:accept udp $C4 0 $S4 7 2 10
tx c2 x:accept udp $C6 0 $S6 7 1 10
tx c2 y:drop icmp $C4 $S4 1 8
tx c2 y:drop udp $C4 0 $S4 8 4 10
tx c2 miss icmp $C6 $S6 1 8
verify "both"

# traffic through r1 only: nothing of r2 moves
tx c1 a:drop udp $C4 0 $S4 9 3 10
tx c1 miss tcp $C4 0 $S4 9 1
tx c1 b:accept tcp $C6 0 $S6 9 2
verify "r1 only"

# flush in r1 leaves r2's rules; load in r2 leaves r1
flush r1
check_eq "r2 rules after r1 flush" "$save2" ncnat r2 save
tx c1 miss udp $C4 0 $S4 7 1 10
tx c2 x:accept udp $C4 0 $S4 7 1 10
verify "r1 flushed"
echo "rule add proto icmp drop" | ncnat r2 load -
H[r2:l]=$(ncnat r2 rule list | awk '$1 == "handle" { print $2 }')
RULES[r2]=" l" XP[rule:r2:l:pk]=0 XP[rule:r2:l:by]=0
check_eq "r1 rules after r2 load" "" ncnat r1 save
rule r1 c family ip accept
tx c1 c:accept icmp $C4 $S4 2 8
tx c2 l:drop icmp $C4 $S4 1 8
tx c2 miss udp $C4 0 $S4 7 1 10
verify "r2 loaded"

# deleting r2, with its rules and attached device, leaves r1 alone
ip netns del "$(ns r2)"
ROUTERS=" r1" SERVERS=" s1"
check_eq "r1 rules after r2 deleted" "rule add prio 0 family ip accept" ncnat r1 save
tx c1 c:accept udp $C4 0 $S4 7 1 10
tx c1 miss udp $C6 0 $S6 7 1 10
verify "r2 deleted"
check_eq "empty netns still empty" "rules 0 shapes 0 devices 0" stats_head e

nc_done
