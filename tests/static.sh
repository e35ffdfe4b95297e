#!/bin/bash
# Static checks of the kernel sources, as PASS/FAIL lines for make check:
#   - checkpatch.pl --strict (from the cached 6.12 source tree) on every
#     kernel source and the uAPI header;
#   - W=1 and sparse (C=2) builds against both Debian header trees, which
#     must print no warning at all.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${NC_CACHE:-/var/cache/netchannel}
checkpatch=$cache/linux-6.12-src/scripts/checkpatch.pl
failed=0

pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1"; failed=1; }

cd "$top"
srcs=$(find net include -name '*.[ch]' | sort)
if [ ! -x "$checkpatch" ]; then
	fail "checkpatch available ($checkpatch; make uml unpacks it)"
else
	out=$("$checkpatch" --strict --no-tree --terse --show-types \
		--ignore SPDX_LICENSE_TAG,FILE_PATH_CHANGES -f $srcs 2>&1 |
		grep -v '^total:' || true)
	if [ -z "$out" ]; then
		pass "checkpatch --strict"
	else
		fail "checkpatch --strict"
		echo "$out" | sed 's/^/    /'
	fi
fi

eval "$(bash scripts/kernels.sh)"
for k in "$KVER61" "$KVER612"; do
	kdir=/lib/modules/$k/build
	tmp=$(mktemp -d /tmp/nc-static.XXXXXX)
	rsync -a net include "$tmp/"
	out=$(make -s -C "$kdir" M="$tmp/net/netchannel" W=1 C=2 CHECK=sparse \
		CONFIG_NETCHANNEL=m CONFIG_NETCHANNEL_NAT=m modules 2>&1)
	rc=$?
	# 6.1's kbuild notes that it has no vmlinux for BTF: not a warning
	out=$(echo "$out" | grep -v '^Skipping BTF generation' || true)
	rm -rf "$tmp"
	if [ $rc = 0 ] && [ -z "$out" ]; then
		pass "W=1 + sparse clean on $k"
	else
		fail "W=1 + sparse clean on $k"
		echo "$out" | head -40 | sed 's/^/    /'
	fi
done
exit $failed
