#!/bin/bash
# unprivileged.sh: every netchannel operation needs CAP_NET_ADMIN over the
# netns (GENL_UNS_ADMIN_PERM).  An unprivileged user (uid/gid 65534 via
# setpriv: the read-only root cannot get new users) is refused every CLI
# command, listing included, with a clear message and exit 1, and nothing
# changes; so is every genl op at the netlink level, and so is a socket
# that root opened and handed to a process that then dropped privileges.
# A process in a new user namespace owning a new netns may manage
# netchannel there (CLI and netlink), but still not in the initial netns
# or any other it does not own.  (No user namespaces in the UML kernel:
# those checks print SKIP there.)
. "$(dirname "$0")/lib.sh"
nc_require

tmp=$(mktemp -d)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"; nc_cleanup' EXIT
U="setpriv --reuid=65534 --regid=65534 --clear-groups"

ns_add a
nsx a ip link add d0 type dummy
nsx a ip link add d1 type dummy
ncnat a dev attach d0
ncnat a rule add prio 5 proto tcp dport 22 accept >/dev/null
h=$(ncnat a rule add saddr 10.0.0.0/8 drop)
echo "rule add proto udp drop" >"$tmp/rules"
chmod 644 "$tmp/rules"

state() { ncnat a save; ncnat a dev list; ncnat a stats; }
init_state() { "$NCNAT_BIN" save; "$NCNAT_BIN" dev list; "$NCNAT_BIN" stats; }
before=$(state)
init_before=$(init_state)

check_eq "setpriv drops every capability" "CapEff:	0000000000000000" \
	nsx a $U grep CapEff /proc/self/status

# refused NAME ARGS...: ncnat ARGS as uid 65534 inside netns a exits 1
# with one message that says what is missing
refused() {
	local name=$1 rc=0 err
	shift
	err=$(nsx a $U "$NCNAT_BIN" "$@" 2>&1 >/dev/null <"${STDIN:-/dev/null}") || rc=$?
	if [ "$rc" = 1 ] && [[ $err == "ncnat: "*"CAP_NET_ADMIN"* ]]; then
		pass "unprivileged: $name refused"
	else
		fail "unprivileged: $name refused"
		echo "    exit $rc: $err"
	fi
}
refused "dev attach" dev attach d1
refused "dev detach" dev detach d0
refused "dev list" dev list
refused "rule add" rule add proto tcp drop
refused "rule del" rule del handle "$h"
refused "rule flush" rule flush
refused "rule list" rule list
refused "rule list -j" -j rule list
refused "stats" stats
refused "save" save
refused "load FILE" load "$tmp/rules"
# the NAT monitor group names inside hosts and their peers: joining it
# needs CAP_NET_ADMIN too (a group's flags are GENL_MCAST_CAP_*)
rc=0
err=$(nsx a $U timeout 5 "$NCNAT_BIN" monitor 2>&1 >/dev/null) || rc=$?
if [ "$rc" = 1 ] && [[ $err == "ncnat: "*"CAP_NET_ADMIN"* ]]; then
	pass "unprivileged: monitor refused"
else
	fail "unprivileged: monitor refused"
	echo "    exit $rc: $err"
fi
STDIN=$tmp/rules refused "load -" load -
# -n needs CAP_SYS_ADMIN for setns(): refused before netlink
check "unprivileged: -n refused with a message" sh -c "
	! $U $NCNAT_BIN -n $(ns a) rule flush 2>$tmp/err && grep -q '^ncnat: .*$(ns a)' $tmp/err"
check "unprivileged: initial netns refused too" sh -c "
	! $U $NCNAT_BIN rule flush 2>$tmp/err && grep -q '^ncnat: .*CAP_NET_ADMIN' $tmp/err"

# The netlink level and the user namespace part: python, in the initial
# netns, one line per check ("ok|bad|skip <TAB> name <TAB> detail").
out=$(NS_A=$(ns a) NCNAT_BIN=$NCNAT_BIN python3 - <<'EOF'
import ctypes, os, subprocess, sys, tempfile
sys.path.insert(0, os.environ["NC_TOP"] + "/tests/lib")
import ncgenl as g

CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000
libc = ctypes.CDLL(None, use_errno=True)
NC = os.environ["NCNAT_BIN"]


def report(ok, name, detail=""):
    print("%s\t%s\t%s" % ("ok" if ok else "bad", name, " ".join(str(detail).split())), flush=True)


def sys_call(fn, *args):
    if fn(*args) != 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))


rule = g.nest(g.A_RULE, g.u8(g.R_PROTO, 6), g.u32(g.R_VERDICT, g.VERDICT_DROP))
ifx = g.u32(g.A_IFINDEX, 1)
OPS = [("DEV_ATTACH", g.CMD_DEV_ATTACH, ifx), ("DEV_DETACH", g.CMD_DEV_DETACH, ifx),
       ("DEV_GET", g.CMD_DEV_GET, None), ("RULE_ADD", g.CMD_RULE_ADD, rule),
       ("RULE_DEL", g.CMD_RULE_DEL, g.nest(g.A_RULE, g.u32(g.R_HANDLE, 1))),
       ("RULE_GET", g.CMD_RULE_GET, None), ("RULE_FLUSH", g.CMD_RULE_FLUSH, b""),
       ("RULESET_REPLACE", g.CMD_RULESET_REPLACE, g.nest(g.A_RULESET, rule)),
       ("STATS_GET", g.CMD_STATS_GET, b"")]


def run(s, cmd, payload):
    return s.dump(cmd) if payload is None else s.request(cmd, payload)


def all_refused(s, who):
    for name, cmd, payload in OPS:
        r = run(s, cmd, payload)
        report(r.errno == 1, "%s: %s refused (EPERM)" % (who, name), repr(r))


def cli_refused(who, *args):
    p = subprocess.run([NC, *args], capture_output=True, text=True)
    report(p.returncode == 1 and "CAP_NET_ADMIN" in p.stderr,
           "%s: ncnat %s refused" % (who, " ".join(args)), "exit %d: %s" % (p.returncode, p.stderr))


# Sockets root opens: in the initial netns and in netns a.
root_init = g.Genl()
init_ns = os.open("/proc/self/ns/net", os.O_RDONLY)
sys_call(libc.setns, os.open("/run/netns/" + os.environ["NS_A"], os.O_RDONLY), CLONE_NEWNET)
root_a = g.Genl()
sys_call(libc.setns, init_ns, CLONE_NEWNET)

# A chrooted process may not create user namespaces, and the QEMU lane's
# initramfs chroot()s into the overlay root (switch_root would not): leave
# the chroot the classic way while root (chroot into a subdirectory, walk
# up from the cwd that is now outside it), and come back right after the
# unshare.  A no-op in UML.
root_fd = os.open("/", os.O_RDONLY)
os.chroot(tempfile.mkdtemp())
for _ in range(64):
    os.chdir("..")
os.chroot(".")

os.setgroups([])
os.setresgid(65534, 65534, 65534)
os.setresuid(65534, 65534, 65534)
libc.prctl(4, 1)	# PR_SET_DUMPABLE, lost with the uid: /proc/self is ours again
all_refused(g.Genl(), "uid 65534, initial netns")
all_refused(root_a, "uid 65534 with root's socket in netns a")

if libc.unshare(CLONE_NEWUSER) != 0:
    print("skip\tuser namespaces\tunshare: %s" % os.strerror(ctypes.get_errno()))
    sys.exit(0)
os.fchdir(root_fd)
os.chroot(".")
os.chdir("/")
# root in the new user namespace, so that programs we run keep the caps
for f, m in (("setgroups", "deny"), ("uid_map", "0 65534 1"), ("gid_map", "0 65534 1")):
    with open("/proc/self/" + f, "w") as fh:
        fh.write(m)
all_refused(g.Genl(), "new userns, initial netns")
all_refused(root_a, "new userns, root's socket in netns a")
cli_refused("new userns, initial netns", "rule", "list")
cli_refused("new userns, initial netns", "rule", "add", "drop")
cli_refused("new userns, initial netns", "dev", "list")

sys_call(libc.unshare, CLONE_NEWNET)	# owned by our user namespace
own = g.Genl()
for name, cmd, payload in OPS:
    if cmd in (g.CMD_DEV_ATTACH, g.CMD_DEV_DETACH):
        continue			# the CLI does those below
    if cmd == g.CMD_RULE_DEL:
        r = own.request(g.CMD_RULE_ADD, rule)
        h = g.get(g.parse(g.get(r.msgs[0], g.A_RULE)), g.R_HANDLE, "I") if r.msgs else 0
        payload = g.nest(g.A_RULE, g.u32(g.R_HANDLE, h))
    r = run(own, cmd, payload)
    report(r.errno == 0, "new userns, own netns: %s allowed" % name, repr(r))
p = subprocess.run(["sh", "-ec", """
    ip link add u0 type dummy
    $0 dev attach u0
    h=$($0 rule add proto udp dport 53 drop)
    $0 rule list | grep -q "handle $h .*dport 53 drop"
    $0 dev list | grep -q '^u0 '
    echo 'rule add proto tcp drop' | $0 load -
    $0 save | grep -q 'proto tcp drop'
    $0 rule flush
    $0 dev detach u0
    [ -z "$($0 save; $0 dev list)" ]""", NC], capture_output=True, text=True)
report(p.returncode == 0, "new userns, own netns: ncnat attach, add, list, load, save, flush, detach",
       "exit %d: %s" % (p.returncode, p.stderr.strip()))
# a container's root sizes its flow table up to the default, not past it
try:
    g.Genl(g.NAT_FAMILY)
    nat = True
except OSError:
    nat = False
if nat:
    p = subprocess.run(["sh", "-c", """
        $0 timeout set max-mappings 262145 2>&1 && echo accepted
        $0 timeout set max-mappings 1000 && $0 timeout list | grep -x 'max-mappings 1000'
        $0 timeout set max-mappings 262144 && $0 timeout list | grep -x 'max-mappings 262144'
        """, NC], capture_output=True, text=True)
    report(p.returncode == 0 and "CAP_NET_ADMIN in the initial user namespace" in p.stdout
           and "accepted" not in p.stdout,
           "new userns, own netns: max-mappings past 262144 refused; lowered to 1000, back to 262144",
           "exit %d: %s %s" % (p.returncode, p.stdout.strip(), p.stderr.strip()))
all_refused(root_init, "new userns and netns, root's socket in the initial netns")
EOF
) || out="$out
bad	python part ran to the end	exit status $?"
while IFS=$'\t' read -r res name why; do
	case $res in
	ok) pass "$name" ;;
	skip) echo "SKIP: $name ($why)" ;;
	*) fail "$name"; echo "    $why" ;;
	esac
done <<<"$out"

check_eq "netns a unchanged" "$before" state
check_eq "initial netns unchanged" "$init_before" init_state
nc_done
