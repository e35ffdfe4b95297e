#!/usr/bin/env python3
"""craft.py: hand-built Ethernet frames, sent with an AF_PACKET raw socket.

Used by malformed.sh.  Each KIND is one frame: an IPv4 or IPv6 packet
(UDP unless the kind says otherwise) broken in one way, or a valid one,
with the reason netchannel's parser should count for it ("-": none).

    craft.py list                              KIND FAMILY PROTO REASON lines
    craft.py send IFACE DSTMAC COUNT KIND...   COUNT frames of each KIND

As a module: frame(kind, src_mac, dst_mac) and KINDS; the builders ip4(),
ip6(), udp(), tcp(), and for other senders (fuzz_packets.py) l4_of(),
fix_csums(), vlan().
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


def ip4(l4, proto=UDP, ver=4, ihl=5, tot=None, frag=0, opts=b"", src=SRC4, dst=DST4,
        ident=1, ttl=64):
    """IPv4 header (+ opts) + l4; tot, ihl, ver can lie."""
    hlen = 20 + len(opts)
    tot = hlen + len(l4) if tot is None else tot
    h = struct.pack("!BBHHHBBH4s4s", ver << 4 | ihl, 0, tot, ident, frag, ttl, proto, 0, src, dst)
    h = h[:10] + struct.pack("!H", csum(h + opts)) + h[12:]
    return h + opts + l4


def ip6(payload, nexthdr=UDP, plen=None, ver=6, src=SRC6, dst=DST6, hlim=64):
    plen = len(payload) if plen is None else plen
    return struct.pack("!IHBB16s16s", ver << 28, plen, nexthdr, hlim, src, dst) + payload


def frag6(offset, more, nexthdr=UDP):
    return struct.pack("!BBHI", nexthdr, 0, offset << 3 | more, 0x1234)


ETH_IP, ETH_IP6 = 0x0800, 0x86dd
ICMP, ICMP6, ROUTING, NONXT = 1, 58, 43, 59
V6_EXT = (HOP, ROUTING, FRAG, DSTOPTS)

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
    # RFC 1812 5.2.2: counted, and left to the stack (which drops it)
    "v4-bad-csum": (ETH_IP, (lambda p: p[:10] + bytes([p[10] ^ 1]) + p[11:])(ip4(udp())),
                    "udp", "bad-csum"),
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


def l4_csum(src, dst, proto, seg):
    """TCP/UDP/ICMPv6 checksum over the pseudo header (either family)."""
    if len(src) == 4:
        pseudo = struct.pack("!HH", proto, len(seg))
    else:
        pseudo = struct.pack("!IxxxB", len(seg), proto)
    return csum(src + dst + pseudo + seg)


def l3_offset(f):
    """(ethertype, offset of the L3 header) of frame f, past VLAN tags."""
    off = 12
    et = struct.unpack_from("!H", f, off)[0] if len(f) >= 14 else 0
    while et in (0x8100, 0x88a8) and len(f) >= off + 8:
        off += 4
        et = struct.unpack_from("!H", f, off)[0]
    return et, off + 2


def l4_of(f):
    """(family, src, dst, proto, l4 offset, l4 end) of an Ethernet frame's
    IPv4/IPv6 packet, or None; l4 offset is None for a later fragment (or
    one with a fragment header).  Lengths are taken from the headers, cut
    to the frame."""
    et, o = l3_offset(f)
    if et == ETH_IP and len(f) >= o + 20 and f[o] >> 4 == 4:
        ihl = (f[o] & 15) * 4
        end = min(len(f), o + struct.unpack_from("!H", f, o + 2)[0])
        frag = struct.unpack_from("!H", f, o + 6)[0] & 0x3fff
        l4 = o + ihl if ihl >= 20 and not frag and o + ihl <= end else None
        return 4, f[o + 12:o + 16], f[o + 16:o + 20], f[o + 9], l4, end
    if et == ETH_IP6 and len(f) >= o + 40 and f[o] >> 4 == 6:
        end = min(len(f), o + 40 + struct.unpack_from("!H", f, o + 4)[0])
        nh, p = f[o + 6], o + 40
        while nh in V6_EXT and p + 8 <= end:
            if nh == FRAG:
                return 6, f[o + 8:o + 24], f[o + 24:o + 40], f[p], None, end
            nh, p = f[p], p + (f[p + 1] + 1) * 8
        return 6, f[o + 8:o + 24], f[o + 24:o + 40], nh, p if p <= end else None, end
    return None


def fix_csums(f):
    """Frame f with its IPv4 header checksum and its TCP/UDP/ICMP/ICMPv6
    checksum recomputed (the latter only when the segment is whole and
    not a fragment): as a sender with checksum offload would have it."""
    f = bytearray(f)
    et, o = l3_offset(f)
    if et == ETH_IP and len(f) >= o + 20:
        ihl = (f[o] & 15) * 4
        if 20 <= ihl <= len(f) - o:
            f[o + 10:o + 12] = b"\0\0"
            f[o + 10:o + 12] = struct.pack("!H", csum(bytes(f[o:o + ihl])))
    r = l4_of(bytes(f))
    if not r or r[4] is None:
        return bytes(f)
    _, src, dst, proto, l4, end = r
    where = {TCP: 16, UDP: 6, ICMP: 2, ICMP6: 2}.get(proto)
    if where is None or l4 + where + 2 > end:
        return bytes(f)
    f[l4 + where:l4 + where + 2] = b"\0\0"
    seg = bytes(f[l4:end])
    c = csum(seg) if proto == ICMP else l4_csum(src, dst, proto, seg)
    if proto == UDP and c == 0:
        c = 0xffff
    f[l4 + where:l4 + where + 2] = struct.pack("!H", c)
    return bytes(f)


def vlan(f, vid, tpid=0x8100, prio=0):
    """Frame f with an 802.1Q (or 802.1ad) tag inserted after the MACs."""
    return f[:12] + struct.pack("!HH", tpid, prio << 13 | vid & 0xfff) + f[12:]


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
