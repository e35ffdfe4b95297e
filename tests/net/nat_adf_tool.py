#!/usr/bin/env python3
"""nat_adf_tool.py: one binding with many flows, and remotes that answer it.

Used by nat_adf_scale.sh.

    spray PORT FIRST COUNT DPORT [--keep N] [--ready FILE] [--until P]
        From one UDP socket bound to PORT (so every flow shares one
        binding), one datagram to each of COUNT addresses from FIRST on
        (FIRST, FIRST+1, ...) at port DPORT.  Then prints each datagram
        received as "ADDR:PORT PAYLOAD" until one carries P, then
        "got N".  --keep N: the first N addresses get a datagram again
        every second meanwhile, so that their flows stay while the others
        expire.  --ready FILE is created once the datagrams are sent.
    spoof DST DPORT SPORT PAYLOAD ADDR[*N]...
        One UDP datagram PAYLOAD from each ADDR:SPORT to DST:DPORT, sent
        with a raw socket (the sources are not ours); ADDR*N: N addresses
        from ADDR on.
"""
import argparse
import ipaddress
import os
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from craft import ip4, l4_csum  # noqa: E402


def addrs(first, count):
    base = int(ipaddress.IPv4Address(first))
    return [str(ipaddress.IPv4Address(base + i)) for i in range(count)]


def spray(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("", args.port))
    dests = addrs(args.first, args.count)
    for i, d in enumerate(dests):
        s.sendto(b"hello", (d, args.dport))
        if i % 50 == 49:
            time.sleep(0.002)   # the receive backlogs on the way are finite
    if args.ready:
        open(args.ready, "w").close()
    keep = dests[:args.keep]
    got, next_keep = 0, time.monotonic() + 1
    end = time.monotonic() + args.timeout
    while time.monotonic() < end:
        if keep and time.monotonic() >= next_keep:
            for d in keep:
                s.sendto(b"keep", (d, args.dport))
            next_keep += 1
        r, _, _ = select.select([s], [], [], 0.2)
        if not r:
            continue
        data, (a, p) = s.recvfrom(2048)
        got += 1
        print("%s:%d %s" % (a, p, data.decode(errors="replace")), flush=True)
        if data.decode(errors="replace") == args.until:
            break
    print("got %d" % got, flush=True)


def datagram(src, dst, sport, dport, payload):
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    c = l4_csum(s, d, socket.IPPROTO_UDP, seg) or 0xffff
    return ip4(seg[:6] + struct.pack("!H", c) + seg[8:], src=s, dst=d,
               ident=os.getpid() & 0xffff)


def spoof(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    n = 0
    for spec in args.addrs:
        first, _, count = spec.partition("*")
        for a in addrs(first, int(count or 1)):
            s.sendto(datagram(a, args.dst, args.sport, args.dport,
                              args.payload.encode()), (args.dst, 0))
            n += 1
    print("sent %d" % n)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--timeout", type=float, default=120)
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("spray")
    a.add_argument("port", type=int)
    a.add_argument("first")
    a.add_argument("count", type=int)
    a.add_argument("dport", type=int)
    a.add_argument("--keep", type=int, default=0)
    a.add_argument("--ready")
    a.add_argument("--until", default="end")
    a.set_defaults(fn=spray)
    a = sub.add_parser("spoof")
    a.add_argument("dst")
    a.add_argument("dport", type=int)
    a.add_argument("sport", type=int)
    a.add_argument("payload")
    a.add_argument("addrs", nargs="+")
    a.set_defaults(fn=spoof)
    args = p.parse_args()
    args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
