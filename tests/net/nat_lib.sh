# tests/net/nat_lib.sh: the NAT scenarios' shared topology and helpers.
# Sourced after lib.sh by tests/net/nat_*.sh (not a scenario itself: the
# runner takes every *.sh, so this one only defines things and exits 0
# when run on its own).
#
#   h1 10.0.1.2 ─┐                      ┌─ s1 192.0.2.2
#   h2 10.0.1.3 ─┤ hub swi   r1   hub swo ├─ r2 192.0.2.254 ── s2 198.51.100.2
#                └── in0 10.0.1.1  out0 192.0.2.1 ┘   v1 198.51.100.1
#   MTU:   inside 9000          outside 1500          r2–s2 1280
#
# The test kernel has no bridge: a segment of more than two hosts is a
# "hub" namespace whose ports mirror every frame they receive to all the
# other ports (tc matchall + mirred), so hosts see frames addressed to
# others (as on a hub, or a switch flooding unknown unicast) and drop them.
# r1 attaches in0 and out0 (NAT sees received packets only).  Nothing
# else routes 10.0.1.0/24: inside hosts reach the outside only through
# translation.  IPv6 is off everywhere, so the counters see only what the
# test sends (no router solicitations, no MLD).

[ "${BASH_SOURCE[0]}" = "$0" ] && exit 0

NAT_TOOL="$NC_TOP/tests/net/nat_tool.py"
# Scenarios keep their files in /tmp/nat-*; in one QEMU boot /tmp is shared
# by all of them: start clean (a stale ready-file would skip a wait).
rm -rf /tmp/nat-*

# hub NS PORT...: connect PORTs (devices in NS) as one segment
hub() {
	local n=$1 p q args; shift
	for p in "$@"; do
		args=
		for q in "$@"; do
			[ "$p" = "$q" ] || args="$args action mirred egress mirror dev $q"
		done
		nsx "$n" tc qdisc add dev "$p" clsact
		# shellcheck disable=SC2086
		nsx "$n" tc filter add dev "$p" ingress matchall $args
	done
}

# mtu NS DEV MTU
mtu() { ip -n "$(ns "$1")" link set "$2" mtu "$3"; }

# nat_require: netchannel, the NAT family and the CLI, or one FAIL line
nat_require() {
	nc_require
	genl ctrl get name netchannel_nat >/dev/null 2>&1 ||
		{ fail "netchannel_nat genl family present"; nc_done; }
}

NAT_NSES="h1 h2 swi r1 swo s1 r2 s2"

# nat_topo: build the topology above; r1 attaches in0 and out0, no rules.
nat_topo() {
	ns_add $NAT_NSES
	no_ipv6 $NAT_NSES
	veth r1 in0 10.0.1.1/24 swi p0
	veth h1 v0 10.0.1.2/24 swi p1
	veth h2 v0 10.0.1.3/24 swi p2
	for p in p0 p1 p2; do mtu swi $p 9000; done
	mtu r1 in0 9000; mtu h1 v0 9000; mtu h2 v0 9000
	hub swi p0 p1 p2
	veth r1 out0 192.0.2.1/24 swo p0
	veth s1 v0 192.0.2.2/24 swo p1
	veth r2 v0 192.0.2.254/24 swo p2
	hub swo p0 p1 p2
	veth r2 v1 198.51.100.1/24 s2 v0 198.51.100.2/24
	mtu r2 v1 1280; mtu s2 v0 1280
	route h1 default via 10.0.1.1
	route h2 default via 10.0.1.1
	route r1 198.51.100.0/24 via 192.0.2.254
	route s1 default via 192.0.2.254
	route s2 default via 198.51.100.1
	forwarding r1
	forwarding r2
	ncnat r1 dev attach in0
	ncnat r1 dev attach out0
}

# wait_until SECONDS CMD...: poll CMD every 50 ms until it succeeds;
# fails after about SECONDS (a bound, never an assertion by itself).
wait_until() {
	local end=$((SECONDS + $1 + 1)); shift
	while [ "$SECONDS" -lt "$end" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	"$@" >/dev/null 2>&1
}
# settle SECONDS CMD...: wait_until as a statement of its own: a timeout
# is shown, and left to the checks that follow to fail (never set -e)
settle() { wait_until "$@" || echo "    (gave up after $1 s waiting for: ${*:2})"; }

# udp_echo NS LOG [SECONDS]: nat_tool.py's UDP echo on port 7000 in NS
# (output to LOG), in the background, and wait until it listens
udp_echo() {
	nsbg "$1" python3 "$NAT_TOOL" udp-echo 7000 >"$2"
	settle "${3:-5}" listening "$1" udp 7000
}

# upload LABEL NS ADDR PORT FILE: FILE from h1 to a TCP sink in NS at
# ADDR:PORT, compared byte for byte; the sink writes its peer to
# /tmp/nat-sink-PORT.log
upload() {
	local label=$1 n=$2 addr=$3 port=$4 file=$5 t=${6:-30}
	nsbg "$n" python3 "$NAT_TOOL" --timeout "$t" tcp-sink "$port" "/tmp/nat-up-$port" \
		--ready "/tmp/nat-ready-$port" >"/tmp/nat-sink-$port.log"
	settle 20 test -e "/tmp/nat-ready-$port"
	check_eq "$label: upload h1 -> $n" "sent" \
		tool h1 --timeout "$t" tcp-send "$addr" "$port" "$file"
	settle 10 grep -q . "/tmp/nat-sink-$port.log"
	check "$label: upload identical" cmp "$file" "/tmp/nat-up-$port"
}

# tool NS ARGS...: nat_tool.py in NS (nsenter: no /sys remount, cheaper)
tool() { local n=$1; shift; nsenter --net="/run/netns/$(ns "$n")" python3 "$NAT_TOOL" "$@"; }

# flows NS: one line per flow, sorted: "PROTO INSIDE OUTSIDE REMOTE"
flows() {
	ncnat "$1" -j flow list | python3 -c '
import json, sys
for f in sorted(json.load(sys.stdin), key=lambda f: (f["proto"], f["inside"], f["remote"])):
    print(f["proto"], f["inside"], f["outside"], f["remote"])'
}
# flowq NS PYEXPR FIELD...: FIELDs of each flow f for which the python
# expression PYEXPR holds, one line per flow, in `flows` order; a field
# "addr:inside" is the address part only.
flowq() {
	local n=$1 e=$2; shift 2
	ncnat "$n" -j flow list | python3 -c '
import json, sys
e = sys.argv[1]
for f in sorted(json.load(sys.stdin), key=lambda f: (f["proto"], f["inside"], f["remote"])):
    if eval(e, {}, {"f": f}):
        print(" ".join(str(f[k[5:]]).rsplit(":", 1)[0] if k.startswith("addr:") else str(f[k])
                       for k in sys.argv[2:]))' "$e" "$@"
}
# nflows NS: number of flows listed
nflows() { ncnat "$1" -j flow list | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'; }

# ctr NS NAME: one NAT counter (`timeout list` "reason NAME N" lines; awk
# is much cheaper than python in the VMs); ctr_snap NS saves them all,
# ctr_delta NS NAME prints NAME's change since, ctr_deltas NS NAME...
# "NAME=DELTA ..." for several.
ctr() { ncnat "$1" timeout list | awk -v n="$2" '$1 == "reason" && $2 == n { print $3 }'; }
ctr_snap() { ncnat "$1" timeout list >"/tmp/nat-ctr-$1.txt"; }
ctr_deltas() {
	local n=$1; shift
	ncnat "$n" timeout list | awk -v names="$*" '
		NR == FNR { if ($1 == "reason") old[$2] = $3; next }
		$1 == "reason" { now[$2] = $3 }
		END { k = split(names, w, " ")
			for (i = 1; i <= k; i++)
				printf "%s%s=%d", (i > 1 ? " " : ""), w[i], now[w[i]] - old[w[i]]
			print "" }' "/tmp/nat-ctr-$n.txt" -
}
ctr_delta() { ctr_deltas "$1" "$2" | cut -d= -f2; }
# ctr_is NS NAME DELTA: NAME moved by DELTA since ctr_snap (for wait_until)
ctr_is() { [ "$(ctr_delta "$1" "$2")" = "$3" ]; }
# csum_errors NS: every InCsumErrors of NS (Ip, Tcp, Udp, Icmp; snmp and
# netstat), "NAME=VALUE" for each that is not 0; empty output when clean.
csum_errors() {
	nsx "$1" cat /proc/net/snmp /proc/net/netstat | awk '
		$1 ~ /:$/ { if (hdr[$1] == "") { hdr[$1] = $0; next }
			n = split(hdr[$1], h); for (i = 2; i <= n; i++)
				if (h[i] ~ /CsumErrors/ && $i != 0) print $1 h[i] "=" $i }'
}
# check_csum NAME: no checksum error in any namespace of the topology
check_csum() {
	local n bad=
	for n in $NAT_NSES; do
		bad="$bad$(csum_errors "$n" | sed "s/^/$n:/" | tr '\n' ' ')"
	done
	check_eq "$1" "" echo -n "$bad"
}
