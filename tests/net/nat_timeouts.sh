#!/bin/bash
# nat_timeouts.sh: mapping lifetimes and the mapping limit on r1
# (`oif out0 masquerade`, topology: nat_lib.sh).
#   - `timeout list`: the defaults (udp 300, icmp 60, tcp-est 7440,
#     tcp-trans 240, max-mappings 262144), then the values set;
#   - with udp 2, icmp 3, tcp-trans 4: a UDP, an ICMP echo and a refused
#     TCP (SYN, RST: transitory) flow, made together, each leave
#     `flow list` within its timeout (+3 s) of its last packet, never
#     before (less one clock tick); the collector then counts them in
#     flows-expired;
#   - `timeout set max-mappings 3`: with 3 assured flows, a 4th is
#     dropped and counted in table-full, the 3 keep working; `mappings`
#     says 3;
#   - `flow flush` empties the table;
#   - `monitor`, started first, printed a "new" line per flow created and
#     an "expire" line per flow removed;
#   - a flush of 5,120 flows (8 inside endpoints x 640 remote ports: the
#     collector's walk pauses every 1,024 entries, a binding has 640
#     flows) leaves no flow and no mapping.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nat_lib.sh"
nat_require
nat_topo
ncnat r1 rule add oif out0 masquerade >/dev/null
nsbg r1 "$NCNAT_BIN" monitor >/tmp/nat-monitor.log
udp_echo s1 /dev/null

timeouts() {
	ncnat r1 -j timeout list | python3 -c '
import json, sys
t = json.load(sys.stdin)
print(" ".join("%s=%s" % (k, t[k]) for k in ("udp", "icmp", "tcp-est", "tcp-trans", "max-mappings", "mappings")))'
}
check_eq "defaults" "udp=300 icmp=60 tcp-est=7440 tcp-trans=240 max-mappings=262144 mappings=0" timeouts
ncnat r1 timeout set udp 2
ncnat r1 timeout set icmp 3
ncnat r1 timeout set tcp-est 100
ncnat r1 timeout set tcp-trans 4
check_eq "values set" "udp=2 icmp=3 tcp-est=100 tcp-trans=4 max-mappings=262144 mappings=0" timeouts

# --- expiry: three flows, polled until gone ---
ctr_snap r1
out=$(NSR1="$(ns r1)" NCNAT_BIN=$NCNAT_BIN nsx h1 python3 - "$NAT_TOOL" <<'EOF'
import json, os, socket, subprocess, sys, time
def flows():
    t0 = time.monotonic()
    fl = json.loads(subprocess.run([os.environ["NCNAT_BIN"], "-n", os.environ["NSR1"], "-j",
                                    "flow", "list"], check=True, capture_output=True).stdout)
    return t0, time.monotonic(), fl
# last packets: each flow's last packet leaves h1 after `sent` (and its
# answer, if any, arrives before `done`)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("", 49000)); u.settimeout(3)
sent = {}
sent["udp"] = time.monotonic()
u.sendto(b"x", ("192.0.2.2", 7000)); u.recvfrom(100)
sent["icmp"] = time.monotonic()
subprocess.run(["ping", "-c1", "-W2", "192.0.2.2"], check=True, capture_output=True)
sent["tcp"] = time.monotonic()
t = socket.socket(); t.settimeout(3)
try:
    t.connect(("192.0.2.2", 9))		# nothing listens: SYN, RST
except ConnectionRefusedError:
    pass
done = time.monotonic()
timeout = {"udp": 2, "icmp": 3, "tcp": 4}
_, _, fl = flows()
print("made", " ".join(sorted("%s:%s" % (f["proto"], f["state"]) for f in fl)))
gone = {}
while len(gone) < 3 and time.monotonic() < done + 10:
    t0, t1, fl = flows()
    present = {f["proto"] for f in fl}
    for p in timeout:
        if p in present and p in gone:
            print("%s: back after being gone" % p)
        if p not in present and p not in gone:
            gone[p] = (t0, t1)
    time.sleep(0.1)
for p in ("udp", "icmp", "tcp"):
    if p not in gone:
        print("%s: still there" % p)
        continue
    t0, t1 = gone[p]
    # absent in a dump that ended at t1: it expired before t1, which must
    # be after its last packet (after sent[p]) + timeout, less one tick
    # (expiry is counted in jiffies from the tick before the packet); and
    # it was gone by at most done + timeout + 3 (dump rounding, slow VMs)
    ok = t1 >= sent[p] + timeout[p] - 0.05 and t0 <= done + timeout[p] + 3
    print("%s: %s" % (p, "expired in time" if ok else
          "gone %.2f..%.2f s after its last packet" % (t0 - sent[p], t1 - sent[p])))
EOF
)
check_eq "expiry: flows made" "made icmp:none tcp:closing udp:none" sh -c "echo '$out' | sed -n 1p"
for p in udp icmp tcp; do
	check_eq "expiry: $p" "$p: expired in time" sh -c "echo '$out' | grep '^$p:'"
done
check "expiry: collector counted 3" wait_until 5 ctr_is r1 flows-expired 3

# --- the mapping limit ---
ncnat r1 timeout set udp 300
ncnat r1 timeout set max-mappings 3
ctr_snap r1
# two exchanges each: a UDP flow is assured (not evictable to make room)
# once its initiator spoke again after a reply
for p in 49101 49102 49103; do
	check_eq "limit: flow $p" "ok 2" tool h1 udp-req 192.0.2.2:7000 --sport $p --count 2
done
check_eq "limit: 4th flow dropped" "192.0.2.2:7000 request 0: no reply" \
	tool h1 --timeout 1 udp-req 192.0.2.2:7000 --sport 49104
check_eq "limit: counted once in table-full" "table-full=1 flows-created=3" \
	ctr_deltas r1 table-full flows-created
for p in 49101 49102 49103; do
	check_eq "limit: flow $p still works" "ok 2" tool h1 udp-req 192.0.2.2:7000 --sport $p --count 2
done
check_eq "limit: 3 mappings listed" "udp=300 icmp=3 tcp-est=100 tcp-trans=4 max-mappings=3 mappings=3" timeouts
check_eq "limit: flow list has 3" 3 nflows r1

# --- flush ---
ncnat r1 flow flush
check_eq "flush: no flows" 0 nflows r1
check_eq "flush: no mappings" "udp=300 icmp=3 tcp-est=100 tcp-trans=4 max-mappings=3 mappings=0" timeouts
check_eq "after flush: a new flow" "ok 1" tool h1 udp-req 192.0.2.2:7000 --sport 49105

# --- monitor: 7 flows made (3 + 3 + 1), 6 removed (3 expired, 3 flushed) ---
mon() { echo "$(grep -c '^new ' /tmp/nat-monitor.log) new, $(grep -c '^expire ' /tmp/nat-monitor.log) expire"; }
mon_is() { [ "$(mon)" = "$1" ]; }
settle 5 mon_is "7 new, 6 expire"
check_eq "monitor: a line per event" "7 new, 6 expire" mon
check_eq "monitor: udp 49000 new, then expire" \
	"new udp inside 10.0.1.2:49000 outside 192.0.2.1:49000 remote 192.0.2.2:7000
expire udp inside 10.0.1.2:49000 outside 192.0.2.1:49000 remote 192.0.2.2:7000" \
	grep ' 10.0.1.2:49000 ' /tmp/nat-monitor.log
check_eq "monitor: no 4th limited flow" 0 sh -c "grep -c ':49104 ' /tmp/nat-monitor.log"

# --- flush of a big table ---
ncnat r1 timeout set max-mappings 262144
ncnat r1 flow flush
# A burst of 5,120 datagrams can overrun the veth backlog on a slow
# (TCG) guest; what is under test is the flush, not the burst, so each
# round is paced and resent until every flow exists (a resent datagram
# of an existing flow only refreshes it).
big_burst() {
	nsx h1 python3 -c '
import socket, time
for i in range(8):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.0.1.2", 50000 + i))
    for port in range(20000, 20640):
        s.sendto(b"x", ("192.0.2.2", port))
        if port % 128 == 0:
            time.sleep(0.02)
'
}
nflows_is() { [ "$(nflows r1)" = "$2" ]; }
for round in 1 2 3; do
	big_burst
	wait_until 5 nflows_is r1 5120 && break
done
check_eq "big table: 5,120 flows" 5120 nflows r1
ncnat r1 flow flush
check_eq "big flush: no flows" 0 nflows r1
check_eq "big flush: no mappings" "udp=300 icmp=3 tcp-est=100 tcp-trans=4 max-mappings=262144 mappings=0" timeouts
nc_done
