#!/bin/bash
# bench/compare-conntrack/guest.sh: the benchmark, run inside the VM (the
# UML bench kernel, or QEMU on a Debian kernel with the modules loaded) by
# bench/compare-conntrack/run.sh.
#
# Topology, one copy per configuration (all alive at once, so repetitions
# interleave configurations: A B C A B C ...):
#
#   g (generator)          r (router)                    s (sink)
#   eth0 10.0.1.2 ---- in0 10.0.1.1   out0 192.0.2.1 ---- eth0 192.0.2.2
#
# pktgen in g sends fixed packet counts; s counts and drops every packet at
# its device (tc ingress matchall drop), the same for every configuration;
# only r's configuration changes.  Neighbours are pinned, so no ARP runs
# during a measurement.
#
# Output, in $NC_OUT: meta.json and reps.jsonl (one JSON object per
# measurement; bench/compare-conntrack/report.py reads them together with
# the host's CPU samples).  The guest stamps each measurement with its wall
# clock, which under UML and QEMU is the host's.
#
# Environment (NC_* reach the guest): NC_BENCH_PKTS packets per pktgen run,
# NC_BENCH_REPS repetitions, NC_BENCH_SCENARIOS which scenarios,
# NC_BENCH_THREADS pktgen threads (default: one per CPU).
. "$NC_TOP/tests/net/lib.sh"

pkts=${NC_BENCH_PKTS:-1000000}
reps=${NC_BENCH_REPS:-5}
scenarios=${NC_BENCH_SCENARIOS:-upper established new-flows filter memory tcp}
threads=${NC_BENCH_THREADS:-$(nproc)}
only=${NC_BENCH_CONFIGS:-}	# only these configurations (for profiling)
flow_counts=${NC_BENCH_FLOWS:-1 1000 65535}
out=${NC_OUT:-/tmp}
recs=$out/reps.jsonl
: >"$recs"
: >"$out/offload.txt"

say() { echo "bench: $*"; }
# group N: N with thousands separators (printf's %'d needs a locale)
group() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1"; }
now() { date +%s.%N; }

# --- the kernel side: modules and global tables ---

modprobe -q pktgen 2>/dev/null || true
modprobe -q nf_conntrack 2>/dev/null || true
modprobe -q nf_flow_table_inet 2>/dev/null || true
[ -d /proc/net/pktgen ] || { echo "bench: no pktgen in this kernel" >&2; exit 1; }
# Room for every scenario's flows in both engines (netchannel allows
# 262,144 mappings per netns by default); conntrack's limit and hash size
# are global, set in the initial netns.
ct_max=262144
sysctl -qw net.netfilter.nf_conntrack_buckets=131072 2>/dev/null || true
sysctl -qw net.netfilter.nf_conntrack_max=$ct_max

cat >"$out/meta.json" <<EOF
{"lane": "${NC_LANE:-unknown}", "kernel": "$(uname -r)", "cpus": $(nproc),
 "pktgen_threads": $threads, "pkts": $pkts, "reps": $reps,
 "scenarios": "$scenarios", "pkt_size": 64}
EOF

# pick CONFIG...: those of NC_BENCH_CONFIGS, if set
pick() {
	local c
	for c; do
		if [ -z "$only" ] || [[ " $only " == *" $c "* ]]; then echo "$c"; fi
	done
}

# --- topology ---

mac() { nsx "$1" cat "/sys/class/net/$2/address"; }

# topo ID [drop]: the three namespaces gID rID sID, linked and routed; with
# "drop" the sink and generator drop whatever arrives at their device.
topo() {
	local g=g$1 r=r$1 s=s$1 n
	ns_add "$g" "$r" "$s"
	# IPv4 only: an IPv6 router solicitation from out0 (sent with
	# backoff for as long as the link is up) was counted by the sink
	no_ipv6 "$g" "$r" "$s"
	veth "$g" eth0 10.0.1.2/24 "$r" in0 10.0.1.1/24
	veth "$r" out0 192.0.2.1/24 "$s" eth0 192.0.2.2/24
	route "$g" default via 10.0.1.1
	route "$r" 10.1.0.0/16 via 10.0.1.2		# new-flow sources
	route "$s" 10.0.0.0/8 via 192.0.2.1		# plain routing's replies
	route "$s" 198.51.100.0/24 via 192.0.2.1	# stateless NAT's prefix
	forwarding "$r"
	nsx "$r" ip neigh replace 192.0.2.2 dev out0 nud permanent lladdr "$(mac "$s" eth0)"
	nsx "$r" ip neigh replace 10.0.1.2 dev in0 nud permanent lladdr "$(mac "$g" eth0)"
	nsx "$g" ip neigh replace 10.0.1.1 dev eth0 nud permanent lladdr "$(mac "$r" in0)"
	nsx "$s" ip neigh replace 192.0.2.1 dev eth0 nud permanent lladdr "$(mac "$r" out0)"
	# a generator-side black hole: a dummy device frees what it is given
	nsx "$g" ip link add bh type dummy
	nsx "$g" ip link set bh up
	[ "${2:-}" = drop ] || return 0
	for n in "$g" "$s"; do
		nsx "$n" tc qdisc add dev eth0 ingress
		nsx "$n" tc filter add dev eth0 ingress matchall action drop
	done
}

topo_del() {
	local n
	for n in "g$1" "r$1" "s$1"; do ip netns del "$(ns "$n")"; done
}

# topos P CONFIGS [drop]: topologies P1, P2, ... configured as CONFIGS
topos() {
	local i=0 c
	for c in $2; do i=$((i + 1)); topo "$1$i" ${3:-}; configure "$1$i" "$c"; done
}
topos_del() {	# topos_del P CONFIGS
	local i=0 c
	for c in $2; do i=$((i + 1)); topo_del "$1$i"; done
}

# --- router configurations ---

nft_nat() {	# nft_nat ID STATEMENT: one postrouting NAT statement on out0
	nsx "r$1" nft -f - <<-EOF
	table ip nat {
		chain post {
			type nat hook postrouting priority srcnat; policy accept;
			oifname "out0" $2
		}
	}
	EOF
	# established flows must not expire between repetitions
	nsx "r$1" sysctl -qw net.netfilter.nf_conntrack_udp_timeout=3600 \
		net.netfilter.nf_conntrack_udp_timeout_stream=3600
}

nc_attach() {	# nc_attach ID: netchannel on both router devices
	ncnat "r$1" dev attach in0
	ncnat "r$1" dev attach out0
	ncnat "r$1" timeout set udp 3600
}

# configure ID CONFIG: make router rID what CONFIG names
configure() {
	local id=$1 r=r$1
	case $2 in
	plain | blackhole) ;;
	nft-masq) nft_nat "$id" masquerade ;;
	nft-snat) nft_nat "$id" "snat to 192.0.2.100-192.0.2.115" ;;
	nft-flowtable)
		nft_nat "$id" masquerade
		nsx "$r" sysctl -qw net.netfilter.nf_flowtable_udp_timeout=3600
		nsx "$r" nft -f - <<-'EOF'
		table ip filter {
			flowtable ft {
				hook ingress priority filter; devices = { in0, out0 };
			}
			chain forward {
				type filter hook forward priority filter; policy accept;
				meta l4proto { tcp, udp } flow add @ft
			}
		}
		EOF
		;;
	tc-nat)
		nsx "$r" tc qdisc add dev out0 clsact
		nsx "$r" tc filter add dev out0 egress matchall \
			action nat egress 10.0.1.0/24 198.51.100.0/24
		nsx "$r" tc filter add dev out0 ingress matchall \
			action nat ingress 198.51.100.0/24 10.0.1.0/24
		;;
	nc-masq) nc_attach "$id"; ncnat "$r" rule add oif out0 masquerade >/dev/null ;;
	nc-snat)
		nc_attach "$id"
		ncnat "$r" rule add oif out0 snat to 192.0.2.100-192.0.2.115 >/dev/null ;;
	nc-netmap)
		nc_attach "$id"
		ncnat "$r" rule add iif in0 saddr 10.0.1.0/24 netmap to 198.51.100.0/24 >/dev/null ;;
	nc-filter) nc_attach "$id"; ncnat "$r" rule add iif in0 saddr 10.0.0.0/8 accept >/dev/null ;;
	nc-drop) nc_attach "$id"; ncnat "$r" rule add iif in0 drop >/dev/null ;;
	*) echo "bench: unknown configuration $2" >&2; exit 1 ;;
	esac
}

# The address the sink sees as the generator's, per configuration.
outside_addr() {
	case $1 in
	tc-nat | nc-netmap) echo 198.51.100.2 ;;
	plain | nc-filter) echo 10.0.1.2 ;;
	*) echo 192.0.2.1 ;;
	esac
}

# --- pktgen ---

# pg_setup NS DEV COUNT CMD...: every pktgen thread of NS sends COUNT/threads
# 64-byte UDP packets (with a real checksum) out of DEV to the sink, with
# the pktgen commands CMD... (ranges, flags) on top; @T@ in a command
# stands for the thread's number, so that threads can send disjoint flows.
pg_setup() {
	local n=$1 dev=$2 count=$3 t d cmd
	shift 3
	{
		echo 'set -e; pg() { echo "$2" >"/proc/net/pktgen/$1"; }'
		for t in $(seq 0 $((threads - 1))); do
			d=$dev@$t
			echo "pg kpktgend_$t rem_device_all"
			# the thread removes devices when it next runs, which a
			# loaded machine delays past pktgen's 125 ms: wait until
			# it has removed all of them (not only one named like the
			# device added next, which may be another: bh after eth0),
			# or the late removal takes the device added next
			echo "for i in \$(seq 400); do compgen -G '/proc/net/pktgen/*@$t' >/dev/null || break; sleep 0.05; done"
			echo "pg kpktgend_$t 'add_device $d'"
			for cmd in "count $((count / threads))" "pkt_size 64" "delay 0" \
				"clone_skb 0" "dst 192.0.2.2" "dst_mac $(mac "r${n#g}" in0)" \
				"flag UDPCSUM" "$@"; do
				echo "pg '$d' '${cmd//@T@/$t}'"
			done
		done
	} | nsx "$n" bash -s
}

# flows N: pktgen port ranges, into the array pga, for N flows from 10.0.1.2 (max is exclusive
# in pktgen; coprime range sizes make a sequential pass visit every pair)
flows() {
	case $1 in
	1) fs=1 fd=1 ;;
	1000) fs=8 fd=125 ;;
	16383) fs=127 fd=129 ;;
	32766) fs=127 fd=258 ;;
	65535) fs=255 fd=257 ;;
	*) echo "bench: no port ranges for $1 flows (NC_BENCH_FLOWS: 1 1000 16383 32766 65535)" >&2
	   exit 1 ;;
	esac
	pga=("udp_src_min 10000" "udp_src_max $((10000 + fs))"
		"udp_dst_min 20000" "udp_dst_max $((20000 + fd))")
}

# pg_run NS: start NS's pktgen threads, wait; prints "SENT USEC T0 T1"
pg_run() {
	nsx "$1" bash -c '
		t0=$(date +%s.%N)
		echo start >/proc/net/pktgen/pgctrl
		t1=$(date +%s.%N)
		sent=0 usec=0
		for f in /proc/net/pktgen/*@*; do
			s=$(sed -n "s/.*pkts-sofar: \([0-9]*\).*/\1/p" "$f")
			u=$(sed -n "s/.*Result: OK: \([0-9]*\)(.*/\1/p" "$f")
			sent=$((sent + s)); [ "$u" -gt "$usec" ] && usec=$u
		done
		echo "$sent $usec $t0 $t1"'
}

rx() { link_stat "s$1" eth0 rx_packets; }

# backlog_drops: packets dropped because a CPU's input backlog was full
# (all devices and namespaces; the second column of softnet_stat, in hex)
backlog_drops() {
	local _ d s=0
	while read -r _ d _; do s=$((s + 16#$d)); done </proc/net/softnet_stat
	echo "$s"
}

# measure SCENARIO VARIANT CONFIG REP ID: one pktgen run (already set up)
# from gID, recorded with what the sink received.
measure() {
	local before res sent usec t0 t1 delivered bd try
	[ -z "${NC_BENCH_PROFILE:-}" ] || say "PROFILE-START"	# the host's perf starts
	for try in 1 2 3; do
		before=$(rx "$5") bd=$(backlog_drops)
		res=$(pg_run "g$5")
		read -r sent usec t0 t1 <<<"$res"
		delivered=$(($(rx "$5") - before)) bd=$(($(backlog_drops) - bd))
		# a start cut short (a signal: no "Result: OK", seen once in
		# UML on a loaded host) measured nothing: run it again
		[ "$usec" = 0 ] || break
		say "$1/$2/$3 rep $4: pktgen stopped early ($sent sent), again"
		nsx "g$5" sh -c 'echo stop >/proc/net/pktgen/pgctrl' || true
		sleep 1
	done
	printf '{"kind":"pktgen","scenario":"%s","variant":"%s","config":"%s","rep":%d,"sent":%d,"delivered":%d,"backlog_drops":%d,"usec":%d,"t0":%s,"t1":%s}\n' \
		"$1" "$2" "$3" "$4" "$sent" "$delivered" "$bd" "$usec" "$t0" "$t1" >>"$recs"
	say "$1/$2/$3 rep $4: $sent sent, $delivered delivered, $((sent * 1000000 / (usec + 1))) pps"
	if [ -n "${NC_BENCH_DEBUG:-}" ] && [[ $3 == nc-* ]]; then ncnat "r$5" stats; fi
}

# replies ID CONFIG N: the sink answers every flow of `flows N` once, so
# conntrack sees both directions (the flowtable offloads only then)
replies() {
	flows "$3"
	nsx "s$1" python3 - "$(outside_addr "$2")" "$fs" "$fd" <<-'EOF'
	import socket, sys
	dst, ns, nd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
	for d in range(nd):
	    so = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	    so.bind(("192.0.2.2", 20000 + d))
	    for s in range(ns):
	        so.sendto(b"reply", (dst, 10000 + s))
	    so.close()
	EOF
}

offloaded() { nsx "r$1" conntrack -L 2>/dev/null | grep -c OFFLOAD || true; }

# --- scenarios ---

# established: N flows, warmed up in both directions, then random among them
scenario_established() {
	local n cfgs cfg i rep variant
	for n in $flow_counts; do
		variant="$(group "$n") flow"
		[ "$n" = 1 ] || variant=${variant}s
		cfgs="plain nft-masq nft-flowtable tc-nat nc-masq nc-netmap nc-filter"
		# the upper bounds at every flow count: what random flows cost
		# the generator and the path up to the hook, with no table
		[[ " $scenarios " == *" upper "* ]] && cfgs="$cfgs nc-drop blackhole"
		cfgs=$(pick $cfgs)
		i=0
		for cfg in $cfgs; do
			i=$((i + 1))
			topo "e$i" drop
			configure "e$i" "$cfg"
			# warm-up: a sequential pass over every flow, the replies,
			# and another pass (offloads the flowtable's flows)
			flows "$n"
			pg_setup "ge$i" eth0 $((n * threads)) "${pga[@]}"
			pg_run "ge$i" >/dev/null
			replies "e$i" "$cfg" "$n"
			pg_run "ge$i" >/dev/null
			[ "$cfg" != nft-flowtable ] ||
				echo "$variant: $(offloaded "e$i") of $n flows offloaded" | tee -a "$out/offload.txt"
		done
		for rep in $(seq "$reps"); do
			i=0
			for cfg in $cfgs; do
				i=$((i + 1))
				local dev=eth0 sc=established rnd=
				[ "$n" = 1 ] || rnd="flag UDPSRC_RND"
				case $cfg in
				blackhole) dev=bh sc=upper ;;
				nc-drop) sc=upper ;;
				esac
				flows "$n"
				pg_setup "ge$i" "$dev" "$pkts" "${pga[@]}" \
					${rnd:+"$rnd" "flag UDPDST_RND"}
				measure "$sc" "$variant" "$cfg" "$rep" "e$i"
			done
		done
		topos_del e "$cfgs"
	done
}

# into pga: 251 source addresses x 1024 source ports, stepped; each pktgen
# thread from its own /24, or two threads would send the same flows
new_flows() {
	pga=("src_min 10.1.@T@.1" "src_max 10.1.@T@.251"
		"udp_src_min 1024" "udp_src_max 2048" "udp_dst_min 9" "udp_dst_max 10")
}

# new_flows_setup ID CONFIG COUNT: empty table, COUNT new flows ready to go
new_flows_setup() {
	flush "$1" "$2"
	new_flows
	pg_setup "g$1" eth0 "$3" "${pga[@]}"
}

flush() {	# flush ID CONFIG: empty the router's flow table
	case $2 in
	nft-*) nsx "r$1" conntrack -F 2>/dev/null || true ;;
	nc-*) ncnat "r$1" flow flush ;;
	esac
	sleep 1	# let RCU free the old entries before the next measurement
}

# new-flows: every packet a new 5-tuple (random-looking sources: pktgen steps
# address and port together over coprime ranges), then the same with the
# table limited to 65,536 mappings
scenario_new_flows() {
	local n=$((pkts < 200000 ? pkts : 200000)) cfgs
	cfgs=$(pick plain nft-snat nc-snat)
	local cfg i rep variant limit
	topos n "$cfgs" drop
	for limit in $ct_max 65536; do
		variant="$(group "$n") new flows"
		[ "$limit" = $ct_max ] || variant="$variant, table of $(group "$limit")"
		sysctl -qw net.netfilter.nf_conntrack_max="$limit"
		i=0
		for cfg in $cfgs; do
			i=$((i + 1))
			[[ $cfg != nc-* ]] || ncnat "rn$i" timeout set max-mappings "$limit"
		done
		for rep in $(seq "$reps"); do
			i=0
			for cfg in $cfgs; do
				i=$((i + 1))
				new_flows_setup "n$i" "$cfg" "$n"
				measure new-flows "$variant" "$cfg" "$rep" "n$i"
			done
		done
	done
	sysctl -qw net.netfilter.nf_conntrack_max=$ct_max
	topos_del n "$cfgs"
}

# filter rules: N-1 rules that do not match the traffic, then the one that
# does; prefix and port matches, same shape for all
filter_rules() {	# filter_rules N FORMAT_MISS FORMAT_HIT
	local n=$1 k
	for ((k = 1; k < n; k++)); do
		# shellcheck disable=SC2059
		printf "$2" "$((100 + k / 256))" "$((k % 256))" "$((1000 + k % 1000))"
	done
	printf '%b' "$3"
}

configure_filter() {	# configure_filter ID CONFIG N
	local r=r$1 n=$3
	case $2 in
	nc-filter)
		nc_attach "$1"
		filter_rules "$n" 'rule add iif in0 saddr 10.%d.%d.0/24 proto udp dport %d drop\n' \
			'rule add iif in0 saddr 10.0.1.0/24 proto udp dport 9 accept\n' |
			ncnat "$r" load -
		;;
	nft-chain)
		{
			echo 'table netdev f {'
			echo 'chain in { type filter hook ingress device in0 priority 0; policy accept;'
			filter_rules "$n" 'ip saddr 10.%d.%d.0/24 udp dport %d drop\n' \
				'ip saddr 10.0.1.0/24 udp dport 9 accept\n'
			printf '}\n}\n'
		} | nsx "$r" nft -f -
		;;
	nft-set)
		{
			echo 'table netdev f {'
			echo 'map m { type ipv4_addr . inet_service : verdict; flags interval; elements = {'
			filter_rules "$n" '10.%d.%d.0/24 . %d : drop,\n' '10.0.1.0/24 . 9 : accept }\n'
			echo '}'
			echo 'chain in { type filter hook ingress device in0 priority 0; policy accept;'
			echo 'ip saddr . udp dport vmap @m'
			printf '}\n}\n'
		} | nsx "$r" nft -f -
		;;
	esac
}

# filter: 1 .. 10,000 rules, the traffic matching the last one
scenario_filter() {
	local n cfgs cfg i rep variant count
	cfgs=$(pick nc-filter nft-chain nft-set)
	for n in 1 100 1000 10000; do
		variant="$(group "$n") rule"
		[ "$n" = 1 ] || variant=${variant}s
		i=0
		for cfg in $cfgs; do
			i=$((i + 1))
			topo "f$i" drop
			configure_filter "f$i" "$cfg" "$n"
		done
		for rep in $(seq "$reps"); do
			i=0
			for cfg in $cfgs; do
				i=$((i + 1))
				# a linear chain of 10,000 rules takes tens of
				# microseconds a packet: fewer packets there
				count=$pkts
				[ "$cfg" != nft-chain ] || [ "$n" -le 100 ] ||
					count=$((pkts * 100 / n > 1000 ? pkts * 100 / n : 1000))
				pg_setup "gf$i" eth0 "$count" "udp_src_min 10000" "udp_src_max 10001" \
					"udp_dst_min 9" "udp_dst_max 10"
				measure filter "$variant" "$cfg" "$rep" "f$i"
			done
		done
		topos_del f "$cfgs"
	done
}

# Bytes of all slab objects in use (active objects x object size), and of
# kernel memory: the pages slab caches hold plus large kmalloc()s (both in
# "Slab:") plus vmalloc.  That is where hash tables live (kvmalloc), and it
# leaves out page cache and pages on per-CPU free lists, which made
# MemTotal - MemFree swing by several MB between samples.  slab_shrink gives
# empty slab pages back, before and after a run, so that the pages counted
# hold objects.
slab_shrink() { for f in /sys/kernel/slab/*/shrink; do echo 1 >"$f"; done 2>/dev/null || true; }
slab_bytes() { awk 'NR > 2 { s += $2 * $4 } END { printf "%d\n", s }' /proc/slabinfo; }
kmem_bytes() { awk '/^Slab:/ { s = $2 } /^VmallocUsed:/ { v = $2 } END { printf "%d\n", (s + v) * 1024 }' /proc/meminfo; }

mappings() {	# mappings ID CONFIG: entries in the router's flow table
	case $2 in
	nft-*) nsx "r$1" conntrack -C ;;
	nc-*) ncnat "r$1" -j timeout list |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["mappings"])' ;;
	esac
}

# memory: kernel memory per mapping, with 100,000 mappings of a 16-address
# snat pool (conntrack without a NAT extension), and with 50,000 of
# masquerade (conntrack with one; one address holds at most ~64,000)
scenario_memory() {
	local n=${NC_BENCH_MAPPINGS:-100000} cfgs pair
	for pair in snat:$n masq:$((n / 2)); do
		cfgs=$(pick "nft-${pair%:*}" "nc-${pair%:*}")
		[ -z "$cfgs" ] || memory_of "$cfgs" "${pair#*:}"
	done
}

memory_of() {	# memory_of CONFIGS MAPPINGS
	local cfgs=$1 n=$2 cfg i rep s0 k0 s1 k1 m
	topos m "$cfgs" drop
	for rep in $(seq "$reps"); do
		i=0
		for cfg in $cfgs; do
			i=$((i + 1))
			new_flows_setup "m$i" "$cfg" "$n"
			slab_shrink
			s0=$(slab_bytes) k0=$(kmem_bytes)
			pg_run "gm$i" >/dev/null
			sleep 1
			slab_shrink
			s1=$(slab_bytes) k1=$(kmem_bytes)
			m=$(mappings "m$i" "$cfg")
			printf '{"kind":"memory","scenario":"memory","variant":"%s","config":"%s","rep":%d,"mappings":%d,"slab_bytes":%d,"kmem_bytes":%d}\n' \
				"$(group "$n") mappings" "$cfg" "$rep" "$m" \
				$((s1 - s0)) $((k1 - k0)) >>"$recs"
			say "memory/$cfg rep $rep: $m mappings, $(((s1 - s0) / (m + 1))) slab bytes each, kernel memory $(((k1 - k0) / (m + 1)))"
		done
	done
	topos_del m "$cfgs"
}

# tcp: one iperf3 TCP stream of a fixed size through each NAT, 1500 MTU
scenario_tcp() {
	local cfgs cfg i rep
	local bytes=${NC_BENCH_TCP_BYTES:-$((pkts * 512))} t0 t1 res
	cfgs=$(pick plain nft-masq nft-flowtable tc-nat nc-masq nc-netmap)
	topos t "$cfgs"
	for rep in $(seq "$reps"); do
		i=0
		for cfg in $cfgs; do
			i=$((i + 1))
			# (-D returns before the server listens)
			nsx "st$i" iperf3 -s -D -1 >/dev/null 2>&1 || true
			until_ok listening "st$i" tcp 5201
			t0=$(now)
			res=$(nsx "gt$i" iperf3 -c 192.0.2.2 -n "$bytes" -J |
				python3 -c 'import json, sys; e = json.load(sys.stdin)["end"]["sum_sent"]; print(e["bytes"], e["seconds"])')
			t1=$(now)
			printf '{"kind":"tcp","scenario":"tcp","variant":"1500 MTU","config":"%s","rep":%d,"bytes":%d,"seconds":%s,"t0":%s,"t1":%s}\n' \
				"$cfg" "$rep" "${res% *}" "${res#* }" "$t0" "$t1" >>"$recs"
			say "tcp/$cfg rep $rep: $res"
		done
	done
	topos_del t "$cfgs"
}

for sc in $scenarios; do
	case $sc in
	upper) [[ " $scenarios " == *" established "* ]] || scenario_established ;;
	established) scenario_established ;;
	new-flows) scenario_new_flows ;;
	filter) scenario_filter ;;
	memory) scenario_memory ;;
	tcp) scenario_tcp ;;
	*) echo "bench: unknown scenario $sc" >&2; exit 1 ;;
	esac
done
say "done: $(wc -l <"$recs") measurements"
