"""ncgenl: a small generic netlink client for the netchannel tests.

Raw AF_NETLINK socket and struct packing only, so the tests can send what
no well-behaved library would: unknown attribute types, wrong payload
lengths, broken nesting.  Every request runs with NETLINK_EXT_ACK, and a
failure comes back as errno plus the kernel's extack message, the offset
of the attribute it blamed and the path of that attribute in the request.

    import ncgenl as g
    s = g.Genl()                                  # resolves "netchannel"
    r = s.request(g.CMD_RULE_ADD, g.nest(g.A_RULE,
            g.u32(g.R_VERDICT, g.VERDICT_DROP)))
    r.errno, r.msg, r.offset, r.path, r.msgs      # path: [4, 14] = RULE/VERDICT
    t = g.Genl(bufsize=4096)                      # small reads: a dump spans
    d = t.dump(g.CMD_RULE_GET, between=lambda d: ...)   # many recv() calls
    d.msgs, d.intr, d.recvs, d.errno              # intr: NLM_F_DUMP_INTR seen

Attributes are plain bytes: attr()/u8()/.../nest() build them and can be
concatenated; attr(t, payload, nla_len=N) forges the length field.
"""
import errno as _errno
import socket
import struct

NETLINK_GENERIC, SOL_NETLINK = 16, 270
NETLINK_EXT_ACK = 11
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK = 0x1, 0x2, 0x4
NLM_F_DUMP_INTR, NLM_F_DUMP = 0x10, 0x300
NLM_F_CAPPED, NLM_F_ACK_TLVS = 0x100, 0x200
NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS, NLMSGERR_ATTR_MISS_TYPE = 1, 2, 5
NLA_F_NESTED, NLA_TYPE_MASK = 0x8000, 0x3fff
GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 0x10, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 1, 2

# include/uapi/linux/netchannel.h
(CMD_DEV_ATTACH, CMD_DEV_DETACH, CMD_DEV_GET, CMD_RULE_ADD, CMD_RULE_DEL,
 CMD_RULE_GET, CMD_RULE_FLUSH, CMD_RULESET_REPLACE, CMD_STATS_GET) = range(1, 10)
(A_IFINDEX, A_IFNAME, A_DEV_STATS, A_RULE, A_RULESET, A_GENERATION, A_STATS,
 A_PAD, A_CONSUMER) = range(1, 10)
(R_HANDLE, R_PRIO, R_FAMILY, R_IIF, R_PROTO, R_SADDR, R_SADDR_LEN, R_DADDR,
 R_DADDR_LEN, R_SPORT_MIN, R_SPORT_MAX, R_DPORT_MIN, R_DPORT_MAX, R_VERDICT,
 R_PACKETS, R_BYTES, R_PAD, R_OIF, R_ACTION) = range(1, 20)
VERDICT_ACCEPT, VERDICT_DROP = 1, 2
A_STATS_REASON, A_STATS_RULES, A_STATS_SHAPES, A_STATS_DEVICES = range(1, 5)
RESV_START_OP = 10			# family.resv_start_op: strict header checks from here

# include/uapi/linux/netchannel_nat.h: NAT verdicts, their arguments in
# R_ACTION, and the "netchannel_nat" family (Genl(NAT_FAMILY))
NAT_FAMILY = "netchannel_nat"
VERDICT_SNAT, VERDICT_MASQUERADE, VERDICT_DNAT, VERDICT_NETMAP = range(16, 20)
FILTER_APDF, FILTER_ADF, FILTER_EIF = range(3)
(ACT_ADDR_MIN, ACT_ADDR_MAX, ACT_PORT_MIN, ACT_PORT_MAX, ACT_FILTERING,
 ACT_PREFIX, ACT_PREFIX_LEN) = range(1, 8)
(NAT_CMD_FLOW_GET, NAT_CMD_FLOW_FLUSH, NAT_CMD_TIMEOUT_SET, NAT_CMD_TIMEOUT_GET,
 NAT_CMD_FLOW_NEW, NAT_CMD_FLOW_DEL) = range(1, 7)
(NAT_A_FLOW, NAT_A_TIMEOUT_UDP, NAT_A_TIMEOUT_ICMP, NAT_A_TIMEOUT_TCP_EST,
 NAT_A_TIMEOUT_TCP_TRANS, NAT_A_MAX_MAPPINGS, NAT_A_MAPPINGS, NAT_A_GENERATION,
 NAT_A_STATS) = range(1, 10)
NAT_RESV_START_OP = 5


def _align(n):
    return (n + 3) & ~3


# ---- building attributes ----

def attr(atype, payload=b"", nla_len=None):
    """One attribute; nla_len overrides the length field (to lie)."""
    n = 4 + len(payload) if nla_len is None else nla_len
    return struct.pack("=HH", n, atype) + payload + b"\0" * (_align(len(payload)) - len(payload))


def u8(t, v): return attr(t, struct.pack("=B", v))
def u16(t, v): return attr(t, struct.pack("=H", v))
def u32(t, v): return attr(t, struct.pack("=I", v))
def u64(t, v): return attr(t, struct.pack("=Q", v))
def string(t, s): return attr(t, s.encode() + b"\0")
def nest(t, *children, flag=NLA_F_NESTED):
    """A nest; flag=0 leaves out NLA_F_NESTED (which strict policies want)."""
    return attr(t | flag, b"".join(children))


# ---- reading attributes ----

def parse(data):
    """[(type, payload)] of an attribute stream; stops at a bad length."""
    out, off = [], 0
    while off + 4 <= len(data):
        n, t = struct.unpack_from("=HH", data, off)
        if n < 4 or off + n > len(data):
            break
        out.append((t & NLA_TYPE_MASK, data[off + 4:off + n]))
        off += _align(n)
    return out


def get(attrs, t, fmt=None):
    """First payload of type t (decoded with struct fmt), or None."""
    for at, p in attrs:
        if at == t:
            return struct.unpack("=" + fmt, p[:struct.calcsize("=" + fmt)])[0] if fmt else p
    return None


def attr_path(data, offset, base=0):
    """Types from the outermost attribute down to the one at offset."""
    off = 0
    while off + 4 <= len(data):
        n, t = struct.unpack_from("=HH", data, off)
        if base + off == offset:
            return [t & NLA_TYPE_MASK]
        if n < 4:
            break
        if base + off < offset < base + off + n:
            return [t & NLA_TYPE_MASK] + attr_path(data[off + 4:off + n], offset, base + off + 4)
        off += _align(n)
    return []


class Reply:
    """Outcome of one request: errno (0: success) with the extack message,
    offset, path and missing attribute type; the replies, each a parse()d
    attribute list; NLM_F_DUMP_INTR seen; how many recv() calls it took."""
    def __init__(self, want_ack):
        self.want_ack = want_ack	# a doit reply is followed by an ack
        self.errno, self.msg, self.offset, self.path, self.miss = 0, None, None, [], None
        self.msgs, self.intr, self.recvs = [], False, 0

    def __repr__(self):
        name = _errno.errorcode.get(self.errno, str(self.errno)) if self.errno else "ok"
        return "%s msg=%r path=%s miss=%s" % (name, self.msg, self.path, self.miss)


class Genl:
    def __init__(self, family="netchannel", ext_ack=True, bufsize=65536):
        """bufsize: recv() buffer of every read on this socket.  The kernel
        sizes dump messages to the largest buffer a socket has read with, so
        a small one from the start makes dumps span many recv() calls."""
        self.bufsize = bufsize
        self.sk = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.sk.bind((0, 0))
        if ext_ack:
            self.sk.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.seq = 1
        self.family = GENL_ID_CTRL
        if family:
            r = self.request(CTRL_CMD_GETFAMILY, string(CTRL_ATTR_FAMILY_NAME, family), version=1)
            if r.errno:
                raise OSError(r.errno, "genl family %s: %s" % (family, r.msg))
            self.family = get(r.msgs[0], CTRL_ATTR_FAMILY_ID, "H")

    def close(self):
        self.sk.close()

    def send(self, cmd, payload=b"", flags=NLM_F_REQUEST | NLM_F_ACK, version=1):
        self.seq += 1
        body = struct.pack("=BBH", cmd, version, 0) + payload
        req = struct.pack("=IHHII", 16 + len(body), self.family, flags, self.seq, 0) + body
        self.sk.send(req)
        return req

    def _error(self, r, req, data, flags):
        """NLMSG_ERROR body: errno, the request (unless capped), extack TLVs."""
        r.errno = -struct.unpack_from("=i", data)[0]
        skip = 4 + (16 if flags & NLM_F_CAPPED else _align(struct.unpack_from("=I", data, 4)[0]))
        if flags & NLM_F_ACK_TLVS:
            self._extack(r, req, data[skip:])

    def _extack(self, r, req, tlvs):
        tl = parse(tlvs)
        m = get(tl, NLMSGERR_ATTR_MSG)
        r.msg = m.rstrip(b"\0").decode(errors="replace") if m else None
        r.offset = get(tl, NLMSGERR_ATTR_OFFS, "I")
        r.miss = get(tl, NLMSGERR_ATTR_MISS_TYPE, "I")
        if r.offset is not None and req:
            r.path = attr_path(req[20:], r.offset, 20)

    def receive(self, r, req, between=None):
        """Reads until the ack or NLMSG_DONE; between(r) runs after every
        recv() that did not end it, with r (r.recvs, r.msgs) so far."""
        while True:
            data, _, mflags, _ = self.sk.recvmsg(self.bufsize)
            if mflags & socket.MSG_TRUNC:
                raise OSError(_errno.EMSGSIZE, "netlink message truncated, buffer %d" % self.bufsize)
            r.recvs += 1
            off, done = 0, False
            while off + 16 <= len(data):
                n, t, flags, seq, _ = struct.unpack_from("=IHHII", data, off)
                body = data[off + 16:off + n]
                off += _align(n)
                if seq != self.seq:
                    continue
                r.intr |= bool(flags & NLM_F_DUMP_INTR)
                if t == NLMSG_ERROR:
                    self._error(r, req, body, flags)
                    done = True
                elif t == NLMSG_DONE:
                    r.errno = -struct.unpack_from("=i", body)[0] if len(body) >= 4 else 0
                    if flags & NLM_F_ACK_TLVS:
                        self._extack(r, req, body[4:])
                    done = True
                else:
                    r.msgs.append(parse(body[4:]))
                    if not flags & NLM_F_MULTI and not r.want_ack:
                        done = True
            if done:
                return r
            if between:
                between(r)

    def request(self, cmd, payload=b"", flags=NLM_F_REQUEST | NLM_F_ACK, version=1):
        r = Reply(bool(flags & NLM_F_ACK))
        return self.receive(r, self.send(cmd, payload, flags, version))

    def dump(self, cmd, payload=b"", between=None):
        """A dump; between(r) runs after each recv() but the last, e.g. to
        change the state mid-dump from another socket."""
        r = Reply(False)
        return self.receive(r, self.send(cmd, payload, NLM_F_REQUEST | NLM_F_DUMP), between)

    # ---- conveniences ----

    def generation(self):
        r = self.request(CMD_STATS_GET)
        if r.errno:
            raise OSError(r.errno, "stats: %s" % r.msg)
        return get(r.msgs[0], A_GENERATION, "I")

    def state(self):
        """Everything a bad request must not change: generation, rules, devices."""
        rules = self.dump(CMD_RULE_GET)
        devs = self.dump(CMD_DEV_GET)
        if rules.errno or devs.errno:
            raise OSError(rules.errno or devs.errno, "dump failed")
        strip = lambda m: [(t, p) for t, p in m if t != A_GENERATION]
        return (self.generation(), [strip(m) for m in rules.msgs], [strip(m) for m in devs.msgs])
