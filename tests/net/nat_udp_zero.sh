#!/bin/bash
# nat_udp_zero.sh: UDP checksums through `oif out0 masquerade` on r1
# (topology: nat_lib.sh).  h1 computes checksums in software (tx offload
# off), so the frames s1 captures (AF_PACKET, before its stack) carry
# final checksums:
#   - a datagram with checksum 0 ("none", crafted with a raw socket)
#     arrives with checksum still 0, and s1's socket takes it;
#   - a datagram whose checksum after translation computes to 0 arrives
#     as 0xffff (RFC 768), and is taken;
#   - ordinary datagrams from a UDP socket arrive with valid checksums;
#   - no InCsumErrors anywhere.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nat_lib.sh"
nat_require
nat_topo
nsx h1 ethtool -K v0 tx off >/dev/null
ncnat r1 rule add oif out0 masquerade >/dev/null
nsbg s1 python3 "$NAT_TOOL" --timeout 10 udp-recv 7100 --count 5 --until end >/tmp/nat-recv.log
settle 5 listening s1 udp 7100

# s1: capture every UDP frame to port 7100: "SPORT CHECKSUM valid|invalid|none"
rm -f /tmp/nat-cap-ready
cat >/tmp/nat-cap.py <<'EOF'
import socket, struct, time
def csum(b):
    b += b"\0" * (len(b) & 1)
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.bind(("v0", 0))
s.settimeout(10)
open("/tmp/nat-cap-ready", "w").close()
n = 0
while n < 4:
    try:
        f = s.recv(65535)
    except socket.timeout:
        break
    ip = f[14:]
    ihl = (ip[0] & 15) * 4
    if ip[9] != 17:
        continue
    udp = ip[ihl:struct.unpack("!H", ip[2:4])[0]]
    sport, dport, ulen, ck = struct.unpack("!HHHH", udp[:8])
    if dport != 7100:
        continue
    pseudo = ip[12:20] + struct.pack("!BBH", 0, 17, ulen)
    state = "none" if ck == 0 else "valid" if csum(pseudo + udp) == 0xffff else "invalid"
    print("%d 0x%04x %s" % (sport, ck, state), flush=True)
    n += 1
EOF
nsbg s1 python3 /tmp/nat-cap.py >/tmp/nat-cap.log
settle 5 test -e /tmp/nat-cap-ready

# h1: raw UDP (the kernel adds the IP header, leaves the UDP checksum alone)
nsx h1 python3 - <<'EOF'
import socket, struct
def csum(b):
    b += b"\0" * (len(b) & 1)
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s
def pseudo(src, ulen):
    return socket.inet_aton(src) + socket.inet_aton("192.0.2.2") + struct.pack("!BBH", 0, 17, ulen)
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
# 1: checksum 0 (none)
data = b"zero-checksum"
r.sendto(struct.pack("!HHHH", 50000, 7100, 8 + len(data), 0) + data, ("192.0.2.2", 0))
# 2: after translation (source 192.0.2.1, port kept) the checksum is 0:
# pick the last two payload bytes so that the translated sum is 0xffff
data = b"becomes-ffff" + b"\0\0"
hdr = struct.pack("!HHHH", 50002, 7100, 8 + len(data), 0)
a = csum(pseudo("192.0.2.1", 8 + len(data)) + hdr + data)
data = data[:-2] + struct.pack("!H", ~a & 0xffff)
assert csum(pseudo("192.0.2.1", 8 + len(data)) + hdr + data) == 0xffff
ck = ~csum(pseudo("10.0.1.2", 8 + len(data)) + hdr + data) & 0xffff or 0xffff
r.sendto(struct.pack("!HHHH", 50002, 7100, 8 + len(data), ck) + data, ("192.0.2.2", 0))
# 3, 4: ordinary sockets
for port, data in ((50004, b"ordinary"), (50006, b"end")):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("", port))
    u.sendto(data, ("192.0.2.2", 7100))
EOF
settle 5 grep -q '^got' /tmp/nat-recv.log
check_eq "s1's socket got all four" "192.0.2.1:50000 zero-checksum
192.0.2.1:50002 becomes-ffff
192.0.2.1:50004 ordinary
192.0.2.1:50006 end
got 4" sed 's/\(becomes-ffff\).*/\1/' /tmp/nat-recv.log
settle 5 sh -c "[ \$(wc -l </tmp/nat-cap.log) -ge 4 ]"
check_eq "checksum 0 stays 0" "50000 0x0000 none" sed -n 1p /tmp/nat-cap.log
check_eq "computed 0 goes out as 0xffff" "50002 0xffff valid" sed -n 2p /tmp/nat-cap.log
check_eq "ordinary datagrams: valid checksums" "50004 valid
50006 valid" sh -c "sed -n '3,4p' /tmp/nat-cap.log | cut -d' ' -f1,3"
check_eq "flows kept the ports" "10.0.1.2:50000 192.0.2.1:50000
10.0.1.2:50002 192.0.2.1:50002
10.0.1.2:50004 192.0.2.1:50004
10.0.1.2:50006 192.0.2.1:50006" flowq r1 True inside outside
check_csum "no checksum errors"
nc_done
