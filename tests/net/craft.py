#!/usr/bin/env python3
"""craft.py: hand-built Ethernet frames, sent with an AF_PACKET raw socket.

Used by malformed.sh.  Each KIND is one frame: an IPv4 or IPv6 packet
(UDP unless the kind says otherwise) broken in one way, or a valid one,
with the reason netchannel's parser should count for it ("-": none).

    craft.py list                              KIND FAMILY PROTO REASON lines
    craft.py send IFACE DSTMAC COUNT KIND...   COUNT frames of each KIND

As a module: frame(kind, src_mac, dst_mac) and KINDS.
Addresses: 10.0.0.2 -> 10.0.0.1 and fd00::2 -> fd00::1, UDP 4000 -> 9.
"""
import socket
import struct
import sys

SRC4, DST4 = socket.inet_aton("10.0.0.2"), socket.inet_aton("10.0.0.1")
SRC6 = socket.inet_pton(socket.AF_INET6, "fd00::2")
DST6 = socket.inet_pton(socket.AF_INET6, "fd00::1")
UDP, TCP, HOP, FRAG, DSTOPTS = 17, 6, 0, 44, 60
DATA = b"netchannel"


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def udp(payload=DATA):
    return struct.pack("!HHHH", 4000, 9, 8 + len(payload), 0) + payload


def tcp(doff=5):
    return struct.pack("!HHIIBBHHH", 4000, 9, 1, 0, doff << 4, 0x02, 1024, 0, 0)


def ip4(l4, proto=UDP, ver=4, ihl=5, tot=None, frag=0, opts=b""):
    """IPv4 header (+ opts) + l4; tot, ihl, ver can lie."""
    hlen = 20 + len(opts)
    tot = hlen + len(l4) if tot is None else tot
    h = struct.pack("!BBHHHBBH4s4s", ver << 4 | ihl, 0, tot, 1, frag, 64, proto, 0, SRC4, DST4)
    h = h[:10] + struct.pack("!H", csum(h + opts)) + h[12:]
    return h + opts + l4


def ip6(payload, nexthdr=UDP, plen=None, ver=6):
    plen = len(payload) if plen is None else plen
    return struct.pack("!IHBB16s16s", ver << 28, plen, nexthdr, 64, SRC6, DST6) + payload


def frag6(offset, more, nexthdr=UDP):
    return struct.pack("!BBHI", nexthdr, 0, offset << 3 | more, 0x1234)


ETH_IP, ETH_IP6 = 0x0800, 0x86dd

# kind: (ethertype, IP packet, proto the parser sees, reason or "-")
KINDS = {
    "v4-valid-udp": (ETH_IP, ip4(udp()), "udp", "-"),
    "v4-short-header": (ETH_IP, ip4(udp())[:12], "udp", "truncated"),
    "v4-version-6": (ETH_IP, b"\x65" + ip4(udp())[1:], "udp", "bad-version"),
    "v4-ihl-4": (ETH_IP, ip4(udp(), ihl=4), "udp", "bad-ihl"),
    "v4-totlen-past-frame": (ETH_IP, ip4(udp(), tot=200), "udp", "bad-length"),
    "v4-totlen-in-header": (ETH_IP, ip4(udp(), tot=12), "udp", "bad-length"),
    # ihl 15 claims 40 bytes of options; the datagram ends after 8 of them
    "v4-options-past-end": (ETH_IP, ip4(b"", ihl=15, opts=b"\x01" * 8), "udp", "bad-length"),
    "v4-udp-header-cut": (ETH_IP, ip4(udp()[:4]), "udp", "truncated"),
    "v4-tcp-header-cut": (ETH_IP, ip4(tcp()[:12], proto=TCP), "tcp", "truncated"),
    "v4-tcp-doff-4": (ETH_IP, ip4(tcp(doff=4), proto=TCP), "tcp", "bad-l4"),
    "v4-frag-first": (ETH_IP, ip4(udp(DATA * 2), frag=0x2000), "udp", "-"),
    "v4-frag-later": (ETH_IP, ip4(DATA[:8], frag=3), "udp", "-"),
    "v6-valid-udp": (ETH_IP6, ip6(udp()), "udp", "-"),
    "v6-short-header": (ETH_IP6, ip6(udp())[:30], "udp", "truncated"),
    "v6-version-4": (ETH_IP6, b"\x45" + ip6(udp())[1:], "udp", "bad-version"),
    "v6-payload-past-frame": (ETH_IP6, ip6(udp(), plen=100), "udp", "bad-length"),
    # hop-by-hop options claiming 168 bytes; the packet has 26
    "v6-exthdr-too-long": (ETH_IP6, ip6(bytes([UDP, 20]) + b"\1\4" + b"\0" * 4 + udp()[:8] + b"\0" * 10, nexthdr=HOP), "udp", "bad-exthdr"),
    # destination options header cut after its first byte
    "v6-exthdr-cut": (ETH_IP6, ip6(bytes([UDP]), nexthdr=DSTOPTS), "udp", "bad-exthdr"),
    "v6-udp-header-cut": (ETH_IP6, ip6(udp()[:4]), "udp", "truncated"),
    "v6-tcp-doff-4": (ETH_IP6, ip6(tcp(doff=4), nexthdr=TCP), "tcp", "bad-l4"),
    "v6-frag-first": (ETH_IP6, ip6(frag6(0, 1) + udp(DATA * 2), nexthdr=FRAG), "udp", "-"),
    "v6-frag-later": (ETH_IP6, ip6(frag6(3, 0) + DATA[:8], nexthdr=FRAG), "udp", "-"),
}


def frame(kind, src_mac, dst_mac):
    ethertype, pkt, _, _ = KINDS[kind]
    return dst_mac + src_mac + struct.pack("!H", ethertype) + pkt


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def send(iface, dst_mac, count, kinds):
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as s:
        s.bind((iface, 0))
        src = s.getsockname()[4]
        for kind in kinds:
            f = frame(kind, src, dst_mac)
            for _ in range(count):
                s.send(f)


def main(argv):
    if argv[1:2] == ["list"]:
        for k, (et, _, proto, reason) in KINDS.items():
            print(k, "ip" if et == ETH_IP else "ip6", proto, reason)
    elif argv[1:2] == ["send"] and len(argv) >= 6:
        send(argv[2], mac(argv[3]), int(argv[4]), argv[5:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
