#!/usr/bin/env python3
"""fault_tool.py: fault injection scoped to the project's modules.

    fault_tool.py setup        point failslab and fail_page_alloc at the
                               netchannel modules only (stack-trace filter
                               over their memory), quiet, GFP_KERNEL
                               included; nothing fails yet
    fault_tool.py rate PCT     every allocation made under the modules'
                               code, in any context (softirq too), fails
                               with probability PCT percent (0: stop)
    fault_tool.py nth N CMD... run CMD with the Nth allocation made under the
                               modules' code in its task failing, and print
                               "RC injected" or "RC clean" (the command made
                               fewer than N such allocations)

The filter is the range from the lowest to the highest address of the
two modules' memory (/proc/modules gives each module's base and size): an
allocation counts when a return address on its stack lies there.  Only
meant for a kernel where the project's modules are the only ones loaded
(the sanitizer lane builds everything else in), and whose stack traces
are exact (not UML's, which scan the whole stack for text addresses).
"""
import os
import sys

DBG = "/sys/kernel/debug"
ATTRS = ("failslab", "fail_page_alloc")
MODULES = ("netchannel", "netchannel_nat")


def put(path, value):
    with open(path, "w") as f:
        f.write(str(value))


def module_range():
    lo, hi = None, None
    with open("/proc/modules") as f:
        for line in f:
            w = line.split()
            if w[0] not in MODULES:
                continue
            base, size = int(w[5], 16), int(w[1])
            if base == 0:
                sys.exit("fault_tool: module addresses hidden (kptr_restrict)")
            lo = base if lo is None else min(lo, base)
            hi = base + size if hi is None else max(hi, base + size)
    return lo, hi


def setup():
    lo, hi = module_range()
    if lo is None:
        sys.exit("fault_tool: netchannel modules not loaded")
    for a in ATTRS:
        d = os.path.join(DBG, a)
        if not os.path.exists(d):
            continue
        put(d + "/probability", 0)
        put(d + "/times", -1)
        put(d + "/interval", 1)
        put(d + "/space", 0)
        put(d + "/verbose", 0)
        put(d + "/task-filter", "N")
        put(d + "/ignore-gfp-wait", "N")
        put(d + "/stacktrace-depth", 32)
        # require-end first: start must stay below end
        put(d + "/require-end", hi)
        put(d + "/require-start", lo)
    if os.path.exists(DBG + "/fail_page_alloc"):
        put(DBG + "/fail_page_alloc/ignore-gfp-highmem", "N")
        put(DBG + "/fail_page_alloc/min-order", 0)
    print("fault_tool: %#x-%#x" % (lo, hi))


def rate(pct):
    for a in ATTRS:
        if os.path.exists(os.path.join(DBG, a)):
            put(os.path.join(DBG, a, "probability"), pct)


def nth(n, cmd):
    pid = os.fork()
    if pid == 0:
        try:
            put("/proc/thread-self/fail-nth", n)
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    # Read the child's fail-nth while it is a zombie (WNOWAIT): 0 means
    # the Nth allocation came and failed.
    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    with open("/proc/%d/task/%d/fail-nth" % (pid, pid)) as f:
        left = int(f.read())
    _, status = os.waitpid(pid, 0)
    rc = os.waitstatus_to_exitcode(status)
    print(rc, "clean" if left else "injected")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    op = sys.argv[1]
    if op == "setup":
        setup()
    elif op == "rate":
        rate(int(sys.argv[2]))
    elif op == "nth" and len(sys.argv) > 3:
        nth(int(sys.argv[2]), sys.argv[3:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
