#!/bin/bash
# module_unload.sh: `rmmod netchannel` with devices attached in several
# namespaces, rules loaded and a flood going through succeeds; traffic then
# flows unfiltered; loading the module again gives a fresh, working engine.
# Twice, to catch what a first unload leaves behind.  The console is checked
# for splats by the runner.
#
# Only where netchannel is a module (the QEMU lane); where it is built in
# (UML) this prints SKIP and exits 0.  The module is loaded again at exit
# whatever happened, for the scenarios that share the boot.
#
#   c v0 ---- c r s0 ---- v0 s       q v0 ---- p r2
. "$(dirname "$0")/lib.sh"

if ! grep -q '^netchannel ' /proc/modules; then
	skip "module unload (netchannel is not a loaded module here: built in, lane ${NC_LANE:-?})"
	exit 0
fi

# the project's modules, loaded as guest-init does: insmod of
# build/modules/$(uname -r)/*.ko (NC_MODULES_DIR), dependencies first
. "$NC_TOP/tests/lib/modules.sh"
loaded() { grep -q '^netchannel ' /proc/modules; }
# unload: consumers of netchannel (e.g. a NAT module) first, then it
unload_all() {
	local m
	for m in /sys/module/netchannel/holders/*; do
		[ -e "$m" ] || continue
		timeout 120 rmmod "${m##*/}" || return 1
	done
	timeout 120 rmmod netchannel
}
trap 'nc_cleanup; loaded || nc_load_modules' EXIT
dev() { ncnat "$1" dev list | awk -v d="$2" -v f="$3" '$1 == d { for (i = 2; i < NF; i++) if ($i == f) print $(i + 1) }'; }
rule_pkts() { ncnat "$1" rule list | awk -v h="$2" '$2 == h { for (i = 3; i < NF; i++) if ($i == "packets") print $(i + 1) }'; }
# noports: UDP datagrams s got for closed ports
noports() { nsx s awk '/^Udp: [0-9]/ { print $3 }' /proc/net/snmp; }
# udp N: N datagrams from c to s port 7 (closed)
udp() { nsx c bash -c "for ((i = 0; i < $1; i++)); do echo x >/dev/udp/10.2.0.2/7; done"; }
is() { [ "$("${@:2}")" = "$1" ]; }

nc_require
qns c r s q r2
qline c r s 4
qveth q v0 r2 p
forwarding r

# setup ROUND: the engine attached in r and r2 with rules; UDP to port 7
# dropped exactly
setup() {
	check "$1: attach" sh -c "'$NCNAT_BIN' -n '$(ns r)' dev attach c && '$NCNAT_BIN' -n '$(ns r2)' dev attach p"
	h=$(ncnat r rule add proto udp dport 7 drop)
	ncnat r rule add proto icmp accept >/dev/null
	ncnat r2 rule add family ip drop >/dev/null
	n0=$(noports)
	udp 3
	check "$1: UDP dropped" until_ok is 3 rule_pkts r "$h"
	check_eq "$1: s got no UDP" "$n0" noports
}

# unload ROUND: rmmod under a flood, then traffic flows unfiltered
unload() {
	check "$1: flood through the engine" until_ok above 50 dev r c seen
	check "$1: rmmod under traffic" unload_all
	check_fails "$1: module gone" loaded
	check_fails "$1: genl family gone" genl ctrl get name netchannel
	check_fails "$1: ncnat says so" ncnat r stats
	n0=$(noports)
	udp 3
	check "$1: UDP unfiltered" until_ok is $((n0 + 3)) noports
	check "$1: ping unfiltered" nsx c ping -c 2 -i 0.2 -W 2 10.2.0.2
}

nsbg c ping -q -i 0.005 10.2.0.2 >/dev/null 2>&1
for round in 1 2; do
	setup "round $round"
	unload "round $round"
	check "round $round: insmod" nc_load_modules
	check "round $round: genl family back" genl ctrl get name netchannel
	check_eq "round $round: no devices after reload" "" ncnat r dev list
	check_eq "round $round: no rules after reload" "" ncnat r rule list
	check_eq "round $round: nothing in r2 either" "" ncnat r2 save
done
setup "after reload"
check "flood counted after reload" until_ok above 50 dev r c seen
nc_done
