#!/usr/bin/env python3
"""edge_tool.py: frames ip_forward() would refuse, and a capture to count
what left, for edge_forwarding.sh.

    edge_tool.py send IFACE DSTMAC SRC DST KIND ID [KIND ID]...
    edge_tool.py capture IFACE SECONDS [PROTO]  one line a packet seen:
                                               "ID SRC DST PROTO TOT_LEN"
    edge_tool.py rst IFACE DSTMAC SRC:PORT DST:PORT SEQ
                 one TCP RST (with ACK 0) of sequence SEQ
    edge_tool.py flood IFACE DSTMAC syn DST:PORT COUNT SEED
                 TCP SYNs from random sources in 100.64.0.0/10 (spoofed)
    edge_tool.py flood IFACE DSTMAC udp SRC COUNT SEED
                 UDP from SRC:5000, each to another 203.0.113.0/24 host:port

KIND is one UDP datagram (port 5000 -> 7000) with IP identifier ID:
    udp          as it should be
    bad-csum     IPv4 header checksum off by one
    bcast        to the Ethernet broadcast address instead of DSTMAC
    vlan         802.1Q-tagged, VID 5
    vlan0        802.1Q priority tag (VID 0): the untagged network's
    padded-frags two fragments; the last one carries 30 bytes of
                 Ethernet padding after its IP datagram
    gre          IP protocol 47 (GRE), which has no ports
    tcp-cut      TCP whose header stops after 8 bytes
    lsrr         with a loose source route option (through DST)
    opt-rr       with a record route option (harmless: travels as it came)
    opt-broken   with an option whose length is impossible
"""
import os
import random
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from craft import csum  # noqa: E402

ETH_P_ALL, ETH_P_IP, ETH_P_8021Q = 0x0003, 0x0800, 0x8100
PAYLOAD = b"edge-forwarding-check-" * 4


def ip4_id(src, dst, proto, body, frag=0, ident=0, bad_csum=False, opts=b""):
    hlen = 20 + len(opts)
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | hlen // 4, 0, hlen + len(body), ident, frag,
                    64, proto, 0, socket.inet_aton(src), socket.inet_aton(dst)) + opts
    c = csum(h) ^ (1 if bad_csum else 0)
    return h[:10] + struct.pack("!H", c) + h[12:] + body


def udp(payload=PAYLOAD):
    # checksum 0: none, so a wrong one cannot be why a packet is lost
    return struct.pack("!HHHH", 5000, 7000, 8 + len(payload), 0) + payload


def frames(kind, src, dst, src_mac, dst_mac, ident):
    """Ethernet frames for KIND."""
    def ip4(*a, **kw):
        return ip4_id(*a, ident=ident, **kw)
    eth = dst_mac + src_mac + struct.pack("!H", ETH_P_IP)
    if kind == "udp":
        return [eth + ip4(src, dst, 17, udp())]
    if kind == "bad-csum":
        return [eth + ip4(src, dst, 17, udp(), bad_csum=True)]
    if kind == "bcast":
        return [b"\xff" * 6 + src_mac + struct.pack("!H", ETH_P_IP) + ip4(src, dst, 17, udp())]
    if kind in ("vlan", "vlan0"):
        tag = struct.pack("!HH", ETH_P_8021Q, 5 if kind == "vlan" else 0)
        return [dst_mac + src_mac + tag + struct.pack("!H", ETH_P_IP) + ip4(src, dst, 17, udp())]
    if kind == "padded-frags":
        dgram = udp()
        first, rest = dgram[:32], dgram[32:]
        return [eth + ip4(src, dst, 17, first, frag=0x2000),
                eth + ip4(src, dst, 17, rest, frag=32 // 8) + b"\xee" * 30]
    if kind == "tcp-cut":
        return [eth + ip4(src, dst, 6, struct.pack("!HHI", 5000, 7000, 1))]
    if kind == "lsrr":
        # loose source route through 192.0.2.2, then a NOP to fill 8 bytes
        opt = struct.pack("!BBB4sB", 0x83, 7, 4, socket.inet_aton(dst), 1)
        return [eth + ip4(src, dst, 17, udp(), opts=opt)]
    if kind == "opt-rr":
        # record route with room for one address, then end of options
        return [eth + ip4(src, dst, 17, udp(), opts=bytes([7, 7, 4, 0, 0, 0, 0, 0]))]
    if kind == "opt-broken":
        # a timestamp option whose length (1) is below its own header
        return [eth + ip4(src, dst, 17, udp(), opts=bytes([0x44, 1, 0, 0]))]
    if kind == "gre":
        return [eth + ip4(src, dst, 47, struct.pack("!HH", 0, 0x0800) + PAYLOAD)]
    sys.exit("unknown kind " + kind)


def l4_csum(src, dst, proto, seg):
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, proto, len(seg))
    return csum(pseudo + seg)


def flood(iface, dst_mac, kind, arg, count, seed):
    rnd = random.Random(seed)
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as s:
        s.bind((iface, 0))
        eth = mac(dst_mac) + s.getsockname()[4] + struct.pack("!H", ETH_P_IP)
        for i in range(count):
            if kind == "syn":
                dst, dport = arg.split(":")
                src = socket.inet_ntoa(struct.pack("!I", 0x64400000 | rnd.getrandbits(22)))
                seg = struct.pack("!HHIIBBHHH", rnd.randint(1024, 65535), int(dport),
                                  rnd.getrandbits(32), 0, 5 << 4, 0x02, 65535, 0, 0)
                seg = seg[:16] + struct.pack("!H", l4_csum(src, dst, 6, seg)) + seg[18:]
                pkt = ip4_id(src, dst, 6, seg, ident=i & 0xffff)
            else:
                # every datagram a flow of its own
                src, dst = arg, "203.0.113.%d" % (i % 254 + 1)
                pkt = ip4_id(src, dst, 17, struct.pack("!HHHH", 5000, 1024 + i, 12, 0)
                             + b"floo", ident=i & 0xffff)
            s.send(eth + pkt)


def rst(iface, dst_mac, src_ep, dst_ep, seq):
    (src, sport), (dst, dport) = (e.rsplit(":", 1) for e in (src_ep, dst_ep))
    seg = struct.pack("!HHIIBBHHH", int(sport), int(dport), seq, 0, 5 << 4, 0x04, 0, 0, 0)
    seg = seg[:16] + struct.pack("!H", l4_csum(src, dst, 6, seg)) + seg[18:]
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as s:
        s.bind((iface, 0))
        s.send(mac(dst_mac) + s.getsockname()[4] + struct.pack("!H", ETH_P_IP) +
               ip4_id(src, dst, 6, seg, ident=1))


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def send(iface, dst_mac, src, dst, kinds):
    """kinds: (KIND, ID) pairs, sent in order."""
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as s:
        s.bind((iface, 0))
        for kind, ident in kinds:
            for f in frames(kind, src, dst, s.getsockname()[4], mac(dst_mac), ident):
                s.send(f)


def capture(iface, seconds, proto=None):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.settimeout(0.1)
    end = time.time() + seconds
    while time.time() < end:
        try:
            data, addr = s.recvfrom(65535)
        except socket.timeout:
            continue
        # incoming only: what reached this host
        if addr[2] == socket.PACKET_OUTGOING or len(data) < 34:
            continue
        if struct.unpack("!H", data[12:14])[0] != ETH_P_IP:
            continue
        ip = data[14:]
        if proto is not None and ip[9] != proto:
            continue
        print(struct.unpack("!H", ip[4:6])[0], socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20]), ip[9],
              struct.unpack("!H", ip[2:4])[0], flush=True)


def main(argv):
    if argv[1:2] == ["send"] and len(argv) >= 8 and len(argv) % 2 == 0:
        send(argv[2], argv[3], argv[4], argv[5],
             [(argv[i], int(argv[i + 1])) for i in range(6, len(argv), 2)])
    elif argv[1:2] == ["rst"] and len(argv) == 7:
        rst(argv[2], argv[3], argv[4], argv[5], int(argv[6]))
    elif argv[1:2] == ["flood"] and len(argv) == 8:
        flood(argv[2], argv[3], argv[4], argv[5], int(argv[6]), int(argv[7]))
    elif argv[1:2] == ["capture"] and len(argv) in (4, 5):
        capture(argv[2], float(argv[3]), int(argv[4]) if len(argv) == 5 else None)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
