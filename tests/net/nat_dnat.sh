#!/bin/bash
# nat_dnat.sh: port forwarding on r1 (topology: nat_lib.sh), and nothing
# else: no masquerade rule.
#   - `daddr 192.0.2.1 proto tcp dport 8080 dnat to 10.0.1.2:80`: s1
#     fetches a file from h1's port 80 through 192.0.2.1:8080 (compared
#     byte for byte); h1 sees the connection from s1 itself (192.0.2.2);
#   - `... proto udp dport 5353 dnat to 10.0.1.2:53`: request/response;
#   - hairpinning: h2 (10.0.1.3, same inside link) reaches both services
#     through 192.0.2.1 with no extra rule; h1 sees h2's connection from
#     192.0.2.1 (so its replies go back through r1);
#   - flow list shows the forwarded flows with the creating rule;
#   - dnat to an address of r1 (10.0.1.1, 192.0.2.1) is refused with a
#     message, and the ruleset (save) and the generation do not change.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nat_lib.sh"
nat_require
nat_topo
htcp=$(ncnat r1 rule add daddr 192.0.2.1 proto tcp dport 8080 dnat to 10.0.1.2:80)
hudp=$(ncnat r1 rule add daddr 192.0.2.1 proto udp dport 5353 dnat to 10.0.1.2:53)
head -c 1M /dev/urandom >/tmp/nat-file

# --- from outside ---
nsbg h1 python3 "$NAT_TOOL" udp-echo 53 >/tmp/nat-echo-h1.log
nsbg h1 python3 "$NAT_TOOL" --timeout 20 tcp-serve 80 /tmp/nat-file --ready /tmp/nat-r1 >/tmp/nat-serve1.log
settle 5 listening h1 udp 53
settle 5 test -e /tmp/nat-r1
check_eq "tcp: s1 fetches through 192.0.2.1:8080" "fetched" \
	tool s1 --timeout 20 tcp-fetch 192.0.2.1 8080 /tmp/nat-got1
check "tcp: file identical" cmp /tmp/nat-file /tmp/nat-got1
settle 5 grep -q . /tmp/nat-serve1.log
check_eq "tcp: h1 saw s1 (192.0.2.2)" 192.0.2.2 sh -c "cut -d: -f1 /tmp/nat-serve1.log"
check_eq "udp: s1 -> 192.0.2.1:5353 answered" "ok 5" \
	tool s1 udp-req 192.0.2.1:5353 --sport 46000 --count 5
check_eq "udp: h1 saw 192.0.2.2:46000" "192.0.2.2:46000 64" sh -c "sort -u /tmp/nat-echo-h1.log"
s1port=$(sed -n 's/^[^:]*:\([0-9]*\)$/\1/p' /tmp/nat-serve1.log)
check_eq "flows: forwarded flows and their rules" \
	"tcp 192.0.2.2:$s1port 192.0.2.1:8080 $htcp
udp 192.0.2.2:46000 192.0.2.1:5353 $hudp" \
	flowq r1 'True' proto inside remote rule

# --- hairpin: h2 through the outside address ---
nsbg h1 python3 "$NAT_TOOL" --timeout 20 tcp-serve 80 /tmp/nat-file --ready /tmp/nat-r2 >/tmp/nat-serve2.log
settle 5 test -e /tmp/nat-r2
check_eq "hairpin tcp: h2 fetches through 192.0.2.1:8080" "fetched" \
	tool h2 --timeout 20 tcp-fetch 192.0.2.1 8080 /tmp/nat-got2
check "hairpin tcp: file identical" cmp /tmp/nat-file /tmp/nat-got2
settle 5 grep -q . /tmp/nat-serve2.log
check_eq "hairpin tcp: h1 saw the connection from 192.0.2.1" 192.0.2.1 \
	sh -c "cut -d: -f1 /tmp/nat-serve2.log"
check_eq "hairpin udp: h2 -> 192.0.2.1:5353 answered" "ok 5" \
	tool h2 udp-req 192.0.2.1:5353 --sport 46001 --count 5
check_eq "hairpin udp: h1 saw it from 192.0.2.1" "192.0.2.1" \
	sh -c "grep -v '^192.0.2.2:' /tmp/nat-echo-h1.log | cut -d: -f1 | sort -u"
check_eq "hairpin: flows from h2" "tcp 10.0.1.3 192.0.2.1:8080 $htcp
udp 10.0.1.3 192.0.2.1:5353 $hudp" \
	flowq r1 'f["inside"].startswith("10.0.1.3:")' proto addr:inside remote rule
check_csum "no checksum errors"

# --- dnat to the router itself: refused, nothing changes ---
state() { ncnat r1 save; nc_stat r1 generation; }
before=$(state)
for to in 10.0.1.1:80 192.0.2.1:80 10.0.1.1; do
	rc=0
	err=$(ncnat r1 rule add daddr 192.0.2.1 proto tcp dport 8081 dnat to $to 2>&1 >/dev/null) || rc=$?
	check "dnat to $to refused" test "$rc" != 0
	check "dnat to $to: message says why" sh -c "echo '$err' | grep -qi 'router'"
done
check_eq "refusals changed nothing (save, generation)" "$before" state
nc_done
