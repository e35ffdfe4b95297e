#!/bin/bash
# fuzz_packets.sh: a seeded packet fuzzer against the router r, whose three
# devices are attached, with NAT and filter rules in place:
#
#   h1 10.0.1.2 fd01::2 ── in0  r  out0 ── s1 192.0.2.2 fd03::2
#   h2 10.0.2.2 10.0.2.200 ── in1     (quiet links: no ARP, no ND)
#
#   filter: tcp to port 25 from in0 dropped, 198.51.100.0/24 from out0
#   dropped, IPv6 udp to 9000-9099 dropped, in0 to r itself accepted;
#   dnat 192.0.2.1 tcp 8080 -> h1:80, udp 5353 -> h1:53; netmap
#   10.0.2.0/25 -> 203.0.113.0/25; snat 10.0.2.128/25 to the pool
#   198.18.0.1-198.18.0.3; masquerade the rest leaving by out0.
#
# fuzz_packets.py (one process) makes live flows through all of these
# (UDP, TCP, ICMP echo, IPv6), records their frames, then sends mutated
# and hand-made frames from h1, h2 and s1 into r (bit flips, truncations,
# IP options, IPv6 extension header chains, lying lengths, padding,
# fragment storms, ICMP/ICMPv6 errors quoting the flows, broadcast,
# multicast and VLAN-tagged frames, TCP flag soup) while the flows keep
# talking.  Checks, afterwards:
#   - no IPv4 frame r sent to s1 carries an inside (10/8) address
#     untranslated, as source or in an ICMP error's quote (a capture on
#     s1).  r's stack forwards, untranslated, what the engine leaves to it
#     by design (malformed packets are passed on untouched): an nftables
#     forward rule on r drops and counts those (shown, not a failure);
#     the engine's own forwards skip that hook, so the capture judges
#     the engine alone;
#   - a 1 MiB TCP upload h1 -> s1 through the masquerade arrives intact
#     (sha256), UDP exchanges through the masquerade and the pool work;
#   - `ncnat stats` and `ncnat -j stats` / `flow list` still answer.
# The runner catches kernel splats.
#
# NC_FUZZ_SEED (default: random, printed), NC_FUZZ_ITERS (test cases;
# default fits the lane), NC_FUZZ_SECONDS (run for that long instead),
# NC_FUZZ_TRACE=1 or =FILE (every case in hex, to find the one that
# crashed), NC_FUZZ_REPLAY=FILE (send the cases of such a trace instead).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nat_lib.sh"
nat_require

seed=${NC_FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
echo "fuzz_packets seed $seed"
iters=${NC_FUZZ_ITERS:-}
secs=${NC_FUZZ_SECONDS:-0}
# 20-40 s of sending in UML (7-13k frames/s); TCG is ~50x slower
[ -n "$iters" ] || [ "$secs" != 0 ] ||
	iters=$([ "${NC_LANE:-}" = qemu ] && echo 1500 || echo 60000)

qns h1 h2 r s1
qveth h1 v0 r in0
qveth h2 v0 r in1
qveth r out0 s1 v0
ipb h1 <<-EOT
addr add 10.0.1.2/24 dev v0
addr add fd01::2/64 dev v0
route add default via 10.0.1.1
route add default via fd01::1
EOT
ipb h2 <<-EOT
addr add 10.0.2.2/24 dev v0
addr add 10.0.2.200/24 dev v0
addr add fd02::2/64 dev v0
route add default via 10.0.2.1
route add default via fd02::1
EOT
ipb s1 <<-EOT
addr add 192.0.2.2/24 dev v0
addr add fd03::2/64 dev v0
route add default via 192.0.2.1
route add default via fd03::1
EOT
# r's default route is s1: whatever a mutation sends anywhere leaves by out0
ipb r <<-EOT
addr add 10.0.1.1/24 dev in0
addr add fd01::1/64 dev in0
addr add 10.0.2.1/24 dev in1
addr add fd02::1/64 dev in1
addr add 192.0.2.1/24 dev out0
addr add fd03::1/64 dev out0
route add default via 192.0.2.2
EOT
forwarding r
# strict reverse path filtering, as an edge router runs: a frame from an
# inside link with a source that does not live there is the stack's to
# drop (the engine's flows check it too), not a leak of the fast path
nsx r sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.in0.rp_filter=1 \
	net.ipv4.conf.in1.rp_filter=1 net.ipv4.conf.out0.rp_filter=1
for d in in0 in1 out0; do ncnat r dev attach $d; done
while read -r rule; do
	# shellcheck disable=SC2086
	ncnat r rule add $rule >/dev/null
done <<-EOT
prio 10 iif in0 proto tcp dport 25 drop
prio 10 iif out0 saddr 198.51.100.0/24 drop
prio 10 family ip6 proto udp dport 9000-9099 drop
prio 10 iif in0 daddr 10.0.1.1 accept
prio 20 daddr 192.0.2.1 proto tcp dport 8080 dnat to 10.0.1.2:80
prio 20 daddr 192.0.2.1 proto udp dport 5353 dnat to 10.0.1.2:53
prio 30 saddr 10.0.2.0/25 netmap to 203.0.113.0/25
prio 30 saddr 10.0.2.128/25 snat to 198.18.0.1-198.18.0.3
prio 40 oif out0 masquerade
EOT
# What r's stack forwards untranslated to the outside (never the fast
# path: it skips the forward hook), by protocol.  And, before the engine
# sees them (netdev ingress runs before the receive handler), packets from
# the outside addressed to r's own inside addresses are dropped, as an edge
# router's policy does: one byte turns 192.0.2.1 into 10.0.2.1, and r's
# stack would answer from that inside address (weak host model: a port
# unreachable, an echo reply, a reset), which is the stack's doing.  (A
# packet mapped back onto r's address by the engine is the engine's, and
# is judged: 203.0.113.1 is 10.0.2.1 netmapped.)
nsx r nft -f - <<-'EOT'
table ip leak {
	counter c_tcp {}
	counter c_udp {}
	counter c_icmp {}
	counter c_other {}
	chain fw {
		type filter hook forward priority 0;
		oifname "out0" ip saddr 10.0.0.0/8 jump untranslated
	}
	chain untranslated {
		ip protocol tcp counter name c_tcp drop
		ip protocol udp counter name c_udp drop
		ip protocol icmp counter name c_icmp drop
		counter name c_other drop
	}
}
EOT
nsx r nft -f - <<-'EOT'
table netdev edge {
	counter c_local {}
	chain out0 {
		type filter hook ingress device "out0" priority 0;
		ip daddr { 10.0.1.1, 10.0.2.1 } counter name c_local drop
	}
}
EOT

# progress shown as it comes; then its ok|bad <TAB> name <TAB> detail
# lines become checks (no /dev/fd in the guest: no process substitution)
FUZZ_NS="h1=$(ns h1) h2=$(ns h2) s1=$(ns s1)" \
	python3 "$NC_TOP/tests/net/fuzz_packets.py" "$seed" "${iters:-0}" "$secs" 2>&1 |
	tee /tmp/nat-fuzz.out | grep -v -e '^ok	' -e '^bad	' || true
ran=0
while IFS=$'\t' read -r res name why; do
	case $res in
	ok) pass "$name" ;;
	bad) fail "$name"; echo "    $why" ;;
	*) continue ;;
	esac
	[ "$name" != "fuzzer ran to the end" ] || ran=1
done </tmp/nat-fuzz.out
[ $ran = 1 ] || fail "fuzzer ran to the end"
echo "r's stack forwarded untranslated (dropped by nft):" \
	"$(for c in tcp udp icmp other; do echo -n "$c=$(nft_counter r ip leak c_$c) "; done)"
echo "dropped at out0's ingress, to r's inside addresses: $(nft_counter r netdev edge c_local)"

# --- afterwards: does r still do its job? ---
head -c 1M /dev/urandom >/tmp/nat-fuzz-1m
nsbg s1 python3 "$NAT_TOOL" --timeout 30 tcp-sink 5100 /tmp/nat-fuzz-got \
	--ready /tmp/nat-fuzz-ready >/tmp/nat-fuzz-sink.log
settle 10 test -e /tmp/nat-fuzz-ready
check_eq "tcp 1 MiB h1 -> s1 through masquerade" sent \
	tool h1 --timeout 30 tcp-send 192.0.2.2 5100 /tmp/nat-fuzz-1m
settle 10 grep -q . /tmp/nat-fuzz-sink.log
check_eq "tcp: sha256 identical, from 192.0.2.1" \
	"$(sha256sum </tmp/nat-fuzz-1m) 192.0.2.1" \
	sh -c "echo \"\$(sha256sum </tmp/nat-fuzz-got) \$(cut -d: -f1 /tmp/nat-fuzz-sink.log)\""
udp_echo s1 /tmp/nat-fuzz-echo.log
# (nat_tool's echo listens on 7000, which the fuzzer used: these are new
# source ports, hence new flows)
check_eq "udp h1 -> s1 through masquerade" "ok 10" \
	tool h1 udp-req 192.0.2.2:7000 --sport 41000 --count 10 --size 500
check_eq "udp h2 -> s1 through the snat pool" "ok 10" \
	tool h2 udp-req 192.0.2.2:7000 --bind 10.0.2.200 --sport 41001 --count 10 --size 500
cli_ok() {
	ncnat r stats >/dev/null &&
		ncnat r -j stats | python3 -c 'import json, sys; json.load(sys.stdin)' &&
		ncnat r -j flow list | python3 -c 'import json, sys; json.load(sys.stdin)'
}
check "ncnat stats and flow list still answer" cli_ok
nc_done
