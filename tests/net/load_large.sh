#!/bin/bash
# load_large.sh: a ruleset far larger than one 64 KiB netlink attribute
# (10,000 rules, as the filter benchmark loads) goes in with one `ncnat
# load`, atomically; the packet matching the last rule is counted by that
# rule alone; save prints it back whole; a small load replaces it.
#
#   C v0 ---- c R s0 ---- v0 S      (quiet links, IPv4)
. "$(dirname "$0")/lib.sh"

nc_require
qns C R S
qline C R S 4
forwarding R
ncnat R dev attach c

n=10000
rules=$(mktemp)
trap 'rm -f "$rules"; nc_cleanup' EXIT
for ((k = 1; k < n; k++)); do
	echo "rule add iif c saddr 10.$((100 + k / 256)).$((k % 256)).0/24 proto udp dport $((1000 + k % 1000)) drop"
done >"$rules"
echo "rule add iif c saddr 10.1.0.0/24 proto udp dport 9 accept" >>"$rules"

check "load 10,000 rules" ncnat R load "$rules"
check_eq "ruleset holds 10,000 rules" $n nc_stat R rules
check_eq "10,000 rules of one match shape" 1 nc_stat R shapes

# packets of the last rule: counted by it, forwarded to S
last_packets() {
	ncnat R -j rule list | python3 -c '
import json, sys
rules = json.load(sys.stdin)
rules = rules.get("rules", rules) if isinstance(rules, dict) else rules
hit = [r for r in rules if r.get("dport") in (9, "9")]
print(hit[0]["packets"] if len(hit) == 1 else "rules with dport 9: %d" % len(hit))'
}
rx0=$(link_stat S v0 rx_packets)
for i in 1 2 3 4 5; do
	nsx C bash -c 'echo x >/dev/udp/10.2.0.2/9'
done
check_eq "the last rule counted the 5 packets" 5 last_packets
check_eq "the 5 packets reached S" 5 eval 'echo $(($(link_stat S v0 rx_packets) - rx0))'
check_eq "save prints 10,000 rules" $n eval 'ncnat R save | grep -c "^rule add"'

printf 'rule add proto udp drop\nrule add proto tcp drop\nrule add accept\n' >"$rules"
check "a small load replaces it" ncnat R load "$rules"
check_eq "ruleset holds 3 rules" 3 nc_stat R rules
nc_done
