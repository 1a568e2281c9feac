#!/usr/bin/env python3
"""The small-file phases of bench_compare.py's fuse group, each watched alone (not a test).

Runs create (+1 fsync), a cold remount, stat, read, then delete (+1 fsync) of `bench_compare.py`'s
small files on one mount, as its fuse group does, and prints one JSON line: per phase the wall
time, the client's CPU and blocking waits (getrusage), the daemon's bytes and write calls
(/proc/PID/io) and, unless PERF=0, `perf stat -p` of the daemon (task-clock, context switches,
pwrite*/pread*/fdatasync tracepoints). TRACE=delete (comma-separated phases) also writes
`perf trace -p` of the daemon's device writes and flushes to OUT/trace.PHASE.txt.

    scripts/bench_phases.py BIN_DIR|fuse2fs [MOUNT OPTION ...]   (as root)

FILES (default 10000), WORK (default /var/tmp/bench-work/phases; the image and mount point go
there; the image is removed, the daemon's log too unless the run failed, and the mount point
only when this run made it), OUT (default WORK) set the rest. Alternate builds between runs:
single runs on a shared machine spread widely. Before each mount it drops the kernel's caches
(`/proc/sys/vm/drop_caches`): that is machine-wide, so it slows (and perturbs the measurements
of) other work on the machine, other benchmarks' mounts included.
"""
import json
import os
import resource
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_compare as b  # noqa: E402

EVENTS = ",".join(["task-clock", "context-switches"] + [f"syscalls:sys_enter_{name}" for name in
                   ("fdatasync", "fsync", "pwrite64", "pwritev", "pwritev2", "pread64", "preadv2")])


def proc_io(pid):
    values = {}
    with open(f"/proc/{pid}/io") as source:
        for line in source:
            key, value = line.split(":")
            values[key] = int(value)
    return values


def watched(mount, name, action, out):
    """Runs `action`, returns what the daemon and the client did meanwhile."""
    pid = mount.process.pid
    perf = tracer = None
    try:
        if os.environ.get("PERF", "1") == "1":
            perf = subprocess.Popen(["perf", "stat", "-x", ",", "-o", f"{out}/perf.{name}.txt", "-e", EVENTS, "-p", str(pid)])
        if name in os.environ.get("TRACE", "").split(","):
            tracer = subprocess.Popen(["perf", "trace", "-e", "pwrite64,pwritev,pwritev2,fdatasync,fsync", "-p", str(pid),
                                       "-o", f"{out}/trace.{name}.txt"])
        if perf or tracer:
            time.sleep(0.5)  # attached before the phase starts
        before, usage = proc_io(pid), resource.getrusage(resource.RUSAGE_SELF)
        seconds = b.timed(action)
        after, used = proc_io(pid), resource.getrusage(resource.RUSAGE_SELF)
        result = {"wall": round(seconds, 3),
                  "daemon_write_calls": after["syscw"] - before["syscw"],
                  "daemon_dirtied_MiB": round((after["write_bytes"] - before["write_bytes"]) / 2**20, 2),
                  "client_user": round(used.ru_utime - usage.ru_utime, 3),
                  "client_sys": round(used.ru_stime - usage.ru_stime, 3),
                  "client_waits": used.ru_nvcsw - usage.ru_nvcsw}
        if perf or tracer:
            time.sleep(0.05)
    finally:
        # Stopped whatever happened, so that no perf stays attached to the daemon.
        for process in (perf, tracer):
            if process:
                stop(process)
    if perf:
        with open(f"{out}/perf.{name}.txt") as source:
            for line in source:
                fields = line.strip().split(",")
                if len(fields) > 3 and fields[0] and not line.startswith("#"):
                    try:
                        result[fields[2].replace("syscalls:sys_enter_", "")] = round(float(fields[0]), 1)
                    except ValueError:
                        pass
    return result


def stop(process):
    """Ends an attached perf as Ctrl-C would (it writes its report), killing it if it hangs."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def remove_files(image, log, mountpoint, keep_log):
    """Removes the image, the daemon's log (unless `keep_log`) and `mountpoint` (when given and
    not mounted), each even when a removal before it failed."""
    try:
        if os.path.exists(image):
            os.remove(image)
    finally:
        try:
            if keep_log and os.path.exists(log):
                print(f"bench_phases: the daemon's log is kept: {log}", file=sys.stderr)
            elif os.path.exists(log):
                os.remove(log)
        finally:
            if mountpoint and not os.path.ismount(mountpoint):
                os.rmdir(mountpoint)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    kind, extra = sys.argv[1], sys.argv[2:]
    count = int(os.environ.get("FILES", "10000"))
    work = os.environ.get("WORK", "/var/tmp/bench-work/phases")
    out = os.environ.get("OUT", work)
    os.makedirs(work, exist_ok=True)
    os.makedirs(out, exist_ok=True)
    system = b.System("fuse2fs", "ext4") if kind == "fuse2fs" else b.System("redoxfs", "redoxfs", bin_dir=kind, extra_mount=extra)
    image, mountpoint = os.path.join(work, "phases.img"), os.path.join(work, "mnt")
    log = image + ".log"  # bench_compare.Mount's daemon log
    made_mountpoint = not os.path.exists(mountpoint)
    os.makedirs(mountpoint, exist_ok=True)
    results = {}
    mount = None
    succeeded = False
    try:
        system.make_image(image, 4 << 30, None if kind == "fuse2fs" else kind)
        b.drop_caches()
        mount = b.Mount(system, image, mountpoint)
        small = os.path.join(mountpoint, "small")
        os.mkdir(small)
        results["create"] = watched(mount, "create", lambda: b.small_files(small, count, "create"), out)
        mount.close()
        mount = None
        b.drop_caches()
        mount = b.Mount(system, image, mountpoint)
        for phase in ("stat", "read", "delete"):
            results[phase] = watched(mount, phase, lambda phase=phase: b.small_files(small, count, phase), out)
        os.rmdir(small)
        mount.close()
        mount = None
        succeeded = True
    finally:
        try:
            if mount:
                mount.close()
        finally:
            remove_files(image, log, mountpoint if made_mountpoint else None, keep_log=not succeeded)
    with open("/proc/loadavg") as source:
        load = source.read().split()[0]
    print(json.dumps({"system": kind, "options": extra, "load": load, **results}))


if __name__ == "__main__":
    main()
