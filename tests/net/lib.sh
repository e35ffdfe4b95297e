# tests/net/lib.sh: helpers for the netns scenario tests, sourced by each
# tests/net/*.sh.  Scenarios run inside a VM (tests/uml/run.sh, or all of
# them in one QEMU boot); netchannel is built in (UML) or already loaded
# from build/modules/KVER (QEMU, by tests/lib/guest-init.sh).
#
# The contract with tests/run-all.sh:
#   - every check prints exactly one line "PASS: name" or "FAIL: name"
#     (use `check`/`check_eq`; names are short and unique within the script);
#     a check that cannot run in this lane prints "SKIP: name (why)" (`skip`),
#     which counts neither way;
#   - the script exits non-zero if any check failed (`nc_done` does that);
#   - a script that dies early (set -e) or exits non-zero without a FAIL
#     line counts as one failure, and so does a kernel splat in the boot.
#   - everything a script creates lives in namespaces made by `ns_add`,
#     removed on exit, so scripts can share one QEMU boot;
#   - every tests/net/*.sh except the sourced libraries, named *lib.sh (this
#     file, traffic_lib.sh, ...), is a scenario (helpers in other languages
#     are fine: only *.sh files are run).
#
# A scenario looks like:
#   . "$(dirname "$0")/lib.sh"
#   ns_add a b
#   veth a v0 10.0.0.1/24  b v0 10.0.0.2/24
#   check "ping a->b" nsx a ping -c1 -W2 10.0.0.2
#   nc_done
set -eu -o pipefail

NC_TOP=${NC_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
NCNAT_BIN=${NCNAT_BIN:-$NC_TOP/tools/ncnat/ncnat}
# Namespace names: unique per script run, so scenarios never collide.
NC_NS_PFX=${NC_NS_PFX:-nc$$-}
nc_passed=0
nc_failed=0
nc_namespaces=
nc_pids=
# NC_WAIT_S: seconds the waiting helpers wait at most (more under QEMU/TCG)
NC_WAIT_S=${NC_WAIT_S:-$([ "${NC_LANE:-}" = qemu ] && echo 20 || echo 5)}
nc_mac=0

# --- namespaces and links ---

# ns_add NAME...: create namespaces (lo up); refer to them by NAME below.
ns_add() {
	local n
	for n in "$@"; do
		ip netns add "$NC_NS_PFX$n"
		nc_namespaces="$nc_namespaces $n"
		ip -n "$NC_NS_PFX$n" link set lo up
	done
}
# no_ipv6 NS...: before any device exists there (no router solicitations,
# MLD reports or DAD probes to show up in packet counts)
no_ipv6() {
	local n
	for n in "$@"; do
		nsx "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1
	done
}
# ns NAME: the real netns name, for tools that take one (ip -n, nft, ...)
ns() { echo "$NC_NS_PFX$1"; }
# nsx NAME CMD...: run CMD in namespace NAME
nsx() { local n=$1; shift; ip netns exec "$NC_NS_PFX$n" "$@"; }
# nsbg NAME CMD...: run CMD in NAME in the background, killed at exit
nsbg() { local n=$1; shift; ip netns exec "$NC_NS_PFX$n" "$@" & nc_pids="$nc_pids $!"; }

# veth NS1 DEV1 ADDR1 NS2 DEV2 [ADDR2]: a veth pair between two namespaces,
# both ends up, with addresses (CIDR, v4 or v6; "-" for none).
veth() {
	local n1=$1 d1=$2 a1=$3 n2=$4 d2=$5 a2=${6:--}
	ip link add "nctmp$$" type veth peer name "nctmq$$"
	ip link set "nctmp$$" netns "$NC_NS_PFX$n1" name "$d1"
	ip link set "nctmq$$" netns "$NC_NS_PFX$n2" name "$d2"
	ip -n "$NC_NS_PFX$n1" link set "$d1" up
	ip -n "$NC_NS_PFX$n2" link set "$d2" up
	[ "$a1" = - ] || addr "$n1" "$d1" "$a1"
	[ "$a2" = - ] || addr "$n2" "$d2" "$a2"
}
# addr NS DEV CIDR: add an address (IPv6 without duplicate address detection)
addr() {
	case $3 in
	*:*) ip -n "$NC_NS_PFX$1" -6 addr add "$3" dev "$2" nodad ;;
	*) ip -n "$NC_NS_PFX$1" addr add "$3" dev "$2" ;;
	esac
}
# route NS ARGS...: ip route add ARGS in NS (ip -6 for v6 destinations)
route() {
	local n=$1; shift
	case $1 in
	*:*) ip -n "$NC_NS_PFX$n" -6 route add "$@" ;;
	*) ip -n "$NC_NS_PFX$n" route add "$@" ;;
	esac
}
# forwarding NS: make NS a router (v4 and v6)
forwarding() {
	nsx "$1" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
}
# ipb NS: `ip -batch` of stdin in NS
ipb() { ip -n "$(ns "$1")" -batch -; }

# --- quiet links ---
# Veth pairs that are NOARP with the same MAC on both ends (so no ARP/ND is
# needed), in namespaces whose new devices get no IPv6 link-local address,
# DAD or router solicitation: only the test's own packets cross them, so
# counters can be exact.

# qns NAME...: ns_add, and the namespaces' new devices stay silent
qns() {
	local n
	ns_add "$@"
	for n; do
		nsx "$n" sysctl -qw net.ipv6.conf.default.addr_gen_mode=1 \
			net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.default.router_solicitations=0
	done
}
# qveth NS1 DEV1 NS2 DEV2: a quiet veth pair, up
qveth() {
	local mac
	nc_mac=$((nc_mac + 1))
	mac=$(printf '02:6e:63:%02x:%02x:%02x' $(($$ % 256)) $((nc_mac / 256)) $((nc_mac % 256)))
	ip -n "$(ns "$1")" link add "$2" address "$mac" type veth \
		peer name "$4" address "$mac" netns "$(ns "$3")"
	ip -n "$(ns "$1")" link set "$2" arp off up
	ip -n "$(ns "$3")" link set "$4" arp off up
}
# qline C R S [4]: the line  C v0 ---- c R s0 ---- v0 S  of quiet links
# between namespaces made by qns: C 10.1.0.2/24 fd01::2/64 and S
# 10.2.0.2/24 fd02::2/64 route through R (10.1.0.1 fd01::1 on c, 10.2.0.1
# fd02::1 on s0).  With 4: the IPv4 addresses and routes only.  R does not
# forward yet (`forwarding R`).
qline() {
	local keep=.
	[ "${4:-}" != 4 ] || keep='^[^:]*$'	# no line with an IPv6 address
	qveth "$1" v0 "$2" c
	qveth "$2" s0 "$3" v0
	qline_host "$1" 1 "$keep"
	grep -e "$keep" <<-EOT | ipb "$2"
	addr add 10.1.0.1/24 dev c
	addr add fd01::1/64 dev c
	addr add 10.2.0.1/24 dev s0
	addr add fd02::1/64 dev s0
	EOT
	qline_host "$3" 2 "$keep"
}
# qline_host NS N KEEP: NS's v0 is .2 of 10.N.0.0/24 and fd0N::/64, its
# default routes via .1 (the lines of that batch matching KEEP)
qline_host() {
	grep -e "$3" <<-EOT | ipb "$1"
	addr add 10.$2.0.2/24 dev v0
	addr add fd0$2::2/64 dev v0
	route add default via 10.$2.0.1
	route add default via fd0$2::1
	EOT
}

# --- the CLI ---

# ncnat NS ARGS...: run the ncnat CLI in namespace NS (its -n option)
ncnat() { local n=$1; shift; "$NCNAT_BIN" -n "$NC_NS_PFX$n" "$@"; }
# nc_require: fail the script early, with one FAIL line, if netchannel or
# the CLI is missing (no module loaded, or the CLI not built).
nc_require() {
	[ -x "$NCNAT_BIN" ] || { fail "ncnat built ($NCNAT_BIN)"; nc_done; }
	genl ctrl get name netchannel >/dev/null 2>&1 ||
		{ fail "netchannel genl family present"; nc_done; }
}

# --- counters ---

# link_stat NS DEV FIELD: a device counter (rx_packets, tx_bytes, ...)
link_stat() { nsx "$1" cat "/sys/class/net/$2/statistics/$3"; }
# nc_stat NS KEY: a counter from `ncnat -j stats`: the first value of KEY
# anywhere in the JSON (KEY may be a dotted path, e.g. drop.no_rule)
nc_stat() {
	ncnat "$1" -j stats | python3 -c '
import json, sys
def find(o, path):
    if isinstance(o, dict):
        cur = o
        for p in path:
            if not isinstance(cur, dict) or p not in cur:
                break
            cur = cur[p]
        else:
            return cur
        o = list(o.values())
    if isinstance(o, list):
        for v in o:
            r = find(v, path)
            if r is not None:
                return r
    return None
r = find(json.load(sys.stdin), sys.argv[1].split("."))
if r is None:
    sys.exit("nc_stat: no key " + sys.argv[1])
print(r)' "$2"
}
# nft_counter NS FAMILY TABLE COUNTER: packets of a named nft counter
nft_counter() {
	nsx "$1" nft list counter "$2" "$3" "$4" | sed -n 's/.*packets \([0-9]*\).*/\1/p'
}

# --- checks ---

pass() { echo "PASS: $1"; nc_passed=$((nc_passed + 1)); }
fail() { echo "FAIL: $1"; nc_failed=$((nc_failed + 1)); }
skip() { echo "SKIP: $1"; }
# check NAME CMD...: PASS if CMD succeeds; on failure also show its output
check() {
	local name=$1 out; shift
	if out=$("$@" 2>&1); then
		pass "$name"
	else
		fail "$name"
		[ -z "$out" ] || echo "$out" | sed 's/^/    /'
	fi
}
# check_fails NAME CMD...: PASS if CMD fails
check_fails() {
	local name=$1; shift
	if "$@" >/dev/null 2>&1; then fail "$name"; else pass "$name"; fi
}
# check_eq NAME EXPECTED CMD...: PASS if CMD prints exactly EXPECTED
check_eq() {
	local name=$1 want=$2 got; shift 2
	got=$("$@" 2>&1) || true
	if [ "$got" = "$want" ]; then
		pass "$name"
	else
		fail "$name"
		echo "    expected: $want"
		echo "    got:      $got"
	fi
}

# --- waiting (at most NC_WAIT_S seconds) ---

# waitfor WANT CMD...: run CMD until it prints WANT (bounded); print the last
waitfor() {
	local want=$1 got i=0
	shift
	while got=$("$@" 2>&1); [ "$got" != "$want" ] && [ $i -lt $((NC_WAIT_S * 10)) ]; do
		sleep 0.1
		i=$((i + 1))
	done
	echo "$got"
}
# check_wait NAME WANT CMD...: check_eq, once CMD prints WANT or time is up
check_wait() {
	local name=$1 want=$2
	shift 2
	check_eq "$name" "$want" waitfor "$want" "$@"
}
# until_ok CMD...: run CMD until it succeeds (bounded)
until_ok() {
	local i
	for ((i = 0; i < NC_WAIT_S * 10; i++)); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	return 1
}
# above N CMD...: CMD prints more than N
above() { [ "$("${@:2}")" -gt "$1" ]; }
# listening NS udp|tcp PORT: a socket is bound/listening on PORT in NS
listening() {
	local opt=-lun
	[ "$2" = tcp ] && opt=-ltn
	nsx "$1" ss -H "$opt" "sport = :$3" | grep -q .
}

# nc_done: summary line; exit non-zero if any check failed.
nc_done() {
	echo "$(basename "$0"): $nc_passed passed, $nc_failed failed"
	[ "$nc_failed" = 0 ] && exit 0
	exit 1
}

# --- cleanup: background jobs, then namespaces (and what lives in them) ---
nc_cleanup() {
	local p n
	for p in $nc_pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	for n in $nc_namespaces; do ip netns del "$NC_NS_PFX$n" 2>/dev/null || true; done
}
trap nc_cleanup EXIT
