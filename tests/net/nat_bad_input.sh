#!/bin/bash
# nat_bad_input.sh: bad NAT rules and timeout settings are refused with a
# message and change nothing.  Every case: `ncnat` exits non-zero, prints
# one "ncnat: ..." line on stderr matching what is wrong and nothing on
# stdout, and the state - `save`, the generation of `-j stats`, and
# `-j timeout list` (timeouts, limit, counters) - is what it was.  A load
# file with one bad NAT rule leaves the whole ruleset in place.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nat_lib.sh"
nat_require
ns_add r1 a b
no_ipv6 r1 a b
veth r1 in0 10.0.1.1/24 a v0 10.0.1.2/24
veth r1 out0 192.0.2.1/24 b v0 192.0.2.2/24
ncnat r1 dev attach in0
ncnat r1 dev attach out0
ncnat r1 rule add oif out0 masquerade >/dev/null
ncnat r1 rule add daddr 192.0.2.1 proto tcp dport 8080 dnat to 10.0.1.2:80 >/dev/null
ncnat r1 rule add saddr 10.0.2.0/24 netmap to 203.0.113.0/24 >/dev/null
ncnat r1 timeout set udp 100
tmp=/tmp/nat-bad
mkdir -p $tmp

state() {
	ncnat r1 save
	nc_stat r1 generation
	ncnat r1 -j timeout list
}
base=$(state)
check_eq "baseline: 3 rules" 3 sh -c "echo \"$base\" | grep -c '^rule add'"

# bad NAME REGEX ARGS...: `ncnat -n r1 ARGS` is refused as described above
bad() {
	local name=$1 re=$2 rc=0 why= err now
	shift 2
	ncnat r1 "$@" >$tmp/out 2>$tmp/err || rc=$?
	mapfile -t err <$tmp/err
	now=$(state)
	shopt -s nocasematch
	if [ "$rc" = 0 ]; then
		why="accepted"
	elif [ "${#err[@]}" != 1 ] || [[ ${err[0]} != "ncnat: "* ]]; then
		why="want one 'ncnat: ' line on stderr"
	elif ! [[ ${err[0]} =~ $re ]]; then
		why="message does not match '$re'"
	elif [ -s $tmp/out ]; then
		why="stdout not empty"
	fi
	shopt -u nocasematch
	[ "$now" = "$base" ] || why="${why:+$why; }state changed"
	if [ -z "$why" ]; then
		pass "$name"
	else
		fail "$name"
		echo "    $why; exit $rc; stderr: ${err[*]:0:3}"
	fi
}
R="rule add"
bad "snat without to" "to|address" $R saddr 10.0.1.0/24 snat
bad "snat to an IPv6 address" "ipv4|address|ip6|family" $R saddr 10.0.1.0/24 snat to 2001:db8::1
bad "snat range reversed" "range|above|order" $R saddr 10.0.1.0/24 snat to 10.0.0.9-10.0.0.1
bad "snat to a bad address" "address" $R saddr 10.0.1.0/24 snat to 10.0.0.300
bad "ports 0-10" "port" $R oif out0 masquerade ports 0-10
bad "ports 10-5" "port|range|above" $R oif out0 masquerade ports 10-5
bad "ports 1-70000" "port" $R oif out0 masquerade ports 1-70000
bad "filtering xyz" "filtering|xyz" $R oif out0 masquerade filtering xyz
bad "filtering without a mode" "filtering" $R oif out0 masquerade filtering
bad "dnat to port 0" "port" $R daddr 192.0.2.1 proto tcp dport 81 dnat to 1.2.3.4:0
bad "dnat to port 70000" "port" $R daddr 192.0.2.1 proto tcp dport 81 dnat to 1.2.3.4:70000
bad "dnat to the router (inside)" "router" $R daddr 192.0.2.1 proto tcp dport 81 dnat to 10.0.1.1:80
bad "dnat to the router (outside)" "router" $R daddr 192.0.2.1 proto tcp dport 81 dnat to 192.0.2.1
bad "dnat without to" "to|address" $R daddr 192.0.2.1 proto tcp dport 81 dnat
bad "netmap without saddr" "saddr" $R netmap to 203.0.113.0/24
bad "netmap, other prefix length" "length|prefix" $R saddr 10.0.1.0/24 netmap to 203.0.113.0/25
bad "netmap prefix with host bits" "prefix|bits" $R saddr 10.0.1.0/24 netmap to 203.0.113.1/24
bad "family ip6 masquerade" "ipv4|ip6|family" $R family ip6 oif out0 masquerade
bad "oif nosuchdev" "nosuchdev|device" $R oif nosuchdev masquerade
bad "masquerade with a stray word" "bogus|unknown|unexpected" $R oif out0 masquerade bogus
bad "timeout set udp 0" "udp|0|range|least" timeout set udp 0
bad "timeout set udp 8 days" "day|range|most" timeout set udp 691200
bad "timeout set bogus 5" "bogus|unknown" timeout set bogus 5
bad "timeout set udp abc" "abc|number|invalid" timeout set udp abc
bad "timeout set udp (no value)" "udp|value|missing|usage" timeout set udp
bad "timeout set max-mappings 0" "mappings|0|range|least" timeout set max-mappings 0

# a load file with one bad NAT rule: refused whole
printf '%s\n' "rule add oif out0 masquerade" \
	"rule add saddr 10.0.1.0/24 netmap to 203.0.113.0/25" >$tmp/rules
bad "load with a bad netmap rule" "length|prefix" load $tmp/rules
check_eq "state unchanged by all of the above" "$base" state
nc_done
