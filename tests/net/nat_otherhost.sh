#!/bin/bash
# nat_otherhost.sh: frames not addressed to r1 are not r1's to forward.
# On a shared segment (a hub here; a switch flooding unknown unicast, or
# any port in promiscuous mode, e.g. under tcpdump) r1's in0 receives
# frames for other MAC addresses (PACKET_OTHERHOST); the stack drops them
# (ip_rcv), and the NAT fast path must not forward them either, or the
# outside gets duplicates of inside traffic.  With a UDP flow h1 -> s1
# established through `oif out0 masquerade`, h1 sends a copy of one of
# its datagrams to a foreign MAC: s1 must not receive it, the flow must
# not count it.  A copy to r1's MAC (the positive control) goes through.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nat_lib.sh"
nat_require
nat_topo
ncnat r1 rule add oif out0 masquerade >/dev/null
udp_echo s1 /tmp/nat-echo.log
check_eq "flow h1:40010 -> s1" "ok 1" tool h1 udp-req 192.0.2.2:7000 --sport 40010
R1MAC=$(nsx r1 cat /sys/class/net/in0/address)
H1MAC=$(nsx h1 cat /sys/class/net/v0/address)
# send MAC: one UDP datagram 10.0.1.2:40010 -> 192.0.2.2:7000 in a frame
# to MAC, from h1's v0 (AF_PACKET)
send() {
	nsx h1 python3 - "$1" "$H1MAC" "$2" <<'EOT'
import socket, struct, sys
def csum(b):
    b += b"\0" * (len(b) & 1)
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
mac = lambda m: bytes(int(x, 16) for x in m.split(":"))
src, dst = socket.inet_aton("10.0.1.2"), socket.inet_aton("192.0.2.2")
data = sys.argv[3].encode()
udp = struct.pack("!HHHH", 40010, 7000, 8 + len(data), 0) + data
ck = csum(src + dst + struct.pack("!BBH", 0, 17, len(udp)) + udp) or 0xffff
udp = udp[:6] + struct.pack("!H", ck) + udp[8:]
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 7, 0, 64, 17, 0, src, dst)
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("v0", 0))
s.send(mac(sys.argv[1]) + mac(sys.argv[2]) + b"\x08\x00" + ip + udp)
EOT
}
ctr_snap r1
send 02:00:00:00:99:99 foreign
send "$R1MAC" control
settle 5 sh -c "[ \$(wc -l </tmp/nat-echo.log) -ge 2 ]"
check_eq "s1 got the control copy, not the foreign one" "192.0.2.1:40010 64
192.0.2.1:40010 7" cat /tmp/nat-echo.log
check_eq "flow counted only the control copy" "2" \
	flowq r1 'f["inside"] == "10.0.1.2:40010"' packets_out
check_eq "forwarded: only the control copy and its answer" "forwarded=2" ctr_deltas r1 forwarded
nc_done
