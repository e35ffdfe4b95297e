#!/bin/bash
# tests/qemu/run.sh KVER SCRIPT [ARGS...]
#
# The realism lane: boot Debian kernel /boot/vmlinuz-KVER under QEMU (TCG,
# 2 vCPUs, 2 GB) with the busybox initramfs of tests/qemu/initramfs.sh; the
# guest's root is the host root over 9p (read-only) with a tmpfs overlay.
# tests/lib/guest-init.sh then loads the project's modules
# (build/modules/KVER/*.ko, see tests/lib/modules.sh), runs SCRIPT ARGS and
# powers off.  Exit status as tests/uml/run.sh: SCRIPT's, 1 on a splat,
# 124 on timeout, 125 if the guest gave no status.
#
# Environment: NC_LOG (default build/test-logs/qemu-KVER-SCRIPT.log),
# NC_OUTDIR, NC_TIMEOUT (default 900), NC_QUIET as for tests/uml/run.sh;
# NC_QEMU_SMP (2), NC_QEMU_MEM (2048), NC_LOAD_MODULES=0 to skip modules;
# NC_QEMU_KERNEL=BZIMAGE boots a kernel of our own build instead (KVER is
# then its release: the project's modules come from build/modules/KVER),
# one with the host-root drivers built in, and NC_QEMU_MODROOT=DIR gives the
# guest its DIR/lib/modules/KVER (modules_install output) for modprobe.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/lib/host.sh"

[ $# -ge 2 ] || { echo "usage: $0 KVER SCRIPT [ARGS...]" >&2; exit 2; }
kver=$1 script=$2; shift 2
case $script in /*) ;; *) [ -e "$script" ] && script=$PWD/$script ;; esac
if [ -n "${NC_QEMU_KERNEL:-}" ]; then
	kernel=$NC_QEMU_KERNEL
	initrd=$(bash "$top/tests/qemu/initramfs.sh" builtin)
else
	kernel=/boot/vmlinuz-$kver
	initrd=$(bash "$top/tests/qemu/initramfs.sh" "$kver")
fi
[ -r "$kernel" ] || { echo "qemu: no $kernel (make deps)" >&2; exit 2; }
log=${NC_LOG:-$top/build/test-logs/qemu-$kver-$(basename "$script" .sh).log}
timeout=${NC_TIMEOUT:-900}
mkdir -p "$(dirname "$log")"
if [ -n "${NC_OUTDIR:-}" ]; then
	rundir=$(mkdir -p "$NC_OUTDIR" && realpath "$NC_OUTDIR")
else
	rundir=$(mktemp -d /tmp/nc-qemu.XXXXXX)
	trap 'rm -rf "$rundir"' EXIT
fi
nc_write_cmd "$rundir" "$top" "$script" "$@"

# loglevel=5 keeps the slow serial console quiet but shows warnings and
# worse, which is all the splat check needs.
append="console=ttyS0 edd=off loglevel=5 printk.time=1 panic=-1 nc_lane=qemu
	nc_run=$rundir nc_init=$top/tests/lib/guest-init.sh"

start=$(date +%s)
set +e
(
	ulimit -c 0
	exec timeout -k 10 "$timeout" qemu-system-x86_64 -accel tcg \
		-smp "${NC_QEMU_SMP:-2}" -m "${NC_QEMU_MEM:-2048}" \
		-nographic -no-reboot -no-user-config -nic none \
		-fw_cfg name=etc/sercon-port,string=0 \
		-kernel "$kernel" -initrd "$initrd" -append "$(echo $append)" \
		-fsdev local,id=r,path=/,security_model=none,readonly=on,multidevs=remap \
		-device virtio-9p-pci,fsdev=r,mount_tag=hostroot \
		-fsdev local,id=o,path="$rundir",security_model=none,multidevs=remap \
		-device virtio-9p-pci,fsdev=o,mount_tag=ncout </dev/null
) 2>&1 | if [ "${NC_QUIET:-0}" = 1 ]; then cat >"$log"; else tee "$log"; fi
vmrc=${PIPESTATUS[0]}
set -e

status=$(nc_result "qemu-$kver" "$log" "$vmrc" "$timeout")
echo "qemu-$kver: $(basename "$script") status $status in $(($(date +%s) - start))s (log: $log)"
exit "$status"
