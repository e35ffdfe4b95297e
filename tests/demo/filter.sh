#!/bin/bash
# The demo, run inside the UML kernel: a client, a router and a server in
# three network namespaces; netchannel attached on the router's client-side
# port filters what the client may reach.  Everything it prints is also
# written to $NC_OUT/transcript for the host to show.
. "$(dirname "$0")/../net/lib.sh"
. "$(dirname "$0")/lib.sh"
[ -n "${NC_OUT:-}" ] && exec >"$NC_OUT/transcript" 2>&1

say "topology: client 10.0.1.2 -- router (netchannel on r-in) -- server 10.0.2.2"
ns_add client router server
veth client eth0 10.0.1.2/24 router r-in 10.0.1.1/24
veth router r-out 10.0.2.1/24 server eth0 10.0.2.2/24
addr client eth0 fd01::2/64
addr router r-in fd01::1/64
addr router r-out fd02::1/64
addr server eth0 fd02::2/64
route client default via 10.0.1.1
route client default via fd01::1
route server default via 10.0.2.1
route server default via fd02::1
forwarding router
# two services on the server: a web server and a "telnet" port
nsbg server python3 -m http.server -b 10.0.2.2 8080 >/dev/null 2>&1
nsbg server socat -T1 TCP4-LISTEN:23,fork,reuseaddr EXEC:/bin/cat
nsbg server socat -T1 UDP6-RECVFROM:5353,fork EXEC:/bin/cat
for i in $(seq 50); do
	nsx server ss -ltn | grep -q ':8080' && nsx server ss -ltn | grep -q ':23' && break
	sleep 0.1
done

say "attach the engine to the router's inside port"
run router ncnat dev attach r-in
run router ncnat dev list

say "before any rule: everything passes"
try client ping -c1 -W1 10.0.2.2
try client python3 -c 'import urllib.request; urllib.request.urlopen("http://10.0.2.2:8080/", timeout=2)'
try client socat -T1 - TCP4:10.0.2.2:23,connect-timeout=1 </dev/null

say "filter rules: no telnet, no ping from the client, IPv6 DNS allowed"
run router ncnat rule add proto tcp dport 23 drop
run router ncnat rule add prio 10 family ip saddr 10.0.1.0/24 proto icmp drop
run router ncnat rule add prio 5 family ip6 proto udp dport 5353 accept
run router ncnat rule add family ip proto tcp dport 8000-8999 accept

say "traffic now"
try client ping -c3 -i0.2 -W1 10.0.2.2
try client python3 -c 'import urllib.request; urllib.request.urlopen("http://10.0.2.2:8080/", timeout=2)'
try client socat -T1 - TCP4:10.0.2.2:23,connect-timeout=1 </dev/null
try client sh -c 'echo hi | socat -T1 - UDP6:[fd02::2]:5353'

say "rules with their counters (packets/bytes), devices, drop reasons"
run router ncnat rule list
run router ncnat dev list
run router ncnat stats
say "the ruleset as a file ncnat load accepts"
run router ncnat save
