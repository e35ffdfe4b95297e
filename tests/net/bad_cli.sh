#!/bin/bash
# bad_cli.sh: every bad ncnat command line fails with the documented exit
# status (2 bad usage, 1 refused by the kernel or the system), one
# "ncnat: ..." message on stderr naming the culprit, nothing on stdout,
# and no change: `save`, `dev list` and the generation stay identical.
# Then the good cases: `save | load -` keeps the ruleset, an empty (or
# comments-only) load file empties it.
. "$(dirname "$0")/lib.sh"
nc_require

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; nc_cleanup' EXIT

ns_add a
nsx a ip link add d0 type dummy
nsx a ip link add d1 type dummy
ncnat a dev attach d0
# one rule per kind of match, both verdicts, both families
cat >"$tmp/rules" <<'EOF'
# the baseline ruleset
rule add prio 10 iif d0 proto tcp dport 22 accept
rule add prio 20 family ip6 proto icmpv6 accept   # trailing comment

rule add saddr 10.0.0.0/8 proto udp sport 1000-2000 drop
rule add prio 4294967295 daddr fd00:1::/64 proto 47 drop
rule add family ip saddr 192.0.2.1 daddr 198.51.100.0/24 dport 0-65535 drop
EOF
ncnat a load "$tmp/rules"

# The state a failed command must not change: save, dev list and stats
# (generation, counters).  Each case compares the stats, which include
# the generation that every edit bumps; save and dev list are compared in
# full at the end.  Few forks per case: they are slow in the VMs.
state() {
	ncnat a save
	ncnat a dev list
	ncnat a stats
}
base=$(state)
base_stats=$(ncnat a stats)
check_eq "baseline has 5 rules" 5 sh -c "echo \"$base\" | grep -c '^rule add'"

# bad NAME RC REGEX ARGS...: `ncnat ARGS` (no -n added) exits RC, prints
# exactly one stderr line "ncnat: ..." matching REGEX (ERE, any case) and
# nothing on stdout, and the stats (generation) are what they were.
bad() {
	local name=$1 want=$2 re=$3 rc=0 why= err now
	shift 3
	"$NCNAT_BIN" "$@" >"$tmp/out" 2>"$tmp/err" <"${STDIN:-/dev/null}" || rc=$?
	ncnat a stats >"$tmp/now"
	mapfile -t err <"$tmp/err"
	IFS= read -rd '' now <"$tmp/now" || true
	shopt -s nocasematch
	if [ "$rc" != "$want" ]; then
		why="exit $rc, want $want"
	elif [ "${#err[@]}" != 1 ] || [[ ${err[0]} != "ncnat: "* ]]; then
		why="want one 'ncnat: ' line on stderr"
	elif ! [[ ${err[0]} =~ $re ]]; then
		why="message does not match '$re'"
	elif [ -s "$tmp/out" ]; then
		why="stdout not empty"
	fi
	shopt -u nocasematch
	[ "${now%$'\n'}" = "$base_stats" ] || why="${why:+$why; }state changed"
	if [ -z "$why" ]; then
		pass "$name"
		return
	fi
	fail "$name"
	echo "    $why; stderr: ${err[*]:0:3}"
	if [[ $why == *"state changed" ]]; then	# the baseline back, for the next cases
		ncnat a rule flush
		ncnat a load "$tmp/rules"
		base=$(state)
		base_stats=$(ncnat a stats)
	fi
}
A="-n $(ns a)"

# unknown words
bad "unknown keyword" 2 "frobnicate" $A rule add proto tcp frobnicate 1 drop
bad "unknown object" 2 "frob" $A frob
bad "unknown rule command" 2 "frob" $A rule frob
bad "unknown dev command" 2 "frob" $A dev frob
bad "unknown option" 2 "--frob" $A --frob rule list
bad "no command after object" 2 "missing" $A rule
bad "unknown family" 2 "ip4" $A rule add family ip4 drop
bad "unknown protocol" 2 "foo" $A rule add proto foo drop
bad "unknown verdict" 2 "reject|verdict" $A rule add proto tcp reject
bad "prio not first" 2 "prio" $A rule add proto tcp prio 5 drop
# numbers
bad "prio not a number" 2 "abc" $A rule add prio abc drop
bad "prio negative" 2 "-1" $A rule add prio -1 drop
bad "prio 2^32" 2 "4294967296" $A rule add prio 4294967296 drop
bad "prio 1e3" 2 "1e3" $A rule add prio 1e3 drop
bad "proto 256" 2 "256" $A rule add proto 256 drop
bad "port in hex" 2 "0x50" $A rule add proto tcp dport 0x50 drop
bad "port 65536" 2 "65536" $A rule add proto tcp dport 65536 drop
bad "port range 10-5" 2 "10-5" $A rule add proto udp sport 10-5 drop
bad "port range open end" 2 "5-" $A rule add proto udp dport 5- drop
bad "port range 1-2-3" 2 "1-2-3" $A rule add proto udp dport 1-2-3 drop
bad "handle not a number" 2 "abc" $A rule del handle abc
# addresses
bad "IPv4 prefix /33" 2 "/33" $A rule add saddr 10.0.0.0/33 drop
bad "IPv6 prefix /129" 2 "/129" $A rule add daddr fd00::/129 drop
bad "prefix length not a number" 2 "/x" $A rule add saddr 10.0.0.0/x drop
bad "bad IPv4 address" 2 "10.0.0.256" $A rule add saddr 10.0.0.256 drop
bad "bad IPv6 address" 2 "fd00:::1" $A rule add daddr fd00:::1 drop
bad "address is a name" 2 "localhost" $A rule add saddr localhost drop
bad "empty address" 2 "address|saddr" $A rule add saddr "" drop
bad "host bits set 10.0.0.1/8" 2 "10.0.0.1/8" $A rule add saddr 10.0.0.1/8 drop
bad "family ip, IPv6 address" 2 "fd00::1" $A rule add family ip saddr fd00::1 drop
bad "family ip6, IPv4 address" 2 "10.0.0.1" $A rule add family ip6 daddr 10.0.0.1 drop
bad "saddr IPv4, daddr IPv6" 2 "fd00::1" $A rule add saddr 10.0.0.1 daddr fd00::1 drop
# structure
bad "missing verdict" 2 "verdict" $A rule add proto tcp dport 22
bad "nothing after rule add" 2 "verdict" $A rule add
bad "missing value" 2 "dport" $A rule add proto tcp dport
bad "duplicate match" 2 "duplicate.*proto" $A rule add proto tcp proto udp drop
bad "duplicate verdict" 2 "drop" $A rule add proto tcp drop drop
bad "trailing garbage after verdict" 2 "extra" $A rule add proto tcp drop extra
bad "trailing garbage after flush" 2 "now" $A rule flush now
bad "trailing garbage after list" 2 "x" $A rule list x
bad "trailing garbage after stats" 2 "x" $A stats x
bad "trailing garbage after save" 2 "x" $A save x
bad "trailing garbage after dev attach" 2 "d1" $A dev attach d0 d1
bad "trailing garbage after load" 2 "x" $A load "$tmp/rules" x
bad "del without handle" 2 "handle" $A rule del
bad "del handle without number" 2 "handle" $A rule del handle
bad "del by match" 2 "proto|handle" $A rule del proto tcp
bad "attach without device" 2 "device" $A dev attach
bad "load without file" 2 "file" $A load
# refused by the system or the kernel
bad "attach unknown device" 1 "nosuchdev" $A dev attach nosuchdev
bad "detach device not attached" 1 "not attached" $A dev detach d1
bad "attach twice" 1 "already attached" $A dev attach d0
bad "attach loopback" 1 "loopback" $A dev attach lo
bad "iif unknown device" 1 "nosuchdev" $A rule add iif nosuchdev drop
bad "iif unknown ifindex" 1 "device" $A rule add iif 99999 drop
bad "ports on icmp" 1 "port" $A rule add proto icmp dport 80 drop
bad "del unknown handle" 1 "handle|rule" $A rule del handle 4000000000
bad "load missing file" 1 "nosuchfile" $A load "$tmp/nosuchfile"
init_before=$("$NCNAT_BIN" save; "$NCNAT_BIN" stats | head -n1)
bad "-n missing netns" 1 "nosuchns" -n nosuchns rule list
bad "-n missing netns, flush" 1 "nosuchns" -n nosuchns rule flush
bad "-n missing netns, add" 1 "nosuchns" -n nosuchns rule add drop
check_eq "-n missing netns: initial netns untouched" "$init_before" \
	sh -c "$NCNAT_BIN save; $NCNAT_BIN stats | head -n1"
bad "-n without a name" 2 "-n|netns" -n
bad "-n path escape" 2 "\.\./" -n ../../proc/1/ns/net rule list

# load files that are bad in line 3: nothing applied, FILE:3: in the
# message, exit 1 (a file's errors are not command line usage)
load_bad() {	# load_bad NAME RC REGEX LINE3
	local name=$1 rc=$2 re=$3
	{
		echo "rule add prio 1 proto tcp dport 1 drop"
		echo "# line 2 is a comment"
		echo "$4"
		echo "rule add prio 4 proto tcp dport 4 drop"
	} >"$tmp/bad3"
	bad "load, line 3 $name" "$rc" "bad3:3: .*$re" $A load "$tmp/bad3"
	STDIN=$tmp/bad3 bad "load -, line 3 $name" "$rc" ":3: .*$re" $A load -
}
load_bad "port 70000" 1 "70000" "rule add proto tcp dport 70000 drop"
load_bad "not a rule" 1 "expected" "dev attach d1"
load_bad "missing verdict" 1 "verdict" "rule add proto tcp"
load_bad "unknown device" 1 "nosuchdev" "rule add iif nosuchdev drop"
load_bad "rejected by the kernel" 1 "port" "rule add proto icmp dport 80 drop"

check_eq "save, dev list, stats unchanged by all of the above" "$base" state

# --- good cases ---
ncnat a save >"$tmp/saved"
check "save | load - succeeds" sh -c "$NCNAT_BIN $A save | $NCNAT_BIN $A load -"
check_eq "save | load - keeps the ruleset" "$(cat "$tmp/saved")" ncnat a save
ncnat a load "$tmp/rules"
check_eq "load of the original file: same save" "$(cat "$tmp/saved")" ncnat a save
printf '# nothing but comments\n\n   # and blanks\n' >"$tmp/comments"
check_eq "load of a comments-only file empties the ruleset" "" \
	sh -c "$NCNAT_BIN $A load $tmp/comments 2>&1 && $NCNAT_BIN $A save"
ncnat a load "$tmp/rules"
: >"$tmp/empty"
check_eq "load of an empty file empties the ruleset" "rules 0" \
	sh -c "$NCNAT_BIN $A load $tmp/empty 2>&1 && $NCNAT_BIN $A stats | grep -o 'rules [0-9]*'"
check_eq "devices kept across loads" "$(echo "$base" | grep ' ifindex ')" ncnat a dev list
nc_done
