#!/bin/bash
# filter_priority.sh: which rule decides when several match.  A lower prio
# value wins over an earlier handle; within one prio the lower handle wins;
# deleting the winner lets the next one decide (the survivors keep their
# counters); a rule added later with a lower prio takes over; flush
# restores pass-through.  Proved with real traffic and exact counters.
#
#   c v0 ---- c r s0 ---- v0 s      (netchannel on r's c, ingress)
. "$(dirname "$0")/lib.sh"

# ==== traffic block: quiet links, a packet sender, exact expectations ====
# (the same block is in filter_match.sh, filter_priority.sh and
# netns_isolation.sh; keep them in step)
#
# Quiet links: veth pairs that are NOARP with the same MAC on both ends (so
# no ARP/ND is needed), in namespaces whose new devices get no IPv6
# link-local address, DAD or router solicitation.  Nothing but the test's
# own packets crosses a client link, so every counter can be exact.
#
# `client` starts a python3 packet sender in a client namespace, fed over a
# FIFO; `tx` queues packets and records what must become of them; `verify`
# sends them and checks, cumulatively over the script: each rule's packets
# and bytes (bytes = L3 length), each attached device's
# seen/matched/passed/dropped, each router netns's drop reasons (only
# rule-drop may move), and what each server received (its own SNMP
# counters, read through /proc/PID/net of a process living there).

NC_WAIT_S=${NC_WAIT_S:-$([ "${NC_LANE:-}" = qemu ] && echo 20 || echo 5)}
NC_TMP=$(mktemp -d)
trap 'nc_cleanup; rm -rf "$NC_TMP"' EXIT
declare -A XP=() H=() LINK=() SRV=() BATCH=() RULES=() DEVS=() PID=() TXFD=() RXFD=()
ROUTERS='' SERVERS='' nc_mac=0

xp_add() { XP[$1]=$((${XP[$1]:-0} + $2)); }
# ipb NS: `ip -batch` of stdin in NS
ipb() { ip -n "$(ns "$1")" -batch -; }
# qns NAME...: namespaces whose new devices stay silent
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
# attach NS DEV: attach netchannel to DEV and expect its counters
attach() {
	ncnat "$1" dev attach "$2"
	DEVS[$1]="${DEVS[$1]:-} $2"
	case " $ROUTERS " in *" $1 "*) ;; *) ROUTERS="$ROUTERS $1" ;; esac
}
# rule NS LABEL ARGS...: add a rule, remember its handle as LABEL
rule() {
	local n=$1 l=$2
	shift 2
	H[$n:$l]=$(ncnat "$n" rule add "$@")
	RULES[$n]="${RULES[$n]:-} $l"
	XP[rule:$n:$l:pk]=0 XP[rule:$n:$l:by]=0
}
# flush NS: remove every rule
flush() { ncnat "$1" rule flush; RULES[$1]=; }

NC_GEN='
import socket, struct, sys
def fam(a): return socket.AF_INET6 if ":" in a else socket.AF_INET
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s & 0xffff) + (s >> 16); s += s >> 16
    return ~s & 0xffff
def run(a):
    while a:
        k = a.pop(0)
        if k == "udp":
            src, sport, dst, dport, n, ln = a[:6]; del a[:6]
            s = socket.socket(fam(dst), socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((src, int(sport)))
            for i in range(int(n)):
                s.sendto(b"u" * int(ln), (dst, int(dport)))
            s.close()
        elif k == "tcp":
            # a non-blocking connect sends one SYN, closing in SYN-SENT
            # sends nothing more, and the closed port answers with a RST
            src, sport, dst, dport, n = a[:5]; del a[:5]
            for i in range(int(n)):
                s = socket.socket(fam(dst), socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.setblocking(False)
                s.bind((src, int(sport)))
                s.connect_ex((dst, int(dport)))
                s.close()
        elif k == "icmp":
            src, dst, n, ln = a[:4]; del a[:4]
            v6 = ":" in dst
            s = socket.socket(fam(dst), socket.SOCK_RAW,
                              socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP)
            s.bind((src, 0))
            for i in range(int(n)):
                m = struct.pack("!BBHHH", 128 if v6 else 8, 0, 0, 0x4e43, i)
                m += b"i" * int(ln)
                if not v6:
                    m = m[:2] + struct.pack("!H", csum(m)) + m[4:]
                s.sendto(m, (dst, 0))
            s.close()
        elif k == "raw":
            proto, src, dst, n, ln = a[:5]; del a[:5]
            s = socket.socket(fam(dst), socket.SOCK_RAW, int(proto))
            s.bind((src, 0))
            for i in range(int(n)):
                s.sendto(b"r" * int(ln), (dst, 0))
            s.close()
        else:
            raise ValueError("unknown kind " + k)
fi, fo = open(sys.argv[1]), open(sys.argv[2], "w")
while True:
    line = fi.readline()
    if not line:
        break
    try:
        run(line.split())
        fo.write("ok\n")
    except Exception as e:
        fo.write("error: %r\n" % e)
    fo.flush()
'
# client NS RNS RDEV SRVNS: NS sends through RNS's attached RDEV to SRVNS
client() {
	local fd
	LINK[$1]=$2/$3 SRV[$1]=$4
	mkfifo "$NC_TMP/$1.tx" "$NC_TMP/$1.rx"
	exec {fd}<>"$NC_TMP/$1.tx"
	TXFD[$1]=$fd
	exec {fd}<>"$NC_TMP/$1.rx"
	RXFD[$1]=$fd
	nsbg "$1" python3 -c "$NC_GEN" "$NC_TMP/$1.tx" "$NC_TMP/$1.rx"
}
# server NS: expect exact receive counters of NS from now on
server() {
	local kv cmd='' i
	SERVERS="$SERVERS $1"
	nsbg "$1" sleep 1000000
	PID[$1]=$!
	for ((i = 0; i < NC_WAIT_S * 10; i++)); do	# until it runs in NS
		read -r -d '' cmd <"/proc/${PID[$1]}/cmdline" || true
		[ "$cmd" != sleep ] || break
		sleep 0.1
	done
	for kv in $(got_srv "$1"); do XP[srv:$1:${kv%=*}]=${kv#*=}; done
}

# tx CLIENT FATE KIND ARGS...: queue COUNT packets from CLIENT and record
# their fate: LABEL:drop or LABEL:accept (rule LABEL decides them), or
# miss (no rule matches; they go on untouched).  KIND ARGS:
#   udp SRC SPORT DST DPORT COUNT LEN   (LEN payload bytes; SPORT 0: any)
#   tcp SRC SPORT DST DPORT COUNT       (SYNs to a closed port, no retries)
#   icmp SRC DST COUNT LEN              (echo requests, ICMP or ICMPv6)
#   raw PROTO SRC DST COUNT LEN         (bare IP protocol PROTO)
tx() {
	local c=$1 fate=$2 kind=$3 n l3 key dst r rns
	shift 3
	case $kind in
	udp) dst=$3 n=$5 l3=$((28 + $6)) key=udp ;;
	tcp) dst=$3 n=$5 l3=60 key=tcp ;;	# SYN: 20 + 40 with options
	icmp) dst=$2 n=$3 l3=$((28 + $4)) key=icmp ;;
	raw) dst=$3 n=$4 l3=$((20 + $5)) key=unk ;;
	*) echo "tx: bad kind $kind" >&2; exit 1 ;;
	esac
	case $dst in
	*:*) l3=$((l3 + 20)); [ $key = tcp ] || key=${key}6 ;;
	*) [ $key = tcp ] || key=${key}4 ;;
	esac
	BATCH[$c]="${BATCH[$c]:-} $kind $*"
	r=${LINK[$c]} rns=${LINK[$c]%%/*}
	xp_add "dev:$r:seen" "$n"
	case $fate in
	miss)
		xp_add "dev:$r:passed" "$n"
		xp_add "srv:${SRV[$c]}:$key" "$n" ;;
	*:drop | *:accept)
		xp_add "dev:$r:matched" "$n"
		xp_add "rule:$rns:${fate%:*}:pk" "$n"
		xp_add "rule:$rns:${fate%:*}:by" $((n * l3))
		if [ "${fate#*:}" = drop ]; then
			xp_add "dev:$r:dropped" "$n"
			xp_add "drop:$rns" "$n"
		else
			xp_add "dev:$r:passed" "$n"
			xp_add "srv:${SRV[$c]}:$key" "$n"
		fi ;;
	*) echo "tx: bad fate $fate" >&2; exit 1 ;;
	esac
}
# send: send the queued packets, wait until each sender is done
send() {
	local c ack
	for c in "${!BATCH[@]}"; do echo "${BATCH[$c]}" >&"${TXFD[$c]}"; done
	for c in "${!BATCH[@]}"; do
		read -r -t $((NC_WAIT_S * 6)) -u "${RXFD[$c]}" ack || ack="no answer"
		[ "$ack" = ok ] || fail "send from $c: $ack"
	done
	BATCH=()
}

# --- the kernel's view, printed the way the expectations are ---
got_devs() {
	local out w i d n=0
	local -A v=()
	out=$(ncnat "$1" dev list)
	while read -r -a w; do
		[ ${#w[@]} -gt 0 ] || continue
		n=$((n + 1))
		for ((i = 1; i + 1 < ${#w[@]}; i += 2)); do v[${w[0]}:${w[i]}]=${w[i + 1]}; done
	done <<<"$out"
	for d in ${DEVS[$1]:-}; do
		printf '%s seen=%s matched=%s passed=%s dropped=%s | ' "$d" "${v[$d:seen]:-}" \
			"${v[$d:matched]:-}" "${v[$d:passed]:-}" "${v[$d:dropped]:-}"
	done
	echo "devices=$n"
}
want_devs() {
	local d n=0 r=$1
	for d in ${DEVS[$r]:-}; do
		printf '%s seen=%s matched=%s passed=%s dropped=%s | ' "$d" \
			"${XP[dev:$r/$d:seen]:-0}" "${XP[dev:$r/$d:matched]:-0}" \
			"${XP[dev:$r/$d:passed]:-0}" "${XP[dev:$r/$d:dropped]:-0}"
		n=$((n + 1))
	done
	echo "devices=$n"
}
got_rules() {
	local out w i l n=0
	local -A p=() b=()
	out=$(ncnat "$1" rule list)
	while read -r -a w; do
		[ "${w[0]:-}" = handle ] || continue
		n=$((n + 1))
		for ((i = 2; i + 1 < ${#w[@]}; i++)); do
			case ${w[i]} in
			packets) p[${w[1]}]=${w[i + 1]} ;;
			bytes) b[${w[1]}]=${w[i + 1]} ;;
			esac
		done
	done <<<"$out"
	for l in ${RULES[$1]:-}; do
		printf '%s=%s/%s ' "$l" "${p[${H[$1:$l]}]:-}" "${b[${H[$1:$l]}]:-}"
	done
	echo "rules=$n"
}
want_rules() {
	local l n=0 r=$1
	for l in ${RULES[$r]:-}; do
		printf '%s=%s/%s ' "$l" "${XP[rule:$r:$l:pk]}" "${XP[rule:$r:$l:by]}"
		n=$((n + 1))
	done
	echo "rules=$n"
}
got_drops() {	# the nonzero drop reasons
	local out w
	out=$(ncnat "$1" stats)
	while read -r -a w; do
		if [ "${w[0]:-}" = reason ] && [ "${w[2]}" != 0 ]; then
			printf '%s=%s ' "${w[1]}" "${w[2]}"
		fi
	done <<<"$out"
	echo .
}
want_drops() {
	if [ "${XP[drop:$1]:-0}" != 0 ]; then printf 'rule-drop=%s ' "${XP[drop:$1]}"; fi
	echo .
}
# what a server received: UDP datagrams (to open or closed ports), ICMP
# echo requests, TCP segments (v4 and v6 share that MIB), unknown protocols
got_srv() {
	local w h i t
	local -A v=() hd=()
	while read -r -a w; do
		if [ -z "${hd[${w[0]}]:-}" ]; then
			hd[${w[0]}]="${w[*]}"
			continue
		fi
		read -r -a h <<<"${hd[${w[0]}]}"
		for ((i = 1; i < ${#w[@]}; i++)); do v[${h[0]%:}${h[i]}]=${w[i]}; done
	done <"/proc/${PID[$1]}/net/snmp"
	t=$(<"/proc/${PID[$1]}/net/snmp6")
	for i in Udp6InDatagrams Udp6NoPorts Icmp6InEchos Ip6InUnknownProtos; do
		if [[ $t =~ ${i}[[:space:]]+([0-9]+) ]]; then v[$i]=${BASH_REMATCH[1]}; fi
	done
	echo "udp4=$((v[UdpInDatagrams] + v[UdpNoPorts])) udp6=$((v[Udp6InDatagrams] + v[Udp6NoPorts]))" \
		"icmp4=${v[IcmpInEchos]} icmp6=${v[Icmp6InEchos]} tcp=${v[TcpInSegs]}" \
		"unk4=${v[IpInUnknownProtos]} unk6=${v[Ip6InUnknownProtos]}"
}
want_srv() {
	local s=$1
	echo "udp4=${XP[srv:$s:udp4]} udp6=${XP[srv:$s:udp6]}" \
		"icmp4=${XP[srv:$s:icmp4]} icmp6=${XP[srv:$s:icmp6]} tcp=${XP[srv:$s:tcp]}" \
		"unk4=${XP[srv:$s:unk4]} unk6=${XP[srv:$s:unk6]}"
}

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
check_wait() {
	local name=$1 want=$2
	shift 2
	check_eq "$name" "$want" waitfor "$want" "$@"
}
# verify STEP: send, then check every counter of every router and server
verify() {
	local r s
	send
	for r in $ROUTERS; do
		check_wait "$1: $r devices" "$(want_devs "$r")" got_devs "$r"
		check_wait "$1: $r rules" "$(want_rules "$r")" got_rules "$r"
		check_wait "$1: $r drop reasons" "$(want_drops "$r")" got_drops "$r"
	done
	for s in $SERVERS; do
		check_wait "$1: $s received" "$(want_srv "$s")" got_srv "$s"
	done
}
# ==== end of the traffic block ====

nc_require
qns c r s
qveth c v0 r c
qveth r s0 s v0
ipb c <<EOT
addr add 10.1.0.2/24 dev v0
addr add fd01::2/64 dev v0
route add default via 10.1.0.1
route add default via fd01::1
EOT
ipb r <<EOT
addr add 10.1.0.1/24 dev c
addr add fd01::1/64 dev c
addr add 10.2.0.1/24 dev s0
addr add fd02::1/64 dev s0
EOT
ipb s <<EOT
addr add 10.2.0.2/24 dev v0
addr add fd02::2/64 dev v0
route add default via 10.2.0.1
route add default via fd02::1
EOT
forwarding r
attach r c
server s
client c r c s
C4=10.1.0.2 S4=10.2.0.2 C6=fd01::2 S6=fd02::2

# rule_order NS: the labels of the rules in `rule list` order
rule_order() {
	local out w l order=''
	out=$(ncnat "$1" rule list)
	while read -r -a w; do
		for l in ${RULES[$1]}; do
			if [ "${w[1]:-}" = "${H[$1:$l]}" ]; then order="$order $l"; fi
		done
	done <<<"$out"
	echo "${order# }"
}

# a lower prio value wins over an earlier handle; the more specific rule
# does not win by being specific
rule r a prio 20 proto udp dport 5000 drop
rule r b prio 10 proto udp dport 5000-5001 accept
rule r c prio 30 family ip drop
rule r d prio 10 proto udp dport 5000 drop	# same prio as b, later
check_eq "prio order listed" "b d a c" rule_order r
tx c b:accept udp $C4 0 $S4 5000 2 10
tx c b:accept udp $C4 0 $S4 5001 1 20
tx c c:drop udp $C4 0 $S4 5002 4 10
tx c c:drop icmp $C4 $S4 1 8
tx c b:accept udp $C6 0 $S6 5000 2 10
tx c miss icmp $C6 $S6 1 8
verify "lower prio first"

# within one prio the lower handle wins, whatever the shape
flush r
rule r x prio 5 proto udp drop
rule r y prio 5 family ip proto udp dport 6000 accept
rule r z prio 5 family ip6 accept
rule r w prio 6 daddr $S6/128 drop
check_eq "handle order listed" "x y z w" rule_order r
tx c x:drop udp $C4 0 $S4 6000 2 10
tx c x:drop udp $C6 0 $S6 6000 1 10
tx c z:accept icmp $C6 $S6 2 8
tx c z:accept tcp $C6 0 $S6 6000 1
tx c miss icmp $C4 $S4 1 8
verify "same prio"

# deleting the winner lets the next rule decide; the others keep counting
ncnat r rule del handle "${H[r:x]}"
RULES[r]=" y z w"
tx c y:accept udp $C4 0 $S4 6000 2 10
tx c miss udp $C4 0 $S4 6001 1 10
tx c z:accept udp $C6 0 $S6 6000 4 10
verify "winner deleted"

ncnat r rule del handle "${H[r:z]}"
RULES[r]=" y w"
tx c y:accept udp $C4 0 $S4 6000 1 10
tx c w:drop udp $C6 0 $S6 6000 2 10
tx c w:drop icmp $C6 $S6 1 8
verify "next winner deleted"
check_fails "deleted handle gone" ncnat r rule del handle "${H[r:z]}"

# a rule added later with a lower prio takes over
rule r v prio 1 proto udp drop
tx c v:drop udp $C4 0 $S4 6000 2 10
tx c v:drop udp $C6 0 $S6 6000 1 10
tx c w:drop icmp $C6 $S6 1 8
verify "later lower prio"

# the extremes of prio
flush r
rule r top prio 0 proto icmp accept
rule r bottom prio 4294967295 family ip drop
rule r mid prio 2147483648 proto icmp drop
check_eq "extreme prios listed" "top mid bottom" rule_order r
check_fails "prio beyond 32 bits refused" ncnat r rule add prio 4294967296 family ip drop
tx c top:accept icmp $C4 $S4 1 8
tx c bottom:drop udp $C4 0 $S4 7 2 10
tx c miss udp $C6 0 $S6 7 1 10
verify "prio extremes"

# flush restores pass-through
flush r
tx c miss udp $C4 0 $S4 5000 2 10
tx c miss icmp $C4 $S4 1 8
tx c miss udp $C6 0 $S6 6000 1 10
verify "flushed"

nc_done
