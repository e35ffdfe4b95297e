#!/bin/bash
# nat_hairpin.sh: hairpinning of masquerade mappings (RFC 4787 REQ-9,
# RFC 5382 REQ-8) on r1 (topology: nat_lib.sh).  s1 runs a UDP echo on
# port 7000, the "STUN server" from which h1 and h2 learn their outside
# endpoints (192.0.2.1 and their own ports, which are kept).
#   - UDP, for each filtering (eif, adf, apdf): h1 sends to h2's outside
#     endpoint, then h2 to h1's, then h1 again.  Each receives the other's
#     packets from the other's outside endpoint (what a STUN-style test
#     calls "hairpin supported").  With eif h1's first packet gets through;
#     with adf and apdf h2 has not sent to h1's endpoint yet, so it is
#     dropped (filtered) but opens the way: h2's packet then passes, and
#     after it h1's do (hole punching, as between two NATs).  Exact
#     counters and the one flow both directions use.
#   - TCP, eif: h2 fetches from s1 from port 40080 (its mapping), then
#     listens on that port; h1 uploads a file to 192.0.2.1:40080: byte for
#     byte, and h2 sees the connection from 192.0.2.1 (h1's mapping).
#   - Attacks from outside, after the apdf round (rp_filter off on r1, so
#     only the engine's checks stand): s1, with h1's and h2's inside
#     addresses as sources, sends to their outside endpoints.  A new
#     endpoint pair is filtered as any inbound packet (no flow, nothing
#     reaches h2); the tuples of the live hairpin flow, arriving on out0,
#     are dropped (hairpin-wrong-dev), never forwarded to the inside; so
#     is an ICMP port unreachable from s1 quoting the hairpin flow (it
#     would reach h2 as about its packets to h1, and could tear down a
#     connection).  Also about a fresh (held) hairpin flow through an
#     snat address r1 does not hold, in the way not used yet: its route
#     is not known, so the error is judged by the other way's device
#     (before: handed to r1's stack, which forwarded it to h1).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nat_lib.sh"
nat_require
nat_topo
nsx r1 sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
	net.ipv4.conf.in0.rp_filter=0 net.ipv4.conf.out0.rp_filter=0
udp_echo s1 /tmp/nat-stun.log

# lines_at_least FILE N: FILE has N lines or more
lines_at_least() { [ "$(wc -l <"$1")" -ge "$2" ]; }

# peer NS PORT PEER-PORT STEPS: nat_tool.py probe from PORT in NS: asks
# s1 (STUN), then STEPS go to 192.0.2.1:PEER-PORT; output in
# /tmp/nat-hp-NS.log.  Files /tmp/nat-hp-* synchronise the two.
peer() {
	nsbg "$1" python3 "$NAT_TOOL" --timeout 30 probe 192.0.2.2:7000 --sport "$2" \
		"$4" >"/tmp/nat-hp-$1.log"
}

# round MODE P1 P2 RULE-ARGS FILTERED FORWARDED: one filtering mode; h1
# uses port P1, h2 P2
round() {
	local mode=$1 p1=$2 p2=$3 rargs=$4 filtered=$5 fwd=$6
	ncnat r1 rule flush
	ncnat r1 flow flush
	# shellcheck disable=SC2086
	ncnat r1 rule add oif out0 masquerade $rargs >/dev/null
	ctr_snap r1
	rm -f /tmp/nat-hp-*
	peer h1 "$p1" "$p2" "send,reply,ready:/tmp/nat-hp-1,wait:/tmp/nat-hp-2,to:192.0.2.1:$p2,send,ready:/tmp/nat-hp-3,reply,send"
	peer h2 "$p2" "$p1" "wait:/tmp/nat-hp-1,send,reply,ready:/tmp/nat-hp-2,wait:/tmp/nat-hp-go,to:192.0.2.1:$p1,send,reply"
	settle 30 test -e /tmp/nat-hp-3
	# h1's first packet to h2 makes the flow (held with adf and apdf)
	check "$mode: h1 -> h2's endpoint made a flow" wait_until 15 ctr_is r1 flows-created 3
	check "$mode: h1's first packet: $filtered filtered" \
		wait_until 15 ctr_is r1 filtered "$filtered"
	touch /tmp/nat-hp-go
	settle 30 lines_at_least /tmp/nat-hp-h1.log 5
	settle 30 lines_at_least /tmp/nat-hp-h2.log 4
	settle 30 ctr_is r1 forwarded "$fwd"
	check_eq "$mode: h1 heard s1, then h2 from its outside endpoint" "send: ok
reply: 32 bytes from 192.0.2.2:7000
send: ok
reply: 32 bytes from 192.0.2.1:$p2
send: ok" cat /tmp/nat-hp-h1.log
	check_eq "$mode: h2 heard s1, then h1 from its outside endpoint" "send: ok
reply: 32 bytes from 192.0.2.2:7000
send: ok
reply: 32 bytes from 192.0.2.1:$p1" cat /tmp/nat-hp-h2.log
	check_eq "$mode: s1 saw both outside endpoints" "192.0.2.1:$p1 32
192.0.2.1:$p2 32" sh -c "grep -E ':($p1|$p2) ' /tmp/nat-stun.log | sort"
	check_eq "$mode: one hairpin flow, from h1's outside endpoint to h2's" \
		"udp 10.0.1.2:$p1 192.0.2.1:$p1 192.0.2.1:$p2" \
		flowq r1 'f["remote"].startswith("192.0.2.1:")' proto inside outside remote
	check_eq "$mode: counters" \
		"flows-created=3 filtered=$filtered forwarded=$fwd hairpin-wrong-dev=0 no-port=0" \
		ctr_deltas r1 flows-created filtered forwarded hairpin-wrong-dev no-port
}

# STUN: 2 requests, 2 replies; then h1 -> h2 (eif only), h2 -> h1, h1 -> h2
round eif 41001 41002 "filtering eif" 0 7
round adf 42001 42002 "filtering adf" 1 6
round apdf 43001 43002 "" 1 6

# --- attacks from outside, on the apdf round's state ---
# h2's mapping was made by one exchange with s1, so it lives 30 s: a
# second makes it assured (a slow kernel gets here after that)
check_eq "h2's mapping assured" "ok 2" tool h2 udp-req 192.0.2.2:7000 --sport 43002 --count 2
nsx s1 ip addr add 10.0.1.2/32 dev v0
nsx s1 ip addr add 10.0.1.3/32 dev v0
ctr_snap r1
# a new pair: an inbound packet, filtered, no flow
tool s1 udp-send 192.0.2.1 43002 --bind 10.0.1.2 --sport 43009 --payload spoof
# both tuples of the live hairpin flow, from the outside device
tool s1 udp-send 192.0.2.1 43002 --bind 10.0.1.2 --sport 43001 --payload spoof
tool s1 udp-send 192.0.2.1 43001 --bind 10.0.1.3 --sport 43002 --payload spoof
check "spoofed: all handled" wait_until 15 ctr_is r1 hairpin-wrong-dev 2
check_eq "spoofed: dropped, none forwarded, no flow" \
	"flows-created=0 filtered=1 forwarded=0 hairpin-wrong-dev=2" \
	ctr_deltas r1 flows-created filtered forwarded hairpin-wrong-dev
nsx s1 ip addr del 10.0.1.2/32 dev v0
nsx s1 ip addr del 10.0.1.3/32 dev v0
ERR="$NC_TOP/tests/net/icmp_err.py"
# sniff NS: icmp_err.py's listener in NS, writing /tmp/nat-hp-err-NS.log
sniff() {
	nsbg "$1" python3 "$ERR" sniff "/tmp/nat-hp-err-$1.log" "/tmp/nat-hp-err-$1.ready" 600
	settle 30 test -e "/tmp/nat-hp-err-$1.ready"
}
# forged LABEL NS ARGS...: s1 sends an ICMP error (icmp_err.py send ARGS)
# about a hairpin flow: dropped as from the wrong device, untranslated,
# nothing reaches NS (sniffing)
forged() {
	local label=$1 to=$2
	shift 2
	ctr_snap r1
	nsx s1 python3 "$ERR" send "$@"
	check "$label: dropped" wait_until 15 ctr_is r1 hairpin-wrong-dev 1
	check_eq "$label: not translated" "icmp-translated=0 hairpin-wrong-dev=1" \
		ctr_deltas r1 icmp-translated hairpin-wrong-dev
	sleep 1
	check_eq "$label: nothing reached $to" "" cat "/tmp/nat-hp-err-$to.log"
}
# a forged error about the flow, as if h1's packet to h2's endpoint had
# come back from outside: translated, it would reach h2 from 192.0.2.1
sniff h2
forged "forged error" h2 192.0.2.1 3 3 0 192.0.2.1:43002 10.0.1.2:43001

# the same about a fresh hairpin flow, through an address r1 does not hold
# (its own would be a martian source for r1's stack), before the target
# has answered: the error's way has no route yet
ncnat r1 rule flush
ncnat r1 flow flush
ncnat r1 rule add oif out0 snat to 192.0.2.50 >/dev/null
route s1 192.0.2.50/32 via 192.0.2.1
sniff h1
check_eq "fresh: h2's mapping" "ok 2" tool h2 udp-req 192.0.2.2:7000 --sport 44002 --count 2
check_eq "fresh: h1's mapping" "ok 2" tool h1 udp-req 192.0.2.2:7000 --sport 44001 --count 2
ctr_snap r1
tool h1 udp-send 192.0.2.50 44002 --sport 44001 --payload hp >/dev/null
check "fresh: h1 -> h2's endpoint made a held flow" wait_until 15 ctr_is r1 filtered 1
forged "fresh: forged error" h1 192.0.2.50 3 3 0 192.0.2.50:44001 10.0.1.3:44002
# and a packet of the held flow from outside, with h2's inside address as
# source, under strict reverse path filtering: its input route fails, so
# the device it should arrive on cannot be checked by the route; it must
# not pass as h2's answer (which would release the hold) nor reach h1
# (a held flow of its own, made just now: unreplied, a flow lives 30 s)
check_eq "rp_filter: h1's mapping" "ok 2" tool h1 udp-req 192.0.2.2:7000 --sport 44003 --count 2
ctr_snap r1
tool h1 udp-send 192.0.2.50 44002 --sport 44003 --payload hp >/dev/null
check "rp_filter: h1 -> h2's endpoint made a held flow" wait_until 15 ctr_is r1 filtered 1
nsx r1 sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.out0.rp_filter=1
nsx s1 ip addr add 10.0.1.3/32 dev v0
ctr_snap r1
tool s1 udp-send 192.0.2.50 44003 --bind 10.0.1.3 --sport 44002 --payload spoof
check "rp_filter: spoofed packet of the held flow dropped" \
	wait_until 15 ctr_is r1 hairpin-wrong-dev 1
check_eq "rp_filter: not passed on" "forwarded=0 punt-route=0 hairpin-wrong-dev=1" \
	ctr_deltas r1 forwarded punt-route hairpin-wrong-dev
tool h1 udp-send 192.0.2.50 44002 --sport 44003 --payload hp >/dev/null
check "rp_filter: the flow is still held (h1's packet filtered)" \
	wait_until 15 ctr_is r1 filtered 1
nsx s1 ip addr del 10.0.1.3/32 dev v0
nsx r1 sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.out0.rp_filter=0

# --- TCP, eif: h1 connects to h2's listener through its outside endpoint ---
ncnat r1 rule flush
ncnat r1 flow flush
ncnat r1 rule add oif out0 masquerade filtering eif >/dev/null
head -c 1M /dev/urandom >/tmp/nat-file
nsbg s1 python3 "$NAT_TOOL" --timeout 20 tcp-serve 7001 /tmp/nat-file --ready /tmp/nat-stun-tcp \
	>/tmp/nat-stun-tcp.log
settle 30 test -e /tmp/nat-stun-tcp
check_eq "tcp: h2 fetches from s1 from port 40080" "fetched" \
	tool h2 --timeout 20 tcp-fetch 192.0.2.2 7001 /tmp/nat-got --sport 40080
settle 30 grep -q . /tmp/nat-stun-tcp.log
check_eq "tcp: s1 saw h2's outside endpoint" "192.0.2.1:40080" cat /tmp/nat-stun-tcp.log
ctr_snap r1
upload "tcp hairpin" h2 192.0.2.1 40080 /tmp/nat-file
check_eq "tcp hairpin: h2 saw h1's outside address" "192.0.2.1" \
	sh -c "cut -d: -f1 /tmp/nat-sink-40080.log"
h1port=$(sed -n 's/^[^:]*:\([0-9]*\)$/\1/p' /tmp/nat-sink-40080.log)
check_eq "tcp hairpin: one flow, from h1's outside endpoint to h2's" \
	"tcp 10.0.1.2:$h1port 192.0.2.1:$h1port 192.0.2.1:40080" \
	flowq r1 'f["remote"] == "192.0.2.1:40080"' proto inside outside remote
check_eq "tcp hairpin: counters" "flows-created=1 filtered=0 hairpin-wrong-dev=0" \
	ctr_deltas r1 flows-created filtered hairpin-wrong-dev
check_csum "no checksum errors"
nc_done
