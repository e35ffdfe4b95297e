#!/bin/bash
# nat_tcp_state.sh: TCP state on r1 (`oif out0 masquerade`, topology:
# nat_lib.sh) follows what the endpoints do, not what a blind attacker
# sends.  An idle connection h1 -> s1:9000 is established; then:
#   - an RST from s1's address and port, with the right ports (they are
#     preserved, so guessable) but a sequence number far from the
#     connection's, is forwarded without ending the flow: still
#     established, counted in tcp-rst-ignored;
#   - the connection still carries data both ways afterwards;
#   - s1 closes first (a remote-first FIN), then h1: the flow is closing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/nat_lib.sh"
nat_require
nat_topo
ncnat r1 rule add oif out0 masquerade >/dev/null
EDGE="$NC_TOP/tests/net/edge_tool.py"
outmac=$(ip -n "$(ns r1)" link show out0 | awk '/link\/ether/ { print $2 }')

# s1 echoes a line when told to (file /tmp/nat-go-s1), closes on /tmp/nat-close
nsbg s1 python3 -c '
import os, socket, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("", 9000)); l.listen(1); open("/tmp/nat-ready-9000", "w").close()
c, _ = l.accept(); c.settimeout(30)
line = c.recv(100)
while not os.path.exists("/tmp/nat-go-s1"): time.sleep(0.05)
c.sendall(line)
while not os.path.exists("/tmp/nat-close"): time.sleep(0.05)
c.shutdown(socket.SHUT_WR); c.recv(100); c.close()'
settle 5 test -e /tmp/nat-ready-9000
nsbg h1 python3 -c '
import os, socket, time
c = socket.create_connection(("192.0.2.2", 9000), timeout=30)
open("/tmp/nat-conn", "w").close()
c.sendall(b"hello\n")
print(c.recv(100).decode().strip(), flush=True)
c.recv(100)			# s1 closes first
c.close()' >/tmp/nat-h1-out.txt
settle 5 test -e /tmp/nat-conn
tcpflow() { flowq r1 'f["proto"] == "tcp"' state; }
settle 5 sh -c "[ \"\$(tcpflow)\" = established ]"
check_eq "connection established" established tcpflow
hport=$(flowq r1 'f["proto"] == "tcp"' outside | cut -d: -f2)

ctr_snap r1
nsx s1 python3 "$EDGE" rst v0 "$outmac" 192.0.2.2:9000 "192.0.2.1:$hport" 2309737967
settle 5 ctr_is r1 tcp-rst-ignored 1
check_eq "blind rst: counted, not believed" "tcp-rst-ignored=1" ctr_deltas r1 tcp-rst-ignored
check_eq "blind rst: flow still established" established tcpflow
touch /tmp/nat-go-s1
settle 5 grep -q hello /tmp/nat-h1-out.txt
check_eq "blind rst: data still flows" hello cat /tmp/nat-h1-out.txt
touch /tmp/nat-close
settle 5 sh -c "[ \"\$(tcpflow)\" = closing ]"
check_eq "remote-first close: closing" closing tcpflow
nc_done
