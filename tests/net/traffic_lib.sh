# tests/net/traffic_lib.sh: exact-counter traffic helpers for the filter
# scenarios (filter_match.sh, filter_priority.sh, netns_isolation.sh).
# Sourced after lib.sh, whose quiet links (qns, qveth, qline) and waiting
# helpers (waitfor, check_wait, NC_WAIT_S) it uses:
#   . "$(dirname "$0")/lib.sh"
#   . "$(dirname "$0")/traffic_lib.sh"
# Not a scenario (tests/run-all.sh skips every *lib.sh).
#
# Over quiet links nothing but the test's own packets crosses a client
# link, so every counter can be exact.
#
# `client` starts a python3 packet sender in a client namespace, fed over a
# FIFO; `tx` queues packets and records what must become of them; `verify`
# sends them and checks, cumulatively over the script: each rule's packets
# and bytes (bytes = L3 length), each attached device's
# seen/matched/passed/dropped, each router netns's drop reasons (only
# rule-drop may move), and what each server received (its own SNMP
# counters, read through /proc/PID/net of a process living there).

NC_TMP=$(mktemp -d)
trap 'nc_cleanup; rm -rf "$NC_TMP"' EXIT
declare -A XP=() H=() LINK=() SRV=() BATCH=() RULES=() DEVS=() PID=() TXFD=() RXFD=()
ROUTERS='' SERVERS=''

xp_add() { XP[$1]=$((${XP[$1]:-0} + $2)); }
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
