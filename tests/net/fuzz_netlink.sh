#!/bin/bash
# fuzz_netlink.sh: a seeded fuzzer of both generic netlink families
# ("netchannel" and "netchannel_nat"), every doit and dump op, run against
# a working NAT router:
#
#   a v0 10.0.1.2 ── in0 10.0.1.1  r  out0 192.0.2.1 ── v0 192.0.2.2 b
#
# r attaches in0 and out0 and masquerades what leaves by out0; b has no
# route back to 10.0.1.0/24, so only translated traffic gets through.
# fuzz_netlink.py (raw netlink, tests/lib/ncgenl.py) runs in r: a batch of
# only-invalid requests (nothing accepted, raw dumps and the CLI view
# byte-identical after), a mixed valid/mutated fuzz as root, then the same
# as uid 65534, as root of a new user namespace (EPERM for every op in
# this init-user-ns netns; SKIP where user namespaces are not available)
# and in a netns of its own.  Then r gets its devices and rule back and
# must still forward a 1 MiB transfer a -> b byte for byte.  A kernel
# splat anywhere fails the boot (the harness looks).
#
#   NC_FUZZ_SEED    the seed (default: a random one; printed either way)
#   NC_FUZZ_ITERS   requests in all (default 5000; 300 in QEMU/TCG)
#   NC_FUZZ_SECONDS fuzz for that long instead (split across the phases)
# The requests are in $NC_OUT/fuzz_netlink.trace (phase, number, hex).
. "$(dirname "$0")/lib.sh"
nc_require
genl ctrl get name netchannel_nat >/dev/null 2>&1 ||
	{ fail "netchannel_nat genl family present"; nc_done; }

seed=${NC_FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
iters=${NC_FUZZ_ITERS:-$([ "${NC_LANE:-}" = qemu ] && echo 300 || echo 5000)}
echo "fuzz_netlink seed $seed"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; nc_cleanup' EXIT

# quiet links (lib.sh): no ARP, no IPv6, so the device counters that the
# only-invalid batch compares move only with the test's own packets
qns a r b
no_ipv6 a r b
qveth a v0 r in0
qveth r out0 b v0
addr a v0 10.0.1.2/24
addr r in0 10.0.1.1/24
addr r out0 192.0.2.1/24
addr b v0 192.0.2.2/24
route a default via 10.0.1.1
forwarding r
for d in d0 d1; do
	nsx r ip link add $d type dummy
	nsx r ip link set $d up
done
router() {
	ncnat r dev attach in0
	ncnat r dev attach out0
	ncnat r rule add oif out0 masquerade >/dev/null
}
router

head -c 1M /dev/urandom >"$tmp/data"
sum=$(sha256sum <"$tmp/data" | cut -d' ' -f1)
# transfer NAME PORT: the file a -> b over TCP, through r's masquerade
transfer() {
	local pid got
	rm -f "$tmp/out"
	nsx b timeout 30 socat -u TCP4-LISTEN:"$2",reuseaddr OPEN:"$tmp/out",creat,trunc &
	pid=$!
	until_ok listening b tcp "$2" || true
	nsx a timeout 30 socat -u OPEN:"$tmp/data" TCP4:192.0.2.2:"$2" || true
	wait "$pid" || true
	got=$(sha256sum <"$tmp/out" 2>/dev/null | cut -d' ' -f1)
	check_eq "$1: 1 MiB a -> b, sha256 equal, by a masquerade flow" "$sum flow" \
		echo "$got $(ncnat r flow list | grep -q "remote 192.0.2.2:$2 " && echo flow)"
}
transfer "before the fuzz" 5001
# no packet of that connection may still be on its way (closing)
quiet() { ! nsx "$1" ss -Htan exclude time-wait exclude listening | grep -q .; }
until_ok quiet a || true
until_ok quiet b || true
ncnat r flow flush

# More state for the fuzz to leave alone, or to chew on: a rule of each kind
ncnat r load - <<'EOF'
rule add prio 0 oif out0 masquerade
rule add prio 5 iif in0 proto tcp dport 22 accept
rule add prio 7 family ip6 saddr fd00::/64 proto udp sport 1000-2000 drop
rule add prio 9 daddr 198.51.100.0/24 proto udp snat to 192.0.2.1 ports 2000-3000 filtering eif
rule add prio 11 iif out0 proto tcp dport 8080 dnat to 10.0.1.2:80
rule add prio 13 saddr 10.0.9.0/24 netmap to 203.0.113.0/24
EOF
ncnat r timeout set udp 100 max-mappings 5000

args=(--seed "$seed" --iters "$iters" --devs "in0,out0,d0,d1"
	--local "10.0.1.1,192.0.2.1,127.0.0.1" --ncnat "$NCNAT_BIN")
[ -z "${NC_FUZZ_SECONDS:-}" ] || args+=(--seconds "$NC_FUZZ_SECONDS")
[ -z "${NC_OUT:-}" ] || args+=(--trace "$NC_OUT/fuzz_netlink.trace")
t0=$SECONDS
# the lines show on the console as they come (a crash shows how far it got)
rc=0
nsx r python3 "$NC_TOP/tests/net/fuzz_netlink.py" "${args[@]}" |
	tee "$tmp/py" | sed 's/^/  | /' || rc=$?
[ "$rc" = 0 ] || echo "bad	fuzz_netlink.py ran to the end	exit status $rc" >>"$tmp/py"
total=0 phases=
while IFS=$'\t' read -r res name why; do
	case $res in
	ok) pass "$name" ;;
	skip) skip "$name ($why)" ;;
	bad) fail "$name"; echo "    $why" | fold -w 2000 ;;
	info)
		# shellcheck disable=SC2086 # "iterations PHASE N PHASE N..."
		set -- $name
		[ "$1" = iterations ] || continue
		shift
		while [ $# -ge 2 ]; do
			total=$((total + $2)); phases="$phases${phases:+, }$1 $2"
			shift 2
		done ;;
	esac
done <"$tmp/py"

router
transfer "after the fuzz" 5002
echo "fuzz_netlink seed $seed: iterations $total ($phases) in $((SECONDS - t0))s"
nc_done
