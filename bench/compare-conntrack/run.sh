#!/bin/bash
# bench/compare-conntrack/run.sh [uml|qemu]: `make bench` (`make bench QEMU=1`)
#
# Boots the VM with guest.sh, samples the VM process's CPU time from the
# host meanwhile (cpusample.py), then report.py writes into results/:
#   STAMP-LANE.json   every repetition, the summary, the machine
#   LANE.md, LANE.png the latest table and plot of that lane
# and, for the UML lane, the table goes into README.md between the markers.
# The kernels are built/loaded by the Makefile target before this runs.
#
# Environment: NC_BENCH_PKTS, NC_BENCH_REPS, NC_BENCH_SCENARIOS,
# NC_BENCH_THREADS (see guest.sh); NC_BENCH_OUT (default: results/ here);
# NC_CACHE.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
lane=${1:-uml}
cache=${NC_CACHE:-/var/cache/netchannel}
stamp=$(date -u +%Y%m%d-%H%M%S)
results=${NC_BENCH_OUT:-$here/results}
rundir=$top/build/bench/$stamp-$lane
mkdir -p "$rundir" "$results"
rundir=$(realpath "$rundir")

# UML runs at native speed: a million packets a run.  QEMU/TCG is ~50x
# slower, and only its ratios mean anything.
case $lane in
uml) export NC_BENCH_PKTS=${NC_BENCH_PKTS:-1000000} ;;
qemu) export NC_BENCH_PKTS=${NC_BENCH_PKTS:-100000} ;;
*) echo "usage: $0 [uml|qemu]" >&2; exit 2 ;;
esac
export NC_BENCH_REPS=${NC_BENCH_REPS:-5}

python3 - "$rundir/host.json" "$lane" "$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo unknown)" <<'PY'
import json, os, sys, datetime
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
            if l.startswith("model name")), "unknown")
mem = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
json.dump({"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "host": {"cpu": cpu, "nproc": os.cpu_count(), "mem_kib": mem,
                    "kernel": os.uname().release},
           "lane": sys.argv[2], "git": sys.argv[3]}, open(sys.argv[1], "w"))
PY

# The latency of a dependent load by working-set size on this host, before
# the guest boots (the machine is otherwise idle then): what a flow table
# lookup at many random flows pays per miss; report.py reads memlat.json.
gcc -O2 -Wall -Wextra -std=gnu11 -o "$rundir/memlat" "$here/memlat.c"
"$rundir/memlat" >"$rundir/memlat.json"

# The host is itself a VM on a shared machine: the share of its CPU time
# stolen by the hypervisor during the run goes into the report, as a
# measure of how disturbed the run was.
grep '^cpu ' /proc/stat >"$rundir/stat0"

echo "bench: $lane lane, $NC_BENCH_REPS repetitions of $NC_BENCH_PKTS packets; work in $rundir"
python3 "$here/cpusample.py" "nc_run=$rundir" "$rundir/cpu.tsv" &
sampler=$!
trap 'kill $sampler 2>/dev/null || true' EXIT
export NC_OUTDIR=$rundir NC_QUIET=${NC_QUIET:-1} NC_TIMEOUT=${NC_TIMEOUT:-10800}
export NC_LOG=$rundir/console.log
set +e
case $lane in
uml)
	NC_UML_KERNEL=$cache/uml-bench/linux NC_UML_MEM=${NC_UML_MEM:-3G} \
		bash "$top/tests/uml/run.sh" "$here/guest.sh"
	;;
qemu)
	eval "$(bash "$top/scripts/kernels.sh")"
	NC_QEMU_MEM=${NC_QEMU_MEM:-3072} bash "$top/tests/qemu/run.sh" "$KVER612" "$here/guest.sh"
	;;
esac
rc=$?
set -e
wait $sampler 2>/dev/null || true
grep '^bench:' "$NC_LOG" | tail -n 3 || true
[ "$rc" = 0 ] || { echo "bench: the guest failed (status $rc); console: $NC_LOG" >&2; exit 1; }

python3 - "$rundir" <<'PY'
import json, os, sys
rundir = sys.argv[1]
before = [int(v) for v in open(os.path.join(rundir, "stat0")).read().split()[1:]]
after = next([int(v) for v in l.split()[1:]] for l in open("/proc/stat")
             if l.startswith("cpu "))
delta = [a - b for a, b in zip(after, before)]
path = os.path.join(rundir, "host.json")
host = json.load(open(path))
# /proc/stat: user nice system idle iowait irq softirq steal ...
host["steal_pct"] = round(100 * delta[7] / max(sum(delta[:8]), 1), 1)
json.dump(host, open(path, "w"))
PY
python3 "$here/report.py" "$rundir" "$results" "$stamp-$lane"
mv -f "$results/$stamp-$lane.md" "$results/$lane.md"
mv -f "$results/$stamp-$lane.png" "$results/$lane.png"
if [ "$lane" = uml ] && [ -z "${NC_BENCH_OUT:-}" ]; then
	# the README's copy of the latest table, between its markers
	python3 - "$top/README.md" "$results/$lane.md" <<'PY'
import re, sys
readme, table = sys.argv[1], open(sys.argv[2]).read()
text = open(readme).read()
begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
if begin in text and end in text:
    text = re.sub(re.escape(begin) + ".*?" + re.escape(end),
                  lambda m: begin + "\n" + table.strip() + "\n" + end, text, flags=re.S)
    open(readme, "w").write(text)
PY
fi
echo "bench: results in $results/$stamp-$lane.json, $results/$lane.md, $results/$lane.png"
