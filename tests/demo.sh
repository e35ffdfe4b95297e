#!/bin/bash
# make demo: boot the UML kernel and run the demo inside it; print the
# transcript.  `make demo` builds what is needed first.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d /tmp/nc-demo.XXXXXX)
trap 'rm -rf "$out"' EXIT

# one boot per part: the filter demo, then the home router (NAT)
status=0
for part in filter nat; do
	NC_OUTDIR=$out NC_QUIET=1 NC_LOG=$top/build/test-logs/demo-$part.log \
		bash "$top/tests/uml/run.sh" "$top/tests/demo/$part.sh" || status=$?
done
cat "$out/transcript" "$out/transcript-nat" 2>/dev/null || true
exit "$status"
