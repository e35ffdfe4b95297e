#!/bin/bash
# nat_icmp.sh: ICMP errors through `oif out0 masquerade` on r1 (topology:
# nat_lib.sh).  The inside host h1 probes with UDP sockets that have
# IP_RECVERR: an error reaches such a socket only if the quoted packet is
# exactly what the socket sent, so each check proves the quote was
# translated back (addresses, ports, checksums good enough for h1's stack).
#   - traceroute: TTL 1 -> time exceeded from r1 (10.0.1.1; sent by the
#     engine about the packet h1 sent: punt-ttl), TTL 2 -> time exceeded
#     from r2 (192.0.2.254) translated back (icmp-translated); the same for
#     ping with TTL 2 (the quoted echo identifier);
#   - PMTU: a 1400-byte DF datagram to s2 makes r2 send frag-needed 1280,
#     which reaches h1: the error, `ip route get` shows mtu 1280, the next
#     send fails with EMSGSIZE; a 2000-byte DF datagram to s1 is too big
#     for r1's out0 itself (punt-mtu): frag-needed 1500 from r1;
#   - inbound too big: with r1's in0 at MTU 1280, a 1400-byte DF datagram
#     from s1 to the outside endpoint of h1's flow gets frag-needed 1280
#     from 192.0.2.1 quoting what s1 sent (not r1's own port unreachable
#     for its outside address: the packet is not left to r1's stack);
#   - an ICMP error with a bad checksum, crafted on s1 quoting h1's real
#     flow, is dropped (icmp-bad-checksum) and h1 gets nothing; the same
#     error with a good checksum arrives (port unreachable);
#   - each step moves the counters exactly.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nat_lib.sh"
nat_require
nat_topo
ncnat r1 rule add oif out0 masquerade >/dev/null
C="punt-ttl punt-mtu icmp-translated icmp-bad-checksum"

# refused NAME ERROR NS DEST ARGS...: a probe from NS to DEST (with ARGS)
# gets ERROR ("ICMP TYPE/CODE from ADDR info N") from r1's engine, which
# counts it (punt-ttl or punt-mtu, by TYPE) and nothing else
refused() {
	local name=$1 err=$2 n=$3 dest=$4 want="punt-ttl=0 punt-mtu=1"
	shift 4
	[[ $err = "ICMP 11/"* ]] && want="punt-ttl=1 punt-mtu=0"
	ctr_snap r1
	check_eq "$name" "send: ok
err: $err" tool "$n" probe "$dest" send,err "$@"
	check_eq "$name: counters" "$want icmp-translated=0 icmp-bad-checksum=0" \
		ctr_deltas r1 $C
}

# --- traceroute ---
refused "ttl 1: time exceeded from r1" "ICMP 11/0 from 10.0.1.1 info 0" \
	h1 198.51.100.2:33434 --sport 43434 --ttl 1
ctr_snap r1
check_eq "ttl 2: time exceeded from r2, translated" "send: ok
err: ICMP 11/0 from 192.0.2.254 info 0" \
	tool h1 probe 198.51.100.2:33435 send,err --sport 43435 --ttl 2
check_eq "ttl 2: counters" "punt-ttl=0 punt-mtu=0 icmp-translated=1 icmp-bad-checksum=0" \
	ctr_deltas r1 $C
ctr_snap r1
check "ping ttl 2: time exceeded from r2" sh -c \
	"ip netns exec $(ns h1) ping -c1 -W2 -t2 198.51.100.2 | grep -q 'From 192.0.2.254.*Time to live exceeded'"
check_eq "ping ttl 2: counters" "punt-ttl=0 punt-mtu=0 icmp-translated=1 icmp-bad-checksum=0" \
	ctr_deltas r1 $C
check_eq "ttl 3 reaches s2 (port unreachable)" "send: ok
err: ICMP 3/3 from 198.51.100.2 info 0" \
	tool h1 probe 198.51.100.2:33436 send,err --sport 43436 --ttl 3

# --- path MTU ---
ctr_snap r1
check_eq "pmtu: frag-needed 1280 from r2, then EMSGSIZE" "send: ok
err: ICMP 3/4 from 192.0.2.254 info 1280
send: EMSGSIZE
pmtu: 1280" \
	tool h1 probe 198.51.100.2:7000 send,err,send,pmtu --sport 44000 --size 1400 --df
check "pmtu: h1 caches mtu 1280 to s2" sh -c \
	"ip -n $(ns h1) route get 198.51.100.2 | grep -q 'mtu 1280'"
check_eq "pmtu: counters (r2's error translated)" \
	"punt-ttl=0 punt-mtu=0 icmp-translated=1 icmp-bad-checksum=0" ctr_deltas r1 $C
refused "pmtu: too big for r1's out0: frag-needed 1500 from r1" \
	"ICMP 3/4 from 10.0.1.1 info 1500" \
	h1 192.0.2.2:7000 --sport 44001 --size 2000 --df
tool h1 udp-send 192.0.2.2 7100 --sport 44002 >/dev/null
check_eq "pmtu inbound: flow to reach" "192.0.2.1:44002" \
	flowq r1 'f["inside"] == "10.0.1.2:44002"' outside
mtu r1 in0 1280
refused "pmtu inbound: frag-needed 1280 from r1's outside address" \
	"ICMP 3/4 from 192.0.2.1 info 1280" \
	s1 192.0.2.1:44002 --sport 7100 --size 1400 --df
mtu r1 in0 9000

# --- a crafted error with a bad checksum, then with a good one ---
nsbg s1 python3 "$NAT_TOOL" udp-echo 7000
settle 5 listening s1 udp 7000
rm -f /tmp/nat-icmp-ready /tmp/nat-icmp-go
nsbg h1 python3 "$NAT_TOOL" --timeout 10 probe 192.0.2.2:7000 \
	send,reply,ready:/tmp/nat-icmp-ready,err,drain --sport 45000 >/tmp/nat-icmp-h1.log
settle 5 test -e /tmp/nat-icmp-ready
check_eq "craft: flow to quote" "192.0.2.1:45000" \
	flowq r1 'f["inside"] == "10.0.1.2:45000"' outside
# craft good|bad [SPORT [DPORT]]: ICMP port unreachable 192.0.2.2 ->
# 192.0.2.1 quoting 192.0.2.1:SPORT -> 192.0.2.2:DPORT (by default
# 45000 -> 7000: the translated datagram as s1 received it)
craft() {
	nsx s1 python3 - "$1" "${2:-45000}" "${3:-7000}" <<'EOF'
import socket, struct, sys
def csum(b):
    b += b"\0" * (len(b) & 1)
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
payload = b"x" * 32
udp = struct.pack("!HHHH", int(sys.argv[2]), int(sys.argv[3]),
                  8 + len(payload), 0) + payload
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0x4000, 63, 17, 0,
                 socket.inet_aton("192.0.2.1"), socket.inet_aton("192.0.2.2"))
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
msg = struct.pack("!BBHI", 3, 3, 0, 0) + ip + udp[:8]
c = csum(msg)
if sys.argv[1] == "bad":
    c ^= 0x5555
msg = msg[:2] + struct.pack("!H", c) + msg[4:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.sendto(msg, ("192.0.2.1", 0))
EOF
}
ctr_snap r1
craft bad
check "craft: bad checksum counted" wait_until 5 ctr_is r1 icmp-bad-checksum 1
check_eq "craft: bad checksum: counters" \
	"punt-ttl=0 punt-mtu=0 icmp-translated=0 icmp-bad-checksum=1" ctr_deltas r1 $C
craft good
settle 10 grep -q '^err' /tmp/nat-icmp-h1.log
check_eq "craft: h1 got only the good one" "send: ok
reply: 32 bytes from 192.0.2.2:7000
err: ICMP 3/3 from 192.0.2.2 info 0" cat /tmp/nat-icmp-h1.log
check_eq "craft: counters" \
	"punt-ttl=0 punt-mtu=0 icmp-translated=1 icmp-bad-checksum=1" ctr_deltas r1 $C
# an error about the bound outside endpoint 192.0.2.1:45000, but to a
# remote it has no flow with, is dropped; about an unbound port of the
# outside address it is not NAT's (r1's stack gets it)
ctr_snap r1
craft good 45000 7001
check "craft: no flow: dropped" wait_until 5 ctr_is r1 icmp-no-flow 1
craft good 45999 7000
sleep 0.5
check_eq "craft: no flow: counters" \
	"icmp-no-flow=1 icmp-translated=0 icmp-bad-checksum=0" \
	ctr_deltas r1 icmp-no-flow icmp-translated icmp-bad-checksum
check_csum "no checksum errors anywhere"
nc_done
