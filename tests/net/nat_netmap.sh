#!/bin/bash
# nat_netmap.sh: `saddr 10.0.1.0/24 netmap to 203.0.113.0/24` on r1
# (topology: nat_lib.sh; s1 routes 203.0.113.0/24 via r1).  Stateless 1:1:
#   - h1 pings s1: s1 sees the requests from 203.0.113.2 (nft counter),
#     the replies to 203.0.113.2 come back to h1;
#   - s1 reaches h1 by sending to 203.0.113.2 (UDP request/response): h1
#     sees s1's own address, s1 gets the answers from 203.0.113.2;
#   - the netmap counter moves by exactly one per packet each way, and
#     so does forwarded: every packet leaves by the fast path; no flow is
#     created;
#   - 4000-byte datagrams without DF from h1 (MTU 9000) leave r1 towards
#     s1 (MTU 1500) in fragments made by the fast path, and are answered;
#   - IP options go to r1's stack, which acts on them: ping -R records
#     r1's addresses both ways (punt-route);
#   - TTL 1 both ways, and DF and too big for r1's out0: the senders get
#     time exceeded and frag-needed from r1, quoting what they sent;
#   - with forwarding off on r1's inside device, the route is the stack's:
#     the packets are translated, then left to the stack, which drops them;
#   - r1's own addresses: h1's pings to r1 (10.0.1.1) are delivered as
#     sent and answered (translated, r1 would answer 203.0.113.2, which
#     it cannot route); r1's own UDP to a closed port of h1 gets h1's
#     port unreachable (refused); s1's pings to 203.0.113.1, r1's
#     10.0.1.1 mapped, are dropped (netmap-local), never answered from
#     10.0.1.1 (to 203.0.113.255, in0's broadcast, translated: r1 ignores
#     broadcast pings); once r1 holds 203.0.113.1 itself, s1's pings to it
#     are r1's: answered, and r1's filter rules apply to them;
#   - TCP both ways through the mapping, compared byte for byte;
#   - TCP without DF (h1 with path MTU discovery off, s1 announcing a
#     9000-byte MSS): GSO packets whose segments are too big for out0 are
#     segmented and fragmented by the fast path, none left to the stack;
#   - a load whose last rule the kernel refuses: while it is parsed, and
#     after, its netmap rule translates nothing back (a stream from s1 to
#     203.0.113.2 during the load never reaches h1);
#   - no checksum errors anywhere.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nat_lib.sh"
nat_require
nat_topo
route s1 203.0.113.0/24 via 192.0.2.1
ncnat r1 rule add saddr 10.0.1.0/24 netmap to 203.0.113.0/24 >/dev/null
nsx s1 nft -f - <<'EOT'
table ip t {
	counter mapped {}
	counter other {}
	chain in {
		type filter hook input priority 0;
		icmp type echo-request ip saddr 203.0.113.2 counter name mapped
		icmp type echo-request ip saddr != 203.0.113.2 counter name other
	}
}
EOT

ctr_snap r1
N=4
out=$(nsx h1 ping -c $N -i 0.05 -W 2 192.0.2.2 2>&1) || true
check_eq "ping: $N requests, $N replies" "$N packets transmitted, $N received" \
	sh -c "echo '$out' | grep -o '[0-9]* packets transmitted, [0-9]* received'"
check_eq "ping: s1 saw $N from 203.0.113.2" $N nft_counter s1 ip t mapped
check_eq "ping: s1 saw none from elsewhere" 0 nft_counter s1 ip t other
check_eq "ping: netmap and the fast path counted $((2 * N))" \
	"netmap=$((2 * N)) forwarded=$((2 * N))" ctr_deltas r1 netmap forwarded

ctr_snap r1
nsbg h1 python3 "$NAT_TOOL" udp-echo 7000 >/tmp/nat-echo-h1.log
settle 5 listening h1 udp 7000
check_eq "udp: s1 -> 203.0.113.2 answered from there" "ok 6" \
	tool s1 udp-req 203.0.113.2:7000 --sport 47000 --count 6
check_eq "udp: h1 saw s1 itself" "192.0.2.2:47000 64" sh -c "sort -u /tmp/nat-echo-h1.log"
check_eq "udp: netmap and the fast path counted 12" "netmap=12 forwarded=12" \
	ctr_deltas r1 netmap forwarded
check_eq "no flows: netmap is stateless" 0 nflows r1

ctr_snap r1
udp_echo s1 /tmp/nat-echo-s1.log
check_eq "udp: 4000 bytes without DF, h1 -> s1 and back" "ok 3" \
	tool h1 udp-req 192.0.2.2:7000 --sport 47001 --count 3 --size 4000 --nodf
check_eq "udp: s1 saw 203.0.113.2" "203.0.113.2:47001 4000" \
	sh -c "sort -u /tmp/nat-echo-s1.log"
# the answers come in s1's fragments: reassembled, one packet each
check_eq "udp: counters (requests fragmented by the fast path)" \
	"netmap=6 forwarded=6 fragmented=3" ctr_deltas r1 netmap forwarded fragmented

ctr_snap r1
out=$(nsx h1 ping -c1 -W2 -R 192.0.2.2 2>&1) || true
check_eq "options: r1 recorded its route both ways" \
	"10.0.1.2 192.0.2.1 192.0.2.2 192.0.2.2 10.0.1.1 10.0.1.2" \
	sh -c "echo '$out' | awk '/^RR:/ { rr = 1 } rr && NF == 1 || /^RR:/ { print \$NF } /^\$/ { rr = 0 }' | xargs"
check_eq "options: left to r1's stack, translated" \
	"netmap=2 punt-route=2 forwarded=0" ctr_deltas r1 netmap punt-route forwarded

ctr_snap r1
check_eq "ttl 1 out: time exceeded from r1" "send: ok
err: ICMP 11/0 from 10.0.1.1 info 0" \
	tool h1 probe 192.0.2.2:7000 send,err --sport 47002 --ttl 1
check_eq "ttl 1 in: time exceeded from r1" "send: ok
err: ICMP 11/0 from 192.0.2.1 info 0" \
	tool s1 probe 203.0.113.2:7000 send,err --sport 47003 --ttl 1
check_eq "pmtu: frag-needed 1500 from r1" "send: ok
err: ICMP 3/4 from 10.0.1.1 info 1500" \
	tool h1 probe 192.0.2.2:7000 send,err --sport 47004 --size 2000 --df
check_eq "ttl and pmtu: counters" "netmap=3 punt-ttl=2 punt-mtu=1 forwarded=0" \
	ctr_deltas r1 netmap punt-ttl punt-mtu forwarded

ctr_snap r1
nsx r1 sysctl -qw net.ipv4.conf.in0.forwarding=0
out=$(nsx h1 ping -c 2 -i 0.05 -W 1 192.0.2.2 2>&1) || true
nsx r1 sysctl -qw net.ipv4.conf.in0.forwarding=1
check_eq "forwarding off on in0: nothing gets through" "2 packets transmitted, 0 received" \
	sh -c "echo '$out' | grep -o '[0-9]* packets transmitted, [0-9]* received'"
check_eq "forwarding off: translated, left to the stack" \
	"netmap=2 punt-route=2 forwarded=0" ctr_deltas r1 netmap punt-route forwarded

# --- r1's own addresses ---
ctr_snap r1
out=$(nsx h1 ping -c 2 -i 0.2 -W 2 10.0.1.1 2>&1) || true
check_eq "to r1 itself: delivered as sent, answered" "2 packets transmitted, 2 received" \
	sh -c "echo '$out' | grep -o '[0-9]* packets transmitted, [0-9]* received'"
check_eq "r1's own udp to h1's closed port: refused" refused nsx r1 python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.connect(("10.0.1.2", 9))
try:
    s.send(b"x")
    s.recv(100)
    print("answered")
except ConnectionRefusedError:
    print("refused")
except OSError as e:
    print(e)
'
for a in 203.0.113.1 203.0.113.255; do
	out=$(nsx s1 ping -c 2 -i 0.2 -W 1 $a 2>&1) || true
	check_eq "to $a (r1's in0 address or broadcast, mapped): not answered" \
		"2 packets transmitted, 0 received" \
		sh -c "echo '$out' | grep -o '[0-9]* packets transmitted, [0-9]* received'"
done
check_eq "r1's addresses: counters" "netmap-local=2 forwarded=0 icmp-no-flow=0" \
	ctr_deltas r1 netmap-local forwarded icmp-no-flow
nsx r1 ip addr add 203.0.113.1/32 dev out0
ctr_snap r1
pings() {
	nsx s1 ping -c 2 -i 0.2 -W 2 203.0.113.1 2>&1 |
		grep -o '[0-9]* packets transmitted, [0-9]* received'
}
check_eq "to 203.0.113.1, held by r1: answered by r1" "2 packets transmitted, 2 received" pings
check_eq "held by r1: counters" "netmap-local=0 forwarded=0" \
	ctr_deltas r1 netmap-local forwarded
ncnat r1 rule add prio 1 iif out0 daddr 203.0.113.1 proto icmp drop >/dev/null
check_eq "held by r1: r1's filter rule applies" "2 packets transmitted, 0 received" pings
ncnat r1 rule flush
ncnat r1 rule add saddr 10.0.1.0/24 netmap to 203.0.113.0/24 >/dev/null
nsx r1 ip addr del 203.0.113.1/32 dev out0

head -c 2M /dev/urandom >/tmp/nat-file
nsbg s1 python3 "$NAT_TOOL" --timeout 20 tcp-sink 5001 /tmp/nat-up --ready /tmp/nat-r1 >/tmp/nat-sink.log
settle 5 test -e /tmp/nat-r1
check_eq "tcp: h1 -> s1 upload" sent tool h1 --timeout 20 tcp-send 192.0.2.2 5001 /tmp/nat-file
check "tcp: upload identical" cmp /tmp/nat-file /tmp/nat-up
settle 5 grep -q . /tmp/nat-sink.log
check_eq "tcp: s1 saw 203.0.113.2" 203.0.113.2 sh -c "cut -d: -f1 /tmp/nat-sink.log"
nsbg h1 python3 "$NAT_TOOL" --timeout 20 tcp-serve 80 /tmp/nat-file --ready /tmp/nat-r2 >/dev/null
settle 5 test -e /tmp/nat-r2
check_eq "tcp: s1 fetches from 203.0.113.2" fetched \
	tool s1 --timeout 20 tcp-fetch 203.0.113.2 80 /tmp/nat-down
check "tcp: download identical" cmp /tmp/nat-file /tmp/nat-down

# h1 without path MTU discovery, and without the 1500 it learnt from the
# probe above; s1 announcing a 9000-byte MSS: h1's GSO packets carry
# segments too big for out0, without DF
nsx h1 sysctl -qw net.ipv4.ip_no_pmtu_disc=1
ip -n "$(ns h1)" route flush cache
ip -n "$(ns s1)" route replace 203.0.113.0/24 via 192.0.2.1 advmss 8960
ctr_snap r1
upload "tcp no DF" s1 192.0.2.2 5002 /tmp/nat-file
check "tcp no DF: segmented and fragmented by the fast path" \
	test "$(ctr_delta r1 fragmented)" -ge 1
check_eq "tcp no DF: none left to the stack" 0 ctr_delta r1 punt-route

# --- a netmap rule acts only once its ruleset is committed ---
# a load whose last rule the kernel refuses (dnat to r1's own address)
# changes nothing: while the kernel parses it, its netmap rule must not
# translate s1's stream to 203.0.113.2 back to h1, nor after
ncnat r1 rule flush
{
	echo "rule add saddr 10.0.1.0/24 netmap to 203.0.113.0/24"
	for p in $(seq 1000 3999); do echo "rule add proto tcp dport $p accept"; done
	echo "rule add daddr 192.0.2.1 proto udp dport 9 dnat to 10.0.1.1"
} >/tmp/nat-netmap-load
rm -f /tmp/nat-stream-stop /tmp/nat-stream-ready /tmp/nat-h1-ready
# h1 listens until h2 says "end" (h2 reaches it directly, on the LAN)
nsbg h1 python3 "$NAT_TOOL" --timeout 120 udp-recv 7100 --count 100000 --until end \
	--ready /tmp/nat-h1-ready >/tmp/nat-h1-stream.log
settle 30 test -e /tmp/nat-h1-ready
nsbg s1 python3 -c '
import os, socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.monotonic() + 120
while not os.path.exists("/tmp/nat-stream-stop") and time.monotonic() < end:
    s.sendto(b"x", ("203.0.113.2", 7100))
    open("/tmp/nat-stream-ready", "a").close()
    time.sleep(0.001)
'
settle 30 test -e /tmp/nat-stream-ready
rx() { nsx r1 cat /sys/class/net/out0/statistics/rx_packets; }
rx0=$(rx)
rc=0
out=$(ncnat r1 load /tmp/nat-netmap-load 2>&1) || rc=$?
rx1=$(rx)
check "commit: the load fails on the refused rule (exit $rc: $out)" \
	sh -c '[ "$1" -ne 0 ] && printf %s "$2" | grep -q "address of this router"' sh "$rc" "$out"
# with one CPU (UML) no packet is handled while the kernel parses; the
# stream then proves the state after the failed load only
if [ "$(nproc)" -gt 1 ]; then
	check "commit: s1's stream reached r1 during the load ($((rx1 - rx0)) packets)" \
		test "$((rx1 - rx0))" -ge 1
fi
sleep 0.5
touch /tmp/nat-stream-stop
check_eq "commit: no rule" "" ncnat r1 rule list
tool h2 udp-send 10.0.1.2 7100 --sport 7101 --payload end >/dev/null
settle 30 grep -q '^got' /tmp/nat-h1-stream.log
check_eq "commit: nothing reached h1 through the refused netmap" "10.0.1.3:7101 end
got 1" cat /tmp/nat-h1-stream.log
check_csum "no checksum errors"
nc_done
