#!/bin/bash
# The NAT demo, run inside the UML kernel: a home router.  A laptop and a
# game console on the inside (10.0.1.0/24), the router masquerades out of
# its wan port (192.0.2.1) and forwards port 8080 to the console's web
# server; a server on the internet (192.0.2.2) talks to both.  Everything
# it prints also goes to $NC_OUT/transcript-nat for the host to show.
. "$(dirname "$0")/../net/lib.sh"
. "$(dirname "$0")/lib.sh"
[ -n "${NC_OUT:-}" ] && exec >"$NC_OUT/transcript-nat" 2>&1

say "topology: laptop 10.0.1.2, console 10.0.1.3 -- switch -- router (lan 10.0.1.1 | wan 192.0.2.1) -- internet server 192.0.2.2"
ns_add laptop console switch router internet
# the home network: one switch (a bridge) joining laptop, console, router
ip -n "$(ns switch)" link add br0 type bridge
ip -n "$(ns switch)" link set br0 up
veth laptop eth0 10.0.1.2/24 switch p1 -
veth console eth0 10.0.1.3/24 switch p2 -
veth router lan 10.0.1.1/24 switch p3 -
for p in p1 p2 p3; do ip -n "$(ns switch)" link set "$p" master br0; done
veth router wan 192.0.2.1/24 internet eth0 192.0.2.2/24
route laptop default via 10.0.1.1
route console default via 10.0.1.1
forwarding router
nsbg console python3 -m http.server -b 10.0.1.3 80
nsbg internet python3 -m http.server -b 192.0.2.2 80
for i in $(seq 50); do
	nsx console ss -ltn | grep -q ':80 ' && nsx internet ss -ltn | grep -q ':80 ' && break
	sleep 0.1
done

say "the engine on every router port, NAT rules"
run router ncnat dev attach lan
run router ncnat dev attach wan
run router ncnat rule add prio 10 oif wan masquerade
run router ncnat rule add prio 5 daddr 192.0.2.1/32 proto tcp dport 8080 dnat to 10.0.1.3:80
run router ncnat rule list

say "the laptop browses the internet; the internet reaches the console's port 8080"
get() { nsx "$1" python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=3).read(); print("   -> HTTP 200 from", sys.argv[1])' "$2"; }
get laptop http://192.0.2.2/
nsx laptop ping -c2 -i0.2 -W1 192.0.2.2 | tail -2
get internet http://192.0.2.1:8080/
say "hairpinning: the laptop uses the public address of the console's service"
get laptop http://192.0.2.1:8080/

say "mappings: inside, outside and remote endpoints, state, time left, traffic"
run router ncnat flow list
say "timeouts and NAT counters"
run router ncnat timeout list
say "the server saw only the router's address"
nsx internet ss -tn state time-wait | tail -n +2 | awk '{print "   peer " $4}' | sort -u
