#!/bin/bash
# dump_consistency.sh: a rule dump that spans many messages (300 rules
# read 4 KiB at a time) flags NLM_F_DUMP_INTR when the ruleset or the
# device list changes between two of its parts, whatever the change: add,
# delete before or after the reader's position, attach, detach, replace;
# also a flush or a shorter replace, which leave nothing past the position,
# so that the dump's last part is NLMSG_DONE alone, which must carry the
# flag.  An undisturbed dump does not.  The same for a device dump (100
# dummy devices).  Then the CLI: `ncnat -j rule list` run 50 times while
# another process keeps adding and deleting a rule always prints a
# complete, ordered, duplicate-free list (it retries interrupted dumps).
. "$(dirname "$0")/lib.sh"
nc_require

N=300
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; nc_cleanup' EXIT

ns_add a
nsx a ip link add d0 type dummy
# devices for a device dump of several parts
for i in $(seq 100); do echo "link add x$i type dummy"; done >"$tmp/links"
nsx a ip -batch "$tmp/links"

# N rules in an order that is not the handle order: prio = i*37 mod 50
for i in $(seq 0 $((N - 1))); do
	echo "rule add prio $((i * 37 % 50)) proto udp dport $((1000 + i)) drop"
done >"$tmp/rules"
ncnat a load "$tmp/rules"
check_eq "$N rules loaded" "$N" nc_stat a rules

# --- raw netlink: NLM_F_DUMP_INTR ---
# One line per check from python: ok|bad <TAB> name <TAB> detail
out=$(N=$N nsx a python3 - <<'EOF'
import os, socket, sys
sys.path.insert(0, os.environ["NC_TOP"] + "/tests/lib")
import ncgenl as g

N = int(os.environ["N"])
ed = g.Genl()			# the editor's socket
d0 = g.u32(g.A_IFINDEX, socket.if_nametoindex("d0"))


def rule(i, prio=None):
    return g.nest(g.A_RULE, g.u32(g.R_PRIO, i * 37 % 50 if prio is None else prio),
                  g.u8(g.R_PROTO, 17), g.u16(g.R_DPORT_MIN, 1000 + i),
                  g.u32(g.R_VERDICT, g.VERDICT_DROP))


def edit(cmd, payload=b""):
    r = ed.request(cmd, payload)
    if r.errno:
        raise OSError(r.errno, "edit %d: %s" % (cmd, r.msg))
    return r


def restore(n=N):
    edit(g.CMD_RULESET_REPLACE, g.nest(g.A_RULESET, *[rule(i) for i in range(n)]))


def rules(d):
    """[(prio, handle)] and the set of generations of a rule dump."""
    out, gens = [], set()
    for m in d.msgs:
        r = g.parse(g.get(m, g.A_RULE))
        out.append((g.get(r, g.R_PRIO, "I"), g.get(r, g.R_HANDLE, "I")))
        gens.add(g.get(m, g.A_GENERATION, "I"))
    return out, gens


def dump(between=None):
    s = g.Genl(bufsize=4096)	# fresh socket: small dump parts
    d = s.dump(g.CMD_RULE_GET, between=between)
    s.close()
    return d


def report(name, ok, detail):
    print("%s\t%s\t%s" % ("ok" if ok else "bad", name, " ".join(str(detail).split())), flush=True)


# An undisturbed dump: several parts, all rules, in order, one generation.
d = dump(lambda r: ed.request(g.CMD_STATS_GET))
got, gens = rules(d)
report("undisturbed dump spans several recv() calls", d.recvs >= 4, "%d recvs" % d.recvs)
report("undisturbed dump: no NLM_F_DUMP_INTR", not d.intr and not d.errno, repr(d))
report("undisturbed dump: %d rules, (prio, handle) ascending, one generation" % N,
       len(got) == N and all(a < b for a, b in zip(got, got[1:])) and len(gens) == 1,
       "%d rules, generations %s" % (len(got), sorted(gens)))

def delete(handle):
    edit(g.CMD_RULE_DEL, g.nest(g.A_RULE, g.u32(g.R_HANDLE, handle)))


# Each edit happens after the first recv(), while the dump is under way;
# it gets the (prio, handle) list as it was before the dump.
EDITS = [
    ("add a rule", lambda rl: edit(g.CMD_RULE_ADD, rule(N, prio=49))),
    ("delete a rule not yet dumped", lambda rl: delete(rl[-1][1])),
    ("delete a rule already dumped", lambda rl: delete(rl[0][1])),
    ("attach a device", lambda rl: edit(g.CMD_DEV_ATTACH, d0)),
    ("detach a device", lambda rl: edit(g.CMD_DEV_DETACH, d0)),
    ("replace with as many rules", lambda rl: restore()),
    ("replace with 10 rules", lambda rl: restore(10)),
    ("flush", lambda rl: edit(g.CMD_RULE_FLUSH)),
]
for name, fn in EDITS:
    restore()
    rl, _ = rules(dump())
    gen0 = ed.generation()
    d = dump(lambda r: fn(rl) if r.recvs == 1 else None)
    got, gens = rules(d)
    report("%s mid-dump: NLM_F_DUMP_INTR" % name, d.intr and ed.generation() != gen0,
           "%d rules in %d recvs, generations %s, %r" % (len(got), d.recvs, sorted(gens), d))
restore()

# The device dump, the same way: 100 devices attached.
xs = [g.u32(g.A_IFINDEX, socket.if_nametoindex("x%d" % i)) for i in range(1, 101)]
for x in xs:
    edit(g.CMD_DEV_ATTACH, x)
s = g.Genl(bufsize=4096)
d = s.dump(g.CMD_DEV_GET)
report("undisturbed device dump: 100 devices, several recv() calls, no NLM_F_DUMP_INTR",
       len(d.msgs) == 100 and d.recvs >= 3 and not d.intr, "%d devices, %r" % (len(d.msgs), d))
# (devices are dumped in attach order, so xs[i] is the i-th of the dump)
for name, fn in [("the last device", lambda r: edit(g.CMD_DEV_DETACH, xs[-1])),
                 ("every device not yet read", lambda r: [edit(g.CMD_DEV_DETACH, x)
                                                          for x in xs[len(r.msgs):]])]:
    for x in xs:
        ed.request(g.CMD_DEV_ATTACH, x)		# EEXIST for those attached
    s = g.Genl(bufsize=4096)
    d = s.dump(g.CMD_DEV_GET, between=lambda r: fn(r) if r.recvs == 1 else None)
    report("device dump, detach %s mid-dump: NLM_F_DUMP_INTR" % name, d.intr,
           "%d devices in %d recvs, %r" % (len(d.msgs), d.recvs, d))
EOF
) || out="$out
bad	python part ran to the end	exit status $?"
while IFS=$'\t' read -r res name why; do
	if [ "$res" = ok ]; then pass "$name"; else fail "$name"; echo "    $why"; fi
done <<<"$out"

# --- the CLI under concurrent edits ---
# The editor toggles one extra rule (prio 7, dport 9); a consistent list is
# the N base rules, with or without that one.
# (generation from the text output: python starts slowly in the VMs)
gen() { ncnat a stats | sed -n 's/^generation \([0-9]*\) .*/\1/p'; }
nsx a "$NCNAT_BIN" -j rule list >"$tmp/base.json"
gen0=$(gen)
# (python, not a shell loop of ncnat: process spawns would eat the CPU)
nsbg a python3 -c '
import sys, time
sys.path.insert(0, sys.argv[1])
import ncgenl as g
s, rule = g.Genl(), g.nest(g.A_RULE, g.u32(g.R_PRIO, 7), g.u8(g.R_PROTO, 17),
                           g.u16(g.R_DPORT_MIN, 9), g.u32(g.R_VERDICT, g.VERDICT_DROP))
while True:
    r = s.request(g.CMD_RULE_ADD, rule)
    h = g.get(g.parse(g.get(r.msgs[0], g.A_RULE)), g.R_HANDLE, "I")
    s.request(g.CMD_RULE_DEL, g.nest(g.A_RULE, g.u32(g.R_HANDLE, h)))
    time.sleep(0.05)' "$NC_TOP/tests/lib"
editor=$!
# start only once the editor is editing (bounded wait)
for _ in $(seq 200); do [ "$(gen)" != "$gen0" ] && break; done
for i in $(seq 50); do
	nsx a "$NCNAT_BIN" -j rule list >"$tmp/list.$i" 2>"$tmp/err.$i"
	echo $? >"$tmp/rc.$i"
done
gen1=$(gen)
kill "$editor"
wait "$editor" 2>/dev/null || true

check "edits happened during the 50 lists" test $((gen1 - gen0)) -ge 10
check "rule list under edits: 50 complete, ordered, duplicate-free lists" \
	python3 - "$tmp" <<'EOF'
import json, sys
d = sys.argv[1]
base = json.load(open(d + "/base.json"))
key = lambda r: (r["prio"], r["handle"])
want = {r["handle"]: key(r) for r in base}
bad, counts = [], {}
for i in range(1, 51):
    rc = open("%s/rc.%d" % (d, i)).read().strip()
    err = open("%s/err.%d" % (d, i)).read().strip()
    try:
        rules = json.load(open("%s/list.%d" % (d, i)))
    except ValueError as e:
        bad.append("run %d: exit %s, not JSON (%s) %s" % (i, rc, e, err))
        continue
    keys = [key(r) for r in rules]
    extra = [r for r in rules if r["handle"] not in want]
    have = {r["handle"]: key(r) for r in rules if r["handle"] in want}
    why = []
    if rc != "0":
        why.append("exit " + rc)
    if any(a >= b for a, b in zip(keys, keys[1:])):
        why.append("not in ascending (prio, handle) order or duplicates")
    if have != want:
        why.append("%d of %d base rules" % (len(have), len(want)))
    if len(extra) > 1 or any(r["prio"] != 7 or r.get("dport") != 9 for r in extra):
        why.append("unexpected rules %s" % extra)
    if why:
        bad.append("run %d: %s %s" % (i, "; ".join(why), err))
    counts[len(rules)] = counts.get(len(rules), 0) + 1
print("list lengths seen:", counts)
print("\n".join(bad))
sys.exit(1 if bad else 0)
EOF
nc_done
