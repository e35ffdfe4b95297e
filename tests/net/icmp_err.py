#!/usr/bin/env python3
"""icmp_err.py: hand-made ICMP errors, and a listener that shows them.

    icmp_err.py send DST TYPE CODE INFO QSRC:QPORT QDST:QPORT [--bad]
        one ICMP error TYPE/CODE (INFO: the next-hop MTU of frag-needed)
        to DST from a raw socket (the kernel picks the outer source),
        quoting a UDP datagram QSRC:QPORT -> QDST:QPORT (checksum 0,
        32 bytes of payload, all of it quoted); --bad spoils the ICMP
        checksum
    icmp_err.py sniff FILE READY SECONDS
        write one line per ICMP error received in the next SECONDS to FILE
        ("ICMP T/C SRC -> DST quote QS:QP -> QD:QP"), having created READY
        once it listens
Used by nat_icmp_errors.sh.
"""
import os
import socket
import struct
import sys
import time


def csum(b):
    b += b"\0" * (len(b) & 1)
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ep(s):
    a, p = s.rsplit(":", 1)
    return socket.inet_aton(a), int(p)


def send(dst, typ, code, info, qsrc, qdst, bad):
    (sa, sp), (da, dp) = ep(qsrc), ep(qdst)
    payload = b"x" * 32
    udp = struct.pack("!HHHH", sp, dp, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0x4000, 63,
                     17, 0, sa, da)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    msg = struct.pack("!BBHHH", typ, code, 0, 0, info) + ip + udp
    c = csum(msg) ^ (0x5555 if bad else 0)
    msg = msg[:2] + struct.pack("!H", c) + msg[4:]
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as s:
        s.sendto(msg, (dst, 0))


def sniff(path, ready, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    open(ready, "w").close()
    end = time.monotonic() + seconds
    with open(path, "w") as out:
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            s.settimeout(left)
            try:
                p = s.recv(65535)
            except socket.timeout:
                return
            ihl = (p[0] & 15) * 4
            typ, code = p[ihl], p[ihl + 1]
            if typ not in (3, 11, 12) or len(p) < ihl + 8 + 28:
                continue
            q = p[ihl + 8:]
            qihl = (q[0] & 15) * 4
            qs, qd = struct.unpack("!HH", q[qihl:qihl + 4])
            out.write("ICMP %d/%d %s -> %s quote %s:%d -> %s:%d\n" % (
                typ, code, socket.inet_ntoa(p[12:16]), socket.inet_ntoa(p[16:20]),
                socket.inet_ntoa(q[12:16]), qs, socket.inet_ntoa(q[16:20]), qd))
            out.flush()


def main(a):
    if a[1:2] == ["send"] and len(a) in (8, 9):
        send(a[2], int(a[3]), int(a[4]), int(a[5]), a[6], a[7], a[8:] == ["--bad"])
    elif a[1:2] == ["sniff"] and len(a) == 5:
        sniff(a[2], a[3], float(a[4]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
