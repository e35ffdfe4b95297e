#!/bin/bash
# Guest init shared by both lanes; runs as PID 1 inside the VM.
#   UML:  the kernel starts it directly (init=) on the read-only hostfs root.
#   QEMU: the initramfs chroots into the overlay root and execs it.
# Kernel command line words it reads: nc_lane=uml|qemu, nc_run=HOSTDIR.
# HOSTDIR is the host's run directory of tests/{uml,qemu}/run.sh; it holds
# `cmd` (what to run, written by run.sh) and is mounted writable at
# /run/nc-out so tests can leave artifacts for the host ($NC_OUT).
# The exit status goes out on the console as "@@NC-EXIT@@ <status>", then
# the machine powers off.  Never exit: PID 1 exiting is a kernel panic.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp LANG=C.UTF-8 TERM=dumb

halt() {
	echo "@@NC-EXIT@@ $1" >/dev/console
	sync
	echo o >/proc/sysrq-trigger
	sleep 5
	busybox poweroff -f
	sleep 100000
}

# (mountpoint(1) is fooled by the 9p/overlay root: ask /proc/mounts)
mnt() { grep -q "^[^ ]* $3 " /proc/mounts || mount -t "$1" "$2" "$3" ${4:+-o "$4"}; }

mount -t proc proc /proc
mnt sysfs sysfs /sys
mnt devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mnt devpts devpts /dev/pts
mnt tmpfs tmpfs /dev/shm
# The host's /tmp and /var/tmp stay reachable under /dev/.host (a checkout
# may live there: see below), then get fresh tmpfs of their own.
for d in /tmp /var/tmp; do
	mkdir -p "/dev/.host$d"
	mount --bind "$d" "/dev/.host$d"
done
for d in /tmp /run /var/tmp; do mnt tmpfs tmpfs $d mode=1777; done
mnt debugfs debugfs /sys/kernel/debug 2>/dev/null
mkdir -p /run/netns /run/nc-out /run/lock
exec </dev/null >/dev/console 2>&1

lane= run=
for w in $(cat /proc/cmdline); do
	case $w in
	nc_lane=*) lane=${w#nc_lane=} ;;
	nc_run=*) run=${w#nc_run=} ;;
	esac
done
case $lane in
uml) mount -t hostfs none /run/nc-out -o "$run" ;;
qemu) mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 ncout /run/nc-out ;;
esac || { echo "guest-init: cannot mount the run directory"; halt 125; }

ip link set lo up
hostname nc-$lane
sysctl -qw kernel.panic_on_oops=1 kernel.hung_task_timeout_secs=60 2>/dev/null

# run.sh wrote: exported NC_* variables, NC_TOP, NC_SCRIPT, `set -- ARGS`
. /run/nc-out/cmd || halt 125
export NC_LANE=$lane NC_OUT=/run/nc-out NC_TOP
# a checkout under the host's /tmp or /var/tmp: same path in the guest
case $NC_TOP in
/tmp/* | /var/tmp/*)
	mkdir -p "$NC_TOP"
	mount --bind "/dev/.host$NC_TOP" "$NC_TOP" || halt 125 ;;
esac
cd "$NC_TOP" || halt 125

# QEMU/TCG runs the 2 vCPUs in threads of their own, and a jump label that
# one of them patches while the other runs the site can leave that one
# trapping on the int3 of the patch: an Oops in netif_rx_internal() was
# seen while a ping sent, its SO_TIMESTAMP turning netstamp_needed_key on
# from a kworker (deferred work, so at any moment of a scenario).  A socket
# asking for timestamps from boot keeps the key on for the whole run: pings
# then only count, and never patch the receive path.
if [ "$lane" = qemu ]; then
	python3 -c 'import signal, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 29, 1)  # SO_TIMESTAMP, unnamed in Python
print("on", flush=True)
signal.pause()' >/run/nc-tstamp &
	for _ in $(seq 300); do [ -s /run/nc-tstamp ] && break; sleep 0.1; done
	[ -s /run/nc-tstamp ] || { echo "guest-init: no timestamping socket"; halt 125; }
fi

# A kernel of our own (tests/qemu/run.sh, NC_QEMU_MODROOT): modprobe needs
# its modules.builtin to know what is built in.
kmods=/lib/modules/$(uname -r)
if [ -n "${NC_QEMU_MODROOT:-}" ] && [ ! -e "$kmods" ]; then
	ln -s "$NC_QEMU_MODROOT$kmods" "$kmods"
fi

# QEMU: the project's modules are loaded once here (UML has them built in).
rc=0
if [ "$lane" = qemu ] && [ "${NC_LOAD_MODULES:-1}" = 1 ]; then
	. "$NC_TOP/tests/lib/modules.sh"
	nc_load_modules || rc=$?
fi

if [ "$rc" = 0 ]; then
	echo "guest-init: running $NC_SCRIPT $*"
	if [ -f "$NC_SCRIPT" ] && [ ! -x "$NC_SCRIPT" ]; then
		bash "$NC_SCRIPT" "$@"
	else
		"$NC_SCRIPT" "$@"
	fi
	rc=$?
	echo "guest-init: $NC_SCRIPT exited with $rc"
fi

# Leak check at the end of the run (test UML kernel has kmemleak; the scan
# prints "kmemleak: N new suspected memory leaks" which run.sh catches).
# kmemleak ignores objects younger than 5 s: wait, so that what the script
# allocated last (and netns teardown, which is asynchronous) is covered.
if [ -w /sys/kernel/debug/kmemleak ] && [ "${NC_KMEMLEAK:-1}" = 1 ]; then
	ip -all netns delete 2>/dev/null
	sleep 5
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak
fi
dmesg >"$NC_OUT/dmesg.txt" 2>/dev/null
halt $rc
