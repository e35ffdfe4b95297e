#!/bin/bash
# nat_concurrency.sh: many first packets at once through `oif out0
# masquerade` on r1 (topology: nat_lib.sh).  h1 and h2 each open 50 UDP
# sockets on the same ports (51000-51049) and, on a common signal, two
# processes per host send 2 datagrams each on every socket, together: the
# first packets of each inside endpoint race each other (on two CPUs in
# the QEMU lane), and h2's ports clash with h1's.  Then:
#   - every one of the 400 datagrams is answered to the socket it came
#     from (s1 echoes), payloads compared;
#   - exactly one flow per inside endpoint (100), 100 distinct outside
#     endpoints, flows-created 100, each flow 4 packets each way;
#   - s1 saw exactly 100 distinct sources.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nat_lib.sh"
nat_require
nat_topo
ncnat r1 rule add oif out0 masquerade >/dev/null
udp_echo s1 /tmp/nat-echo.log
# Resolve the neighbours first (no flow: these go to r1 itself, or come
# from it).  The test is about first packets racing, not ARP: 400
# datagrams queued on a neighbour still resolving overflow its queue
# (unres_qlen_bytes), and a loaded host once lost some that way.
nsx h1 ping -c1 -W2 10.0.1.1 >/dev/null || true
nsx h2 ping -c1 -W2 10.0.1.1 >/dev/null || true
nsx r1 ping -c1 -W2 192.0.2.2 >/dev/null || true

cat >/tmp/nat-conc.py <<'EOT'
import os, socket, sys, time
name, go = sys.argv[1], sys.argv[2]
N, PER = 50, 2			# sockets; datagrams per socket per sender
socks = []
for i in range(N):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("", 51000 + i))
    socks.append(s)
open("/tmp/nat-conc-ready-" + name, "w").close()
end = time.monotonic() + 10
while not os.path.exists(go) and time.monotonic() < end:
    time.sleep(0.005)
kids = []
for k in range(2):			# two senders, each on every socket
    pid = os.fork()
    if pid == 0:
        for j in range(PER):
            for i, s in enumerate(socks):
                s.sendto(b"%s %d %d %d" % (name.encode(), i, k, j), ("192.0.2.2", 7000))
        os._exit(0)
    kids.append(pid)
for pid in kids:
    os.waitpid(pid, 0)
bad = 0
for i, s in enumerate(socks):
    s.settimeout(5)
    want = {b"%s %d %d %d" % (name.encode(), i, k, j) for k in range(2) for j in range(PER)}
    got = set()
    try:
        while got != want:
            data, peer = s.recvfrom(100)
            if peer != ("192.0.2.2", 7000) or data not in want or data in got:
                print("socket %d: unexpected %r from %s" % (i, data, peer))
                bad += 1
            got.add(data)
    except socket.timeout:
        print("socket %d: %d of %d answers" % (i, len(got), len(want)))
        bad += 1
print("ok %d" % (N * 2 * PER) if not bad else "%d bad" % bad)
EOT
rm -f /tmp/nat-conc-*
nsbg h1 python3 /tmp/nat-conc.py h1 /tmp/nat-conc-go >/tmp/nat-conc-h1.log
nsbg h2 python3 /tmp/nat-conc.py h2 /tmp/nat-conc-go >/tmp/nat-conc-h2.log
settle 10 test -e /tmp/nat-conc-ready-h1 -a -e /tmp/nat-conc-ready-h2
ctr_snap r1
touch /tmp/nat-conc-go
settle 20 sh -c "grep -q . /tmp/nat-conc-h1.log && grep -q . /tmp/nat-conc-h2.log"
check_eq "h1: all 200 answered to their sockets" "ok 200" cat /tmp/nat-conc-h1.log
check_eq "h2: all 200 answered to their sockets" "ok 200" cat /tmp/nat-conc-h2.log
check_eq "flows: one per inside endpoint" 100 sh -c \
	"$NCNAT_BIN -n $(ns r1) -j flow list | python3 -c 'import json,sys; print(len({f[\"inside\"] for f in json.load(sys.stdin)}))'"
check_eq "flows: 100 in all" 100 nflows r1
check_eq "flows: 100 distinct outside endpoints" 100 sh -c \
	"$NCNAT_BIN -n $(ns r1) -j flow list | python3 -c 'import json,sys; print(len({f[\"outside\"] for f in json.load(sys.stdin)}))'"
check_eq "flows: all on 192.0.2.1, ports in range" 1 sh -c \
	"$NCNAT_BIN -n $(ns r1) -j flow list | python3 -c 'import json,sys; print(int(all(f[\"outside\"].split(\":\")[0] == \"192.0.2.1\" and 1024 <= int(f[\"outside\"].split(\":\")[1]) <= 65535 for f in json.load(sys.stdin))))'"
check_eq "flows: 4 packets each way each" "4 4" sh -c \
	"$NCNAT_BIN -n $(ns r1) -j flow list | python3 -c 'import json,sys; print(*sorted({\"%d %d\" % (f[\"packets_out\"], f[\"packets_in\"]) for f in json.load(sys.stdin)}), sep=\"|\")'"
check_eq "counters: 100 created, nothing lost" \
	"flows-created=100 no-port=0 table-full=0 nomem=0 filtered=0" \
	ctr_deltas r1 flows-created no-port table-full nomem filtered
check_eq "s1 saw 100 sources" 100 sh -c "cut -d' ' -f1 /tmp/nat-echo.log | sort -u | wc -l"
check_csum "no checksum errors"
nc_done
