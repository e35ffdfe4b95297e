#!/bin/bash
# make demo: boot the UML kernel and run the demo inside it; print the
# transcript.  `make demo` builds what is needed first.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d /tmp/nc-demo.XXXXXX)
trap 'rm -rf "$out"' EXIT

status=0
NC_OUTDIR=$out NC_QUIET=1 NC_LOG=$top/build/test-logs/demo.log \
	bash "$top/tests/uml/run.sh" "$top/tests/demo/filter.sh" || status=$?
cat "$out/transcript" 2>/dev/null || true
exit "$status"
