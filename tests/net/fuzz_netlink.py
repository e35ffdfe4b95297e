#!/usr/bin/env python3
"""Python half of fuzz_netlink.sh: a seeded fuzzer of both generic netlink
families of netchannel ("netchannel" and "netchannel_nat").

Run as root in the router's netns.  Requests start from a valid message of
one op (every doit and dump op of both families) and are mutated: attribute
types and lengths, forged nla_len and nlmsg_len, garbage in nests, deep
nesting, boundary values (0, 1, max, ranges that wrap, whole-space pools,
prefix lengths past the family), attributes dropped, duplicated or added,
random nlmsg flags, commands, genl header fields, a second message in the
same send.  Phases, in this order:

  invalid  root; only requests that must be refused: none is accepted, the
           raw dumps and the CLI view are byte-identical afterwards
  root     root; valid and mutated requests mixed (the state changes); then
           dumps must agree with stats, and the ruleset must survive a
           dump -> replace round trip
  uid      uid 65534, this netns (owned by the initial user namespace)
  userns   root of a new user namespace, still this netns
  owner    root of a new user namespace, in a netns of its own (full fuzz)

Every answer is judged: messages well-formed, an errno that is <= 0 and one
an op may return; what genetlink refuses before the op (unknown family or
command, do/dump mismatch, reserved bits, short header) exactly as it does;
EPERM for every op reached without CAP_NET_ADMIN over the netns.  At the
end the state is reset (no rules or devices, timeouts as they were).

Output for the shell: "ok|bad|skip<TAB>check<TAB>detail" lines, and
"info<TAB>text".  A failure names the seed, phase and iteration and shows
the request in hex: NC_FUZZ_SEED=S with the phase's iteration count
replays it (each phase has its own random stream).
"""
import argparse
import ctypes
import difflib
import errno as E
import os
import random
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ncgenl as g  # noqa: E402

AF_INET, AF_INET6 = 2, 10
NLMSG_NOOP, NLM_F_ECHO = 1, 0x8
REQ, ACK, DUMP = g.NLM_F_REQUEST, g.NLM_F_ACK, g.NLM_F_DUMP
CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000
UNUSED_FAMILY = 0xffee
ALLOWED = {E.EINVAL, E.ERANGE, E.ENODEV, E.ENOENT, E.EEXIST, E.EOPNOTSUPP,
           E.E2BIG, E.ENOSPC, E.EMSGSIZE, E.EBUSY}
MAX_TIMEOUT, MAX_FLOWS, FLOWS_DEFAULT = 7 * 86400, 1 << 24, 262144
PORT_PROTOS = (6, 17, 33, 132, 136)


class Fam:
    """A family: its id, its ops (cmd -> "do"|"dump"), where strict header
    checks start, its largest attribute type, and which top-level
    attributes each op takes."""
    def __init__(self, name, ops, resv, amax, takes):
        self.name, self.ops, self.resv, self.amax, self.takes = name, ops, resv, amax, takes
        self.id = g.Genl(name).family


def families():
    core = Fam("netchannel", {1: "do", 2: "do", 3: "dump", 4: "do", 5: "do", 6: "dump",
                              7: "do", 8: "do", 9: "do"}, g.RESV_START_OP, g.A_CONSUMER,
               {g.CMD_DEV_ATTACH: {g.A_IFINDEX}, g.CMD_DEV_DETACH: {g.A_IFINDEX},
                g.CMD_RULE_ADD: {g.A_RULE}, g.CMD_RULE_DEL: {g.A_RULE},
                g.CMD_RULESET_REPLACE: {g.A_RULESET, g.A_RULE}})
    nat = Fam(g.NAT_FAMILY, {1: "dump", 2: "do", 3: "do", 4: "do"}, g.NAT_RESV_START_OP,
              g.NAT_A_STATS, {g.NAT_CMD_TIMEOUT_SET: set(range(2, 7))})
    return core, nat


def err_name(e):
    if e is None:
        return "silence"
    return ("-" + E.errorcode.get(-e, str(-e))) if e < 0 else (E.errorcode.get(e, "ok") if e else "ok")


# ---- messages ----

class A:
    """An attribute: bytes, or a list of children (NLA_F_NESTED unless
    nested says otherwise); ln forges nla_len."""
    __slots__ = ("t", "v", "nested", "ln")

    def __init__(self, t, v, nested=None, ln=None):
        self.t, self.v, self.ln = t, v, ln
        self.nested = isinstance(v, list) if nested is None else nested

    def copy(self):
        v = [c.copy() for c in self.v] if isinstance(self.v, list) else self.v
        return A(self.t, v, self.nested, self.ln)


def enc(attrs):
    out = []
    for a in attrs:
        body = enc(a.v) if isinstance(a.v, list) else a.v
        n = 4 + len(body) if a.ln is None else a.ln
        t = (a.t | (g.NLA_F_NESTED if a.nested else 0)) & 0xffff
        out.append(struct.pack("=HH", n & 0xffff, t) + body + b"\0" * (-len(body) % 4))
    return b"".join(out)


def U8(t, v): return A(t, struct.pack("=B", v & 0xff))
def U16(t, v): return A(t, struct.pack("=H", v & 0xffff))
def U32(t, v): return A(t, struct.pack("=I", v & 0xffffffff))
def BE32(t, v): return A(t, struct.pack(">I", v & 0xffffffff))
def N(t, *kids): return A(t, list(kids))


class Msg:
    """One request: header fields that mutations may break, attributes,
    junk after them (inside nlmsg_len), a cut (the message ends there, and
    nlmsg_len says so), a forged nlmsg_len (below 16, or past the end of
    the buffer: never in the middle, where the rest would be read as a
    message of random family), a trailer after the message (under 16
    bytes: never read as a message), and a second message sent in the same
    buffer."""
    def __init__(self, fam, cmd, attrs=(), dump=False):
        self.fam, self.ftype, self.cmd = fam, fam.id, cmd
        self.version, self.reserved = 1, 0
        self.flags = REQ | (DUMP if dump else ACK)
        self.attrs = list(attrs)
        self.junk, self.cut, self.nlen, self.trailer, self.extra = b"", None, None, b"", None

    def encode(self, seqs):
        seq = seqs()
        body = struct.pack("=BBH", self.cmd & 0xff, self.version & 0xff,
                           self.reserved & 0xffff) + enc(self.attrs) + self.junk
        raw = struct.pack("=IHHII", 0, self.ftype, self.flags & 0xffff, seq, 0) + body
        if self.cut is not None:
            raw = raw[:self.cut]
        n = len(raw)
        if self.nlen is not None:
            n = self.nlen if self.nlen < 16 else min(n + self.nlen, 0xffffffff)
        raw = struct.pack("=I", n) + raw[4:]
        out, order = [raw], [seq]
        if self.extra and self.nlen is None:
            out.append(b"\0" * (-len(raw) % 4))
            more, morder = self.extra.encode(seqs)
            out.append(more)
            order += morder
        out.append(self.trailer)
        return b"".join(out), order


def predict(fams, raw):
    """What netlink_rcv_skb() and genetlink do with each message of a send
    before any op runs: [(seq, what, flags)], what being "skip" (not a
    request: acked with 0 if NLM_F_ACK), an errno, or (fam, cmd, kind) for
    a message that reaches an op.  Messages after a bad nlmsg_len are
    never read."""
    out, off = [], 0
    while len(raw) - off >= 16:
        n, t, fl, seq, _ = struct.unpack_from("=IHHII", raw, off)
        if n < 16 or n > len(raw) - off:
            break
        nxt = off + ((n + 3) & ~3)
        fam = fams.get(t)
        if not fl & REQ or t < 16:
            what = "skip"
        elif not fam:
            what = E.ENOENT
        elif n < 20:
            what = E.EINVAL
        else:
            cmd, res = raw[off + 16], struct.unpack_from("=H", raw, off + 18)[0]
            kind = "dump" if fl & DUMP == DUMP else "do"
            f = fl & ~DUMP if kind == "dump" else fl
            if cmd >= fam.resv and (res or f & ~(REQ | ACK | NLM_F_ECHO)):
                what = E.EINVAL
            elif fam.ops.get(cmd) != kind:
                what = E.EOPNOTSUPP
            else:
                what = (fam, cmd, kind)
        out.append((seq, what, fl))
        off = nxt
    return out


# ---- the socket ----

class Timeout(Exception):
    pass


class Out:
    """The answer to one message: terminal errno (None: none came), the
    replies [(type, flags, body)], whether a dump is still open."""
    __slots__ = ("errno", "replies", "open", "problems")

    def __init__(self):
        self.errno, self.replies, self.open, self.problems = None, [], False, []


def attrs_ok(b):
    """An attribute stream the kernel wrote: lengths consistent, nests too."""
    off = 0
    while off < len(b):
        if len(b) - off < 4:
            return False
        n, t = struct.unpack_from("=HH", b, off)
        if n < 4 or off + n > len(b):
            return False
        if t & g.NLA_F_NESTED and not attrs_ok(b[off + 4:off + n]):
            return False
        off += (n + 3) & ~3
    return True


class Conn:
    """A raw genl socket.  exchange() sends a buffer, then a NOOP with
    NLM_F_ACK in a send of its own, whose ack is answered after anything
    the buffer's messages got (dump parts after the first come on later
    reads: reading goes on until every dump that started has ended), so
    silence is known without waiting for it."""
    def __init__(self, timeout):
        self.sk = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, g.NETLINK_GENERIC)
        self.sk.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.sk.bind((0, 0))
        self.sk.setsockopt(g.SOL_NETLINK, g.NETLINK_EXT_ACK, 1)
        self.sk.settimeout(timeout)
        self.seq = random.getrandbits(24) << 4

    def next(self):
        self.seq = (self.seq + 1) & 0xffffffff
        return self.seq

    def close(self):
        self.sk.close()

    def exchange(self, raw, seqs):
        outs = {s: Out() for s in seqs}
        try:
            self.sk.send(raw)
        except OSError as e:	# refused by sendmsg (size): nothing reached genetlink
            for o in outs.values():
                o.problems.append("send: %s" % e)
            return outs, "send"
        probe = self.next()
        self.sk.send(struct.pack("=IHHII", 16, NLMSG_NOOP, ACK, probe, 0))
        acked, stray = False, []
        while not acked or any(o.open for o in outs.values()):
            try:
                data, _, mflags, _ = self.sk.recvmsg(1 << 20)
            except socket.timeout:
                raise Timeout("no answer (probe %s, open dumps %s)" % (
                    "answered" if acked else "lost", [s for s, o in outs.items() if o.open]))
            if mflags & socket.MSG_TRUNC:
                raise Timeout("reply truncated")
            off = 0
            while off < len(data):
                if len(data) - off < 16:
                    stray.append("framing: %d bytes left" % (len(data) - off))
                    break
                n, t, fl, sq, _ = struct.unpack_from("=IHHII", data, off)
                if n < 16 or off + n > len(data):
                    stray.append("framing: nlmsg_len %d" % n)
                    break
                body = data[off + 16:off + n]
                off += (n + 3) & ~3
                if sq == probe:
                    acked = acked or t == g.NLMSG_ERROR
                    continue
                o = outs.get(sq)
                if o is None:
                    stray.append("reply for seq %d type %d" % (sq, t))
                    continue
                if o.errno is not None:
                    o.problems.append("message type %d after the end" % t)
                if t == g.NLMSG_ERROR or t == g.NLMSG_DONE:
                    o.errno = -struct.unpack_from("=i", body)[0] if len(body) >= 4 else 0
                    if len(body) < 4:
                        o.problems.append("%s of %d bytes" % ("error" if t == 2 else "done", len(body)))
                    elif t == g.NLMSG_ERROR and not error_ok(body, fl):
                        o.problems.append("malformed error message (flags %#x)" % fl)
                    elif t == g.NLMSG_DONE and len(body) > 4 and not attrs_ok(body[4:]):
                        o.problems.append("malformed done message")
                    o.open = False
                else:
                    o.replies.append((t, fl, body))
                    o.open = bool(fl & g.NLM_F_MULTI)
        for o in outs.values():
            o.problems += stray
            stray = []
        return outs, None

    def request(self, fam, cmd, attrs=(), dump=False, flags=None):
        m = Msg(fam, cmd, attrs, dump)
        if flags is not None:
            m.flags = flags
        raw, seqs = m.encode(self.next)
        outs, _ = self.exchange(raw, seqs)
        return outs[seqs[0]]


def error_ok(body, flags):
    """NLMSG_ERROR: errno, the request (its header only if capped), extack
    TLVs well-formed, the blamed offset inside the request."""
    if len(body) < 20:
        return False
    rlen = struct.unpack_from("=I", body, 4)[0]
    skip = 4 + (16 if flags & g.NLM_F_CAPPED else (rlen + 3) & ~3)
    if skip > len(body):
        return False
    if not flags & g.NLM_F_ACK_TLVS:
        return skip == len(body)
    tlvs = body[skip:]
    if not attrs_ok(tlvs):
        return False
    offs = g.get(g.parse(tlvs), g.NLMSGERR_ATTR_OFFS, "I")
    return offs is None or 16 <= offs < rlen


def strip_top(body, drop):
    """A reply body (genl header, attributes) without top-level attributes
    of the types in drop: what a state comparison may not see change."""
    out, off = [body[:4]], 4
    while off + 4 <= len(body):
        n, t = struct.unpack_from("=HH", body, off)
        if n < 4:
            break
        if t & g.NLA_TYPE_MASK not in drop:
            out.append(body[off:off + ((n + 3) & ~3)])
        off += (n + 3) & ~3
    return b"".join(out)


def nest_attrs(body, want):
    """Payloads of top-level attributes of type want in a reply body."""
    return [p for t, p in g.parse(body[4:]) if t == want]


# ---- the fuzzer ----

def boundary(width, r):
    top = (1 << (8 * width)) - 1
    return r.choice([0, 1, 2, top, top - 1, top >> 1, (top >> 1) + 1, r.randrange(top + 1)])


def pack_width(width, v):
    return struct.pack({1: "=B", 2: "=H", 4: "=I", 8: "=Q"}[width], v)


class Fuzz:
    def __init__(self, args, fams, unpriv=False):
        self.args, self.core, self.nat = args, fams[0], fams[1]
        self.fams = {f.id: f for f in fams}
        self.unpriv = unpriv
        # the largest max-mappings the caller may set: past the default
        # only with CAP_NET_ADMIN in the initial user namespace, so the
        # owner (root of a user namespace) may meet EPERM from timeout set
        self.max_flows = MAX_FLOWS
        self.owner = False
        self.timeout = 120 if os.environ.get("NC_LANE") == "qemu" else 15
        self.conn = Conn(self.timeout)
        self.ifidx = {}		# name -> ifindex of the devices to use
        self.attached, self.handles = set(), set()
        self.local = [struct.unpack(">I", socket.inet_aton(a))[0] for a in args.local]
        self.trace = args.trace_fh
        self.r = random.Random()
        self.phase = ""
        self.reset_counts()

    def reset_counts(self):
        self.n, self.bad, self.examples = 0, 0, []
        self.reached, self.succeeded = set(), set()
        self.accepted = 0
        self.hist = {}		# answer (errno name) -> how many

    # -- state tracking (only what makes valid requests likelier) --

    def refresh(self):
        c = self.conn
        devs = c.request(self.core, g.CMD_DEV_GET, dump=True)
        self.attached = {g.get(g.parse(b[4:]), g.A_IFINDEX, "I") for _, _, b in devs.replies}
        rules = c.request(self.core, g.CMD_RULE_GET, dump=True)
        self.handles = set()
        for _, _, b in rules.replies:
            for p in nest_attrs(b, g.A_RULE):
                self.handles.add(g.get(g.parse(p), g.R_HANDLE, "I"))

    # -- valid pieces --

    def dev(self):
        """A device of the netns (bad ifindexes come from mutations)."""
        return self.r.choice(sorted(self.ifidx.values())) if self.ifidx else 1

    def v4(self):
        r = self.r
        return r.choice([0x0a000102, 0xc0000202, 0xc6336407, r.getrandbits(32)])

    def prefix(self, fam, plen=None):
        r = self.r
        bits = 32 if fam == AF_INET else 128
        if plen is None:
            plen = r.choice([0, 1, 8, 16, 24, 31, bits] if bits == 32 else [0, 1, 48, 64, 127, 128])
        a = r.getrandbits(bits) & (((1 << plen) - 1) << (bits - plen) if plen else 0)
        return a.to_bytes(bits // 8, "big"), plen

    def ports(self, rule, tmin, tmax):
        r = self.r
        lo = r.choice([0, 1, 22, 53, 80, 443, 1024, 8080, 65534, 65535, r.randrange(65536)])
        hi = r.choice([lo, lo, min(65535, lo + r.randrange(64)), 65535])
        rule.append(U16(tmin, lo))
        if hi != lo or r.random() < 0.5:
            rule.append(U16(tmax, hi))

    def nat_ports(self, act):
        r = self.r
        if r.random() < 0.5:
            lo = r.choice([1, 1024, 40000, 65535, r.randrange(1, 65536)])
            act.append(U16(g.ACT_PORT_MIN, lo))
            if r.random() < 0.7:
                act.append(U16(g.ACT_PORT_MAX, r.choice([lo, 65535, min(65535, lo + r.randrange(100))])))
        if r.random() < 0.4:
            act.append(U8(g.ACT_FILTERING, r.randrange(3)))

    def rule(self, verdict=None):
        """The attributes of a valid rule (the kernel may still refuse it
        for the state: a classifier too big, a dnat to a local address)."""
        r = self.r
        v = verdict or r.choice([1, 2, 2, g.VERDICT_SNAT, g.VERDICT_MASQUERADE,
                                 g.VERDICT_MASQUERADE, g.VERDICT_DNAT, g.VERDICT_NETMAP])
        nat = v >= 16
        a = []
        if r.random() < 0.5:
            a.append(U32(g.R_PRIO, r.choice([0, 1, 5, 100, 1 << 31, 0xffffffff, r.randrange(1000)])))
        fam = AF_INET if v == g.VERDICT_NETMAP else r.choice([None, AF_INET] if nat else [None, AF_INET, AF_INET6])
        if fam:
            a.append(U8(g.R_FAMILY, fam))
        if r.random() < 0.2:
            a.append(U32(g.R_IIF, self.dev()))
        if r.random() < 0.15:
            a.append(U32(g.R_OIF, self.dev()))
        proto = r.choice([None, None, 6, 17, 1, 58, 132, 0, 255])
        if proto is not None:
            a.append(U8(g.R_PROTO, proto))
        plen = None
        if fam and (v == g.VERDICT_NETMAP or r.random() < 0.5):
            addr, plen = self.prefix(fam)
            a += [A(g.R_SADDR, addr), U8(g.R_SADDR_LEN, plen)]
        if fam and r.random() < 0.4:
            addr, dl = self.prefix(fam)
            a.append(A(g.R_DADDR, addr))
            if r.random() < 0.8 or dl != (32 if fam == AF_INET else 128):
                a.append(U8(g.R_DADDR_LEN, dl))
        if proto is None or proto in PORT_PROTOS:
            if r.random() < 0.3:
                self.ports(a, g.R_SPORT_MIN, g.R_SPORT_MAX)
            if r.random() < 0.3:
                self.ports(a, g.R_DPORT_MIN, g.R_DPORT_MAX)
        a.append(U32(g.R_VERDICT, v))
        act = []
        if v == g.VERDICT_SNAT:
            lo = self.v4()
            hi = r.choice([lo, min(0xffffffff, lo + r.randrange(256)), 0xffffffff])
            if r.random() < 0.1:
                lo, hi = 0, 0xffffffff		# the whole space as a pool
            act += [BE32(g.ACT_ADDR_MIN, lo)] + ([BE32(g.ACT_ADDR_MAX, hi)] if hi != lo or r.random() < 0.5 else [])
            self.nat_ports(act)
        elif v == g.VERDICT_MASQUERADE:
            self.nat_ports(act)
        elif v == g.VERDICT_DNAT:
            act.append(BE32(g.ACT_ADDR_MIN, r.choice([0xc0000202, 0xc6336402, r.getrandbits(32)])))
            if r.random() < 0.6:
                act.append(U16(g.ACT_PORT_MIN, r.choice([1, 80, 65535, r.randrange(1, 65536)])))
        elif v == g.VERDICT_NETMAP:
            p, _ = self.prefix(AF_INET, plen)
            act.append(A(g.ACT_PREFIX, p))
            if plen != 32 or r.random() < 0.5:
                act.append(U8(g.ACT_PREFIX_LEN, plen))
        if act or (nat and r.random() < 0.3):
            a.append(N(g.R_ACTION, *act))
        return a

    def timeouts(self):
        r = self.r
        a = []
        for t in range(g.NAT_A_TIMEOUT_UDP, g.NAT_A_MAX_MAPPINGS + 1):
            if r.random() < 0.4:
                top = self.max_flows if t == g.NAT_A_MAX_MAPPINGS else MAX_TIMEOUT
                a.append(U32(t, r.choice([1, 2, 30, 300, top - 1, top, r.randrange(1, top + 1)])))
        return a or [U32(g.NAT_A_TIMEOUT_UDP, r.choice([1, 300, MAX_TIMEOUT]))]

    def template(self, op=None):
        """A valid request of op (fam, cmd), or of a random op."""
        r, c, n = self.r, self.core, self.nat
        if op is None:
            op = r.choices([(c, 1), (c, 2), (c, 3), (c, 4), (c, 5), (c, 6), (c, 7), (c, 8), (c, 9),
                            (n, 1), (n, 2), (n, 3), (n, 4)],
                           weights=[5, 5, 3, 30, 8, 4, 1, 4, 3, 3, 1, 4, 3])[0]
        fam, cmd = op
        dump = fam.ops[cmd] == "dump"
        if fam is n:
            return Msg(n, cmd, self.timeouts() if cmd == g.NAT_CMD_TIMEOUT_SET else [], dump)
        if cmd == g.CMD_DEV_ATTACH:
            free = [i for i in self.ifidx.values() if i not in self.attached]
            return Msg(c, cmd, [U32(g.A_IFINDEX, r.choice(free) if free and r.random() < 0.8 else self.dev())])
        if cmd == g.CMD_DEV_DETACH:
            att = sorted(self.attached)
            return Msg(c, cmd, [U32(g.A_IFINDEX, r.choice(att) if att and r.random() < 0.8 else self.dev())])
        if cmd == g.CMD_RULE_ADD:
            return Msg(c, cmd, [N(g.A_RULE, *self.rule())])
        if cmd == g.CMD_RULE_DEL:
            h = r.choice(sorted(self.handles)) if self.handles and r.random() < 0.8 else r.randrange(1, 2000)
            return Msg(c, cmd, [N(g.A_RULE, U32(g.R_HANDLE, h))])
        if cmd == g.CMD_RULESET_REPLACE:
            k, top = r.randrange(0, 6), r.randrange(0, 3)
            a = [N(g.A_RULESET, *[N(g.A_RULE, *self.rule()) for _ in range(k)])] if k or not top else []
            return Msg(c, cmd, a + [N(g.A_RULE, *self.rule()) for _ in range(top)])
        return Msg(c, cmd, [], dump)

    # -- mutations --

    def walk(self, lst, ctx, out):
        """(list, index, context) of every attribute; context names the
        policy the kernel reads it with: a family, "rule" or "act"."""
        for i, a in enumerate(lst):
            out.append((lst, i, ctx))
            if isinstance(a.v, list):
                if ctx == "netchannel" and a.t == g.A_RULE or ctx == "ruleset" and a.t == g.A_RULE:
                    sub = "rule"
                elif ctx == "netchannel" and a.t == g.A_RULESET:
                    sub = "ruleset"
                elif ctx == "rule" and a.t == g.R_ACTION:
                    sub = "act"
                else:
                    sub = "?"
                self.walk(a.v, sub, out)
        return out

    # boundary values by (context, type): the edges of each policy and check
    SEM = {
        ("rule", g.R_SADDR_LEN): (1, [0, 1, 8, 31, 32, 33, 64, 127, 128, 129, 255]),
        ("rule", g.R_DADDR_LEN): (1, [0, 1, 8, 31, 32, 33, 64, 127, 128, 129, 255]),
        ("rule", g.R_FAMILY): (1, [0, 1, 2, 7, 10, 255]),
        ("rule", g.R_PROTO): (1, [0, 1, 6, 17, 58, 255]),
        ("rule", g.R_PRIO): (4, [0, 1, 0x7fffffff, 0xfffffffe, 0xffffffff]),
        ("rule", g.R_VERDICT): (4, [0, 1, 2, 3, 15, 16, 17, 18, 19, 20, 255, 0xffffffff]),
        ("rule", g.R_IIF): (4, [0, 1, 2, 999999, 0x7fffffff, 0xffffffff]),
        ("rule", g.R_OIF): (4, [0, 1, 2, 999999, 0x7fffffff, 0xffffffff]),
        ("rule", g.R_HANDLE): (4, [0, 1, 0x7fffffff, 0xffffffff]),
        ("rule", g.R_SPORT_MIN): (2, [0, 1, 1023, 1024, 65534, 65535]),
        ("rule", g.R_SPORT_MAX): (2, [0, 1, 1023, 1024, 65534, 65535]),
        ("rule", g.R_DPORT_MIN): (2, [0, 1, 1023, 1024, 65534, 65535]),
        ("rule", g.R_DPORT_MAX): (2, [0, 1, 1023, 1024, 65534, 65535]),
        ("act", g.ACT_ADDR_MIN): (-4, [0, 1, 0x7f000001, 0x0a000101, 0xc0000201, 0xfffffffe, 0xffffffff]),
        ("act", g.ACT_ADDR_MAX): (-4, [0, 1, 0x7f000001, 0xfffffffe, 0xffffffff]),
        ("act", g.ACT_PORT_MIN): (2, [0, 1, 1024, 65534, 65535]),
        ("act", g.ACT_PORT_MAX): (2, [0, 1, 1024, 65534, 65535]),
        ("act", g.ACT_FILTERING): (1, [0, 1, 2, 3, 255]),
        ("act", g.ACT_PREFIX): (-4, [0, 0x0a000000, 0x0a000001, 0xffffffff]),
        ("act", g.ACT_PREFIX_LEN): (1, [0, 1, 24, 31, 32, 33, 128, 255]),
        ("netchannel", g.A_IFINDEX): (4, [0, 1, 2, 999999, 0xffffffff]),
        (g.NAT_FAMILY, g.NAT_A_TIMEOUT_UDP): (4, [0, 1, MAX_TIMEOUT, MAX_TIMEOUT + 1, 0xffffffff]),
        (g.NAT_FAMILY, g.NAT_A_TIMEOUT_ICMP): (4, [0, 1, MAX_TIMEOUT, MAX_TIMEOUT + 1, 0xffffffff]),
        (g.NAT_FAMILY, g.NAT_A_TIMEOUT_TCP_EST): (4, [0, 1, MAX_TIMEOUT, MAX_TIMEOUT + 1, 0xffffffff]),
        (g.NAT_FAMILY, g.NAT_A_TIMEOUT_TCP_TRANS): (4, [0, 1, MAX_TIMEOUT, MAX_TIMEOUT + 1, 0xffffffff]),
        (g.NAT_FAMILY, g.NAT_A_MAX_MAPPINGS): (4, [0, 1, MAX_FLOWS, MAX_FLOWS + 1, 0xffffffff]),
    }
    PAIRS = {("rule", g.R_SPORT_MIN): g.R_SPORT_MAX, ("rule", g.R_DPORT_MIN): g.R_DPORT_MAX,
             ("act", g.ACT_PORT_MIN): g.ACT_PORT_MAX, ("act", g.ACT_ADDR_MIN): g.ACT_ADDR_MAX}

    def semantic(self, lst, i, ctx):
        """A boundary value where the policy or the op checks one; for a
        range, min above max or the whole space."""
        r, a = self.r, lst[i]
        key = (ctx, a.t)
        if key in self.PAIRS and r.random() < 0.4:
            tmax = self.PAIRS[key]
            w = -4 if ctx == "act" and a.t == g.ACT_ADDR_MIN else 2
            lo, hi = r.choice([(1, 0), (65535, 0), (0xffffffff, 0), (0, 0xffffffff), (100, 99)])
            pk = (lambda v: struct.pack(">I", v & 0xffffffff)) if w == -4 else (lambda v: struct.pack("=H", v & 0xffff))
            a.v = pk(lo)
            lst[:] = [x for x in lst if x.t != tmax] + [A(tmax, pk(hi))]
            return True
        if key not in self.SEM:
            return False
        w, vals = self.SEM[key]
        v = r.choice(vals)
        a.v = struct.pack(">I", v) if w == -4 else pack_width(w, v)
        return True

    def mutate(self, m):
        r = self.r
        nodes = self.walk(m.attrs, m.fam.name, [])
        k = r.randrange(100)
        if k < 10:		# nlmsg flags
            m.flags = r.choice([m.flags ^ (1 << r.randrange(16)), REQ | r.getrandbits(16),
                                r.getrandbits(16), m.flags ^ DUMP, m.flags & ~ACK,
                                m.flags | r.choice([NLM_F_ECHO, 0x100, 0x200, 0x400, 0x800])])
        elif k < 15:		# command, version, reserved
            x = r.randrange(4)
            if x == 0:
                m.cmd = r.randrange(256)
            elif x == 1:
                m.cmd = r.choice([0, m.fam.resv, m.fam.resv + 1, 255] + list(m.fam.ops))
            elif x == 2:
                m.version = r.randrange(256)
            else:
                m.reserved = r.randrange(1, 65536)
        elif k < 17:		# the other family, or none
            m.ftype = r.choice([f for f in self.fams if f != m.ftype] + [UNUSED_FAMILY])
        elif k < 21 and not m.extra:	# message length (what follows stays in step)
            raw_len = 20 + len(enc(m.attrs))
            if r.random() < 0.6 and raw_len > 16:
                m.cut = r.randrange(16, raw_len)
            else:		# below 16, or that much past the end
                m.nlen = r.choice([0, 1, 15, 16, 17, 1024, 0xffffffff])
        elif k < 23:
            if r.random() < 0.5:
                m.trailer = r.randbytes(r.randrange(1, 16))	# after the message
            else:
                m.junk = r.randbytes(r.randrange(1, 4))		# after the attributes
        elif k < 26 and not m.extra and m.nlen is None:	# a second message in the same send
            m.extra = self.template()
            if r.random() < 0.5:
                self.mutate(m.extra)
        elif k < 32 or not nodes:	# an attribute more, anywhere
            lists = [m.attrs] + [lst[i].v for lst, i, _ in nodes if isinstance(lst[i].v, list)]
            lst = r.choice(lists)
            t = r.choice([0, r.randrange(1, 24), m.fam.amax + 1, 0x3fff, r.getrandbits(16)])
            v = [] if r.random() < 0.2 else r.randbytes(r.choice([0, 1, 2, 4, 8, 16]))
            lst.insert(r.randrange(len(lst) + 1), A(t, v))
        else:
            lst, i, ctx = r.choice(nodes)
            a = lst[i]
            x = r.randrange(100)
            if x < 30 and self.semantic(lst, i, ctx):
                pass
            elif x < 40:
                a.t = r.choice([0, r.randrange(1, 24), m.fam.amax + 1, 0x3fff, r.getrandbits(16) & 0x7fff])
            elif x < 52:
                if isinstance(a.v, list) and r.random() < 0.5:
                    a.v = r.randbytes(r.randrange(0, 12))	# garbage in a nest
                else:
                    a.v = r.randbytes(r.choice([0, 1, 2, 3, 5, 6, 7, 8, 9, 12, 16, 17, 64]))
            elif x < 60 and not isinstance(a.v, list) and len(a.v) in (1, 2, 4, 8):
                a.v = pack_width(len(a.v), boundary(len(a.v), r))
            elif x < 68:
                del lst[i]
            elif x < 74:
                lst.insert(i, a.copy())
            elif x < 80:
                a.nested = not a.nested
            elif x < 90:
                true = 4 + len(enc(a.v) if isinstance(a.v, list) else a.v)
                a.ln = r.choice([0, 1, 2, 3, 4, true - 1, true + 1, true + 4, 0xffff, r.getrandbits(16)])
            else:		# deep nesting
                inner = a
                for _ in range(r.choice([2, 5, 9, 16, 40])):
                    inner = N(r.choice([a.t, g.A_RULE, g.A_RULESET, g.R_ACTION, 1]), inner)
                lst[i] = inner

    def fuzz_one(self):
        """A valid request with 0 to 4 mutations."""
        m = self.template()
        for _ in range(self.r.choice([0, 1, 1, 1, 2, 2, 3, 4])):
            self.mutate(m)
        return m

    # -- only-invalid requests --

    def bad_rule(self):
        """A rule the kernel must refuse, as its attribute list."""
        r = self.r
        base = []
        if r.random() < 0.3:
            base.append(U32(g.R_PRIO, r.randrange(1000)))
        if r.random() < 0.3 and self.ifidx:
            base.append(U32(g.R_IIF, self.dev()))
        drop = U32(g.R_VERDICT, 2)
        v4 = lambda: U8(g.R_FAMILY, AF_INET)
        k = r.randrange(31)
        if k == 0:
            lo = r.randrange(1, 65536)
            return base + [U8(g.R_PROTO, r.choice([6, 17])), U16(g.R_SPORT_MIN, lo), U16(g.R_SPORT_MAX, r.randrange(lo)), drop]
        if k == 1:
            return base + [U16(g.R_DPORT_MAX, r.randrange(65536)), drop]
        if k == 2:
            return base + [U8(g.R_PROTO, r.choice([1, 58, 0, 47])), U16(g.R_DPORT_MIN, 80), drop]
        if k == 3:
            addr, _ = self.prefix(AF_INET, 32)
            return base + [v4(), A(g.R_SADDR, addr), U8(g.R_SADDR_LEN, r.randrange(33, 256)), drop]
        if k == 4:
            addr, _ = self.prefix(AF_INET6, 128)
            return base + [U8(g.R_FAMILY, AF_INET6), A(g.R_DADDR, addr), U8(g.R_DADDR_LEN, r.randrange(129, 256)), drop]
        if k == 5:	# host bits beyond the prefix
            fam = r.choice([AF_INET, AF_INET6])
            bits = 32 if fam == AF_INET else 128
            plen = r.randrange(bits)
            a = r.getrandbits(bits) | (1 << r.randrange(bits - plen))
            return base + [U8(g.R_FAMILY, fam), A(g.R_SADDR, a.to_bytes(bits // 8, "big")), U8(g.R_SADDR_LEN, plen), drop]
        if k == 6:	# address length and family disagree
            fam, n = r.choice([(AF_INET, 16), (AF_INET, 5), (AF_INET6, 4), (AF_INET6, 15), (AF_INET, 3)])
            return base + [U8(g.R_FAMILY, fam), A(g.R_DADDR, r.randbytes(n)), drop]
        if k == 7:
            return base + [A(g.R_SADDR, bytes(4)), drop]
        if k == 8:
            return base + [U8(g.R_FAMILY, r.choice([0, 1, 7, 255])), drop]
        if k == 9:
            return base + [v4(), U8(g.R_SADDR_LEN, 8), drop]
        if k == 10:
            return base + [U8(g.R_PROTO, 6)]
        if k == 11:
            return base + [U32(g.R_VERDICT, r.choice([0, 3, 15, 20, 255, 0xffffffff]))]
        if k == 12:
            return base + [U32(g.R_HANDLE, r.randrange(1, 100)), drop]
        if k == 13:
            return base + [r.choice([A(g.R_PACKETS, bytes(8)), A(g.R_BYTES, bytes(8)), A(g.R_PAD, b"")]), drop]
        if k == 14:
            return base + [U32(g.R_VERDICT, r.choice([1, 2])), N(g.R_ACTION, U16(g.ACT_PORT_MIN, 1))]
        if k == 15:	# NAT is IPv4 only
            return base + [U8(g.R_FAMILY, AF_INET6), U32(g.R_VERDICT, r.choice([16, 17, 18, 19])),
                           N(g.R_ACTION, BE32(g.ACT_ADDR_MIN, 0xc0000202), A(g.ACT_PREFIX, bytes(4)))]
        if k == 16:
            return base + [U32(g.R_VERDICT, g.VERDICT_SNAT)] + ([N(g.R_ACTION, U16(g.ACT_PORT_MIN, 2000))] if r.random() < 0.5 else [])
        if k == 17:
            lo = r.randrange(1, 1 << 32)
            return base + [U32(g.R_VERDICT, g.VERDICT_SNAT), N(g.R_ACTION, BE32(g.ACT_ADDR_MIN, lo), BE32(g.ACT_ADDR_MAX, r.randrange(lo)))]
        if k == 18:
            lo = r.randrange(2, 65536)
            act = [U16(g.ACT_PORT_MIN, lo), U16(g.ACT_PORT_MAX, r.randrange(1, lo))]
            v = r.choice([g.VERDICT_SNAT, g.VERDICT_MASQUERADE])
            if v == g.VERDICT_SNAT:
                act.insert(0, BE32(g.ACT_ADDR_MIN, 0xc0000201))
            return base + [U32(g.R_VERDICT, v), N(g.R_ACTION, *act)]
        if k == 19:
            return base + [U32(g.R_VERDICT, g.VERDICT_MASQUERADE), N(g.R_ACTION, r.choice([U16(g.ACT_PORT_MIN, 0), U16(g.ACT_PORT_MAX, 0)]))]
        if k == 20:
            return base + [U32(g.R_VERDICT, g.VERDICT_MASQUERADE), N(g.R_ACTION, U8(g.ACT_FILTERING, r.randrange(3, 256)))]
        if k == 21:	# netmap: no prefix, host bits, too long, no/other saddr
            plen = r.randrange(0, 32)
            sa, _ = self.prefix(AF_INET, plen)
            x = r.randrange(4)
            if x == 0:
                act = [U8(g.ACT_PREFIX_LEN, plen)]
            elif x == 1:
                act = [BE32(g.ACT_PREFIX, (1 << r.randrange(32 - plen)) | r.getrandbits(32)), U8(g.ACT_PREFIX_LEN, plen)]
            elif x == 2:
                act = [A(g.ACT_PREFIX, bytes(4)), U8(g.ACT_PREFIX_LEN, r.randrange(33, 256))]
            else:
                act = [A(g.ACT_PREFIX, bytes(4)), U8(g.ACT_PREFIX_LEN, 32)]
                sa, plen = self.prefix(AF_INET, r.randrange(0, 32))
                if r.random() < 0.5:
                    return base + [U32(g.R_VERDICT, g.VERDICT_NETMAP), N(g.R_ACTION, *act)]
            return base + [v4(), A(g.R_SADDR, sa), U8(g.R_SADDR_LEN, plen), U32(g.R_VERDICT, g.VERDICT_NETMAP), N(g.R_ACTION, *act)]
        if k == 22:	# dnat: no address, or one of the router's own
            act = [BE32(g.ACT_ADDR_MIN, r.choice(self.local))] if self.local and r.random() < 0.7 else [U16(g.ACT_PORT_MIN, 80)]
            return base + [U32(g.R_VERDICT, g.VERDICT_DNAT), N(g.R_ACTION, *act)]
        if k == 23:
            return base + [U32(r.choice([g.R_IIF, g.R_OIF]), r.choice([0, 999999, 0x7fffffff, 0xffffffff])), drop]
        if k == 24:
            return base + [A(r.randrange(g.R_ACTION + 1, 0x4000), r.randbytes(r.choice([0, 4, 8]))), drop]
        if k == 25:
            return base + [U32(g.R_VERDICT, g.VERDICT_MASQUERADE), N(g.R_ACTION, A(r.randrange(g.ACT_PREFIX_LEN + 1, 0x4000), bytes(4)))]
        if k == 26:	# a fixed-size attribute of the wrong size
            t, n = r.choice([(g.R_PRIO, 2), (g.R_PRIO, 8), (g.R_PROTO, 4), (g.R_FAMILY, 2), (g.R_SPORT_MIN, 4),
                             (g.R_SADDR_LEN, 4), (g.R_IIF, 1)])
            return base + [A(t, r.randbytes(n)), drop]
        if k == 27:
            return base + [A(g.R_VERDICT, struct.pack("=I", 2), ln=r.choice([64, 200, 0xfff0])), drop]
        if k == 28:	# a nest without NLA_F_NESTED
            return base + [U32(g.R_VERDICT, g.VERDICT_MASQUERADE), A(g.R_ACTION, [U8(g.ACT_FILTERING, 1)], nested=False)]
        if k == 29:	# filtering is a source NAT's: not on dnat or netmap
            f = U8(g.ACT_FILTERING, r.randrange(3))
            if r.random() < 0.5:
                return base + [U32(g.R_VERDICT, g.VERDICT_DNAT), N(g.R_ACTION, BE32(g.ACT_ADDR_MIN, 0xc6336402), f)]
            return base + [v4(), A(g.R_SADDR, bytes([10, 9, 0, 0])), U8(g.R_SADDR_LEN, 16),
                           U32(g.R_VERDICT, g.VERDICT_NETMAP),
                           N(g.R_ACTION, A(g.ACT_PREFIX, bytes([203, 0, 0, 0])), U8(g.ACT_PREFIX_LEN, 16), f)]
        return base + [U32(g.R_VERDICT, g.VERDICT_MASQUERADE), A(g.R_ACTION, r.randbytes(r.randrange(1, 4)))]

    def invalid(self):
        """A request of a random op that must be refused."""
        r, c, n = self.r, self.core, self.nat
        k = r.randrange(100)
        m = self.template()
        if k < 4:	# unknown command
            m.cmd = r.choice([0, m.fam.resv, 100, 255, r.randrange(m.fam.resv, 256)])
            return m
        if k < 8:	# doit as dump, dump as doit
            m.flags = REQ | ACK if m.flags & DUMP == DUMP else REQ | DUMP | r.choice([0, ACK])
            return m
        if k < 10:
            m.ftype = UNUSED_FAMILY
            return m
        if k < 12:	# shorter than a genl header
            m.cut = r.randrange(16, 20)
            return m
        if k < 20:	# an attribute the op does not know or does not take
            takes = m.fam.takes.get(m.cmd, set())
            t = r.choice([r.randrange(m.fam.amax + 1, 0x4000)] +
                         [x for x in range(1, m.fam.amax + 1) if x not in takes])
            m.attrs.insert(r.randrange(len(m.attrs) + 1), U32(t, r.getrandbits(32)))
            return m
        if k < 24:	# an attribute running past the message, or junk after them
            if r.random() < 0.5:
                m.attrs.append(A(r.randrange(1, 8), r.randbytes(4), ln=r.choice([12, 64, 0xffff])))
            else:
                m.junk = r.randbytes(r.randrange(1, 4))
            return m
        # semantics of each op
        cmd = m.cmd
        if m.fam is n:
            if cmd != g.NAT_CMD_TIMEOUT_SET:
                m.attrs = [U32(r.randrange(1, n.amax + 1), 1)]
                return m
            good = [a for a in self.timeouts() if r.random() < 0.5]
            t = r.randrange(g.NAT_A_TIMEOUT_UDP, g.NAT_A_MAX_MAPPINGS + 1)
            top = MAX_FLOWS if t == g.NAT_A_MAX_MAPPINGS else MAX_TIMEOUT
            bad = r.choice([U32(t, 0), U32(t, top + 1), U32(t, 0xffffffff), U32(t, r.randrange(top + 1, 1 << 32)),
                            A(t, r.randbytes(r.choice([0, 2, 8]))), U32(g.NAT_A_MAPPINGS, 5)])
            m.attrs = [a for a in good if a.t != t] + [bad]
            r.shuffle(m.attrs)
            if r.random() < 0.1:
                m.attrs = []		# nothing to set
            return m
        if cmd in (g.CMD_DEV_ATTACH, g.CMD_DEV_DETACH):
            x = r.randrange(4)
            if x == 0:
                v = [r.choice([0, 999999, 0x7fffffff, 0xffffffff])]
                if cmd == g.CMD_DEV_ATTACH:
                    v += [1] + sorted(self.attached)
                else:
                    v += [i for i in self.ifidx.values() if i not in self.attached]
                m.attrs = [U32(g.A_IFINDEX, r.choice(v))]
            elif x == 1:
                m.attrs = [A(g.A_IFINDEX, r.randbytes(r.choice([0, 1, 2, 3, 8])))]
            else:
                m.attrs = []
            return m
        if cmd == g.CMD_RULE_ADD:
            m.attrs = [N(g.A_RULE, *self.bad_rule())] if r.random() < 0.9 else \
                      [A(g.A_RULE, [U32(g.R_VERDICT, 2)], nested=False)]
            return m
        if cmd == g.CMD_RULE_DEL:
            gone = max(self.handles | {0}) + 1 + r.randrange(100000)
            m.attrs = r.choice([[N(g.A_RULE, U32(g.R_HANDLE, gone))], [N(g.A_RULE, U32(g.R_HANDLE, 0))], [N(g.A_RULE)], [],
                                [N(g.A_RULE, U32(g.R_HANDLE, gone), U8(g.R_PROTO, 6))],
                                [N(g.A_RULE, A(g.R_HANDLE, r.randbytes(2)))]])
            return m
        if cmd == g.CMD_RULESET_REPLACE:
            rules = [N(g.A_RULE, *self.rule()) for _ in range(r.randrange(0, 5))]
            bad = N(g.A_RULE, *self.bad_rule()) if r.random() < 0.8 else N(r.choice([g.A_IFINDEX, g.A_STATS, 0, 99]), U32(1, 1))
            rules.insert(r.randrange(len(rules) + 1), bad)
            if bad.t != g.A_RULE or r.random() < 0.6:
                m.attrs = [N(g.A_RULESET, *rules)]
            else:
                m.attrs = rules
            if r.random() < 0.05:
                m.attrs = []
            return m
        # ops that take no attribute at all
        m.attrs = [U32(r.randrange(1, c.amax + 1), 1)]
        return m

    # -- running and judging --

    def send(self, m):
        """Send m, judge the answers: problems (strings), or [] if fine."""
        raw, seqs = m.encode(self.conn.next)
        if self.trace:
            self.trace.write("%s %d %s\n" % (self.phase, self.n, raw.hex()))
        try:
            outs, err = self.conn.exchange(raw, seqs)
        except Timeout as e:
            self.conn.close()
            self.conn = Conn(self.timeout)
            return ["%s" % e]
        if err:
            return []
        probs = []
        done = set()
        for seq, what, fl in predict(self.fams, raw):
            if seq not in outs:
                probs.append("genetlink read a message we did not send (seq %d)" % seq)
                continue
            o, done = outs[seq], done | {seq}
            probs += o.problems
            got = o.errno
            key = "reply" if got is None and o.replies else err_name(got)
            self.hist[key] = self.hist.get(key, 0) + 1
            if what == "skip":
                want = 0 if fl & ACK else None
                if got != want or o.replies:
                    probs.append("non-request answered %s, %d replies" % (err_name(got), len(o.replies)))
                continue
            if isinstance(what, int):
                # 6.1 checks the caller's permission before whether the
                # op has a doit (or dumpit): EPERM first is a refusal too
                if self.unpriv and what == E.EOPNOTSUPP and got == E.EPERM and not o.replies:
                    continue
                if got != what or o.replies:
                    probs.append("%s by genetlink expected, got %s" % (err_name(what), err_name(got)))
                continue
            fam, cmd, kind = what
            self.reached.add((fam.name, cmd))
            if self.unpriv:
                if got != E.EPERM or o.replies:
                    probs.append("%s %d %s: %s, %d replies (want EPERM)" % (fam.name, cmd, kind, err_name(got), len(o.replies)))
                continue
            if got is None and (kind == "dump" or fl & ACK):
                probs.append("%s %d %s: no answer" % (fam.name, cmd, kind))
            elif got is not None and got != 0 and got not in ALLOWED and \
                    not (got == E.EPERM and self.owner and fam is self.nat and
                         cmd == g.NAT_CMD_TIMEOUT_SET):
                probs.append("%s %d %s: errno %s" % (fam.name, cmd, kind, err_name(got)))
            for t, rfl, body in o.replies:
                if t != fam.id or len(body) < 4 or body[0] != cmd or not attrs_ok(body[4:]):
                    probs.append("%s %d %s: malformed reply (type %d cmd %d)" % (fam.name, cmd, kind, t, body[0] if body else -1))
                    break
            if not got and (o.replies or got == 0):
                self.succeeded.add((fam.name, cmd))
                self.accepted += 1
                self.track(fam, cmd, o)
        for seq in seqs:
            if seq not in done and (outs[seq].errno is not None or outs[seq].replies):
                probs.append("answer to a message genetlink never read")
        return probs

    def track(self, fam, cmd, o):
        """Keep the handles and devices of accepted requests (for later
        requests to name)."""
        if fam is not self.core:
            return
        if cmd == g.CMD_RULE_ADD:
            for _, _, b in o.replies:
                for p in nest_attrs(b, g.A_RULE):
                    h = g.get(g.parse(p), g.R_HANDLE, "I")
                    if h:
                        self.handles.add(h)
        elif cmd in (g.CMD_RULE_FLUSH, g.CMD_RULESET_REPLACE):
            self.handles = set()
        elif cmd in (g.CMD_DEV_ATTACH, g.CMD_DEV_DETACH, g.CMD_RULE_DEL):
            self.refresh()

    def run(self, m):
        self.n += 1
        probs = self.send(m)
        if probs:
            self.bad += 1
            if len(self.examples) < 5:
                raw, _ = m.encode(lambda: 0)
                h = raw.hex()
                self.examples.append("%s #%d: %s; request %s" % (self.phase, self.n, "; ".join(probs[:3]),
                                                                  h if len(h) <= 600 else h[:600] + "..."))
        return probs

    def loop(self, phase, iters, seconds, make):
        """iters requests from make() (or as many as fit in seconds)."""
        self.phase = phase
        self.r = random.Random("%d:%s" % (self.args.seed, phase))
        end = time.monotonic() + seconds if seconds else None
        i = 0
        while (i < iters) if end is None else (time.monotonic() < end):
            self.run(make())
            i += 1
        if self.trace:
            self.trace.flush()
        return i

    # -- whole-state views --

    def raw_state(self):
        """The kernel's view, raw bytes, without the generation numbers."""
        c, out = self.conn, []
        for fam, cmd, dump in ((self.core, g.CMD_RULE_GET, True), (self.core, g.CMD_DEV_GET, True),
                               (self.core, g.CMD_STATS_GET, False), (self.nat, g.NAT_CMD_TIMEOUT_GET, False),
                               (self.nat, g.NAT_CMD_FLOW_GET, True)):
            o = c.request(fam, cmd, dump=dump)
            if o.errno:
                raise OSError(-o.errno if o.errno < 0 else o.errno, "%s cmd %d" % (fam.name, cmd))
            for _, _, body in o.replies:
                out.append(bytes([cmd]) + strip_top(body, {g.A_GENERATION} if fam is self.core else set()))
        return out


def report(ok, name, detail=""):
    print("%s\t%s\t%s" % ("ok" if ok else "bad", name, " ".join(str(detail).split())), flush=True)


def summary(f):
    ops = len(f.reached)
    hist = " ".join("%s %d" % kv for kv in sorted(f.hist.items(), key=lambda kv: -kv[1]))
    s = "%d requests, %d accepted, %d of 13 ops reached; answers: %s" % (f.n, f.accepted, ops, hist)
    if f.bad:
        s += "; %d bad: %s" % (f.bad, " | ".join(f.examples))
    return s


def cli_view(ncnat):
    out = []
    for args in (["save"], ["dev", "list"], ["timeout", "list"], ["stats"]):
        p = subprocess.run([ncnat] + args, capture_output=True, text=True)
        out.append("%s: %d\n%s%s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
    return "\n".join(out)


def all_ops(f):
    return [(f.core, c) for c in sorted(f.core.ops)] + [(f.nat, c) for c in sorted(f.nat.ops)]


def valid_pass(f):
    """Each op's valid request once, made sure to be acceptable in the
    state at hand: the ops that were refused."""
    f.refresh()
    c, failed = f.core, []
    for fam, cmd in all_ops(f):
        m = f.template((fam, cmd))
        free = sorted(i for i in f.ifidx.values() if i not in f.attached)
        if fam is c and cmd == g.CMD_DEV_ATTACH and free:
            m = Msg(c, cmd, [U32(g.A_IFINDEX, free[0])])
        if fam is c and cmd == g.CMD_DEV_DETACH:
            if not f.attached and free:
                f.run(Msg(c, g.CMD_DEV_ATTACH, [U32(g.A_IFINDEX, free[0])]))
            m = Msg(c, cmd, [U32(g.A_IFINDEX, min(f.attached or {0}))])
        if fam is c and cmd == g.CMD_RULE_DEL:
            f.run(Msg(c, g.CMD_RULE_ADD, [N(g.A_RULE, U32(g.R_VERDICT, 1))]))
            m = Msg(c, cmd, [N(g.A_RULE, U32(g.R_HANDLE, max(f.handles or {0})))])
        n = f.accepted
        f.run(m)
        if f.accepted == n:
            failed.append("%s/%d" % (fam.name, cmd))
    return failed


# ---- phases ----

def phase_invalid(f, iters, seconds, ncnat):
    f.reset_counts()
    f.refresh()
    raw0, cli0 = f.raw_state(), cli_view(ncnat)
    n = f.loop("invalid", iters, seconds, f.invalid)
    raw1, cli1 = f.raw_state(), cli_view(ncnat)
    report(f.accepted == 0 and f.bad == 0, "root, only-invalid batch: every request refused, answers well-formed",
           summary(f))
    report(raw0 == raw1, "root, only-invalid batch: raw dumps byte-identical (rules, devices, stats, timeouts, flows)",
           raw_diff(raw0, raw1))
    report(cli0 == cli1, "root, only-invalid batch: ncnat save, dev list, timeout list, stats identical",
           " | ".join(difflib.unified_diff(cli0.splitlines(), cli1.splitlines(), "before", "after", n=0, lineterm="")))
    return n


def raw_diff(a, b):
    """Which dumped messages differ, and how."""
    out = ["%d -> %d messages" % (len(a), len(b))] if len(a) != len(b) else []
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            out.append("message %d (cmd %d): %s -> %s" % (i, x[0], x[1:].hex(), y[1:].hex()))
    return "; ".join(out)


def roundtrip(f):
    """Dump the ruleset, replace it with what the dump says (handles and
    counters left out), dump again: the same rules, in the same order."""
    def rules():
        o = f.conn.request(f.core, g.CMD_RULE_GET, dump=True)
        if o.errno:
            raise OSError(-o.errno, "rule dump")
        out = []
        for _, _, b in o.replies:
            for t, p in g.parse(b[4:]):
                if t == g.A_RULE:
                    out.append(strip_top(b"\0\0\0\0" + p, {g.R_HANDLE, g.R_PACKETS, g.R_BYTES, g.R_PAD})[4:])
        return out
    before = rules()
    attrs = [A(g.A_RULE, p, nested=True) for p in before] or [N(g.A_RULESET)]
    o = f.conn.request(f.core, g.CMD_RULESET_REPLACE, attrs)
    if o.errno:
        return False, "replace of %d dumped rules: %s" % (len(before), err_name(o.errno))
    after = rules()
    return before == after, "%d rules" % len(before) + ("" if before == after else ", %d after" % len(after))


def consistent(f):
    """Dumps and stats say the same: rule and device counts, generation."""
    c = f.conn
    st = c.request(f.core, g.CMD_STATS_GET)
    rules = c.request(f.core, g.CMD_RULE_GET, dump=True)
    devs = c.request(f.core, g.CMD_DEV_GET, dump=True)
    to = c.request(f.nat, g.NAT_CMD_TIMEOUT_GET)
    flows = c.request(f.nat, g.NAT_CMD_FLOW_GET, dump=True)
    a = g.parse(st.replies[0][2][4:])
    s = g.parse(g.get(a, g.A_STATS))
    gen = g.get(a, g.A_GENERATION, "I")
    nrules = sum(len(nest_attrs(b, g.A_RULE)) for _, _, b in rules.replies)
    gens = {g.get(g.parse(b[4:]), g.A_GENERATION, "I") for _, _, b in rules.replies + devs.replies}
    mappings = g.get(g.parse(to.replies[0][2][4:]), g.NAT_A_MAPPINGS, "I")
    got = (g.get(s, g.A_STATS_RULES, "I"), g.get(s, g.A_STATS_DEVICES, "I"), gens <= {gen}, mappings)
    want = (nrules, len(devs.replies), True, len(flows.replies))
    return got == want, "stats rules/devices/generation/mappings %s, dumps %s" % (got, want)


def unpriv_child(f, mode, iters, seconds):
    """In a child: become the caller of mode, fuzz, report; returns the
    exit status."""
    libc = ctypes.CDLL(None, use_errno=True)
    names = {"uid": "uid 65534", "userns": "root of a new user namespace, this netns",
             "owner": "root of a new user namespace, in its own netns"}
    name = names[mode]
    root_fd = os.open("/", os.O_RDONLY)
    if mode != "uid":
        # unshare(CLONE_NEWUSER) fails in a chroot (the QEMU lane's root):
        # leave it while still root, come back after
        os.chroot(tempfile.mkdtemp())
        for _ in range(64):
            os.chdir("..")
        os.chroot(".")
    os.setgroups([])
    os.setresgid(65534, 65534, 65534)
    os.setresuid(65534, 65534, 65534)
    if mode != "uid":
        libc.prctl(4, 1)	# PR_SET_DUMPABLE: /proc/self/uid_map is ours to write
        flags = CLONE_NEWUSER | (CLONE_NEWNET if mode == "owner" else 0)
        if libc.unshare(flags) != 0:
            print("skip\t%s\tunshare: %s" % (name, os.strerror(ctypes.get_errno())), flush=True)
            return 0
        os.fchdir(root_fd)
        os.chroot(".")
        os.chdir("/")
        for fn, v in (("setgroups", "deny"), ("uid_map", "0 65534 1"), ("gid_map", "0 65534 1")):
            with open("/proc/self/" + fn, "w") as fh:
                fh.write(v)
    f.conn = Conn(f.timeout)
    f.reset_counts()
    if mode == "owner":
        for d in ("fz0", "fz1", "fz2"):
            subprocess.run(["ip", "link", "add", d, "type", "dummy"], check=True)
        f.ifidx = {d: socket.if_nametoindex(d) for d in ("fz0", "fz1", "fz2")}
        f.local = []
        f.unpriv = False
        f.max_flows = FLOWS_DEFAULT
        f.owner = True
        f.phase = mode
        f.r = random.Random("%d:%s:valid" % (f.args.seed, mode))
        failed = valid_pass(f)
        n = f.loop(mode, iters, seconds, f.fuzz_one)
        report(f.bad == 0 and not failed, "%s: every op accepted, fuzz answered well-formed" % name,
               ("valid requests refused: %s; " % failed if failed else "") + summary(f))
    else:
        f.unpriv = True
        f.phase = mode
        for op in all_ops(f):
            f.run(f.template(op))
        n = 13 + f.loop(mode, iters, seconds, f.fuzz_one)
        report(f.bad == 0 and len(f.reached) == 13,
               "%s: all 13 ops (doit and dump) refused with EPERM, other requests as genetlink decides" % name,
               summary(f))
    print("info\titerations %s %d" % (mode, n), flush=True)
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--iters", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=0)
    ap.add_argument("--devs", default="", help="comma-separated device names to use")
    ap.add_argument("--local", default="", help="comma-separated IPv4 addresses of this netns")
    ap.add_argument("--ncnat", default=os.environ.get("NCNAT_BIN", "ncnat"))
    ap.add_argument("--trace", default="")
    args = ap.parse_args()
    args.local = [a for a in args.local.split(",") if a]
    # line-buffered: after a kernel crash the last line is the culprit
    args.trace_fh = open(args.trace, "w", buffering=1) if args.trace else None
    random.seed(args.seed)

    fams = families()
    f = Fuzz(args, fams)
    f.ifidx = {d: socket.if_nametoindex(d) for d in args.devs.split(",") if d}
    shares = {"invalid": 0.25, "root": 0.45, "uid": 0.1, "userns": 0.1, "owner": 0.1}
    userns = os.path.exists("/proc/self/ns/user")	# CONFIG_USER_NS (not in UML)
    if not userns:
        shares["root"] += shares.pop("userns") + shares.pop("owner")
    it = {k: max(1, int(args.iters * v)) for k, v in shares.items()}
    sec = {k: args.seconds * v for k, v in shares.items()}
    to = f.conn.request(f.nat, g.NAT_CMD_TIMEOUT_GET)
    saved = [A(t, p) for t, p in g.parse(to.replies[0][2][4:]) if g.NAT_A_TIMEOUT_UDP <= t <= g.NAT_A_MAX_MAPPINGS]
    counts = {}

    counts["invalid"] = phase_invalid(f, it["invalid"], sec["invalid"], args.ncnat)

    f.reset_counts()
    f.phase = "root"
    f.r = random.Random("%d:root:valid" % args.seed)
    failed = valid_pass(f)
    report(not failed, "root: each op's valid request accepted (13 ops of both families)",
           "refused: %s %s" % (failed, " | ".join(f.examples)) if failed else "")
    f.reset_counts()
    counts["root"] = f.loop("root", it["root"], sec["root"], f.fuzz_one)
    report(f.bad == 0, "root fuzz: every answer well-formed, success or a known negative errno", summary(f))
    ok, why = consistent(f)
    report(ok, "root fuzz: dumps agree with stats (rules, devices, generation, mappings)", why)
    ok, why = roundtrip(f)
    report(ok, "root fuzz: the fuzzed ruleset survives dump -> replace -> dump", why)

    before = f.raw_state()
    for mode in ("uid", "userns", "owner"):
        if mode not in shares:
            print("skip\t%s phase\tno user namespaces in this kernel" % mode, flush=True)
            continue
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = unpriv_child(f, mode, it[mode], sec[mode])
            except Exception as e:  # noqa: BLE001 (one line for the shell, whatever broke)
                report(False, "%s phase ran to the end" % mode, repr(e))
            finally:
                sys.stdout.flush()
                os._exit(code)
        _, st = os.waitpid(pid, 0)
        if st:
            report(False, "%s phase exited cleanly" % mode, "wait status %d" % st)
    after = f.raw_state()
    report(before == after, "unprivileged callers changed nothing (raw dumps byte-identical)")

    # back to a clean slate: no rules, no devices, no flows, old timeouts
    c = f.conn
    c.request(f.core, g.CMD_RULE_FLUSH)
    f.refresh()
    for i in f.attached:
        c.request(f.core, g.CMD_DEV_DETACH, [U32(g.A_IFINDEX, i)])
    errs = [c.request(f.nat, g.NAT_CMD_TIMEOUT_SET, saved).errno, c.request(f.nat, g.NAT_CMD_FLOW_FLUSH).errno]
    f.refresh()
    report(not any(errs) and not f.attached and not f.handles, "reset after the fuzz", "errnos %s" % errs)
    print("info\titerations invalid %d root %d" % (counts["invalid"], counts["root"]), flush=True)


main()
