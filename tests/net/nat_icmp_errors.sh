#!/bin/bash
# nat_icmp_errors.sh: ICMP errors that must not pass as they come
# (topology: nat_lib.sh; r1 `oif out0 masquerade`, later
# `saddr 10.0.1.0/24 netmap to 203.0.113.0/24`).  Errors are made by
# icmp_err.py (raw sockets) and seen by its listener on s1 and h2.
#   - forged destination: s1 sends port unreachable quoting h1's real flow
#     (192.0.2.1:45000 -> 192.0.2.2:7000) to h2's address 10.0.1.3, and to
#     h1's own 10.0.1.2, instead of the address the quoted packet came
#     from (192.0.2.1): both dropped and counted (icmp-mismatch), neither
#     h1 nor h2 gets anything; the same error to 192.0.2.1 reaches h1;
#   - an inside router: h2 (10.0.1.3, not the flow's endpoint) sends time
#     exceeded about the reply s1 -> h1 to s1: it leaves with the flow's
#     outside address as its source (RFC 5508 REQ-4), quoting what s1 sent;
#   - netmap: h1's DF datagram too big for r2 -> s2 gets frag-needed 1280,
#     and TTL 2 gets time exceeded, both from r2 and quoting what h1 sent
#     (the quote's 203.0.113.2 mapped back); an error quoting a netmapped
#     packet but addressed elsewhere is dropped (icmp-mismatch);
#   - counters move exactly; no checksum errors anywhere.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nat_lib.sh"
nat_require
nat_topo
ERR="$NC_TOP/tests/net/icmp_err.py"
ncnat r1 rule add oif out0 masquerade >/dev/null
# the forged errors' way to the inside: s1 -> r1 (only r1's engine and
# stack decide what goes further)
route s1 10.0.1.0/24 via 192.0.2.1
C="icmp-mismatch icmp-translated icmp-no-flow icmp-bad-checksum"

# err NS ARGS...: icmp_err.py send ARGS in NS
err() { local n=$1; shift; nsx "$n" python3 "$ERR" send "$@"; }
# sniff NS: icmp_err.py's listener in NS, writing /tmp/nat-sniff-NS.log
sniff() {
	rm -f "/tmp/nat-sniff-$1.ready"
	nsbg "$1" python3 "$ERR" sniff "/tmp/nat-sniff-$1.log" "/tmp/nat-sniff-$1.ready" 600
	settle 30 test -e "/tmp/nat-sniff-$1.ready"
}

udp_echo s1 /tmp/nat-echo.log
sniff s1
sniff h2
# two exchanges: an assured flow, which lives past 30 s (the sanitizer
# kernel under TCG takes that long to get to the inside router's part)
nsbg h1 python3 "$NAT_TOOL" --timeout 120 probe 192.0.2.2:7000 \
	send,reply,send,reply,ready:/tmp/nat-err-ready,err,drain --sport 45000 >/tmp/nat-err-h1.log
settle 30 test -e /tmp/nat-err-ready
check_eq "flow to quote" "192.0.2.1:45000" \
	flowq r1 'f["inside"] == "10.0.1.2:45000"' outside

# --- 1. the outer destination must be where the quoted packet came from ---
ctr_snap r1
err s1 10.0.1.3 3 3 0 192.0.2.1:45000 192.0.2.2:7000
check "forged to h2: dropped" wait_until 15 ctr_is r1 icmp-mismatch 1
err s1 10.0.1.2 3 3 0 192.0.2.1:45000 192.0.2.2:7000
check "forged to h1's inside address: dropped" wait_until 15 ctr_is r1 icmp-mismatch 2
check_eq "forged: counters" \
	"icmp-mismatch=2 icmp-translated=0 icmp-no-flow=0 icmp-bad-checksum=0" ctr_deltas r1 $C
ctr_snap r1
err s1 192.0.2.1 3 3 0 192.0.2.1:45000 192.0.2.2:7000
settle 30 grep -q '^err' /tmp/nat-err-h1.log
check_eq "to the outside address: h1 gets only that one" "send: ok
reply: 32 bytes from 192.0.2.2:7000
send: ok
reply: 32 bytes from 192.0.2.2:7000
err: ICMP 3/3 from 192.0.2.2 info 0" cat /tmp/nat-err-h1.log
check_eq "to the outside address: counters" \
	"icmp-mismatch=0 icmp-translated=1 icmp-no-flow=0 icmp-bad-checksum=0" ctr_deltas r1 $C
check_eq "h2 got no error" "" cat /tmp/nat-sniff-h2.log

# --- 2. an inside router's error leaves with the outside address ---
ctr_snap r1
err h2 192.0.2.2 11 0 0 192.0.2.2:7000 10.0.1.2:45000
settle 30 grep -q . /tmp/nat-sniff-s1.log
check_eq "inside router: source translated, quote as s1 sent it" \
	"ICMP 11/0 192.0.2.1 -> 192.0.2.2 quote 192.0.2.2:7000 -> 192.0.2.1:45000" \
	cat /tmp/nat-sniff-s1.log
check_eq "inside router: counters" \
	"icmp-mismatch=0 icmp-translated=1 icmp-no-flow=0 icmp-bad-checksum=0" ctr_deltas r1 $C
check "no 10.0.1.x left r1 on out0's side" sh -c "! grep -q '10\.0\.1\.' /tmp/nat-sniff-s1.log"

# --- 4. netmap: errors quoting a mapped packet are translated ---
ncnat r1 rule flush
ncnat r1 flow flush
ncnat r1 rule add saddr 10.0.1.0/24 netmap to 203.0.113.0/24 >/dev/null
route r2 203.0.113.0/24 via 192.0.2.1
ctr_snap r1
check_eq "netmap pmtu: frag-needed 1280 from r2 reaches h1" "send: ok
err: ICMP 3/4 from 192.0.2.254 info 1280" \
	tool h1 probe 198.51.100.2:7000 send,err --sport 46000 --size 1400 --df
check_eq "netmap ttl 2: time exceeded from r2 reaches h1" "send: ok
err: ICMP 11/0 from 192.0.2.254 info 0" \
	tool h1 probe 198.51.100.2:33435 send,err --sport 46001 --ttl 2
check_eq "netmap: counters" \
	"icmp-mismatch=0 icmp-translated=2 icmp-no-flow=0 icmp-bad-checksum=0" ctr_deltas r1 $C
ctr_snap r1
err s1 10.0.1.3 3 3 0 203.0.113.2:46000 192.0.2.2:7000
check "netmap: forged to h2: dropped" wait_until 15 ctr_is r1 icmp-mismatch 1
check_eq "netmap: forged: counters" \
	"icmp-mismatch=1 icmp-translated=0 icmp-no-flow=0 icmp-bad-checksum=0" ctr_deltas r1 $C
check_eq "h2 got no error" "" cat /tmp/nat-sniff-h2.log
check_csum "no checksum errors anywhere"
nc_done
