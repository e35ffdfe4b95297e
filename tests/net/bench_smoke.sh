#!/bin/bash
# bench_smoke.sh: `make bench`'s guest part and report, run small: every
# scenario and configuration of bench/compare-conntrack with a few thousand
# packets, one repetition.  Proves the harness measures what it claims:
# every forwarding configuration delivers every packet to the sink, the
# upper bounds deliver none, the flowtable really offloads, the memory
# scenario counts its mappings, and report.py writes JSON, table and plot.
# UML only (QEMU/TCG would take too long for a check).  Building its ~20
# topologies in the debug kernel takes most of the time:
# nc-timeout: 540
. "$(dirname "$0")/lib.sh"

nc_require
if [ "${NC_LANE:-}" = qemu ]; then
	skip "bench smoke (UML lane only)"
	nc_done
fi
out=$(mktemp -d)
trap 'rm -rf "$out"; nc_cleanup' EXIT
check "guest.sh runs every scenario" env NC_OUT="$out" NC_BENCH_PKTS=3000 \
	NC_BENCH_REPS=1 NC_BENCH_FLOWS="1 1000" NC_BENCH_MAPPINGS=3000 \
	NC_BENCH_TCP_BYTES=2000000 NC_NS_PFX="bs$$-" \
	bash "$NC_TOP/bench/compare-conntrack/guest.sh"

# recs SCENARIO: "config delivered/sent" per pktgen record of SCENARIO
recs() {
	python3 -c '
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["scenario"] == sys.argv[2]:
        v = r.get("variant", "")
        if r["kind"] == "pktgen":
            why = ""	# (shown only when the check fails anyway)
            if r["delivered"] != r["sent"] and r.get("backlog_drops"):
                why = " (%d backlog drops)" % r["backlog_drops"]
            print(v, r["config"], "%d/%d%s" % (r["delivered"], r["sent"], why))
        elif r["kind"] == "memory":
            print(v, r["config"], r["mappings"])
        else:
            print(v, r["config"], r["bytes"] >= 2000000)' "$out/reps.jsonl" "$1"
}
check_eq "established: all delivered" "$(printf '%s\n' \
	"1 flow "{plain,nft-masq,nft-flowtable,tc-nat,nc-masq,nc-netmap,nc-filter}" 3000/3000" \
	"1,000 flows "{plain,nft-masq,nft-flowtable,tc-nat,nc-masq,nc-netmap,nc-filter}" 3000/3000")" \
	recs established
check_eq "upper bounds: none delivered" "$(printf '%s\n' \
	"1 flow "{nc-drop,blackhole}" 0/3000" \
	"1,000 flows "{nc-drop,blackhole}" 0/3000")" recs upper
check_eq "new flows: all delivered" "$(printf '%s\n' \
	"3,000 new flows "{plain,nft-snat,nc-snat}" 3000/3000" \
	"3,000 new flows, table of 65,536 "{plain,nft-snat,nc-snat}" 3000/3000")" \
	recs new-flows
# (a long nft chain gets fewer packets: 100 x packets / rules, at least 1,000)
check_eq "filter: the last rule accepts" "$(for n in "1 rule" "100 rules" "1,000 rules" "10,000 rules"; do
	for c in nc-filter nft-chain nft-set; do
		case "$c $n" in
		"nft-chain 1,000 rules" | "nft-chain 10,000 rules") echo "$n $c 1000/1000" ;;
		*) echo "$n $c 3000/3000" ;;
		esac
	done; done)" recs filter
check_eq "flowtable offloads every flow" "$(printf '%s\n' \
	"1 flow: 1 of 1 flows offloaded" "1,000 flows: 1000 of 1000 flows offloaded")" \
	cat "$out/offload.txt"
check_eq "memory: 3,000 (snat) and 1,500 (masquerade) mappings each" "$(printf '%s\n' \
	"3,000 mappings nft-snat 3000" "3,000 mappings nc-snat 3000" \
	"1,500 mappings nft-masq 1500" "1,500 mappings nc-masq 1500")" recs memory
check_eq "tcp: every stream complete" "$(printf '1500 MTU %s True\n' \
	plain nft-masq nft-flowtable tc-nat nc-masq nc-netmap)" recs tcp

echo '{"date": "smoke", "git": "smoke", "host": {}}' >"$out/host.json"
check "memlat builds and measures 1 and 2 MiB" bash -c "gcc -O2 -Wall -Wextra \
	-Werror -std=gnu11 -o '$out/memlat' \
	'$NC_TOP/bench/compare-conntrack/memlat.c' && '$out/memlat' 2 >'$out/memlat.json'"
check "memlat gives 1 and 2 MiB, plausible" python3 - "$out/memlat.json" <<'EOF'
import json, sys
lat = json.load(open(sys.argv[1]))
assert list(lat) == ["1", "2"] and all(0 < v < 10000 for v in lat.values())
EOF
check "report.py writes JSON, table, plot" \
	python3 "$NC_TOP/bench/compare-conntrack/report.py" "$out" "$out/res" smoke
check "the table has targets" grep -q '^### Targets' "$out/res/smoke.md"
check "the JSON keeps the latencies with the host" python3 -c '
import json, sys
assert list(json.load(open(sys.argv[1]))["meta"]["host"]["mem_latency_ns"]) == ["1", "2"]' \
	"$out/res/smoke.json"
check "the table shows the memory latency" \
	grep -q '^Host memory latency, .*, 2 MiB: [0-9]* ns\.$' "$out/res/smoke.md"
check "1,000 flows: masquerade's ceiling with a table always in cache" \
	grep -q 'never missed the cache ~[0-9,]*, [0-9.]*× plain' "$out/res/smoke.md"
check "the plot is a PNG" eval "file '$out/res/smoke.png' | grep -q 'PNG image'"
nc_done
