#!/bin/bash
# bad_netlink.sh: every malformed or invalid genl request (unknown and
# unexpected attributes, wrong lengths, bad nesting, out-of-range values,
# unknown devices and handles, bad verdicts, a ruleset whose 3rd rule is
# bad) fails with the right errno and an extack report that blames the
# right attribute, and changes nothing.  The requests come from
# bad_netlink.py (raw netlink, tests/lib/ncgenl.py); state is compared per
# request there, and once more here through the CLI (save, dev list,
# generation).  Dummy devices: no traffic, so counters hold still too.
. "$(dirname "$0")/lib.sh"
nc_require

ns_add a
nsx a ip link add d0 type dummy
nsx a ip link add d1 type dummy
nsx a ip link set d0 up
nsx a ip link set d1 up
ncnat a dev attach d0
ncnat a rule add prio 5 iif d0 proto tcp dport 22 accept >/dev/null
ncnat a rule add saddr 10.0.0.0/8 sport 1000-2000 drop >/dev/null
ncnat a rule add daddr fd00::/64 proto udp drop >/dev/null

state() {
	ncnat a save
	ncnat a dev list
	nc_stat a generation
}
before=$(state)

# (no process substitution: the guest's /dev has no fd/ links)
out=$(nsx a python3 "$NC_TOP/tests/net/bad_netlink.py" d0 d1) ||
	out="$out
bad	bad_netlink.py ran to the end	exit status $?"
while IFS=$'\t' read -r res name why; do
	if [ "$res" = ok ]; then
		pass "$name"
	else
		fail "$name"
		echo "    $why"
	fi
done <<<"$out"

check_eq "CLI view unchanged (save, dev list, generation)" "$before" state
check_eq "3 rules left" 3 sh -c "$NCNAT_BIN -n $(ns a) save | wc -l"
nc_done
