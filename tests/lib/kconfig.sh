# Sourced by the kernel build scripts (tests/uml/build.sh,
# tests/sanitize/build.sh): apply a list of options to a .config and check
# that Kconfig kept every one of them; and the option lists both share.
#
# nc_kconfig_apply SRC CONFIG OPTS: OPTS is a word list, NAME (=y), NAME=n
# or NAME=VALUE.  Returns non-zero, naming the options, when olddefconfig
# dropped one (Kconfig silently drops options whose dependencies are not
# met); the caller has run its base config and runs olddefconfig itself
# through $nc_kconfig_mk (a command taking make arguments).

# What the scenarios need of a kernel's networking, in both builds.
nc_kconfig_net="
	NET_NS USER_NS VETH BRIDGE MACVLAN IPV6 NETFILTER NETFILTER_ADVANCED
	NF_CONNTRACK NF_NAT NF_TABLES NF_TABLES_INET NF_TABLES_IPV4 NF_TABLES_IPV6
	NF_TABLES_NETDEV NFT_NAT NFT_MASQ NFT_CT NFT_FLOW_OFFLOAD NF_FLOW_TABLE
	NF_FLOW_TABLE_INET NFT_LIMIT NFT_QUOTA NFT_NUMGEN NFT_REJECT NFT_LOG
	NF_CONNTRACK_MARK NF_CT_NETLINK
	NET_PKTGEN NET_SCHED NET_SCH_INGRESS NET_SCH_PRIO NET_CLS NET_CLS_ACT
	NET_CLS_MATCHALL
	NET_ACT_NAT NET_ACT_GACT NET_ACT_MIRRED
	IP_ADVANCED_ROUTER IP_MULTIPLE_TABLES DUMMY TUN PACKET UNIX INET_DIAG
"
# The checkers both test kernels carry (the sanitizer kernel adds KASAN and
# fault injection).
nc_kconfig_debug="
	PROVE_LOCKING PROVE_RCU DEBUG_ATOMIC_SLEEP DEBUG_LIST
	DEBUG_KMEMLEAK DEBUG_KMEMLEAK_AUTO_SCAN=n
	UBSAN UBSAN_BOUNDS UBSAN_SHIFT
"

nc_kconfig_apply() {
	local src=$1 config=$2 opts=$3 o args= bad=

	for o in $opts; do
		case $o in
		*=n) args="$args -d ${o%=n}" ;;
		*=*) args="$args --set-val ${o%%=*} ${o#*=}" ;;
		*) args="$args -e $o" ;;
		esac
	done
	# shellcheck disable=SC2086 # one word per option
	"$src/scripts/config" --file "$config" $args
	$nc_kconfig_mk olddefconfig >/dev/null
	for o in $opts; do
		case $o in
		*=n) grep -q "^CONFIG_${o%=n}=" "$config" && bad="$bad $o" ;;
		*=*) grep -qx "CONFIG_$o" "$config" || bad="$bad $o" ;;
		*) grep -qx "CONFIG_$o=y" "$config" || bad="$bad $o" ;;
		esac
	done
	if [ -n "$bad" ]; then
		echo "kconfig: options not set as requested in $config:$bad" >&2
		return 1
	fi
}
