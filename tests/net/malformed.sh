#!/bin/bash
# malformed.sh: malformed IPv4/IPv6 packets (craft.py: short headers,
# version mismatch, ihl < 5, lengths past the frame, options past the end,
# TCP doff < 5, cut TCP/UDP headers, broken IPv6 extension header chains)
# and valid fragments, sent N of a kind at a time into a veth whose peer
# (in the "router" netns r) is attached.  For every kind, exactly:
#   - N under its reason in `ncnat -j stats` (a malformed kind) or under
#     none (valid packets and fragments), nothing under any other reason;
#   - N seen and N passed in `ncnat -j dev list`, none dropped;
#   - N more packets received by r's IP layer (/proc/net/snmp{,6}
#     InReceives): passed on untouched, the stack drops them itself.
# Then again with a rule "proto udp drop": what could not be parsed is
# still passed (never matched), while valid UDP packets and fragments are
# dropped and counted under rule-drop.  No kernel splat (run.sh checks).
. "$(dirname "$0")/lib.sh"
nc_require

ns_add a r
# The sender stays silent (no IPv6, no IPv4 address): r's hook sees only
# the crafted frames, so the counts are exact.
no_ipv6 a
veth a v0 - r v0 10.0.0.1/24
addr r v0 fd00::1/64
ncnat r dev attach v0
nsbg r sleep 600		# its /proc/PID/net is r's
RPID=$! RMAC=$(nsx r cat /sys/class/net/v0/address)

# One line per check from python: ok|bad <TAB> name <TAB> detail
out=$(RPID=$RPID RMAC=$RMAC RNS=$(ns r) NCNAT_BIN=$NCNAT_BIN nsx a python3 - <<'EOF'
import json, os, subprocess, sys
sys.path.insert(0, os.environ["NC_TOP"] + "/tests/net")
import craft

N = 5
NC = [os.environ["NCNAT_BIN"], "-n", os.environ["RNS"], "-j"]
MAC = craft.mac(os.environ["RMAC"])


def ncnat(*args):
    return json.loads(subprocess.run(NC + list(args), check=True, capture_output=True,
                                     text=True).stdout)


def snmp(name, key):
    with open("/proc/%s/net/%s" % (os.environ["RPID"], name)) as f:
        lines = [l.split() for l in f]
    if name == "snmp6":
        return int(dict(l for l in lines if len(l) == 2)[key])
    head, vals = [l for l in lines if l[0] == "Ip:"][:2]
    return int(vals[head.index(key)])


def snap():
    st = ncnat("stats")
    dev = [d for d in ncnat("dev", "list") if d["ifname"] == "v0"][0]
    rules = ncnat("rule", "list")
    s = {"reason " + k: v for k, v in st["drops"].items()}
    s.update({k: dev[k] for k in ("seen", "passed", "dropped", "matched")})
    s["rule packets"] = sum(r["packets"] for r in rules)
    s["IPv4 InReceives"] = snmp("snmp", "InReceives")
    s["IPv6 InReceives"] = snmp("snmp6", "Ip6InReceives")
    return s


def report(ok, name, detail=""):
    print("%s\t%s\t%s" % ("ok" if ok else "bad", name, " ".join(str(detail).split())), flush=True)


def run(kind, dropping):
    """Send N of kind; compare every counter's change with what it should be."""
    _, pkt, proto, reason = craft.KINDS[kind]
    fam = "IPv4" if kind.startswith("v4") else "IPv6"
    dropped = dropping and reason == "-" and proto == "udp"
    want = {"seen": N, "matched": N if dropped else 0,
            "passed": 0 if dropped else N, "dropped": N if dropped else 0,
            "rule packets": N if dropped else 0,
            "IPv4 InReceives": 0, "IPv6 InReceives": 0}
    if not dropped:
        want[fam + " InReceives"] = N
    before = snap()
    for r in (k for k in before if k.startswith("reason ")):
        want[r] = N if r == "reason " + (reason if not dropped else "rule-drop") else 0
    craft.send("v0", MAC, N, [kind])
    for _ in range(200):	# the packets cross a backlog queue: bounded wait
        after = snap()
        if after["seen"] - before["seen"] >= N:
            break
    got = {k: after[k] - before[k] for k in want}
    wrong = ["%s %+d (want %+d)" % (k, got[k], want[k]) for k in want if got[k] != want[k]]
    what = "dropped by the rule" if dropped else \
        "passed, counted under " + (reason if reason != "-" else "no reason")
    report(not wrong, "%s%s: %s" % (kind, " (proto udp drop rule)" if dropping else "", what),
           "; ".join(wrong) or "")


for kind in craft.KINDS:
    run(kind, False)
subprocess.run(NC[:-1] + ["rule", "add", "proto", "udp", "drop"], check=True, capture_output=True)
for kind in craft.KINDS:
    run(kind, True)
EOF
) || out="$out
bad	python part ran to the end	exit status $?"
while IFS=$'\t' read -r res name why; do
	if [ "$res" = ok ]; then pass "$name"; else fail "$name"; echo "    $why"; fi
done <<<"$out"

nc_done
