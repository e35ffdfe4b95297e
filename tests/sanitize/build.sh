#!/bin/bash
# tests/sanitize/build.sh: build the sanitizer lane's kernel and print the
# path of its bzImage.
#
# An x86_64 kernel from Debian's linux-source-6.12 (the tree tests/uml/build.sh
# unpacks into $NC_CACHE/linux-6.12-src), built in $NC_CACHE/x86-san with
# KASAN, UBSAN, kmemleak, lockdep and fault injection (failslab,
# fail_page_alloc, with the stack-trace filter that scopes an injection to
# the project's modules).  Debian's kernels have none of these.  The
# project's modules are built against it out of tree (`make modules
# KDIR=$NC_CACHE/x86-san`), so they are instrumented too and the lane can
# load and unload them as on a Debian kernel.  Everything QEMU's guest needs
# to mount the host root (virtio-pci, 9p, overlay) is built in: the
# initramfs carries no modules for it.
#
# The guest's /lib/modules/RELEASE comes from $NC_CACHE/x86-san/root.
# Reconfigured only when this script changes; a second run with nothing
# changed only runs make's dependency check.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cache=${NC_CACHE:-/var/cache/netchannel}
src=$cache/linux-6.12-src
obj=$cache/x86-san
. "$top/tests/lib/kconfig.sh"

# The UML build unpacks and patches the shared source tree; the patches only
# touch arch/um, and wiring the project into net/ is harmless here (the
# option stays off: the modules are built out of tree).
if [ ! -e "$src/.nc-unpacked" ]; then
	NC_UML_UNPACK_ONLY=1 bash "$top/tests/uml/build.sh" test
fi
mkdir -p "$obj"

# Guest essentials, the networking the scenarios use (as tests/uml/build.sh),
# IPsec for the xfrm scenario, then the sanitizers.
opts="
	LOCALVERSION=\"-ncsan\" LOCALVERSION_AUTO=n
	MODULES MODULE_UNLOAD VIRTIO_PCI NET_9P NET_9P_VIRTIO 9P_FS OVERLAY_FS
	DEVTMPFS BLK_DEV_INITRD RD_GZIP TMPFS SERIAL_8250_CONSOLE MAGIC_SYSRQ
	$nc_kconfig_net
	VLAN_8021Q IPV6_MULTIPLE_TABLES NET_L3_MASTER_DEV NET_VRF
	XFRM_USER INET_ESP CRYPTO_GCM CRYPTO_SEQIV CRYPTO_CBC CRYPTO_AES
	CRYPTO_HMAC CRYPTO_SHA256
	DEBUG_FS DEBUG_KERNEL KALLSYMS KALLSYMS_ALL
	$nc_kconfig_debug
	KASAN KASAN_GENERIC KASAN_INLINE
	FAULT_INJECTION FAILSLAB FAIL_PAGE_ALLOC FAULT_INJECTION_DEBUG_FS
	FAULT_INJECTION_STACKTRACE_FILTER
	DRM=n SOUND=n USB_SUPPORT=n WLAN=n WIRELESS=n CFG80211=n HID=n
	INPUT_MOUSE=n INPUT_JOYSTICK=n INPUT_TABLET=n INPUT_TOUCHSCREEN=n
	AGP=n ETHERNET=n HAMRADIO=n
"

exec 8>"$obj/.build.lock"
flock 8
mk() { make -s -C "$src" O="$obj" ARCH=x86_64 "$@"; }
stamp=$(echo "$opts" | cat - "$0" "$top/tests/lib/kconfig.sh" | sha1sum | cut -d' ' -f1)
if [ ! -e "$obj/.config" ] || [ "$(cat "$obj/.nc-config-stamp" 2>/dev/null)" != "$stamp" ]; then
	echo "  CONFIG  x86-san" >&2
	rm -f "$obj/.nc-config-stamp"
	mk x86_64_defconfig >/dev/null
	mk kvm_guest.config >/dev/null
	nc_kconfig_mk=mk nc_kconfig_apply "$src" "$obj/.config" "$opts" >&2
	echo "$stamp" >"$obj/.nc-config-stamp"
fi
echo "  BUILD   x86-san" >&2
mk -j"$(nproc)" bzImage modules >&2
# modules.builtin and the few modules for the guest's modprobe (guest-init.sh)
rm -rf "$obj/root"
mk INSTALL_MOD_PATH="$obj/root" modules_install >/dev/null
echo "$obj/arch/x86/boot/bzImage"
