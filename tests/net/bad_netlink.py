#!/usr/bin/env python3
"""Python half of bad_netlink.sh: malformed and invalid netchannel requests.

Run inside the test netns, where device ATT is attached and OTHER is not,
with a few rules in place.  For every case: the request must fail with the
expected errno, an extack report (a message, or the missing attribute's
type), the extack offset must point at the attribute to blame (when the
case names one), and the state (generation, rules with their counters,
devices) must be exactly what it was.  Output: one line per case,
"ok<TAB>NAME" or "bad<TAB>NAME<TAB>WHY", for the shell to count.

usage: bad_netlink.py ATT OTHER
"""
import errno as E
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import ncgenl as g  # noqa: E402

att = socket.if_nametoindex(sys.argv[1])
other = socket.if_nametoindex(sys.argv[2])
lo = socket.if_nametoindex("lo")
NOSUCHDEV = 999999
AF_INET, AF_INET6 = 2, 10
V4 = socket.inet_pton(socket.AF_INET, "10.1.0.0")
V6 = socket.inet_pton(socket.AF_INET6, "fd00:1::")

R, RS = g.A_RULE, g.A_RULESET
drop = g.u32(g.R_VERDICT, g.VERDICT_DROP)


def rule(*attrs):
    return g.nest(R, *attrs)


def good(n):
    """A valid rule, distinct per n."""
    return rule(g.u32(g.R_PRIO, 1000 + n), g.u8(g.R_PROTO, 17), g.u16(g.R_DPORT_MIN, 4000 + n), drop)


# 292 rules of 30 x 30 port blocks each pass 2^18 classifier entries
wide = rule(g.u8(g.R_PROTO, 6), g.u16(g.R_SPORT_MIN, 1), g.u16(g.R_SPORT_MAX, 65534),
            g.u16(g.R_DPORT_MIN, 1), g.u16(g.R_DPORT_MAX, 65534), drop)

# (name, cmd, payload, errno, path of the blamed attribute or None, miss_type)
# Policy failures get the netlink core's errno: EINVAL for unknown types and
# bad lengths of fixed-size types, ERANGE for values and sizes out of range.
CASES = [
    # unknown and unexpected attributes
    ("unknown top-level attr", g.CMD_RULE_ADD, rule(drop) + g.u32(42, 1), E.EINVAL, [42], None),
    ("top-level attr the op does not take", g.CMD_RULE_ADD, rule(drop) + g.u32(g.A_IFINDEX, att), E.EINVAL, [g.A_IFINDEX], None),
    ("unknown attr in rule nest", g.CMD_RULE_ADD, rule(drop, g.u32(30, 1)), E.EINVAL, [R, 30], None),
    ("OIF of an unknown device", g.CMD_RULE_ADD, rule(drop, g.u32(g.R_OIF, 999999)), E.ENODEV, [R, g.R_OIF], None),
    ("HANDLE in add", g.CMD_RULE_ADD, rule(g.u32(g.R_HANDLE, 1), drop), E.EINVAL, [R, g.R_HANDLE], None),
    ("PACKETS in add", g.CMD_RULE_ADD, rule(g.u64(g.R_PACKETS, 1), drop), E.EINVAL, [R, g.R_PACKETS], None),
    ("BYTES in add", g.CMD_RULE_ADD, rule(g.u64(g.R_BYTES, 1), drop), E.EINVAL, [R, g.R_BYTES], None),
    ("flush with an attribute", g.CMD_RULE_FLUSH, g.u32(g.A_IFINDEX, att), E.EINVAL, [g.A_IFINDEX], None),
    ("stats with an attribute", g.CMD_STATS_GET, g.u32(g.A_GENERATION, 1), E.EINVAL, [g.A_GENERATION], None),
    # wrong payload lengths
    ("u32 prio with 2 bytes", g.CMD_RULE_ADD, rule(g.attr(g.R_PRIO, b"\1\0"), drop), E.EINVAL, [R, g.R_PRIO], None),
    ("u32 verdict with 8 bytes", g.CMD_RULE_ADD, rule(g.u64(g.R_VERDICT, 2)), E.EINVAL, [R, g.R_VERDICT], None),
    ("u8 family with 4 bytes", g.CMD_RULE_ADD, rule(g.u32(g.R_FAMILY, AF_INET), drop), E.EINVAL, [R, g.R_FAMILY], None),
    ("u32 ifindex with 2 bytes", g.CMD_DEV_ATTACH, g.attr(g.A_IFINDEX, struct.pack("=H", other)), E.EINVAL, [g.A_IFINDEX], None),
    ("address of 5 bytes", g.CMD_RULE_ADD, rule(g.u8(g.R_FAMILY, AF_INET), g.attr(g.R_SADDR, V4 + b"\0"), drop), E.EINVAL, [R, g.R_SADDR], None),
    ("address of 3 bytes", g.CMD_RULE_ADD, rule(g.u8(g.R_FAMILY, AF_INET), g.attr(g.R_SADDR, V4[:3]), drop), E.ERANGE, [R, g.R_SADDR], None),
    ("IPv4 family, 16-byte address", g.CMD_RULE_ADD, rule(g.u8(g.R_FAMILY, AF_INET), g.attr(g.R_DADDR, V6), drop), E.EINVAL, [R, g.R_DADDR], None),
    ("IPv6 family, 4-byte address", g.CMD_RULE_ADD, rule(g.u8(g.R_FAMILY, AF_INET6), g.attr(g.R_SADDR, V4), drop), E.EINVAL, [R, g.R_SADDR], None),
    # values out of range
    ("IPv4 prefix length 33", g.CMD_RULE_ADD, rule(g.u8(g.R_FAMILY, AF_INET), g.attr(g.R_SADDR, V4), g.u8(g.R_SADDR_LEN, 33), drop), E.EINVAL, [R, g.R_SADDR_LEN], None),
    ("IPv6 prefix length 129", g.CMD_RULE_ADD, rule(g.u8(g.R_FAMILY, AF_INET6), g.attr(g.R_DADDR, V6), g.u8(g.R_DADDR_LEN, 129), drop), E.ERANGE, [R, g.R_DADDR_LEN], None),
    ("prefix length without address", g.CMD_RULE_ADD, rule(g.u8(g.R_FAMILY, AF_INET), g.u8(g.R_DADDR_LEN, 8), drop), E.EINVAL, [R, g.R_DADDR_LEN], None),
    ("host bits beyond the prefix", g.CMD_RULE_ADD, rule(g.u8(g.R_FAMILY, AF_INET), g.attr(g.R_SADDR, socket.inet_aton("10.0.0.1")), g.u8(g.R_SADDR_LEN, 8), drop), E.EINVAL, [R, g.R_SADDR], None),
    ("address without family", g.CMD_RULE_ADD, rule(g.attr(g.R_SADDR, V4), drop), E.EINVAL, [R, g.R_SADDR], None),
    ("family 7", g.CMD_RULE_ADD, rule(g.u8(g.R_FAMILY, 7), drop), E.EINVAL, [R, g.R_FAMILY], None),
    ("sport range min > max", g.CMD_RULE_ADD, rule(g.u8(g.R_PROTO, 17), g.u16(g.R_SPORT_MIN, 10), g.u16(g.R_SPORT_MAX, 5), drop), E.EINVAL, [R, g.R_SPORT_MAX], None),
    ("dport range min > max", g.CMD_RULE_ADD, rule(g.u16(g.R_DPORT_MIN, 65535), g.u16(g.R_DPORT_MAX, 0), drop), E.EINVAL, [R, g.R_DPORT_MAX], None),
    ("port max without min", g.CMD_RULE_ADD, rule(g.u16(g.R_DPORT_MAX, 80), drop), E.EINVAL, [R, g.R_DPORT_MAX], None),
    ("ports on icmp", g.CMD_RULE_ADD, rule(g.u8(g.R_PROTO, 1), g.u16(g.R_DPORT_MIN, 80), drop), E.EINVAL, [R, g.R_PROTO], None),
    ("iif 0", g.CMD_RULE_ADD, rule(g.u32(g.R_IIF, 0), drop), E.ERANGE, [R, g.R_IIF], None),
    # devices
    ("attach unknown ifindex", g.CMD_DEV_ATTACH, g.u32(g.A_IFINDEX, NOSUCHDEV), E.ENODEV, [g.A_IFINDEX], None),
    ("detach unknown ifindex", g.CMD_DEV_DETACH, g.u32(g.A_IFINDEX, NOSUCHDEV), E.ENODEV, [g.A_IFINDEX], None),
    ("attach ifindex 0", g.CMD_DEV_ATTACH, g.u32(g.A_IFINDEX, 0), E.ERANGE, [g.A_IFINDEX], None),
    ("attach without ifindex", g.CMD_DEV_ATTACH, b"", E.EINVAL, None, g.A_IFINDEX),
    ("attach loopback", g.CMD_DEV_ATTACH, g.u32(g.A_IFINDEX, lo), E.EOPNOTSUPP, None, None),
    ("attach twice", g.CMD_DEV_ATTACH, g.u32(g.A_IFINDEX, att), E.EEXIST, None, None),
    ("detach a device not attached", g.CMD_DEV_DETACH, g.u32(g.A_IFINDEX, other), E.ENOENT, None, None),
    ("iif unknown ifindex", g.CMD_RULE_ADD, rule(g.u32(g.R_IIF, NOSUCHDEV), drop), E.ENODEV, [R, g.R_IIF], None),
    # verdicts
    ("missing verdict", g.CMD_RULE_ADD, rule(g.u8(g.R_PROTO, 6)), E.EINVAL, None, None),
    ("empty rule", g.CMD_RULE_ADD, rule(), E.EINVAL, None, None),
    ("unknown verdict 7", g.CMD_RULE_ADD, rule(g.u32(g.R_VERDICT, 7)), E.EOPNOTSUPP, [R, g.R_VERDICT], None),
    ("verdict 0", g.CMD_RULE_ADD, rule(g.u32(g.R_VERDICT, 0)), E.EOPNOTSUPP, [R, g.R_VERDICT], None),
    ("consumer verdict, no consumer", g.CMD_RULE_ADD, rule(g.u32(g.R_VERDICT, 99)), E.EOPNOTSUPP, [R, g.R_VERDICT], None),
    ("add without RULE", g.CMD_RULE_ADD, b"", E.EINVAL, None, R),
    # delete
    ("del unknown handle", g.CMD_RULE_DEL, rule(g.u32(g.R_HANDLE, 0x7fffffff)), E.ENOENT, None, None),
    ("del handle 0", g.CMD_RULE_DEL, rule(g.u32(g.R_HANDLE, 0)), E.ERANGE, [R, g.R_HANDLE], None),
    ("del without handle", g.CMD_RULE_DEL, rule(), E.EINVAL, None, None),
    ("del by match", g.CMD_RULE_DEL, rule(g.u32(g.R_HANDLE, 1), g.u8(g.R_PROTO, 6)), E.EINVAL, [R, g.R_PROTO], None),
    ("del without RULE", g.CMD_RULE_DEL, b"", E.EINVAL, None, R),
    # broken nesting and lengths
    ("rule nest without NLA_F_NESTED", g.CMD_RULE_ADD, g.nest(R, drop, flag=0), E.EINVAL, [R], None),
    ("rule nest holding 3 garbage bytes", g.CMD_RULE_ADD, g.attr(R | g.NLA_F_NESTED, b"\xff\xff\xff"), E.ERANGE, None, None),
    ("inner attr longer than its nest", g.CMD_RULE_ADD, rule(g.attr(g.R_VERDICT, struct.pack("=I", 2), nla_len=64)), E.EINVAL, None, None),
    ("top attr longer than the message", g.CMD_RULE_ADD, g.attr(R | g.NLA_F_NESTED, drop, nla_len=200), E.EINVAL, None, None),
    ("attr with nla_len 2", g.CMD_RULE_ADD, rule(drop) + g.attr(g.A_RULE, b"", nla_len=2), E.EINVAL, None, None),
    ("rule dump with an attribute", g.CMD_RULE_GET, g.u32(g.A_GENERATION, 1), E.EINVAL, [g.A_GENERATION], None),
    # whole-ruleset replace
    ("replace: 3rd rule unknown verdict", g.CMD_RULESET_REPLACE,
     g.nest(RS, good(1), good(2), rule(g.u32(g.R_VERDICT, 9)), good(4)), E.EOPNOTSUPP, [RS, R, g.R_VERDICT], None),
    ("replace: 3rd rule unknown iif", g.CMD_RULESET_REPLACE,
     g.nest(RS, good(1), good(2), rule(g.u32(g.R_IIF, NOSUCHDEV), drop)), E.ENODEV, [RS, R, g.R_IIF], None),
    ("replace: 3rd rule prefix 33", g.CMD_RULESET_REPLACE,
     g.nest(RS, good(1), good(2), rule(g.u8(g.R_FAMILY, AF_INET), g.attr(g.R_SADDR, V4), g.u8(g.R_SADDR_LEN, 33), drop)),
     E.EINVAL, [RS, R, g.R_SADDR_LEN], None),
    ("replace: 3rd rule has a handle", g.CMD_RULESET_REPLACE,
     g.nest(RS, good(1), good(2), rule(g.u32(g.R_HANDLE, 5), drop)), E.EINVAL, [RS, R, g.R_HANDLE], None),
    ("replace: 3rd rule unknown attr", g.CMD_RULESET_REPLACE,
     g.nest(RS, good(1), good(2), rule(drop, g.u32(31, 0))), E.EINVAL, [RS, R, 31], None),
    ("replace: empty non-rule attr", g.CMD_RULESET_REPLACE,
     g.nest(RS, good(1), good(2), g.nest(g.A_IFINDEX)), E.EINVAL, [RS, g.A_IFINDEX], None),
    ("replace: non-rule attr with payload", g.CMD_RULESET_REPLACE,
     g.nest(RS, good(1), g.nest(g.A_STATS, g.u32(g.R_PRIO, 1))), E.EINVAL, [RS, g.A_STATS], None),
    ("replace without RULESET", g.CMD_RULESET_REPLACE, b"", E.EINVAL, None, RS),
    ("replace: ports expand past the classifier limit", g.CMD_RULESET_REPLACE,
     g.nest(RS, *[wide] * 300), E.E2BIG, None, None),
]


def main():
    s = g.Genl()
    for name, cmd, payload, want, path, miss in CASES:
        before = s.state()
        r = s.dump(cmd, payload) if cmd == g.CMD_RULE_GET else s.request(cmd, payload)
        after = s.state()
        why = []
        if r.errno != want:
            why.append("errno %s, want %s" % (E.errorcode.get(r.errno, r.errno), E.errorcode[want]))
        if not r.msg and r.miss is None:
            why.append("no extack message")
        if miss is not None and r.miss != miss:
            why.append("missing-attribute type %s, want %s" % (r.miss, miss))
        if path is not None and r.path != path:
            why.append("extack blames attribute %s, want %s" % (r.path, path))
        if after != before:
            why.append("state changed (generation %d -> %d)" % (before[0], after[0]))
        print("%s\t%s\t%s" % ("bad" if why else "ok", name, "; ".join(why) + " [%r]" % r), flush=True)


main()
