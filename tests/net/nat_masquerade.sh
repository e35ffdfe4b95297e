#!/bin/bash
# nat_masquerade.sh: `oif out0 masquerade` on r1 (topology: nat_lib.sh).
#   - ping h1 -> s1: N requests, N replies, s1 sees them from 192.0.2.1
#     (nft counter there), the ICMP flow counts N packets each way;
#   - UDP request/response h1 -> s1 (payloads compared); the source port is
#     kept (s1 sees 192.0.2.1:40000); a second inside host with the same
#     port gets another outside port, and both still work;
#   - endpoint-independent mapping: one socket to s1 and to s2 has the same
#     outside endpoint in both flows;
#   - UDP datagrams of 8000 bytes without DF h1 <-> s2: r1 fragments to
#     1500 (counted), r2 to 1280, replies come back in fragments that r1
#     reassembles before translating;
#   - TCP, 4 MB each way between h1 and s2 over MTU 9000/1500/1280, compared
#     byte for byte: GSO packets, the too-big-with-DF punt to the stack
#     (r1 sends frag-needed 1500), r2's frag-needed 1280 translated back to
#     h1 (h1 caches mtu 1280);
#   - TCP upload without DF (h1 with path MTU discovery off) to s1, which
#     announces a 9000-byte MSS: h1's GSO packets of 9000-byte segments
#     are segmented and fragmented by r1, as the stack would do, and none
#     goes to the stack (which would drop r1's own source as a martian);
#   - flow list: every flow with its inside, outside and remote endpoint;
#   - IP options travel through the fast path as they came: ping -R
#     works (the stack would drop a packet from r1's own address);
#   - the fast path sets the egress priority from TOS as ip_forward()
#     does: pings whose DSCP h1's nftables rewrote (so their socket's
#     priority is not it) queue in band 0 of a prio qdisc on r1's out0;
#   - a path MTU r1 learnt for its own pings (1280 to s2) does not bind
#     forwarded packets, as in ip_forward(): 1328-byte datagrams leave r1
#     whole, r2 fragments them or answers frag-needed itself;
#   - no InCsumErrors in any namespace after each part.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nat_lib.sh"
nat_require
nat_topo
ncnat r1 rule add oif out0 masquerade >/dev/null

# --- ping ---
nsx s1 nft -f - <<'EOF'
table ip t {
	counter from_nat {}
	counter from_other {}
	chain in {
		type filter hook input priority 0;
		icmp type echo-request ip saddr 192.0.2.1 counter name from_nat
		icmp type echo-request ip saddr != 192.0.2.1 counter name from_other
	}
}
EOF
N=5
out=$(nsx h1 ping -c $N -i 0.05 -W 2 192.0.2.2 2>&1) || true
check_eq "ping: $N requests, $N replies" "$N packets transmitted, $N received" \
	sh -c "echo '$out' | grep -o '[0-9]* packets transmitted, [0-9]* received'"
check_eq "ping: s1 saw $N from 192.0.2.1" $N nft_counter s1 ip t from_nat
check_eq "ping: s1 saw none from elsewhere" 0 nft_counter s1 ip t from_other
check_eq "ping: icmp flow endpoints" "10.0.1.2 192.0.2.1 192.0.2.2" \
	flowq r1 'f["proto"] == "icmp"' addr:inside addr:outside addr:remote
check_eq "ping: flow counted $N out, $N in" "$N $N" \
	flowq r1 'f["proto"] == "icmp"' packets_out packets_in
check_csum "ping: no checksum errors"

# --- UDP request/response, port preservation ---
nsbg s1 python3 "$NAT_TOOL" udp-echo 7000 >/tmp/nat-echo-s1.log
nsbg s2 python3 "$NAT_TOOL" udp-echo 7000 >/tmp/nat-echo-s2.log
settle 5 listening s1 udp 7000
settle 5 listening s2 udp 7000
check_eq "udp: 10 requests answered" "ok 10" \
	tool h1 udp-req 192.0.2.2:7000 --sport 40000 --count 10 --size 300
check_eq "udp: s1 saw 192.0.2.1:40000 only" "192.0.2.1:40000 10" \
	sh -c "cut -d' ' -f1 /tmp/nat-echo-s1.log | sort | uniq -c | awk '{print \$2, \$1}'"
check_eq "udp: flow keeps the port" "udp 10.0.1.2:40000 192.0.2.1:40000 192.0.2.2:7000" \
	flowq r1 'f["proto"] == "udp"' proto inside outside remote
check_eq "udp: h2, same port: answered" "ok 3" \
	tool h2 udp-req 192.0.2.2:7000 --sport 40000 --count 3
h2out=$(flowq r1 'f["inside"] == "10.0.1.3:40000"' outside)
check "udp: h2 got another port in range ($h2out)" python3 -c '
import sys
a, p = sys.argv[1].split(":")
sys.exit(not (a == "192.0.2.1" and p != "40000" and 1024 <= int(p) <= 65535))' "$h2out"
check "udp: s1 saw h2 as $h2out" grep -q "^$h2out 64\$" /tmp/nat-echo-s1.log
check_eq "udp: h1 still answered" "ok 2" \
	tool h1 udp-req 192.0.2.2:7000 --sport 40000 --count 2
check_csum "udp: no checksum errors"

# --- endpoint-independent mapping: one socket, two destinations ---
check_eq "eim: one socket to s1 and s2" "ok 4" \
	tool h1 udp-req 192.0.2.2:7000 198.51.100.2:7000 --sport 41000 --count 2
check_eq "eim: same outside endpoint in both flows" \
	"udp 10.0.1.2:41000 192.0.2.1:41000 192.0.2.2:7000
udp 10.0.1.2:41000 192.0.2.1:41000 198.51.100.2:7000" \
	flowq r1 'f["inside"] == "10.0.1.2:41000"' proto inside outside remote
check "eim: s2 saw 192.0.2.1:41000" grep -q '^192.0.2.1:41000 ' /tmp/nat-echo-s2.log

# --- big UDP datagrams, no DF: fragmented on the way out and back ---
ctr_snap r1
check_eq "frag: 8000-byte datagrams to s2 and back" "ok 3" \
	tool h1 udp-req 198.51.100.2:7000 --sport 42000 --count 3 --size 8000 --nodf
check_eq "frag: r1 fragmented the 3 requests" "fragmented=3 punt-mtu=0" \
	ctr_deltas r1 fragmented punt-mtu
check_eq "frag: r1 reassembled the replies (3 in)" "3 3" \
	flowq r1 'f["inside"] == "10.0.1.2:42000"' packets_out packets_in
check_csum "frag: no checksum errors"

# --- TCP, 4 MB each way across MTU 9000/1500/1280 ---
# s2 announces a large MSS (as a host behind a tunnel would), so h1 sends
# 9000-byte segments and path MTU discovery has to run through the NAT.
ip -n "$(ns s2)" route replace default via 198.51.100.1 advmss 8960
head -c 4M /dev/urandom >/tmp/nat-big
ctr_snap r1
upload tcp s2 198.51.100.2 5001 /tmp/nat-big
check_eq "tcp: s2 saw the connection from 192.0.2.1" 192.0.2.1 sh -c "cut -d: -f1 /tmp/nat-sink-5001.log"
check "tcp: r1 punted too-big DF packets" test "$(ctr_delta r1 punt-mtu)" -ge 1
check "tcp: r2's frag-needed translated" test "$(ctr_delta r1 icmp-translated)" -ge 1
check "tcp: h1 learnt mtu 1280" sh -c "ip -n $(ns h1) route get 198.51.100.2 | grep -q 'mtu 1280'"
sport=$(sed -n 's/^[^:]*:\([0-9]*\)$/\1/p' /tmp/nat-sink-5001.log)
check_eq "tcp: flow endpoints" "tcp 10.0.1.2:$sport 192.0.2.1:$sport 198.51.100.2:5001" \
	flowq r1 'f["remote"] == "198.51.100.2:5001"' proto inside outside remote
nsbg s2 python3 "$NAT_TOOL" --timeout 30 tcp-serve 5002 /tmp/nat-big --ready /tmp/nat-ready2 >/dev/null
settle 5 test -e /tmp/nat-ready2
check_eq "tcp: download s2 -> h1" "fetched" tool h1 --timeout 30 tcp-fetch 198.51.100.2 5002 /tmp/nat-down
check "tcp: download identical" cmp /tmp/nat-big /tmp/nat-down
check_eq "tcp: nothing dropped for want of memory" 0 ctr r1 nomem
check_csum "tcp: no checksum errors"

# --- TCP without DF: GSO segments too big for out0 ---
nsx h1 sysctl -qw net.ipv4.ip_no_pmtu_disc=1
ip -n "$(ns s1)" route add 192.0.2.1/32 dev v0 advmss 8960
ctr_snap r1
upload "tcp no DF" s1 192.0.2.2 5003 /tmp/nat-big
check "tcp no DF: r1 fragmented" test "$(ctr_delta r1 fragmented)" -ge 1
check_eq "tcp no DF: none to the stack, no frag-needed" "punt-route=0 punt-mtu=0" \
	ctr_deltas r1 punt-route punt-mtu
check_csum "tcp no DF: no checksum errors"
nsx h1 sysctl -qw net.ipv4.ip_no_pmtu_disc=0
ip -n "$(ns s1)" route del 192.0.2.1/32 dev v0

# --- IP options, TOS ---
ctr_snap r1
check "options: ping -R answered" nsx h1 ping -c1 -W2 -R 192.0.2.2
check_eq "options: by the fast path" "punt-route=0 forwarded=2" \
	ctr_deltas r1 punt-route forwarded
nsx h1 nft add table ip q
nsx h1 nft add chain ip q post '{ type filter hook postrouting priority 0; }'
nsx h1 nft add rule ip q post ip protocol icmp ip dscp set 4	# TOS 0x10
nsx r1 tc qdisc add dev out0 root handle 1: prio
nsx h1 ping -c 5 -i 0.05 -W 2 192.0.2.2 >/dev/null 2>&1
check_eq "tos: low delay queued in band 0 of r1's out0" 5 sh -c \
	"tc -n $(ns r1) -s class show dev out0 classid 1:1 | awk '/Sent/ { print \$4 }'"
nsx r1 tc qdisc del dev out0 root
nsx h1 nft delete table ip q

# --- a path MTU r1 learnt for its own traffic is not the forwarding one ---
# ip_forward() holds a forwarded packet to the route's MTU, here out0's
# 1500, not to a path MTU the router learnt for itself (unless
# ip_forward_use_pmtu): r1 learns 1280 to s2 from r2, yet h1's datagrams
# of 1328 bytes leave r1 whole; r2, not r1, fragments them or says
# "fragmentation needed"
nsx r1 ping -c 1 -W 2 -M do -s 1300 198.51.100.2 >/dev/null 2>&1 || true
check "pmtu: r1 learnt mtu 1280 to s2" sh -c \
	"ip -n $(ns r1) route get 198.51.100.2 | grep -q 'mtu 1280'"
ip -n "$(ns h1)" route flush cache
ctr_snap r1
check_eq "pmtu: 1328-byte datagrams to s2 and back" "ok 2" \
	tool h1 udp-req 198.51.100.2:7000 --sport 42010 --count 2 --size 1300 --nodf
check_eq "pmtu: with DF, frag-needed 1280 from r2" "send: ok
err: ICMP 3/4 from 192.0.2.254 info 1280" \
	tool h1 probe 198.51.100.2:7000 send,err --sport 42011 --size 1300 --df
check_eq "pmtu: r1 neither fragmented nor punted" "fragmented=0 punt-mtu=0 icmp-translated=1" \
	ctr_deltas r1 fragmented punt-mtu icmp-translated
check_csum "pmtu: no checksum errors"
nc_done
