#!/bin/bash
# replace_atomic.sh: `ncnat load` replaces the whole ruleset atomically,
# under traffic, and a rejected load changes nothing.
#
#   c v0 ---- c r s0 ---- v0 s      (netchannel on r's c, ingress)
#
# Under traffic: c sends three UDP streams (v4 and v6) to s while r flips
# between rulesets A and B.  Each ruleset decides every stream packet, by
# different rules (A by destination port, B by source port):
#   X  7100 -> 7000   A: drop     B: drop
#   Y  7101 -> 7001   A: accept   B: accept
#   Z  7102 -> 7002   A: drop     B: accept
# A packet that met no complete ruleset (no classifier, or one missing
# rules) is not matched, or gets the wrong fate.  So, exactly: every packet
# sent was seen and matched; no X packet reached s, every Y packet did; the
# Z packets s got are the Z packets passed; drops (device and rule-drop
# reason) are X plus the Z packets s did not get.  Each ruleset loaded
# decides Z packets before the next flip, so both fates really happen.
#
# Rejected loads (a bad line, an unknown device, a ruleset the kernel
# refuses) leave the ruleset, its counters and the generation as they were,
# and the old rules go on counting.
. "$(dirname "$0")/lib.sh"

FLIPS=${NC_FLIPS:-20}
NC_TMP=$(mktemp -d)
trap 'nc_cleanup; rm -rf "$NC_TMP"' EXIT

# ---- python helpers, driven over FIFOs ----
# send: "burst SPORT DPORT COUNT" (COUNT datagrams v4 and COUNT v6);
#       "stream STOPFILE": rounds of one datagram per stream and family
#       until STOPFILE exists; answers "sent ROUNDS".
# recv: counts datagrams per port on dual-stack sockets; "count" answers
#       "PORT=N ..." after reading everything queued.
NC_PY='
import os, select, socket, sys, time
mode, fi, fo = sys.argv[1], open(sys.argv[2]), open(sys.argv[3], "w")
A4, A6 = ("10.1.0.2", "10.2.0.2"), ("fd01::2", "fd02::2")
STREAMS = ((7100, 7000), (7101, 7001), (7102, 7002))
def sock(fam, sport):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(((A4 if fam == socket.AF_INET else A6)[0], sport))
    return s
def answer(t):
    fo.write(t + "\n")
    fo.flush()
if mode == "send":
    socks = {(sp, f): sock(f, sp) for sp, dp in STREAMS
             for f in (socket.AF_INET, socket.AF_INET6)}
    def tx(sp, dp, f):
        socks[sp, f].sendto(b"s" * 16, ((A4 if f == socket.AF_INET else A6)[1], dp))
    answer("ready")
    while True:
        w = fi.readline().split()
        if not w:
            break
        if w[0] == "burst":
            for i in range(int(w[3])):
                for f in (socket.AF_INET, socket.AF_INET6):
                    tx(int(w[1]), int(w[2]), f)
            answer("ok")
        elif w[0] == "stream":
            n = 0
            while not os.path.exists(w[1]):
                for sp, dp in STREAMS:
                    for f in (socket.AF_INET, socket.AF_INET6):
                        tx(sp, dp, f)
                n += 1
                time.sleep(0.002)
            answer("sent %d" % n)
else:
    socks = {}
    for p in map(int, sys.argv[4:]):
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_RCVBUFFORCE", 33), 1 << 24)
        s.bind(("::", p))
        s.setblocking(False)
        socks[s] = p
    count = dict.fromkeys(socks.values(), 0)
    def drain(s):
        while True:
            try:
                s.recv(2048)
            except BlockingIOError:
                return
            count[socks[s]] += 1
    answer("ready")
    while True:
        for s in select.select([fi] + list(socks), [], [])[0]:
            if s is not fi:
                drain(s)
            elif fi.readline().strip() == "count":
                for t in socks:
                    drain(t)
                answer(" ".join("%d=%d" % (p, count[p]) for p in sorted(count)))
'
# helper NAME NS MODE ARGS...: start one; ask NAME LINE: its answer
declare -A TXFD=() RXFD=()
helper() {
	local name=$1 n=$2 fd ans
	shift 2
	mkfifo "$NC_TMP/$name.in" "$NC_TMP/$name.out"
	exec {fd}<>"$NC_TMP/$name.in"
	TXFD[$name]=$fd
	exec {fd}<>"$NC_TMP/$name.out"
	RXFD[$name]=$fd
	nsbg "$n" python3 -c "$NC_PY" "$1" "$NC_TMP/$name.in" "$NC_TMP/$name.out" "${@:2}"
	HPID[$name]=$!
	read -r -t $((NC_WAIT_S * 6)) -u "${RXFD[$name]}" ans || ans="no answer"
	[ "$ans" = ready ] || { fail "$name started: $ans"; nc_done; }
}
declare -A HPID=()
ask() {
	local ans
	echo "$2" >&"${TXFD[$1]}"
	read -r -t "$((NC_WAIT_S * 3))" -u "${RXFD[$1]}" ans || ans="no answer"
	echo "$ans"
}

# ---- counters ----
# dev NS DEV FIELD: a device counter from `dev list`
dev() {
	local w i
	while read -r -a w; do
		[ "${w[0]:-}" = "$2" ] || continue
		for ((i = 1; i + 1 < ${#w[@]}; i += 2)); do
			if [ "${w[i]}" = "$3" ]; then echo "${w[i + 1]}"; fi
		done
	done <<<"$(ncnat "$1" dev list)"
}
# reason NS NAME: a drop reason counter
reason() { ncnat "$1" stats | awk -v r="$2" '$1 == "reason" && $2 == r { print $3 }'; }
generation() { ncnat "$1" stats | awk '$1 == "generation" { print $2 }'; }
# rule_pkts NS WORDS: packets of the rule whose line contains WORDS
rule_pkts() {
	ncnat "$1" rule list | awk -v m=" $2 " 'index($0 " ", m) {
		for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}
# rule_counts NS: "packets/bytes" of every rule, in list order
rule_counts() {
	ncnat "$1" rule list | awk '{ for (i = 1; i < NF; i++) if ($i == "packets") printf "%s/%s ", $(i + 1), $(i + 3) } END { print "" }'
}
# udp_in: UDP datagrams s received, v4 + v6 (from the receiver's netns)
udp_in() {
	local p=/proc/${HPID[recv]}/net
	awk '/^Udp: [0-9]/ { n += $2 } /^Udp6InDatagrams/ { n += $2 } END { print n + 0 }' \
		"$p/snmp" "$p/snmp6"
}
# wait_some NS WORDS: until the rule with WORDS has counted a packet
wait_some() {
	local i
	for ((i = 0; i < NC_WAIT_S * 20; i++)); do
		[ "$(rule_pkts "$1" "$2")" = 0 ] || return 0
		sleep 0.05
	done
	return 1
}

nc_require
qns c r s
qline c r s
forwarding r
ncnat r dev attach c
helper recv s recv 7000 7001 7002
helper send c send

# two filler rules in each set: more shapes, never matched
cat >"$NC_TMP/A" <<EOF
# ruleset A: by destination port
rule add prio 10 proto udp dport 7000 drop
rule add prio 10 proto udp dport 7001 accept
rule add prio 10 proto udp dport 7002 drop
rule add prio 50 family ip saddr 192.0.2.0/24 drop
rule add prio 50 proto tcp dport 1-1000 drop
EOF
cat >"$NC_TMP/B" <<EOF
# ruleset B: by source port
rule add prio 20 proto udp sport 7100 drop
rule add prio 20 proto udp sport 7101 accept
rule add prio 20 proto udp sport 7102 accept
rule add prio 5 family ip6 saddr 2001:db8::/32 drop
rule add prio 5 proto tcp sport 1-1000 accept
EOF

# ---- flips under traffic ----
ncnat r load "$NC_TMP/A"
echo "stream $NC_TMP/stop" >&"${TXFD[send]}"
loads=0 bad=0
for ((i = 0; i < FLIPS; i++)); do
	if [ $((i % 2)) = 0 ]; then set -- B "sport 7102"; else set -- A "dport 7002"; fi
	if ncnat r load "$NC_TMP/$1"; then loads=$((loads + 1)); else bad=$((bad + 1)); fi
	# back to back, then wait until this ruleset has decided a Z packet
	if [ $((i % 4)) = 3 ]; then continue; fi
	wait_some r "$2" || { bad=$((bad + 1)); echo "no Z packet decided by $1 (flip $i)"; }
done
touch "$NC_TMP/stop"
read -r -t "$((NC_WAIT_S * 3))" -u "${RXFD[send]}" ans || ans="no answer"
check_eq "every load under traffic succeeded" "$FLIPS 0" echo "$loads $bad"
rounds=${ans#sent }
check "stream ran" test "$rounds" -gt 0
sent=$((rounds * 6))	# 3 streams, v4 and v6

check_eq "every packet seen" "$sent" waitfor "$sent" dev r c seen
check_eq "every packet matched" "$sent" dev r c matched
passed=$(dev r c passed) dropped=$(dev r c dropped)
check_eq "passed + dropped = seen" "$sent" echo $((passed + dropped))
check_eq "s received what was passed" "$passed" waitfor "$passed" udp_in
got=$(ask recv count)
read -r x y z <<<"$got"
x=${x#7000=} y=${y#7001=} z=${z#7002=}
check_eq "no X packet passed" 0 echo "$x"
check_eq "every Y packet passed" $((rounds * 2)) echo "$y"
check "Z packets both dropped and passed" test "$z" -gt 0 -a "$z" -lt $((rounds * 2))
check_eq "passed = Y + Z passed" "$passed" echo $((y + z))
check_eq "dropped = X + Z dropped" "$dropped" echo $((rounds * 2 + rounds * 2 - z))
check_eq "rule-drop reason = dropped" "$dropped" reason r rule-drop
echo "# $rounds rounds, $sent packets, $loads loads; Z: $z of $((rounds * 2)) passed"

# ---- exact counters of a fresh ruleset ----
ncnat r load "$NC_TMP/A"
check_eq "loaded rules count from zero" "0/0 0/0 0/0 0/0 0/0 " rule_counts r
check_eq "send X burst" ok ask send "burst 7100 7000 3"
check_eq "send Y burst" ok ask send "burst 7101 7001 2"
check_eq "send Z burst" ok ask send "burst 7102 7002 1"
# 16 bytes of payload: 44 (v4) and 64 (v6) bytes per packet
want="6/324 4/216 2/108 0/0 0/0 "
check_eq "fresh rule counters" "$want" waitfor "$want" rule_counts r

# ---- rejected loads change nothing ----
save=$(ncnat r save)
gen=$(generation r)
cat >"$NC_TMP/bad-line" <<EOF
rule add proto udp dport 7000 accept
rule add proto udp dport 7001 frobnicate
EOF
cat >"$NC_TMP/bad-dev" <<EOF
rule add proto udp dport 7000 accept
rule add iif nosuch0 drop
EOF
# the CLI cannot see this one: 300 rules whose port ranges expand to more
# classifier entries than the kernel allows
for ((i = 0; i < 300; i++)); do
	echo "rule add prio $i proto udp sport 1-65534 dport 1-65534 accept"
done >"$NC_TMP/too-big"
for f in bad-line bad-dev too-big; do
	check_fails "load $f refused" ncnat r load "$NC_TMP/$f"
	check_eq "load $f: ruleset kept" "$save" ncnat r save
	check_eq "load $f: counters kept" "$want" rule_counts r
	check_eq "load $f: generation kept" "$gen" generation r
done
check "kernel says why" sh -c "'$NCNAT_BIN' -n '$(ns r)' load '$NC_TMP/too-big' 2>&1 | grep -q 'too many'"
check_eq "send Z burst again" ok ask send "burst 7102 7002 2"
want="6/324 4/216 6/324 0/0 0/0 "
check_eq "old rules go on counting" "$want" waitfor "$want" rule_counts r
check_eq "load from stdin" "" sh -c "'$NCNAT_BIN' -n '$(ns r)' load - <'$NC_TMP/B'"
check_eq "stdin load replaced" "0/0 0/0 0/0 0/0 0/0 " rule_counts r
nc_done
