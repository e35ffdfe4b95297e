#!/usr/bin/env python3
"""fuzz_packets.py: the seeded packet fuzzer of fuzz_packets.sh, in one
long-lived process (python starts slowly in the VMs).

    fuzz_packets.py SEED ITERS SECONDS      (0 for no bound; one is needed)

$FUZZ_NS names the namespaces ("h1=NAME h2=NAME s1=NAME"); sockets are made
in them with setns(2) and keep them.  Steps:
  1. live flows through the router r (topology: fuzz_packets.sh): UDP
     h1->s1 (masquerade), h2->s1 from 10.0.2.2 (netmap) and from 10.0.2.200
     (snat pool), s1->192.0.2.1:5353 (dnat to h1:53), TCP h1->s1:5001 and
     s1->192.0.2.1:8080 (dnat to h1:80), ICMP echo h1->s1, UDP and ICMPv6
     echo h1->s1 over IPv6; packet sockets on h1, h2 and s1 record the
     frames these put on the links: the corpus;
  2. test cases until ITERS or SECONDS: each one is one or more frames made
     by a generator (GENS) from the corpus, sent from the peer ends of r's
     attached devices, while the live flows keep talking and a capture on
     s1 looks at every frame r sends there;
  3. "ok|bad <TAB> check <TAB> detail" lines for the shell, other lines
     are progress.
The seed picks the cases; the corpus differs between runs only in what the
kernels choose (TCP sequence numbers, IP ids).  NC_FUZZ_TRACE=1 prints each
case (number, generator, device, frames in hex) before sending it;
NC_FUZZ_TRACE=FILE writes them to FILE, and NC_FUZZ_REPLAY=FILE sends the
cases of such a file instead (to cut a crash down to its frames).
"""
import ctypes
import os
import random
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import craft  # noqa: E402
from craft import (ETH_IP, ETH_IP6, FRAG, HOP, DSTOPTS, ICMP, ICMP6, NONXT,  # noqa: E402
                   ROUTING, TCP, UDP, csum, fix_csums, l3_offset, l4_of)

H1, H2N, H2S, S1, ROUT = "10.0.1.2", "10.0.2.2", "10.0.2.200", "192.0.2.2", "192.0.2.1"
H1_6, S1_6 = "fd01::2", "fd03::2"
WAIT = 20 if os.environ.get("NC_LANE") == "qemu" else 5
PACKET_OUTGOING, PACKET_HOST, ETH_P_ALL = 4, 0, 3
SOL_PACKET, PACKET_STATISTICS, PACKET_IGNORE_OUTGOING = 263, 6, 23
SO_RCVBUFFORCE = 33
ECHO_ID = 0x4242
TRACE = os.environ.get("NC_FUZZ_TRACE", "")

_libc = ctypes.CDLL(None, use_errno=True)


class netns:
    """with netns(NAME): sockets made inside belong to namespace NAME."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        self.home = os.open("/proc/self/ns/net", os.O_RDONLY)
        fd = os.open("/run/netns/" + self.name, os.O_RDONLY)
        try:
            self._set(fd)
        finally:
            os.close(fd)

    def __exit__(self, *exc):
        self._set(self.home)
        os.close(self.home)

    @staticmethod
    def _set(fd):
        if _libc.setns(fd, 0x40000000) != 0:	# CLONE_NEWNET
            e = ctypes.get_errno()
            raise OSError(e, os.strerror(e))


def report(ok, name, detail=""):
    print("%s\t%s\t%s" % ("ok" if ok else "bad", name, " ".join(str(detail).split())), flush=True)


def sock(fam, typ, bind=None, proto=0):
    s = socket.socket(fam, typ, proto)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6 and typ != socket.SOCK_RAW:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    if bind:
        s.bind(bind)
    s.settimeout(WAIT)
    return s


def packet_sock(ignore_outgoing=False):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 32 << 20)
    if ignore_outgoing:
        s.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
    s.bind(("v0", ETH_P_ALL))
    s.setblocking(False)
    return s


def drain(s, limit=1000):
    """What s has queued now: [(data, address)], at most limit."""
    out = []
    while len(out) < limit:
        try:
            data, addr = s.recvfrom(65535)
        except (BlockingIOError, socket.timeout):
            break
        except OSError:	# a queued ICMP error on a connected socket, a reset
            continue
        if not data and s.type == socket.SOCK_STREAM:	# closed
            break
        out.append((data, addr))
    return out


def echo_req(ident, seq, payload=b"fuzz"):
    m = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + payload
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]


def leak(f):
    """Why frame f (seen on the outside link, from r) shows an inside
    address untranslated, or None: an IPv4 source in 10/8, or an ICMP error
    quoting one.  Returns (kind, detail): kinds group alike leaks."""
    r = l4_of(f)
    if not r or r[0] != 4:
        return None
    _, src, dst, proto, l4, end = r
    a = socket.inet_ntoa
    icmp = proto == ICMP and l4 is not None and end - l4 >= 8
    error = icmp and f[l4] in (3, 4, 5, 11, 12)
    what = "ICMP error" if error else "ICMP" if icmp else "proto %d" % proto
    detail = "%s -> %s %s" % (a(src), a(dst), "ICMP %d/%d" % (f[l4], f[l4 + 1]) if icmp else what)
    if src[0] == 10:
        return "%s from %s" % (what, a(src)), detail
    if error and end - l4 >= 28:
        q = f[l4 + 8:]
        # (an error to a sender r routes outside may quote it: not a leak)
        if q[0] >> 4 == 4 and 10 in (q[12], q[16]) and q[12:16] != dst:
            side = "source" if q[12] == 10 else "destination"
            return ("%s from %s quoting an inside %s" % (what, a(src), side),
                    "%s quoting %s -> %s" % (detail, a(q[12:16]), a(q[16:20])))
    return None


class Fuzz:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.ns = dict(kv.split("=", 1) for kv in os.environ["FUZZ_NS"].split())
        self.tx, self.rec = {}, {}
        for h in ("h1", "h2", "s1"):
            with netns(self.ns[h]):
                self.rec[h] = packet_sock()
                t = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
                t.bind(("v0", 0))
                self.tx[h] = t
                if h == "s1":	# what r sends to s1, for the whole run
                    self.cap = packet_sock(ignore_outgoing=True)
        self.frames = self.cases = 0
        self.trace = sys.stdout if TRACE in ("", "1") else open(TRACE, "w")
        self.errors, self.per_gen = {}, {}
        self.leaks, self.nleaks, self.captured = {}, 0, 0
        self.from_outside = set()

    # --- step 1: live flows and the corpus ---

    def live_flows(self):
        """Make the flows (blocking, bounded); return what failed."""
        with netns(self.ns["h1"]):
            self.u1 = sock(socket.AF_INET, socket.SOCK_DGRAM, (H1, 40000))
            self.dns = sock(socket.AF_INET, socket.SOCK_DGRAM, ("", 53))
            self.l80 = sock(socket.AF_INET, socket.SOCK_STREAM, ("", 80))
            self.l80.listen(4)
            self.t1 = sock(socket.AF_INET, socket.SOCK_STREAM)
            self.icmp = sock(socket.AF_INET, socket.SOCK_RAW, proto=socket.IPPROTO_ICMP)
            self.u6 = sock(socket.AF_INET6, socket.SOCK_DGRAM, (H1_6, 40003))
            self.icmp6 = sock(socket.AF_INET6, socket.SOCK_RAW, proto=socket.IPPROTO_ICMPV6)
        with netns(self.ns["h2"]):
            self.u2n = sock(socket.AF_INET, socket.SOCK_DGRAM, (H2N, 40001))
            self.u2s = sock(socket.AF_INET, socket.SOCK_DGRAM, (H2S, 40002))
        with netns(self.ns["s1"]):
            self.echo = sock(socket.AF_INET, socket.SOCK_DGRAM, ("", 7000))
            self.echo6 = sock(socket.AF_INET6, socket.SOCK_DGRAM, ("::", 7000))
            self.l5001 = sock(socket.AF_INET, socket.SOCK_STREAM, ("", 5001))
            self.l5001.listen(4)
            self.cli = sock(socket.AF_INET, socket.SOCK_DGRAM, ("", 46000))
            self.t2 = sock(socket.AF_INET, socket.SOCK_STREAM)
        failed = []

        def udp(name, a, dest, server):
            try:
                for i in range(3):
                    a.sendto(b"live %d" % i, dest)
                    data, peer = server.recvfrom(2048)
                    server.sendto(data, peer)
                    a.recvfrom(2048)
            except OSError as e:
                failed.append("%s: %s" % (name, e))

        udp("udp masquerade", self.u1, (S1, 7000), self.echo)
        udp("udp netmap", self.u2n, (S1, 7000), self.echo)
        udp("udp snat pool", self.u2s, (S1, 7000), self.echo)
        udp("udp dnat", self.cli, (ROUT, 5353), self.dns)
        udp("udp ipv6", self.u6, (S1_6, 7000), self.echo6)
        self.tcp = []
        for name, c, dest, ls in (("tcp masquerade", self.t1, (S1, 5001), self.l5001),
                                  ("tcp dnat", self.t2, (ROUT, 8080), self.l80)):
            try:
                c.connect(dest)
                a, _ = ls.accept()
                a.settimeout(WAIT)
                for _ in range(3):
                    c.sendall(b"c" * 100)
                    a.recv(4096)
                    a.sendall(b"s" * 100)
                    c.recv(4096)
                self.tcp += [c, a]
            except OSError as e:
                failed.append("%s: %s" % (name, e))
        for name, s, dest, req, rtype in (
                ("icmp echo", self.icmp, (S1, 0), lambda i: echo_req(ECHO_ID, i), 0),
                ("icmpv6 echo", self.icmp6, (S1_6, 0),
                 lambda i: struct.pack("!BBHHH", 128, 0, 0, ECHO_ID, i) + b"fuzz", 129)):
            try:
                for i in range(3):
                    s.sendto(req(i), dest)
                    end = time.monotonic() + WAIT
                    while True:	# raw sockets see every ICMP message: find the reply
                        m = s.recv(2048)
                        t = m[(m[0] & 15) * 4] if rtype == 0 else m[0]
                        if t == rtype or time.monotonic() > end:
                            break
            except OSError as e:
                failed.append("%s: %s" % (name, e))
        for s in self.live_socks():
            s.setblocking(False)
        return failed

    def live_socks(self):
        return [self.u1, self.dns, self.icmp, self.u6, self.icmp6, self.u2n, self.u2s,
                self.echo, self.echo6, self.cli] + self.tcp

    def record(self):
        """The corpus from the recording sockets, which are closed: frames
        each host sent (to send again, changed) and received (to quote in
        ICMP errors), in an order that does not depend on timing."""
        time.sleep(0.1)
        self.out, self.inn = [], []
        for h, s in self.rec.items():
            for data, addr in drain(s, 100000):
                r = l4_of(data)
                if not r or len(data) > 1514:	# not IP, or a GSO packet
                    continue
                key = (h, r[0], r[3], data[r[4]:r[4] + 4] if r[4] else b"", len(data))
                if addr[2] == PACKET_OUTGOING:
                    self.out.append((key, h, fix_csums(data)))
                elif addr[2] == PACKET_HOST:
                    self.inn.append((key, h, data))
            s.close()
        # one frame of a kind (the first): the same corpus run after run
        def firsts(frames):
            return [(h, f) for _, h, f in sorted(dict((x[0], x) for x in reversed(frames)).values())]
        self.out, self.inn = firsts(self.out), firsts(self.inn)

        def only(frames, fam=None, protos=None):
            res = []
            for h, f in frames:
                r = l4_of(f)
                if r and (fam is None or r[0] == fam) and (protos is None or
                                                           (r[4] is not None and r[3] in protos)):
                    res.append((h, f))
            return res or frames
        self.out4 = only(self.out, 4, (UDP, TCP, ICMP))
        self.out6 = only(self.out, 6, (UDP, TCP, ICMP6))
        self.out_tcp = only(self.out, None, (TCP,))
        self.inn4 = only(self.inn, 4)
        self.inn6 = only(self.inn, 6)
        return len(self.out), len(self.inn)

    # --- step 2: the generators; each returns (device's host, [frames]) ---

    def pick(self, frames):
        return frames[self.rng.randrange(len(frames))]

    def flip(self):
        """Bit flips and byte overwrites, mostly in the headers."""
        rng = self.rng
        h, f = self.pick(self.out)
        b = bytearray(f)
        end = len(b) if rng.random() < 0.3 else min(len(b), 14 + 64)
        for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 4, 8))):
            i = rng.randrange(12 if rng.random() < 0.1 else 14, end)
            if rng.random() < 0.7:
                b[i] ^= 1 << rng.randrange(8)
            else:
                b[i] = rng.choice((0, 0xff, rng.randrange(256)))
        return h, [fix_csums(b) if rng.random() < 0.5 else bytes(b)]

    def trunc(self):
        rng = self.rng
        h, f = self.pick(self.out)
        n = rng.choice((14 + rng.randrange(8), 14 + rng.randrange(48), rng.randrange(14, len(f))))
        return h, [f[:n]]

    def ip_options(self):
        """IPv4 options, good and bad, in a live flow's packet."""
        rng = self.rng
        h, f = self.pick(self.out4)
        o = b""
        addrs = [socket.inet_aton(a) for a in (S1, H1, ROUT, "10.0.1.1")]
        for _ in range(rng.randint(1, 4)):
            k = rng.randrange(9)
            if k == 0:
                o += b"\x01"				# NOP
            elif k == 1:
                o += b"\x00"				# end of list: the rest is padding
            elif k == 2:				# record route
                n = rng.randint(1, 9)
                o += bytes([7, 3 + 4 * n, rng.choice((4, 8, 4 + 4 * n, 40))]) + bytes(4 * n)
            elif k == 3:				# timestamp (+ addresses)
                n = rng.randint(1, 4)
                o += bytes([68, 4 + 8 * n, rng.choice((5, 13, 37)), rng.choice((0, 1, 3))])
                o += bytes(8 * n)
            elif k in (4, 5):				# loose/strict source route
                n = rng.randint(1, 3)
                o += bytes([131 if k == 4 else 137, 3 + 4 * n, rng.choice((4, 8))]) + \
                    b"".join(rng.choice(addrs) for _ in range(n))
            elif k == 6:
                o += bytes([148, 4, 0, 0])		# router alert
            elif k == 7:
                o += bytes([130, 11]) + bytes(9)	# security
            else:					# anything, any length
                o += bytes([rng.randrange(256), rng.choice((0, 1, 2, 3, 39, 40, 255))]) + \
                    rng.randbytes(rng.randrange(6))
        o = o[:40]
        o += bytes(-len(o) % 4)
        ihl = 5 + len(o) // 4 if rng.random() < 0.9 else rng.randrange(16)
        b = bytearray(f[:34] + o + f[34:])
        b[14] = 0x40 | ihl
        b[16:18] = struct.pack("!H", struct.unpack_from("!H", f, 16)[0] + len(o))
        return h, [fix_csums(b)]

    def v6_ext(self):
        """IPv6 extension header chains: known, unknown, long, broken."""
        rng = self.rng
        h, f = self.pick(self.out6)
        r = l4_of(f)
        proto, payload = r[3], f[r[4]:r[5]] if r[4] else f[54:]
        n = rng.choice((1, 1, 2, 3, 4, 6, 10, 20, 40))
        kinds = [rng.choice((HOP, DSTOPTS, DSTOPTS, ROUTING, FRAG, 51, NONXT)) for _ in range(n)]
        if rng.random() < 0.7 and HOP in kinds:	# valid only first
            kinds.remove(HOP)
            kinds.insert(0, HOP)
        hdrs = b""
        for i in reversed(range(n)):
            nh = kinds[i + 1] if i + 1 < n else proto
            k = kinds[i]
            if k in (HOP, DSTOPTS):
                opts = b""
                for _ in range(rng.randint(0, 3)):
                    opts += rng.choice((b"\x00", bytes([1, 2, 0, 0]), bytes([5, 2, 0, 0]),
                                        bytes([0xc2, 4]) + struct.pack("!I", rng.choice((0, 70000))),
                                        bytes([rng.randrange(256), 2]) + rng.randbytes(2)))
                pad = -(len(opts) + 2) % 8		# Pad1 or PadN to 8 bytes
                opts += b"\0" if pad == 1 else bytes([1, pad - 2]) + bytes(pad - 2) if pad else b""
                x = bytes([nh, (len(opts) + 2) // 8 - 1]) + opts
            elif k == ROUTING:
                segs = rng.randint(0, 3)
                x = bytes([nh, 2 * segs, rng.choice((0, 2, 3, 4, 253)), rng.randint(0, segs)]) + \
                    bytes(4) + b"".join(socket.inet_pton(socket.AF_INET6, S1_6) for _ in range(segs))
            elif k == FRAG:				# atomic, or a later fragment
                off = 0 if rng.random() < 0.7 else rng.randrange(1, 8192)
                more = rng.randrange(2) if off else 0
                x = struct.pack("!BBHI", nh, 0, off << 3 | more, rng.randrange(1 << 32))
            elif k == 51:				# authentication header
                x = bytes([nh, 4, 0, 0]) + rng.randbytes(20)
            else:					# no next header, and yet bytes
                x = bytes([nh, 0]) + bytes(6)
            if rng.random() < 0.05:			# a length that lies
                x = x[:1] + bytes([rng.randrange(256)]) + x[2:]
            hdrs = x + hdrs
        pl = hdrs + payload
        first = kinds[0] if n else proto
        b = f[:14] + struct.pack("!IHBB", struct.unpack_from("!I", f, 14)[0], len(pl), first, f[21]) + \
            f[22:54] + pl
        return h, [fix_csums(b)]

    def bad_len(self):
        """Lying IHL, total length, payload length; Ethernet padding."""
        rng = self.rng
        fam = rng.choice((4, 4, 6))
        h, f = self.pick(self.out4 if fam == 4 else self.out6)
        b = bytearray(f)
        k = rng.randrange(4)
        if k == 0:					# padding after a good packet
            b += rng.randbytes(rng.randint(1, 46))
            return h, [fix_csums(b)]
        if fam == 4:
            true = len(f) - 14
            if k == 1:
                b[14] = 0x40 | rng.randrange(16)
            ihl = (b[14] & 15) * 4
            tot = rng.choice((0, 1, 19, 20, max(ihl - 1, 0), ihl, true - 1, true + 1,
                              true + rng.randint(2, 1000), 65535, rng.randrange(65536)))
            if k != 1 or rng.random() < 0.5:
                b[16:18] = struct.pack("!H", tot)
        else:
            true = len(f) - 54
            b[18:20] = struct.pack("!H", rng.choice((0, 1, 7, true - 1, true + 1, 65535,
                                                      rng.randrange(65536))))
        if rng.random() < 0.3:
            b += rng.randbytes(rng.randint(1, 46))
        return h, [fix_csums(b) if rng.random() < 0.7 else bytes(b)]

    def _grow(self, f):
        """f with its L4 payload grown (a datagram worth fragmenting);
        returns (host frame, l4 offset)."""
        rng = self.rng
        r = l4_of(f)
        extra = rng.choice((0, 16, 100, 600, 1200))
        b = bytearray(f[:r[5]] + rng.randbytes(extra))
        if r[0] == 4:
            b[16:18] = struct.pack("!H", len(b) - 14)
        else:
            b[18:20] = struct.pack("!H", len(b) - 54)
        if r[3] == UDP:
            b[r[4] + 4:r[4] + 6] = struct.pack("!H", len(b) - r[4])
        return fix_csums(b), r[4]

    def _plan(self, n):
        """Pieces (offset, length, more) of n bytes: a fragment storm."""
        rng = self.rng
        kind = rng.choice(("inorder", "shuffle", "reverse", "dup", "overlap", "tiny", "many",
                           "incomplete", "bigoff", "twoends", "empty"))
        step = rng.choice((8, 16, 64, 256, 512)) if kind not in ("tiny", "many") else 8
        cuts = list(range(0, n, step))
        p = [(o, min(step, n - o), o + step < n) for o in cuts] or [(0, 0, False)]
        if kind == "shuffle":
            rng.shuffle(p)
        elif kind == "reverse":
            p.reverse()
        elif kind == "dup":
            p += [rng.choice(p) for _ in range(rng.randint(1, 4))]
            rng.shuffle(p)
        elif kind == "overlap":
            p += [(rng.randrange(0, n, 8) if n else 0, rng.randint(1, 300), True)
                  for _ in range(rng.randint(1, 4))]
            rng.shuffle(p)
        elif kind == "many":
            p = p[:200]
        elif kind == "incomplete" and len(p) > 1:
            del p[rng.randrange(len(p))]
        elif kind == "bigoff":
            p.append((65528 - rng.randrange(0, 64, 8), rng.randint(8, 64), rng.random() < 0.5))
        elif kind == "twoends":
            p.append((rng.randrange(0, n + 64, 8), rng.randint(1, 64), False))
        elif kind == "empty":
            p.insert(rng.randrange(len(p) + 1), (rng.randrange(0, n + 8, 8), 0, rng.random() < 0.5))
        return kind, p

    def frag4(self):
        rng = self.rng
        h, f = self.pick(self.out4)
        f, l4 = self._grow(f)
        seg, hdr = f[l4:], f[14:l4]
        _, plan = self._plan(len(seg))
        ident = struct.unpack_from("!H", f, 18)[0] if rng.random() < 0.7 else rng.randrange(65536)
        df = 0x4000 if rng.random() < 0.1 else 0
        out = []
        for off, ln, more in plan:
            data = seg[off:off + ln] if rng.random() < 0.9 else rng.randbytes(ln)
            data += rng.randbytes(ln - len(data))
            ip = craft.ip4(data, proto=hdr[9], frag=df | more << 13 | (off >> 3) & 0x1fff,
                           opts=hdr[20:], ihl=len(hdr) // 4, src=hdr[12:16], dst=hdr[16:20],
                           ident=ident, ttl=hdr[8])
            out.append(f[:14] + ip)
        return h, out

    def frag6(self):
        rng = self.rng
        h, f = self.pick(self.out6)
        f, l4 = self._grow(f)
        r = l4_of(f)
        seg = f[l4:]
        _, plan = self._plan(len(seg))
        ident = rng.choice((0x1234, rng.randrange(1 << 32)))
        out = []
        for off, ln, more in plan:
            data = seg[off:off + ln] if rng.random() < 0.9 else rng.randbytes(ln)
            data += rng.randbytes(ln - len(data))
            fh = struct.pack("!BBHI", r[3], 0, (off & 0xfff8) | more, ident)
            if rng.random() < 0.05:			# a fragment header in a fragment
                fh = struct.pack("!BBHI", FRAG, 0, (off & 0xfff8) | more, ident) + \
                    struct.pack("!BBHI", r[3], 0, 0, ident ^ 1)
            out.append(f[:14] + craft.ip6(fh + data, nexthdr=FRAG, src=r[1], dst=r[2], hlim=f[21]))
        return h, out

    def _quote(self, q):
        """What of packet q an ICMP error quotes."""
        rng = self.rng
        k = rng.randrange(6)
        if k == 0:
            return q
        if k == 1:					# cut anywhere
            return q[:rng.randrange(len(q))]
        if k == 2:					# the quote broken itself
            b = bytearray(q)
            for _ in range(rng.randint(1, 3)):
                b[rng.randrange(min(len(b), 48))] ^= 1 << rng.randrange(8)
            return bytes(b)
        hl = (q[0] & 15) * 4 if q[0] >> 4 == 4 else 40
        return q[:hl + rng.choice((8, 8, 4, 0))]	# the usual, and less

    def icmp_err4(self):
        """ICMP errors about packets a host got from r, back to r: about
        live flows, both directions; bad checksums, cut quotes."""
        rng = self.rng
        h, f = self.pick(self.inn4)
        q = f[14:]
        if len(q) >= 20:
            q = q[:min(len(q), struct.unpack_from("!H", q, 2)[0] or len(q))]
        t, c = rng.choice(((3, 3), (3, 1), (3, 13), (3, 4), (11, 0), (11, 1), (12, 0), (4, 0),
                           (5, 1), (3, rng.randrange(16)), (rng.randrange(256), rng.randrange(8))))
        info = 0
        if (t, c) == (3, 4):
            info = rng.choice((0, 68, 576, 1280, 1499, 1500, 65535, rng.randrange(65536)))
        elif t == 12:
            info = rng.randrange(64) << 24
        elif t == 5:
            info = struct.unpack("!I", socket.inet_aton(rng.choice((S1, H1, "10.0.1.99"))))[0]
        body = self._quote(q)
        if rng.random() < 0.1 and len(q) >= 28:		# an error about an error
            inner = struct.pack("!BBHI", 3, 3, 0, 0) + q[:28]
            body = craft.ip4(inner, proto=ICMP, src=q[16:20], dst=q[12:16])[:48]
        m = struct.pack("!BBHI", t, c, 0, info) + body
        ck = csum(m) ^ (rng.randrange(1, 65536) if rng.random() < 0.3 else 0)
        m = m[:2] + struct.pack("!H", ck) + m[4:]
        src = q[16:20] if len(q) >= 20 and rng.random() < 0.7 else \
            socket.inet_aton("192.0.2.254" if h == "s1" else "10.0.1.254")	# a router on the way
        dst = q[12:16] if len(q) >= 20 else socket.inet_aton(ROUT)
        ip = craft.ip4(m, proto=ICMP, src=src, dst=dst, ttl=rng.choice((64, 64, 1, 2)))
        eth = f[6:12] + f[0:6] + f[12:14]
        if rng.random() < 0.1:				# and in fragments
            return h, [eth + x for x in self._ip4_split(ip)]
        return h, [eth + ip]

    def _ip4_split(self, ip):
        cut = max(8, (len(ip) - 20) // 2 & ~7)
        hdr, data = bytearray(ip[:20]), ip[20:]
        out = []
        for off, more in ((0, 1), (cut, 0)):
            part = data[off:off + cut] if more else data[off:]
            b = bytearray(hdr)
            b[2:4] = struct.pack("!H", 20 + len(part))
            b[6:8] = struct.pack("!H", more << 13 | off >> 3)
            b[10:12] = b"\0\0"
            b[10:12] = struct.pack("!H", csum(bytes(b)))
            out.append(bytes(b) + part)
        return out

    def icmp_err6(self):
        rng = self.rng
        h, f = self.pick(self.inn6)
        q = f[14:]
        t, c = rng.choice(((1, rng.randrange(8)), (2, 0), (3, 0), (3, 1), (4, rng.randrange(4)),
                           (rng.randrange(256), 0)))
        info = rng.choice((0, 1280, 1500, 65535)) if t == 2 else rng.randrange(64) if t == 4 else 0
        m = struct.pack("!BBHI", t, c, 0, info) + self._quote(q)[:1232]
        src = q[24:40] if len(q) >= 40 else socket.inet_pton(socket.AF_INET6, S1_6)
        dst = q[8:24] if len(q) >= 40 else socket.inet_pton(socket.AF_INET6, H1_6)
        ck = craft.l4_csum(src, dst, ICMP6, m) ^ (rng.randrange(1, 65536) if rng.random() < 0.3 else 0)
        m = m[:2] + struct.pack("!H", ck) + m[4:]
        return h, [f[6:12] + f[0:6] + f[12:14] + craft.ip6(m, nexthdr=ICMP6, src=src, dst=dst)]

    def l2(self):
        """Broadcast, multicast, other hosts' MACs; VLAN tags; ethertypes
        that do not say what follows."""
        rng = self.rng
        h, f = self.pick(self.out)
        k = rng.randrange(9)
        if k == 0:
            return h, [b"\xff" * 6 + f[6:]]
        if k == 1:
            return h, [b"\x01\x00\x5e" + bytes([rng.randrange(128)]) + rng.randbytes(2) + f[6:]]
        if k == 2:
            return h, [b"\x33\x33" + rng.randbytes(4) + f[6:]]
        if k == 3:					# another host's (locally administered)
            return h, [bytes([0x02]) + rng.randbytes(5) + f[6:]]
        if k == 4:					# multicast source
            return h, [f[:6] + b"\x01" + f[7:]]
        if k == 5:
            return h, [craft.vlan(f, rng.choice((0, 1, 5, 4095, rng.randrange(4096))),
                                  prio=rng.randrange(8))]
        if k == 6:					# QinQ, or two 802.1Q tags
            return h, [craft.vlan(craft.vlan(f, rng.randrange(4096)), rng.randrange(4096),
                                  tpid=rng.choice((0x88a8, 0x8100)))]
        if k == 7:					# IPv4 said to be IPv6 and back
            et = ETH_IP6 if f[12:14] == b"\x08\x00" else ETH_IP
            return h, [f[:12] + struct.pack("!H", et) + f[14:]]
        return h, [f[:12] + struct.pack("!H", rng.choice((0x0806, 0x0042, 0x05dc, 0x88cc))) + f[14:]]

    def tcp_flags(self):
        """Live TCP segments with other flags, offsets, sequence numbers."""
        rng = self.rng
        h, f = self.pick(self.out_tcp)
        r = l4_of(f)
        if not r or r[4] is None or r[3] != TCP or r[4] + 20 > len(f):
            return h, [f]
        t = r[4]
        b = bytearray(f)
        b[t + 13] = rng.choice((0x04, 0x14, 0x11, 0x01, 0x02, 0x12, 0x03, 0x06, 0x00, 0xff,
                                0x29, rng.randrange(256)))
        if rng.random() < 0.2:
            b[t + 12] = rng.randrange(16) << 4
        if rng.random() < 0.3:
            b[t + 4:t + 12] = rng.randbytes(8)
        if rng.random() < 0.2:				# options, some nonsense
            o = rng.choice((b"\x02\x04\x05\xb4", b"\x01\x01\x04\x02", b"\x08\x0a" + rng.randbytes(8),
                            b"\x03\x03\x0e", rng.randbytes(rng.choice((4, 8, 40)))))
            o += bytes(-len(o) % 4)
            b[t + 20:t + 20] = o
            b[t + 12] = min(15, ((b[t + 12] >> 4) + len(o) // 4)) << 4
            if r[0] == 4:
                b[16:18] = struct.pack("!H", struct.unpack_from("!H", b, 16)[0] + len(o))
            else:
                b[18:20] = struct.pack("!H", struct.unpack_from("!H", b, 18)[0] + len(o))
        return h, [fix_csums(b) if rng.random() < 0.8 else bytes(b)]

    def replay(self):
        """A live flow's frame as it was: valid packets between the bad."""
        h, f = self.pick(self.out)
        return h, [f]

    GENS = (("flip", 20), ("trunc", 8), ("ip_options", 8), ("v6_ext", 8), ("bad_len", 8),
            ("frag4", 10), ("frag6", 6), ("icmp_err4", 12), ("icmp_err6", 5), ("l2", 8),
            ("tcp_flags", 6), ("replay", 4))

    # --- step 2: the loop ---

    @staticmethod
    def ip_key(f):
        """An IPv4 packet's identity across a hop: id, source, destination."""
        et, o = l3_offset(f)
        if et != ETH_IP or len(f) < o + 20:
            return None
        return f[o + 4:o + 6] + f[o + 12:o + 20]

    def send(self, h, frames):
        for f in frames:
            # r routes what came from outside back out as it is: its
            # content is the outside's, not an inside address leaking
            if h == "s1":
                k = self.ip_key(f)
                if k:
                    self.from_outside.add(k)
            try:
                self.tx[h].send(f)
                self.frames += 1
            except OSError as e:
                self.errors[e.errno] = self.errors.get(e.errno, 0) + 1

    def tick(self):
        """The live flows talk (an echo each way), and the capture is read."""
        for s, d in ((self.u1, (S1, 7000)), (self.u2n, (S1, 7000)), (self.u2s, (S1, 7000)),
                     (self.cli, (ROUT, 5353)), (self.u6, (S1_6, 7000)),
                     (self.icmp, (S1, 0)), (self.icmp6, (S1_6, 0))):
            m = b"tick"
            if s is self.icmp:
                m = echo_req(ECHO_ID, self.cases & 0xffff)
            elif s is self.icmp6:
                m = struct.pack("!BBHHH", 128, 0, 0, ECHO_ID, self.cases & 0xffff)
            try:
                s.sendto(m, d)
            except OSError:
                pass
        for s in self.tcp:
            try:
                s.send(b"t" * 64)
            except OSError:
                pass
        for s in self.live_socks():
            for data, peer in drain(s, 200):
                if s in (self.echo, self.echo6, self.dns):
                    try:
                        s.sendto(data, peer)
                    except OSError:
                        pass
        self.read_capture()

    def read_capture(self):
        for data, addr in drain(self.cap, 100000):
            self.captured += 1
            why = leak(data)
            if why and self.ip_key(data) in self.from_outside:
                why = None
            if why:
                self.nleaks += 1
                n, ex = self.leaks.get(why[0], (0, None))
                self.leaks[why[0]] = n + 1, ex or "%s (near case %d) [%s]" % (why[1], self.cases,
                                                                               data[:96].hex())

    def macs(self):
        return {h: s.getsockname()[4] for h, s in self.tx.items()}

    def replayed(self, path):
        """Cases from a trace file (NC_FUZZ_REPLAY), as generators; the
        links' MACs of the traced run become this run's."""
        def case(h, frames):
            return lambda: (h, frames)
        now, then = self.macs(), {}
        with open(path) as f:
            for line in f:
                w = line.split()
                if len(w) == 3 and w[0] == "mac":
                    then[bytes.fromhex(w[2])] = now[w[1]]
                elif len(w) >= 4 and w[0] == "case":
                    frames = [bytes.fromhex(x) for x in w[4:]]
                    frames = [then.get(x[:6], x[:6]) + then.get(x[6:12], x[6:12]) + x[12:]
                              for x in frames]
                    g = case(w[3], frames)
                    g.__name__ = w[2]
                    yield g

    def run(self, iters, seconds):
        gens = [getattr(self, g) for g, _ in self.GENS]
        weights = [w for _, w in self.GENS]
        replay = os.environ.get("NC_FUZZ_REPLAY")
        replay = self.replayed(replay) if replay else None
        if TRACE:
            for h, m in self.macs().items():
                print("mac %s %s" % (h, m.hex()), file=self.trace, flush=True)
        start = last = time.monotonic()
        progress = start
        while (not iters or self.cases < iters) and (not seconds or last - start < seconds):
            g = next(replay, None) if replay else self.rng.choices(gens, weights)[0]
            if not g:
                break
            h, frames = g()
            self.cases += 1
            self.per_gen[g.__name__] = self.per_gen.get(g.__name__, 0) + 1
            if TRACE:
                print("case %d %s %s" % (self.cases, g.__name__, h), *(x.hex() for x in frames),
                      file=self.trace, flush=True)
            self.send(h, frames)
            if self.cases % 64 == 0:
                last = time.monotonic()
                if last - progress >= 10:
                    progress = last
                    print("fuzz_packets: %d cases, %d frames, %.0f s"
                          % (self.cases, self.frames, last - start), flush=True)
                self.tick()
        self.tick()
        end = time.monotonic() + 0.5
        while time.monotonic() < end:	# what r still sends
            time.sleep(0.05)
            self.read_capture()
        return time.monotonic() - start


def main():
    seed, iters, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    fz = Fuzz(seed)
    failed = fz.live_flows()
    nout, ninn = fz.record()
    report(not failed, "live flows made before the fuzz",
           "; ".join(failed) if failed else "corpus: %d frames sent, %d received" % (nout, ninn))
    if not nout or not ninn:
        return
    took = fz.run(iters, seconds)
    print("fuzz_packets seed %d: %d cases, %d frames sent in %.1f s (%.0f/s); "
          "by generator: %s; send errors: %s"
          % (seed, fz.cases, fz.frames, took, fz.frames / max(took, 1e-3),
             " ".join("%s=%d" % kv for kv in sorted(fz.per_gen.items())),
             " ".join("%s=%d" % (os.strerror(k), v) for k, v in sorted(fz.errors.items())) or "none"),
          flush=True)
    drops = struct.unpack("II", fz.cap.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))[1]
    for kind, (n, ex) in sorted(fz.leaks.items(), key=lambda kv: -kv[1][0]):
        print("leak: %d x %s, e.g. %s" % (n, kind, ex))
    # the commonest kind in the check's own line: a summary shows only that
    first = max(fz.leaks.items(), key=lambda kv: kv[1][0], default=None)
    report(fz.nleaks == 0, "no untranslated inside address left on the outside link",
           "%d of the %d frames r sent to s1 (seed %d)%s%s" % (
               fz.nleaks, fz.captured, seed,
               ", and the capture dropped %d" % drops if drops else "",
               "; %d x %s, e.g. %s" % (first[1][0], first[0], first[1][1]) if first else "")
           if fz.nleaks or drops else "")
    report(True, "fuzzer ran to the end")


if __name__ == "__main__":
    main()
