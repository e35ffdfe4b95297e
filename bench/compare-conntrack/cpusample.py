#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""cpusample.py MARK OUT: sample the CPU time of a VM process from the host.

The VM (the UML kernel, or QEMU) is the oldest process whose command line
holds MARK and that is not the `timeout` wrapper.  Every ~2 ms one line
"EPOCH_SECONDS CPU_NS" goes to OUT: the time the process's threads have run
on a host CPU (/proc/PID/task/*/schedstat, in ns), which does not grow while
the host deschedules the VM, unlike the guest's wall clock.  UML runs all
kernel code, pktgen and the forwarding included, in that one process; the
guest's user processes are separate host processes and are not counted.
Stops when the process is gone (or was never found within a minute).
"""
import os
import sys
import time


def find_vm(mark):
    best = None
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if int(pid) == os.getpid():
            continue	# this sampler carries MARK in its own arguments
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if mark not in f.read():
                    continue
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() == "timeout":
                    continue
            with open(f"/proc/{pid}/stat") as f:
                start = int(f.read().rsplit(")", 1)[1].split()[19])
        except OSError:
            continue
        if best is None or start < best[0]:
            best = (start, pid)
    return best and best[1]


def cpu_ns(pid, tasks):
    total = 0
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except OSError:
            pass	# a thread that ended; its time is lost to both ends
    return total


def main():
    mark, out = sys.argv[1].encode(), sys.argv[2]
    deadline = time.time() + 60
    pid = None
    while not pid and time.time() < deadline:
        pid = find_vm(mark)
        time.sleep(0.05)
    if not pid:
        sys.exit("cpusample: no VM process found")
    with open(out, "w") as f:
        n = 0
        while os.path.exists(f"/proc/{pid}"):
            if n % 250 == 0:	# threads come and go rarely
                tasks = os.listdir(f"/proc/{pid}/task")
            f.write(f"{time.time():.6f} {cpu_ns(pid, tasks)}\n")
            n += 1
            time.sleep(0.002)


if __name__ == "__main__":
    try:
        main()
    except (FileNotFoundError, ProcessLookupError):
        pass	# the VM went away between two samples
