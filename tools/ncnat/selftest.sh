#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Kernel-free checks of ncnat: command line errors (exit 2, one clear line,
# nothing sent), load file errors (FILE:LINE), the rule grammar's encoding
# and printing, NAT verdicts included, the flow and monitor lines (through
# ncnat-unit), the NAT commands without the NAT module, and JSON escaping.  Needs no netchannel
# kernel; the -n checks need root and `ip netns` and are skipped without.
#
# Prints PASS:/FAIL:/SKIP: lines; exits 1 if anything failed.

set -u
cd "$(dirname "$0")" || exit 1
make -s ncnat ncnat-unit || exit 1

NCNAT=./ncnat
UNIT=./ncnat-unit
tmp=$(mktemp -d)
netns=
cleanup() {
	[ -n "$netns" ] && ip netns del "$netns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

fails=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1${2:+ ($2)}"; fails=$((fails + 1)); }
skip() { echo "SKIP: $1${2:+ ($2)}"; }

# strace, when present, proves that failed commands opened no netlink socket.
have_strace=false
command -v strace >/dev/null && strace -o /dev/null true 2>/dev/null &&
	have_strace=true

# run ARGS...: ncnat ARGS into $tmp/{out,err,rc,trace}
run() {
	: >"$tmp/trace"
	if $have_strace; then
		strace -f -qq -e trace=socket -o "$tmp/trace" \
			$NCNAT "$@" >"$tmp/out" 2>"$tmp/err" <"${STDIN:-/dev/null}"
	else
		$NCNAT "$@" >"$tmp/out" 2>"$tmp/err" <"${STDIN:-/dev/null}"
	fi
	echo $? >"$tmp/rc"
}

# check NAME STATUS REGEX: the last run exited STATUS with exactly one
# stderr line "ncnat: ..." matching REGEX, printed nothing on stdout and
# never opened a netlink socket.
check() {
	local name=$1 want=$2 re=$3 rc
	rc=$(cat "$tmp/rc")
	if [ "$rc" != "$want" ]; then
		fail "$name" "exit $rc, want $want: $(head -c 200 "$tmp/err")"
	elif [ "$(wc -l <"$tmp/err")" != 1 ] || ! grep -q "^ncnat: " "$tmp/err"; then
		fail "$name" "want one 'ncnat: ' line on stderr, got: $(cat "$tmp/err")"
	elif ! grep -qE -- "$re" "$tmp/err"; then
		fail "$name" "stderr '$(cat "$tmp/err")' does not match '$re'"
	elif [ -s "$tmp/out" ]; then
		fail "$name" "stdout not empty: $(head -c 200 "$tmp/out")"
	elif grep -q AF_NETLINK "$tmp/trace"; then
		fail "$name" "opened a netlink socket"
	else
		pass "$name"
	fi
}

# expect_grep NAME REGEX: the last run's stderr matches REGEX
expect_grep() {
	if grep -qE -- "$2" "$tmp/err"; then
		pass "$1"
	else
		fail "$1" "$(cat "$tmp/err")"
	fi
}

# usage NAME REGEX ARGS...: a command line error
usage() {
	local name=$1 re=$2
	shift 2
	run "$@"
	check "usage: $name" 2 "$re"
}

# --- help and global options ---

run
if [ "$(cat "$tmp/rc")" = 2 ] && grep -q '^Usage: ncnat' "$tmp/err" &&
	[ ! -s "$tmp/out" ]; then
	pass "no arguments: usage on stderr, exit 2"
else
	fail "no arguments: usage on stderr, exit 2"
fi
for h in -h --help "-j -h" help; do
	run $h
	if [ "$(cat "$tmp/rc")" = 0 ] && grep -q '^Usage: ncnat' "$tmp/out" &&
		grep -q 'VERDICT := accept | drop' "$tmp/out" &&
		grep -q '| masquerade \[ports P\[-P\]\]' "$tmp/out" &&
		grep -q 'ncnat monitor' "$tmp/out"; then
		pass "help: ncnat $h"
	else
		fail "help: ncnat $h"
	fi
done

usage "unknown option" "unknown option '-x'" -x rule list
usage "unknown long option" "unknown option '--jsonx'" --jsonx rule list
usage "-n without a value" "missing value after '-n'" -n
usage "netns name with a slash" "bad network namespace name '\.\./x'" -n ../x stats
usage "empty netns name" "bad network namespace name ''" --netns= stats
usage "options only" "missing object" -j -n foo
usage "option after the object" "unexpected word '-j' after 'list'" rule list -j
usage "unknown object" "unknown object 'rules'" rules list
usage "unknown rule command" "unknown rule command 'show'" rule show
usage "unknown dev command" "unknown dev command 'add'" dev add veth0
usage "missing rule command" "missing rule command" rule
usage "missing dev command" "missing dev command" dev

# --- dev ---

usage "dev attach without a device" "missing device after 'dev attach'" dev attach
usage "dev detach with two devices" "unexpected word 'b'" dev detach a b
usage "dev list garbage" "unexpected word 'x' after 'list'" -j dev list x
run dev attach ncnat-nosuch0
check "unknown device: dev attach" 1 "^ncnat: unknown device 'ncnat-nosuch0'$"
run dev detach ncnat-nosuch0
check "unknown device: dev detach" 1 "^ncnat: unknown device 'ncnat-nosuch0'$"

# --- rule add: the grammar ---

usage "missing verdict" "missing verdict" rule add
usage "missing verdict after matches" "missing verdict" rule add family ip proto tcp
usage "words after the verdict" "unexpected word 'extra' after 'drop'" rule add drop extra
usage "two verdicts" "unexpected word 'accept' after 'drop'" rule add drop accept
usage "match after the verdict" "unexpected word 'proto'" rule add accept proto tcp
usage "unknown keyword" "unknown keyword 'src'" rule add src 10.0.0.1 drop
usage "unknown verdict" "unknown keyword 'reject'" rule add proto tcp reject
usage "prio not first" "'prio' must come first" rule add family ip prio 3 drop
usage "prio twice" "'prio' must come first" rule add prio 1 prio 2 drop
usage "prio not a number" "bad number 'x' for prio" rule add prio x drop
usage "prio negative" "bad number '-1' for prio" rule add prio -1 drop
usage "prio too big" "bad number '4294967296' for prio" rule add prio 4294967296 drop
usage "prio hex" "bad number '0x10' for prio" rule add prio 0x10 drop
usage "prio missing value" "missing value after 'prio'" rule add prio
usage "family unknown" "unknown family 'inet'" rule add family inet drop
usage "family missing value" "missing value after 'family'" rule add family
usage "proto unknown" "unknown protocol 'sctpx'" rule add proto sctpx drop
usage "proto too big" "unknown protocol '256'" rule add proto 256 drop
usage "iif missing value" "missing value after 'iif'" rule add iif
usage "sport too big" "bad port '65536' for sport" rule add sport 65536 drop
usage "dport negative" "bad port '-1' for dport" rule add dport -1 drop
usage "dport not a number" "bad port 'http' for dport" rule add dport http drop
usage "sport open range" "bad port '10-' for sport" rule add sport 10- drop
usage "sport three parts" "bad port '1-2-3' for sport" rule add sport 1-2-3 drop
usage "sport range min > max" "bad port range '90-80' for sport: 90 is greater than 80" \
	rule add sport 90-80 drop
usage "dport range max too big" "bad port '1-70000' for dport" rule add dport 1-70000 drop
usage "saddr bad address" "bad address '10.0.0.256'" rule add saddr 10.0.0.256 drop
usage "saddr short address" "bad address '10.0.0'" rule add saddr 10.0.0 drop
usage "daddr bad IPv6" "bad address '2001:db8:::1'" rule add daddr 2001:db8:::1 drop
usage "saddr prefix too long" "prefix length 33 too long in '10.0.0.0/33' \(at most 32 for IPv4\)" \
	rule add saddr 10.0.0.0/33 drop
usage "daddr prefix too long" "prefix length 129 too long in '2001:db8::/129'" \
	rule add daddr 2001:db8::/129 drop
usage "saddr bad prefix length" "bad prefix length in '10.0.0.0/x'" rule add saddr 10.0.0.0/x drop
usage "saddr empty prefix length" "bad prefix length in '10.0.0.0/'" rule add saddr 10.0.0.0/ drop
usage "saddr host bits" "host bits set in '10.0.0.1/8' \(did you mean 10.0.0.0/8\?\)" \
	rule add saddr 10.0.0.1/8 drop
usage "daddr host bits IPv6" "host bits set in '2001:db8::1/64'" rule add daddr 2001:db8::1/64 drop
usage "family ip with IPv6 saddr" "saddr 2001:db8::1/128 is IPv6 but the rule says 'family ip'" \
	rule add family ip saddr 2001:db8::1 drop
usage "family ip6 with IPv4 daddr" "daddr 10.0.0.0/8 is IPv4 but the rule says 'family ip6'" \
	rule add daddr 10.0.0.0/8 family ip6 drop
usage "saddr and daddr of two families" "daddr ::1/128 is IPv6 but saddr is IPv4" \
	rule add saddr 10.0.0.0/8 daddr ::1 drop
for m in "family ip" "iif lo" "proto tcp" "saddr 10.0.0.0/8" "daddr 10.0.0.0/8" \
	"sport 1" "dport 1-2"; do
	# shellcheck disable=SC2086 # $m is two words on purpose
	usage "duplicate ${m%% *}" "duplicate match '${m%% *}'" rule add $m $m drop
done
run rule add iif ncnat-nosuch0 drop
check "unknown device: rule add iif" 1 "^ncnat: unknown device 'ncnat-nosuch0'$"
run rule add oif ncnat-nosuch0 masquerade
check "unknown device: rule add oif" 1 "^ncnat: unknown device 'ncnat-nosuch0'$"
usage "oif missing value" "missing value after 'oif'" rule add oif
usage "duplicate oif" "duplicate match 'oif'" rule add oif lo oif lo masquerade

# --- rule add: the NAT verdicts ---

usage "snat without to" "snat needs 'to ADDR\[-ADDR\]'" rule add snat
usage "snat to missing value" "missing value after 'to'" rule add snat to
usage "snat to IPv6" "snat to '2001:db8::1': 2001:db8::1 is IPv6, NAT translates IPv4 only" \
	rule add snat to 2001:db8::1
usage "snat to a name" "bad address 'gw' for snat to" rule add snat to gw
usage "snat to a bad address" "bad address '10.0.0.300' for snat to" rule add snat to 10.0.0.300
usage "snat range reversed" "bad address range '10.0.0.9-10.0.0.1' for snat: 10.0.0.9 is above 10.0.0.1" \
	rule add snat to 10.0.0.9-10.0.0.1
usage "snat range open end" "bad address '10.0.0.1-' for snat to" rule add snat to 10.0.0.1-
usage "snat range IPv6 end" "is IPv6, NAT translates IPv4 only" rule add snat to 10.0.0.1-::1
usage "snat to a prefix" "bad address '10.0.0.0/24' for snat to" rule add snat to 10.0.0.0/24
usage "snat to twice" "duplicate 'to' in snat" rule add snat to 10.0.0.1 to 10.0.0.2
usage "snat, word after it" "unexpected word 'bogus' after 'snat' \(expected to, ports or filtering\)" \
	rule add snat to 10.0.0.1 bogus
usage "snat, match after it" "unexpected word 'proto' after 'snat'" rule add snat to 10.0.0.1 proto tcp
usage "masquerade ports 0" "bad port '0' for masquerade ports" rule add masquerade ports 0
usage "masquerade ports 0-10" "bad port '0-10' for masquerade ports" rule add masquerade ports 0-10
usage "masquerade ports 10-5" "bad port range '10-5' for ports: 10 is greater than 5" \
	rule add masquerade ports 10-5
usage "masquerade ports 1-70000" "bad port '1-70000' for ports" rule add masquerade ports 1-70000
usage "masquerade ports missing value" "missing value after 'ports'" rule add masquerade ports
usage "masquerade ports twice" "duplicate 'ports' in masquerade" rule add masquerade ports 5 ports 6
usage "masquerade to" "unexpected word 'to' after 'masquerade' \(expected ports or filtering\)" \
	rule add masquerade to 10.0.0.1
usage "masquerade stray word" "unexpected word 'bogus' after 'masquerade'" rule add masquerade bogus
usage "filtering unknown" "unknown filtering 'xyz' \(expected eif, adf or apdf\)" \
	rule add masquerade filtering xyz
usage "filtering missing value" "missing value after 'filtering'" rule add masquerade filtering
usage "filtering twice" "duplicate 'filtering' in masquerade" rule add masquerade filtering eif filtering adf
usage "dnat without to" "dnat needs 'to ADDR\[:PORT\]'" rule add dnat
usage "dnat port 0" "bad port in '1.2.3.4:0' for dnat to" rule add dnat to 1.2.3.4:0
usage "dnat port 70000" "bad port in '1.2.3.4:70000' for dnat to" rule add dnat to 1.2.3.4:70000
usage "dnat empty port" "bad port in '1.2.3.4:' for dnat to" rule add dnat to 1.2.3.4:
usage "dnat to IPv6" "dnat to '2001:db8::1': 2001:db8::1 is IPv6" rule add dnat to 2001:db8::1
usage "dnat to [IPv6]:port" "dnat to '\[2001:db8::1\]:80' is IPv6" rule add dnat to "[2001:db8::1]:80"
usage "dnat ports" "unexpected word 'ports' after 'dnat' \(expected to\)" rule add dnat to 1.2.3.4 ports 5
usage "dnat filtering" "unexpected word 'filtering' after 'dnat'" rule add dnat to 1.2.3.4 filtering eif
usage "netmap without to" "netmap needs 'to PREFIX'" rule add saddr 10.0.0.0/24 netmap
usage "netmap without saddr" "netmap to '203.0.113.0/24' needs an IPv4 saddr match of the same length \(/24\)" \
	rule add netmap to 203.0.113.0/24
usage "netmap, other prefix length" "netmap to '203.0.113.0/25' maps saddr 1:1 and needs the same prefix length \(saddr is /24\)" \
	rule add saddr 10.0.0.0/24 netmap to 203.0.113.0/25
usage "netmap host bits" "host bits set in '203.0.113.1/24'" rule add saddr 10.0.0.0/24 netmap to 203.0.113.1/24
usage "netmap to IPv6" "netmap to '2001:db8::/64' is IPv6" rule add saddr 10.0.0.0/24 netmap to 2001:db8::/64
usage "netmap with an IPv6 saddr" "netmap translates IPv4 only, but saddr 2001:db8::/64 is IPv6" \
	rule add saddr 2001:db8::/64 netmap to 203.0.113.0/24
usage "family ip6 masquerade" "masquerade translates IPv4 only, but the rule says 'family ip6'" \
	rule add family ip6 masquerade
usage "IPv6 daddr snat" "snat translates IPv4 only, but daddr 2001:db8::1/128 is IPv6" \
	rule add daddr 2001:db8::1 snat to 10.0.0.1
usage "two NAT verdicts" "unexpected word 'masquerade' after 'masquerade'" rule add masquerade masquerade
usage "NAT verdict then drop" "unexpected word 'drop' after 'masquerade'" rule add masquerade drop
usage "missing verdict names NAT ones" "missing verdict \(accept, drop, snat, masquerade, dnat or netmap\)" \
	rule add oif lo

# --- rule del, flush, list, stats, save ---

usage "rule del without handle" "missing 'handle H' after 'rule del'" rule del
usage "rule del bare number" "unknown word '3' after 'rule del'" rule del 3
usage "rule del handle missing" "missing value after 'handle'" rule del handle
usage "rule del handle bad" "bad number 'x' for handle" rule del handle x
usage "rule del trailing" "unexpected word '4' after '3'" rule del handle 3 4
usage "rule flush trailing" "unexpected word 'all' after 'flush'" rule flush all
usage "rule list trailing" "unexpected word 'x' after 'list'" rule list x
usage "stats trailing" "unexpected word 'x' after 'stats'" stats x
usage "save trailing" "unexpected word 'x' after 'save'" save x
usage "load without file" "missing FILE after 'load'" load
usage "load two files" "unexpected word 'b' after 'a'" load a b

# --- flow, timeout, monitor ---

usage "missing flow command" "missing flow command \(list, flush\)" flow
usage "unknown flow command" "unknown flow command 'show'" flow show
usage "flow list trailing" "unexpected word 'x' after 'list'" flow list x
usage "flow flush trailing" "unexpected word 'all' after 'flush'" flow flush all
usage "missing timeout command" "missing timeout command \(set, list\)" timeout
usage "unknown timeout command" "unknown timeout command 'get'" timeout get
usage "timeout list trailing" "unexpected word 'udp' after 'list'" timeout list udp
usage "timeout set nothing" "missing 'udp\|icmp\|tcp-est\|tcp-trans SECONDS', 'max-mappings N' or 'max-mappings-per-host N' after 'timeout set'" \
	timeout set
usage "timeout set unknown" "unknown timeout 'tcp' \(expected udp, icmp, tcp-est, tcp-trans, max-mappings or max-mappings-per-host\)" \
	timeout set tcp 5
usage "timeout set no value" "missing value after 'udp'" timeout set udp
usage "timeout set 0" "bad number '0' for udp \(expected seconds, at least 1\)" timeout set udp 0
usage "timeout set not a number" "bad number 'abc' for icmp" timeout set icmp abc
usage "timeout set negative" "bad number '-5' for tcp-est" timeout set tcp-est -5
usage "timeout set too big for u32" "bad number '4294967296' for tcp-trans" timeout set tcp-trans 4294967296
usage "timeout set with unit" "bad number '30s' for udp" timeout set udp 30s
usage "timeout set twice" "duplicate 'udp'" timeout set udp 5 udp 6
usage "max-mappings 0" "bad number '0' for max-mappings \(expected mappings, at least 1\)" \
	timeout set max-mappings 0
usage "max and max-mappings" "duplicate 'max-mappings'" timeout set max 5 max-mappings 6
usage "monitor trailing" "unexpected word 'flows' after 'monitor'" monitor flows

# --- load: file errors are FILE:LINE, exit 1, nothing sent ---

# loaderr NAME LINE REGEX: $tmp/rules fails at LINE with REGEX
loaderr() {
	run load "$tmp/rules"
	check "load: $1" 1 "^ncnat: $tmp/rules:$2: $3"
}

printf '# a comment\n\n   \nrule add prio 1 proto tcp dport 80 accept # web\nrule add sport x drop\n' >"$tmp/rules"
loaderr "bad port on line 5" 5 "bad port 'x' for sport"
printf 'rule add drop\nrule del handle 3\n' >"$tmp/rules"
loaderr "only rule add lines" 2 "expected 'rule add \.\.\.', got 'rule del'"
printf 'add drop\n' >"$tmp/rules"
loaderr "missing 'rule'" 1 "expected 'rule add \.\.\.', got 'add drop'"
printf 'rule\n' >"$tmp/rules"
loaderr "lone 'rule'" 1 "expected 'rule add \.\.\.', got 'rule'"
printf 'ncnat rule add drop\n' >"$tmp/rules"
loaderr "ncnat prefix" 1 "expected 'rule add \.\.\.', got 'ncnat rule'"
printf '\n\nrule add family ip saddr ::1 drop\n' >"$tmp/rules"
loaderr "family mismatch on line 3" 3 "saddr ::1/128 is IPv6"
printf 'rule add proto tcp # drop\n' >"$tmp/rules"
loaderr "verdict hidden in a comment" 1 "missing verdict"
printf 'rule add proto tcp drop garbage\n' >"$tmp/rules"
loaderr "trailing garbage" 1 "unexpected word 'garbage' after 'drop'"
printf 'rule add drop\nrule add iif ncnat-nosuch0 drop\n' >"$tmp/rules"
loaderr "unknown device on line 2" 2 "unknown device 'ncnat-nosuch0'"
printf 'rule add sport 1 sport 2 drop\n' >"$tmp/rules"
loaderr "duplicate match" 1 "duplicate match 'sport'"
printf 'rule add oif lo masquerade\nrule add saddr 10.0.1.0/24 netmap to 203.0.113.0/25\n' >"$tmp/rules"
loaderr "netmap prefix length on line 2" 2 "netmap to '203.0.113.0/25' maps saddr 1:1"
printf 'rule add dnat to 10.0.0.1:99999\n' >"$tmp/rules"
loaderr "dnat port" 1 "bad port in '10.0.0.1:99999'"
printf 'rule add masquerade\nrule add oif ncnat-nosuch0 masquerade\n' >"$tmp/rules"
loaderr "unknown oif on line 2" 2 "unknown device 'ncnat-nosuch0'"

printf 'rule add bogus drop\n' >"$tmp/rules"
STDIN="$tmp/rules" run load -
check "load: stdin errors say <stdin>" 1 "^ncnat: <stdin>:1: unknown keyword 'bogus'"

run load "$tmp/nonexistent"
check "load: missing file" 1 "cannot open '$tmp/nonexistent'"

yes 'rule add drop' | head -n 65537 >"$tmp/rules"
run load "$tmp/rules"
check "load: more than NETCHANNEL_MAX_RULES" 1 "65537 rules, more than the limit of 65536"

# Files that parse get as far as the kernel; without netchannel that is
# "family not found".  With netchannel loaded these would change the
# ruleset, so they are skipped then.
$NCNAT stats >/dev/null 2>"$tmp/probe"
if grep -q "family 'netchannel' not found" "$tmp/probe"; then
	printf '# only comments\n\n# and blanks\n' >"$tmp/rules"
	run load "$tmp/rules"
	expect_grep "load: comment-only file parses" "not found"
	# more than one 64 KiB attribute: sent as top-level rules, not refused
	for i in $(seq 1 1000); do
		echo "rule add prio $i family ip6 saddr 2001:db8::/32 daddr 2001:db8:1::/48 dport 1-2 drop"
	done >"$tmp/rules"
	run load "$tmp/rules"
	expect_grep "load: ruleset larger than one netlink attribute parses" "not found"
	: >"$tmp/rules"
	run load "$tmp/rules"
	expect_grep "load: empty file parses" "not found"
	$UNIT rule prio 3 proto tcp saddr 10.0.0.0/8 drop | sed -n 2p >"$tmp/rules"
	echo "# and a comment" >>"$tmp/rules"
	run load "$tmp/rules"
	expect_grep "load: accepts what save prints" "not found"
	run rule add prio 10 family ip proto tcp saddr 10.0.0.0/8 dport 80-90 drop
	expect_grep "rule add: a valid rule gets to the kernel" "not found"
else
	skip "load: files that parse" "a netchannel kernel is present"
fi

# Without the NAT module, the NAT family's commands say so (exit 1).
$NCNAT timeout list >/dev/null 2>"$tmp/probe"
if grep -qx "ncnat: netchannel_nat is not loaded" "$tmp/probe"; then
	for c in "flow list" "-j flow list" "flow flush" "timeout list" \
		"-j timeout list" "timeout set udp 30" "timeout set max-mappings 9" \
		"monitor"; do
		# shellcheck disable=SC2086 # $c is several words on purpose
		run $c
		rc=$(cat "$tmp/rc")
		if [ "$rc" = 1 ] && [ "$(cat "$tmp/err")" = "ncnat: netchannel_nat is not loaded" ] &&
			[ ! -s "$tmp/out" ]; then
			pass "no NAT module: $c"
		else
			fail "no NAT module: $c" "exit $rc: $(cat "$tmp/err")"
		fi
	done
else
	skip "no NAT module" "netchannel_nat is loaded"
fi

# --- rule encoding, decoding and printing (no kernel: ncnat-unit) ---

# unit NAME WORDS EXPECT_ATTRS EXPECT_SAVE: encode WORDS, decode, print
unit() {
	local name=$1 words=$2 attrs=$3 save=$4 got
	# shellcheck disable=SC2086
	if ! $UNIT rule $words >"$tmp/out" 2>"$tmp/err"; then
		fail "rule: $name" "$(cat "$tmp/err")"
		return
	fi
	got=$(sed -n 1p "$tmp/out")
	if [ "$got" != "attrs $attrs" ]; then
		fail "rule: $name" "got '$got', want 'attrs $attrs'"
		return
	fi
	got=$(sed -n 2p "$tmp/out")
	if [ "$got" != "$save" ]; then
		fail "rule: $name" "save line '$got', want '$save'"
		return
	fi
	if ! sed -n 4p "$tmp/out" | python3 -m json.tool >/dev/null 2>&1; then
		fail "rule: $name" "invalid JSON: $(sed -n 4p "$tmp/out")"
		return
	fi
	# What save prints parses back to itself.
	# shellcheck disable=SC2086
	got=$($UNIT rule ${save#rule add } 2>&1 | sed -n 2p)
	if [ "$got" != "$save" ]; then
		fail "rule: $name" "save line does not round-trip: '$got'"
		return
	fi
	pass "rule: $name"
}

# Attribute numbers from include/uapi/linux/netchannel.h.
A_PRIO=2 A_FAMILY=3 A_IIF=4 A_PROTO=5 A_SADDR=6 A_SADDR_LEN=7 A_DADDR=8
A_DADDR_LEN=9 A_SPORT_MIN=10 A_SPORT_MAX=11 A_DPORT_MIN=12 A_DPORT_MAX=13
A_VERDICT=14

unit "the example" "prio 10 family ip proto tcp saddr 10.0.0.0/8 dport 80-90 drop" \
	"$A_PRIO $A_FAMILY $A_PROTO $A_SADDR $A_SADDR_LEN $A_DPORT_MIN $A_DPORT_MAX $A_VERDICT" \
	"rule add prio 10 family ip proto tcp saddr 10.0.0.0/8 dport 80-90 drop"
unit "no prio: PRIO omitted" "proto udp accept" "$A_PROTO $A_VERDICT" \
	"rule add prio 0 proto udp accept"
unit "prio 0 given: PRIO sent" "prio 0 accept" "$A_PRIO $A_VERDICT" \
	"rule add prio 0 accept"
unit "single port sends MIN and MAX" "sport 53 drop" \
	"$A_SPORT_MIN $A_SPORT_MAX $A_VERDICT" "rule add prio 0 sport 53 drop"
unit "saddr implies family ip, /32" "saddr 192.0.2.1 accept" \
	"$A_FAMILY $A_SADDR $A_SADDR_LEN $A_VERDICT" \
	"rule add prio 0 family ip saddr 192.0.2.1/32 accept"
unit "daddr implies family ip6, /128" "daddr 2001:db8::1 drop" \
	"$A_FAMILY $A_DADDR $A_DADDR_LEN $A_VERDICT" \
	"rule add prio 0 family ip6 daddr 2001:db8::1/128 drop"
unit "printed in grammar order" \
	"prio 7 dport 443 sport 1024-65535 daddr 2001:db8::/32 saddr ::/0 proto udp iif lo family ip6 accept" \
	"$A_PRIO $A_FAMILY $A_IIF $A_PROTO $A_SADDR $A_SADDR_LEN $A_DADDR $A_DADDR_LEN $A_SPORT_MIN $A_SPORT_MAX $A_DPORT_MIN $A_DPORT_MAX $A_VERDICT" \
	"rule add prio 7 family ip6 iif lo proto udp saddr ::/0 daddr 2001:db8::/32 sport 1024-65535 dport 443 accept"
unit "proto by number" "proto 47 drop" "$A_PROTO $A_VERDICT" "rule add prio 0 proto 47 drop"
unit "proto number of a named one" "proto 58 drop" "$A_PROTO $A_VERDICT" \
	"rule add prio 0 proto icmpv6 drop"
unit "no matches at all" "drop" "$A_VERDICT" "rule add prio 0 drop"
unit "port 0 and 65535" "sport 0 dport 65535 drop" \
	"$A_SPORT_MIN $A_SPORT_MAX $A_DPORT_MIN $A_DPORT_MAX $A_VERDICT" \
	"rule add prio 0 sport 0 dport 65535 drop"
unit "largest prio" "prio 4294967295 drop" "$A_PRIO $A_VERDICT" \
	"rule add prio 4294967295 drop"

# The NAT verdicts: NETCHANNEL_A_RULE_OIF and the ACTION nest
# (NETCHANNEL_NAT_A_ACT_* in include/uapi/linux/netchannel_nat.h).
A_OIF=18 A_ACTION=19
ACT_ADDR_MIN=1 ACT_ADDR_MAX=2 ACT_PORT_MIN=3 ACT_PORT_MAX=4 ACT_FILTERING=5
ACT_PREFIX=6 ACT_PREFIX_LEN=7

unit "masquerade: no arguments, no nest" "oif lo masquerade" "$A_OIF $A_VERDICT" \
	"rule add prio 0 oif lo masquerade"
unit "masquerade ports and filtering" "prio 10 oif lo masquerade filtering eif ports 2000-3000" \
	"$A_PRIO $A_OIF $A_VERDICT ${A_ACTION}[$ACT_PORT_MIN $ACT_PORT_MAX $ACT_FILTERING]" \
	"rule add prio 10 oif lo masquerade ports 2000-3000 filtering eif"
unit "masquerade single port" "masquerade ports 5000" \
	"$A_VERDICT ${A_ACTION}[$ACT_PORT_MIN $ACT_PORT_MAX]" \
	"rule add prio 0 masquerade ports 5000"
unit "masquerade the defaults, as the kernel reports them" \
	"oif lo masquerade ports 1024-65535 filtering apdf" \
	"$A_OIF $A_VERDICT ${A_ACTION}[$ACT_PORT_MIN $ACT_PORT_MAX $ACT_FILTERING]" \
	"rule add prio 0 oif lo masquerade ports 1024-65535 filtering apdf"
unit "snat to one address" "saddr 10.0.1.0/24 snat to 192.0.2.1" \
	"$A_FAMILY $A_SADDR $A_SADDR_LEN $A_VERDICT ${A_ACTION}[$ACT_ADDR_MIN]" \
	"rule add prio 0 family ip saddr 10.0.1.0/24 snat to 192.0.2.1"
unit "snat pool, ports, filtering" \
	"saddr 10.0.1.0/24 snat filtering adf to 192.0.2.10-192.0.2.20 ports 1024-2047" \
	"$A_FAMILY $A_SADDR $A_SADDR_LEN $A_VERDICT ${A_ACTION}[$ACT_ADDR_MIN $ACT_ADDR_MAX $ACT_PORT_MIN $ACT_PORT_MAX $ACT_FILTERING]" \
	"rule add prio 0 family ip saddr 10.0.1.0/24 snat to 192.0.2.10-192.0.2.20 ports 1024-2047 filtering adf"
unit "snat range of one address" "snat to 192.0.2.1-192.0.2.1" \
	"$A_VERDICT ${A_ACTION}[$ACT_ADDR_MIN]" "rule add prio 0 snat to 192.0.2.1"
unit "dnat to address and port" "daddr 192.0.2.1 proto tcp dport 8080 dnat to 10.0.1.2:80" \
	"$A_FAMILY $A_PROTO $A_DADDR $A_DADDR_LEN $A_DPORT_MIN $A_DPORT_MAX $A_VERDICT ${A_ACTION}[$ACT_ADDR_MIN $ACT_PORT_MIN]" \
	"rule add prio 0 family ip proto tcp daddr 192.0.2.1/32 dport 8080 dnat to 10.0.1.2:80"
unit "dnat to an address" "iif lo proto udp dport 53 dnat to 10.0.1.2" \
	"$A_IIF $A_PROTO $A_DPORT_MIN $A_DPORT_MAX $A_VERDICT ${A_ACTION}[$ACT_ADDR_MIN]" \
	"rule add prio 0 iif lo proto udp dport 53 dnat to 10.0.1.2"
unit "netmap" "saddr 10.0.2.0/24 netmap to 203.0.113.0/24" \
	"$A_FAMILY $A_SADDR $A_SADDR_LEN $A_VERDICT ${A_ACTION}[$ACT_PREFIX $ACT_PREFIX_LEN]" \
	"rule add prio 0 family ip saddr 10.0.2.0/24 netmap to 203.0.113.0/24"
unit "netmap of one address" "saddr 10.0.2.7 netmap to 203.0.113.9" \
	"$A_FAMILY $A_SADDR $A_SADDR_LEN $A_VERDICT ${A_ACTION}[$ACT_PREFIX $ACT_PREFIX_LEN]" \
	"rule add prio 0 family ip saddr 10.0.2.7/32 netmap to 203.0.113.9/32"
unit "family ip and a NAT verdict" "family ip oif lo masquerade" \
	"$A_FAMILY $A_OIF $A_VERDICT" "rule add prio 0 family ip oif lo masquerade"

# jsonrule NAME WORDS PYDICT: the JSON object of rule WORDS is PYDICT
jsonrule() {
	# shellcheck disable=SC2086
	$UNIT rule $2 2>&1 | sed -n 4p >"$tmp/json"
	if python3 -c 'import json, sys; sys.exit(0 if json.load(open(sys.argv[1])) == eval(sys.argv[2]) else 1)' \
		"$tmp/json" "$3" 2>/dev/null; then
		pass "rule JSON: $1"
	else
		fail "rule JSON: $1" "$(cat "$tmp/json")"
	fi
}
jsonrule "masquerade" "oif lo masquerade ports 1024-65535 filtering apdf" \
	'{"handle": 7, "prio": 0, "oif": "lo", "verdict": "masquerade", "ports": "1024-65535", "filtering": "apdf", "packets": 0, "bytes": 0}'
jsonrule "masquerade, single port" "masquerade ports 5000" \
	'{"handle": 7, "prio": 0, "verdict": "masquerade", "ports": 5000, "packets": 0, "bytes": 0}'
jsonrule "snat pool" "snat to 192.0.2.10-192.0.2.20 filtering eif" \
	'{"handle": 7, "prio": 0, "verdict": "snat", "to": "192.0.2.10-192.0.2.20", "filtering": "eif", "packets": 0, "bytes": 0}'
jsonrule "dnat" "proto tcp dport 8080 dnat to 10.0.1.2:80" \
	'{"handle": 7, "prio": 0, "proto": "tcp", "dport": 8080, "verdict": "dnat", "to": "10.0.1.2:80", "packets": 0, "bytes": 0}'
jsonrule "netmap" "saddr 10.0.2.0/24 netmap to 203.0.113.0/24" \
	'{"handle": 7, "prio": 0, "family": "ip", "saddr": "10.0.2.0/24", "verdict": "netmap", "to": "203.0.113.0/24", "packets": 0, "bytes": 0}'
jsonrule "oif of a gone device" "oif 999999 masquerade" \
	'{"handle": 7, "prio": 0, "oif": 999999, "verdict": "masquerade", "packets": 0, "bytes": 0}'

$UNIT rule prio 10 oif lo saddr 10.0.1.0/24 snat to 192.0.2.1 ports 1024-65535 >"$tmp/out" 2>&1
want='handle 7 prio 10 family ip oif lo saddr 10.0.1.0/24 snat to 192.0.2.1 ports 1024-65535 packets 0 bytes 0'
if [ "$(sed -n 3p "$tmp/out")" = "$want" ]; then
	pass "rule: NAT list line"
else
	fail "rule: NAT list line" "$(sed -n 3p "$tmp/out")"
fi

# --- flow list and monitor lines (ncnat-unit flow PROTO STATE [PORT]) ---

# flowline NAME PROTO STATE PORT LIST_LINE MONITOR_LINE
flowline() {
	$UNIT flow "$2" "$3" "$4" >"$tmp/out" 2>&1
	if [ "$(sed -n 1p "$tmp/out")" != "$5" ]; then
		fail "flow: $1" "list line '$(sed -n 1p "$tmp/out")'"
	elif [ "$(sed -n 2p "$tmp/out")" != "$6" ]; then
		fail "flow: $1" "monitor line '$(sed -n 2p "$tmp/out")'"
	else
		pass "flow: $1"
	fi
}
flowline "udp" 17 0 4444 \
	"udp inside 10.0.1.2:4444 outside 192.0.2.1:40000 remote 192.0.2.2:53 state none expires 299s packets 3/2 bytes 252/168 rule 5" \
	"new udp inside 10.0.1.2:4444 outside 192.0.2.1:40000 remote 192.0.2.2:53"
flowline "icmp: the identifier as the port" 1 0 7 \
	"icmp inside 10.0.1.2:7 outside 192.0.2.1:40000 remote 192.0.2.2:53 state none expires 299s packets 3/2 bytes 252/168 rule 5" \
	"new icmp inside 10.0.1.2:7 outside 192.0.2.1:40000 remote 192.0.2.2:53"
for st in 0:none 1:syn 2:established 3:fin 4:closing 9:9; do
	flowline "tcp state ${st#*:}" 6 "${st%%:*}" 1 \
		"tcp inside 10.0.1.2:1 outside 192.0.2.1:40000 remote 192.0.2.2:53 state ${st#*:} expires 299s packets 3/2 bytes 252/168 rule 5" \
		"new tcp inside 10.0.1.2:1 outside 192.0.2.1:40000 remote 192.0.2.2:53"
done
flowline "other protocol by number" 47 0 0 \
	"47 inside 10.0.1.2:0 outside 192.0.2.1:40000 remote 192.0.2.2:53 state none expires 299s packets 3/2 bytes 252/168 rule 5" \
	"new 47 inside 10.0.1.2:0 outside 192.0.2.1:40000 remote 192.0.2.2:53"
$UNIT flow 6 2 4444 | sed -n 3p >"$tmp/json"
if python3 - "$tmp/json" <<'EOF'
import json, sys
f = json.load(open(sys.argv[1]))
want = {"proto": "tcp", "inside": "10.0.1.2:4444", "outside": "192.0.2.1:40000",
        "remote": "192.0.2.2:53", "state": "established", "expires": 299,
        "packets_out": 3, "bytes_out": 252, "packets_in": 2, "bytes_in": 168,
        "rule": 5}
sys.exit(0 if f == want else 1)
EOF
then
	pass "flow: JSON object"
else
	fail "flow: JSON object" "$(cat "$tmp/json")"
fi

# The list line and the JSON object of one rule.
$UNIT rule prio 10 family ip iif lo proto tcp saddr 10.0.0.0/8 dport 80-90 sport 22 drop >"$tmp/out" 2>&1
want='handle 7 prio 10 family ip iif lo proto tcp saddr 10.0.0.0/8 sport 22 dport 80-90 drop packets 0 bytes 0'
if [ "$(sed -n 3p "$tmp/out")" = "$want" ]; then
	pass "rule: list line"
else
	fail "rule: list line" "$(sed -n 3p "$tmp/out")"
fi
sed -n 4p "$tmp/out" >"$tmp/json"
if python3 - "$tmp/json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
want = {"handle": 7, "prio": 10, "family": "ip", "iif": "lo", "proto": "tcp",
        "saddr": "10.0.0.0/8", "sport": 22, "dport": "80-90",
        "verdict": "drop", "packets": 0, "bytes": 0}
sys.exit(0 if r == want else 1)
EOF
then
	pass "rule: JSON object"
else
	fail "rule: JSON object" "$(cat "$tmp/json")"
fi
$UNIT rule proto 200 iif 999999 accept 2>&1 | sed -n 4p >"$tmp/json"
if python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if r["proto"] == 200 and r["iif"] == 999999 and r["verdict"] == "accept" else 1)' "$tmp/json"; then
	pass "rule: JSON numbers for unnamed proto and a gone device"
else
	fail "rule: JSON numbers for unnamed proto and a gone device" "$(cat "$tmp/json")"
fi

# --- JSON escaping ---

json_case() {
	local name=$1 want=$2
	shift 2
	$UNIT json "$@" >"$tmp/json"
	if [ "$(cat "$tmp/json")" != "$want" ]; then
		fail "json: $name" "got $(cat "$tmp/json"), want $want"
	elif ! python3 -m json.tool "$tmp/json" >/dev/null 2>&1; then
		fail "json: $name" "python3 -m json.tool rejects $(cat "$tmp/json")"
	else
		pass "json: $name"
	fi
}

json_case "plain" '["veth0"]' veth0
json_case "quote and backslash" '["a\"b\\c"]' 'a"b\c'
json_case "newline tab cr" '["a\nb\tc\rd"]' "$(printf 'a\nb\tc\rd')"
json_case "other control characters" '["\u0001\u001f\u007f"]' "$(printf '\001\037\177')"
json_case "valid UTF-8 kept" '["é€😀"]' "$(printf '\303\251\342\202\254\360\237\230\200')"
json_case "invalid byte as Latin-1" '["a\u00ffb"]' "$(printf 'a\377b')"
json_case "truncated sequence" '["\u00c3"]' "$(printf '\303')"
json_case "overlong form" '["\u00c0\u00af"]' "$(printf '\300\257')"
json_case "surrogate" '["\u00ed\u00a0\u0080"]' "$(printf '\355\240\200')"
json_case "several values" '["","x","y"]' "" x y

# Python must decode the escapes to the original characters.
$UNIT json 'q"b\s' "$(printf 't\tn\nc\001')" >"$tmp/json"
if python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); sys.exit(0 if v == ["q\"b\\s", "t\tn\nc\x01"] else 1)' "$tmp/json"; then
	pass "json: escapes decode to the original"
else
	fail "json: escapes decode to the original" "$(cat "$tmp/json")"
fi

# --- -n NETNS: names resolve inside the namespace ---

if [ "$(id -u)" = 0 ] && command -v ip >/dev/null &&
	ip netns add "ncnat-selftest-$$" 2>/dev/null; then
	netns="ncnat-selftest-$$"
	if ip -n "$netns" link add ncnat-st0 type veth peer name ncnat-st1 2>/dev/null; then
		run rule add iif ncnat-st0 drop
		check "netns: device absent outside" 1 "unknown device 'ncnat-st0'"
		run -n "$netns" -j rule add iif ncnat-st0 drop
		if grep -q "unknown device" "$tmp/err"; then
			fail "netns: device resolves inside -n" "$(cat "$tmp/err")"
		else
			pass "netns: device resolves inside -n"
		fi
		run -j -n "$netns" dev attach ncnat-st1
		if grep -q "unknown device" "$tmp/err"; then
			fail "netns: -j before -n works" "$(cat "$tmp/err")"
		else
			pass "netns: -j before -n works"
		fi
	else
		skip "netns: device resolution" "cannot create a veth pair"
	fi
	run -n ncnat-no-such-netns stats
	check "netns: missing namespace" 1 "cannot open network namespace 'ncnat-no-such-netns'"
else
	skip "netns" "needs root and ip netns"
fi

if [ "$fails" -ne 0 ]; then
	echo "selftest: $fails failed"
	exit 1
fi
echo "selftest: all passed"
