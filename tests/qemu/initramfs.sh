#!/bin/bash
# tests/qemu/initramfs.sh KVER: build (or reuse) the QEMU lane's initramfs
# for Debian kernel KVER and print its path:
#   $NC_CACHE/qemu/initramfs-KVER.cpio.gz
# It holds busybox-static, tests/qemu/initramfs-init as /init, and the
# modules needed to mount the host root (9p, overlay, virtio-pci if not
# built in), decompressed (busybox insmod does not read .ko.xz), listed in
# load order in /modules.order.  Rebuilt only when an input changes.
# KVER "builtin": for a kernel of our own with those drivers built in (the
# sanitizer lane), no modules.
set -eu
kver=$1
here=$(cd "$(dirname "$0")" && pwd)
cache=${NC_CACHE:-/var/cache/netchannel}/qemu
mdir=/lib/modules/$kver
out=$cache/initramfs-$kver.cpio.gz
want="virtio_pci 9pnet_virtio 9p overlay"
if [ "$kver" = builtin ]; then
	want=
else
	[ -r "$mdir/modules.dep" ] || { echo "initramfs: no $mdir/modules.dep" >&2; exit 1; }
fi
mkdir -p "$cache"

# Resolve dependencies from modules.dep (depth first, each module once).
order=
resolve() {
	local name=$1 line path dep
	line=$(grep -E "^([^:]*/)?$name\.ko(\.xz|\.zst)?:" "$mdir/modules.dep") || {
		# not a module: must be built in
		grep -qE "/$name\.ko$" "$mdir/modules.builtin" && return 0
		echo "initramfs: module $name not found for $kver" >&2; exit 1
	}
	path=${line%%:*}
	case " $order " in *" $path "*) return 0 ;; esac
	for dep in ${line#*:}; do
		dep=$(basename "$dep"); resolve "${dep%%.ko*}"
	done
	order="$order $path"
}
for m in $want; do resolve "$m"; done

stamp=$( { cat "$0" "$here/initramfs-init"; sha1sum /bin/busybox;
	for p in $order; do stat -c '%n %s %Y' "$mdir/$p"; done; } | sha1sum | cut -d' ' -f1)
if [ -e "$out" ] && [ "$(cat "$out.stamp" 2>/dev/null)" = "$stamp" ]; then
	echo "$out"; exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{bin,dev,proc,sys,lib/modules}
cp /bin/busybox "$tmp/bin/busybox"
install -m 755 "$here/initramfs-init" "$tmp/init"
mknod "$tmp/dev/console" c 5 1
for p in $order; do
	f=$(basename "$p"); f=${f%.xz}; f=${f%.zst}
	case $p in
	*.xz) xz -dc "$mdir/$p" >"$tmp/lib/modules/$f" ;;
	*.zst) zstd -qdc "$mdir/$p" >"$tmp/lib/modules/$f" ;;
	*) cp "$mdir/$p" "$tmp/lib/modules/$f" ;;
	esac
	echo "$f" >>"$tmp/modules.order"
done
touch "$tmp/modules.order"
(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) >"$out.tmp"
mv "$out.tmp" "$out"
echo "$stamp" >"$out.stamp"
echo "$out"
