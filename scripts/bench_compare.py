#!/usr/bin/env python3
"""The side-by-side benchmark behind scripts/bench-compare.sh (not a test).

Runs our tools and our FUSE mount (`redoxfs`) against Debian's `fuse2fs` over an ext4 image made
with `mkfs.ext4` (and `mkfs.ext4 -d`, `e2fsck -fn` for the tools), on the same generated trees, in
one run: every round runs each system once, the order rotating from round to round, and each
figure is the median of the rounds. With `--baseline-bin DIR` a second build of our programs
(for example an older commit's release build) runs in the same rounds, and the table gives the
speed of this build over that one.

Workload groups (`--only`): ar, fuse, fsck (warm: each timed run right after an untimed one;
cold: caches dropped right before each timed run), engine, parallel (reader processes side by side
on a cold mount, alone and while another process fsyncs). The fuse group's 4 KiB random figures
also run on the big file written again on a `-o record_size=4k` mount (`--record-size`; fuse2fs
runs the same steps). Everything also runs on an encrypted image
(`--no-encrypted` to skip). Run as root (FUSE mounts, drop_caches).
"""
import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

MiB = 1 << 20


def log(message):
    print(message, file=sys.stderr, flush=True)


def run(command, **kwargs):
    """Runs a command, raising with its output when it fails."""
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, command))} exited {result.returncode}: "
                           f"{result.stderr.decode(errors='replace')[-2000:]}{result.stdout.decode(errors='replace')[-2000:]}")
    return result


def drop_caches():
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as control:
        control.write("3\n")


def fsync_path(path):
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def timed(action):
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


# MARK: - Systems


class System:
    """One file system implementation under test: how to make an image, mount it, check it."""

    def __init__(self, name, kind, bin_dir=None, encrypted=False, password_file=None, extra_mount=()):
        self.name = name
        self.kind = kind  # "redoxfs" or "ext4"
        self.bin_dir = bin_dir
        self.encrypted = encrypted
        self.password_file = password_file
        self.extra_mount = list(extra_mount)

    def tool(self, name, fallback_dir=None):
        path = os.path.join(self.bin_dir, name)
        if os.path.exists(path) or fallback_dir is None:
            return path
        return os.path.join(fallback_dir, name)

    def password_args(self):
        return ["--password-file", self.password_file] if self.encrypted else []

    def make_image(self, image, size, ours_dir):
        if os.path.exists(image):
            os.remove(image)
        with open(image, "wb") as handle:
            handle.truncate(size)
        if self.kind == "ext4":
            # fuse2fs cannot write an ext4 journal (it warns and runs without one): no journal.
            run(["mkfs.ext4", "-q", "-F", "-O", "^has_journal", image])
        else:
            run([self.tool("redoxfs-mkfs", ours_dir)] + self.password_args() + [image])

    def mount_command(self, image, mountpoint, options=()):
        if self.kind == "ext4":
            return ["fuse2fs", "-f", image, mountpoint, "-o", "rw"]
        extra = [arg for option in options for arg in ("-o", option)]
        return [self.tool("redoxfs"), "-f"] + self.password_args() + self.extra_mount + extra + [image, mountpoint]

    def knows_record_size(self):
        """Whether this build's `redoxfs` takes `-o record_size=` (older builds do not)."""
        if self.kind != "redoxfs":
            return False
        result = subprocess.run([self.tool("redoxfs"), "--help"], capture_output=True)
        return b"record_size" in result.stdout + result.stderr


class Mount:
    """A running FUSE daemon; `close` unmounts and waits for its final commit and exit."""

    def __init__(self, system, image, mountpoint, options=()):
        self.mountpoint = mountpoint
        self.log = open(image + ".log", "ab")
        self.process = subprocess.Popen(system.mount_command(image, mountpoint, options), stdout=self.log, stderr=self.log)
        deadline = time.time() + 120
        while not os.path.ismount(mountpoint):
            if self.process.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"{system.name} did not mount {image} (see {image}.log)")
            time.sleep(0.05)

    def close(self):
        subprocess.run(["umount", self.mountpoint], check=True)
        self.process.wait(timeout=600)
        self.log.close()


# MARK: - Workloads through the mount


def small_files(root, count, action, fsync_each=False):
    """`count` files of 1 byte to 16 KiB in directories of 200: create, stat, read or delete."""
    rng = random.Random(5)
    pool = rng.randbytes(16384)
    sizes = [rng.randint(1, 16384) for _ in range(count)]
    folders = (count + 199) // 200

    def path(index):
        return os.path.join(root, f"d{index // 200:03d}", f"f{index % 200:03d}")

    if action == "create":
        for folder in range(folders):
            os.mkdir(os.path.join(root, f"d{folder:03d}"))
        for index in range(count):
            descriptor = os.open(path(index), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            os.write(descriptor, pool[:sizes[index]])
            if fsync_each:
                os.fsync(descriptor)
            os.close(descriptor)
    elif action == "stat":
        for index in range(count):
            os.lstat(path(index))
    elif action == "read":
        total = 0
        for index in range(count):
            with open(path(index), "rb") as source:
                total += len(source.read())
        if total != sum(sizes):
            raise RuntimeError(f"small files read back {total} bytes, {sum(sizes)} written")
    else:
        for folder in range(folders):
            directory = os.path.join(root, f"d{folder:03d}")
            folder_fd = os.open(directory, os.O_RDONLY) if fsync_each else None
            for index in range(folder * 200, min(count, folder * 200 + 200)):
                os.unlink(path(index))
                if fsync_each:
                    os.fsync(folder_fd)
            if folder_fd is not None:
                os.close(folder_fd)
            os.rmdir(directory)
    if action in ("create", "delete"):
        fsync_path(root)


def fio(target, mode, size, ops):
    """4 KiB random `mode` (randread/randwrite) of `ops` operations over `size` bytes of `target`."""
    command = ["fio", "--name=bench", f"--filename={target}", f"--rw={mode}", "--bs=4k", f"--size={size}",
               f"--io_size={ops * 4096}", "--ioengine=psync", "--randrepeat=1", "--norandommap",
               "--invalidate=0", "--output-format=json"]
    if mode == "randwrite":
        command.append("--end_fsync=1")
    start = time.perf_counter()
    run(command)
    return time.perf_counter() - start


def dd_random(target, size, ops, write, seed=7):
    """The same without fio: `ops` 4 KiB preads or pwrites (then one fsync) at random offsets."""
    rng = random.Random(seed)
    blocks = size // 4096
    offsets = [rng.randrange(blocks) * 4096 for _ in range(ops)]
    payload = os.urandom(4096)
    descriptor = os.open(target, os.O_RDWR)
    start = time.perf_counter()
    for offset in offsets:
        if write:
            os.pwrite(descriptor, payload, offset)
        else:
            os.pread(descriptor, 4096, offset)
    if write:
        os.fsync(descriptor)
    elapsed = time.perf_counter() - start
    os.close(descriptor)
    return elapsed


def random_io(target, size, ops):
    """4 KiB random reads, then random writes + fsync, of `target`: fio when installed, else
    plain preads/pwrites; (read seconds, write seconds)."""
    if shutil.which("fio"):
        return fio(target, "randread", size, ops), fio(target, "randwrite", size, ops)
    return dd_random(target, size, ops, write=False), dd_random(target, size, ops, write=True)


def fuse_suite(system, args, work, inputs, ours_dir):
    """Every mount workload on a fresh image; returns {figure: seconds}."""
    image = os.path.join(work, f"{system.name}.img")
    mountpoint = os.path.join(work, "mnt")
    os.makedirs(mountpoint, exist_ok=True)
    system.make_image(image, args.image_size, ours_dir)
    results = {}
    drop_caches()
    mount = Mount(system, image, mountpoint)

    def remount(cold=True, options=()):
        nonlocal mount
        mount.close()
        if cold:
            drop_caches()
        mount = Mount(system, image, mountpoint, options)

    try:
        big = os.path.join(mountpoint, "big")
        with open(inputs["random"], "rb") as warm:  # the source in the page cache, not on the clock
            while warm.read(8 * MiB):
                pass
        results["seq_write"] = timed(lambda: run(
            ["dd", f"if={inputs['random']}", f"of={big}", "bs=1M", "conv=fsync", "status=none"]))
        remount()
        results["seq_read"] = timed(lambda: run(["dd", f"if={big}", "of=/dev/null", "bs=1M", "status=none"]))
        if args.verify:
            run(["cmp", inputs["random"], big])
        remount()
        ops = args.random_ops
        results["rand_read"], results["rand_write"] = random_io(big, args.seq_size, ops)
        os.unlink(big)
        fsync_path(mountpoint)
        if args.record_size != "none" and (system.kind == "ext4" or system.knows_record_size()):
            # The same file written again on a mount with small records (`-o record_size=`; fuse2fs
            # and ext4 have no such knob and run the same steps), then the same random figures.
            options = [f"record_size={args.record_size}"] if system.kind == "redoxfs" else []
            remount(cold=False, options=options)
            run(["dd", f"if={inputs['random']}", f"of={big}", "bs=1M", "conv=fsync", "status=none"])
            remount(options=options)
            results["rand_read_rs"], results["rand_write_rs"] = random_io(big, args.seq_size, ops)
            os.unlink(big)
            fsync_path(mountpoint)
            remount(cold=False)

        small = os.path.join(mountpoint, "small")
        os.mkdir(small)
        results["small_create"] = timed(lambda: small_files(small, args.files, "create"))
        remount()
        results["small_stat"] = timed(lambda: small_files(small, args.files, "stat"))
        results["small_read"] = timed(lambda: small_files(small, args.files, "read"))
        results["small_delete"] = timed(lambda: small_files(small, args.files, "delete"))
        os.rmdir(small)

        synced = os.path.join(mountpoint, "synced")
        os.mkdir(synced)
        results["small_create_fsync"] = timed(lambda: small_files(synced, args.fsync_files, "create", fsync_each=True))
        remount(cold=False)
        results["small_delete_fsync"] = timed(lambda: small_files(synced, args.fsync_files, "delete", fsync_each=True))
        os.rmdir(synced)

        tree = os.path.join(mountpoint, "tree")
        os.mkdir(tree)

        def untar():
            run(["tar", "-xf", inputs["tarball"], "-C", tree])
            fsync_path(tree)
        results["untar"] = timed(untar)
        # tar gives every file atime = mtime: under relatime the first read after a remount
        # writes each file's atime (the cost #18's relatime brings).
        remount()

        def read_tree():
            for folder, _, names in os.walk(tree):
                for name in names:
                    path = os.path.join(folder, name)
                    if not os.path.islink(path):
                        with open(path, "rb") as source:
                            while source.read(1 << 20):
                                pass
            fsync_path(tree)
        results["tree_read"] = timed(read_tree)
    finally:
        mount.close()
        os.remove(image)
    return results


# MARK: - Requests in parallel


def parallel_files(root, readers, count):
    """`count` small files (1 to 16 KiB) in one directory per reader, made and fsynced once."""
    rng = random.Random(11)
    pool = rng.randbytes(16384)
    for reader in range(readers):
        folder = os.path.join(root, f"p{reader}")
        os.mkdir(folder)
        for index in range(count // readers):
            with open(os.path.join(folder, f"f{index:04d}"), "wb") as out:
                out.write(pool[:rng.randint(1, 16384)])
    fsync_path(root)


def read_folder(folder):
    """Stats, then reads every file of `folder` (one reader process's share)."""
    names = sorted(os.listdir(folder))
    for name in names:
        os.lstat(os.path.join(folder, name))
    for name in names:
        with open(os.path.join(folder, name), "rb") as source:
            source.read()


def forked(action):
    """Runs `action` in a child process; returns its pid (the child exits 0, or 1 on an error)."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            action()
        except BaseException as error:  # reported, never propagated out of the child
            print(f"bench-compare worker: {error}", file=sys.stderr, flush=True)
            code = 1
        os._exit(code)
    return pid


def wait_all(pids):
    for pid in pids:
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError("a benchmark worker process failed")


def fsync_loop(folder, stop_file, count_file):
    """Creates 16 KiB files with an fsync each until `stop_file` exists; writes the count done."""
    payload = os.urandom(16384)
    done = 0
    while not os.path.exists(stop_file):
        descriptor = os.open(os.path.join(folder, f"w{done:05d}"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.write(descriptor, payload)
        os.fsync(descriptor)
        os.close(descriptor)
        done += 1
    with open(count_file, "w") as out:
        out.write(str(done))


def parallel_suite(system, args, work, ours_dir):
    """Reader processes stat'ing and reading files of their own at once, on a cold mount: alone,
    then while another process creates files with an fsync each. Returns {figure: seconds}."""
    image = os.path.join(work, f"par-{system.name}.img")
    mountpoint = os.path.join(work, "mnt")
    os.makedirs(mountpoint, exist_ok=True)
    system.make_image(image, args.image_size, ours_dir)
    readers = args.parallel_readers
    results = {}
    mount = Mount(system, image, mountpoint)
    try:
        root = os.path.join(mountpoint, "par")
        os.mkdir(root)
        parallel_files(root, readers, args.parallel_files)
        folders = [os.path.join(root, f"p{reader}") for reader in range(readers)]

        def cold():
            nonlocal mount
            mount.close()
            drop_caches()
            mount = Mount(system, image, mountpoint)

        # One reader alone, then all of them at once: the same files each time.
        cold()
        results["par_one"] = timed(lambda: wait_all([forked(lambda: [read_folder(f) for f in folders])]))
        cold()
        results["par_all"] = timed(lambda: wait_all([forked(lambda f=f: read_folder(f)) for f in folders]))
        # The readers again, while a writer process fsyncs file after file.
        cold()
        writes = os.path.join(root, "w")
        os.mkdir(writes)
        stop_file = os.path.join(work, "par-stop")
        count_file = os.path.join(work, "par-count")
        for name in (stop_file, count_file):
            if os.path.exists(name):
                os.remove(name)
        writer = forked(lambda: fsync_loop(writes, stop_file, count_file))
        time.sleep(0.2)  # the writer under way
        start = time.perf_counter()
        wait_all([forked(lambda f=f: read_folder(f)) for f in folders])
        results["par_with_fsync"] = time.perf_counter() - start
        open(stop_file, "w").close()
        wait_all([writer])
        elapsed = time.perf_counter() - start + 0.2
        with open(count_file) as source:
            fsyncs = int(source.read() or 0)
        # Seconds per 100 create + fsync while the readers ran (lower is better).
        results["par_fsync_100"] = elapsed * 100 / max(fsyncs, 1)
        os.remove(stop_file)
    finally:
        mount.close()
        os.remove(image)
    return results


# MARK: - Tools


def peak_rss_kib(time_file):
    with open(time_file) as report:
        for line in report:
            if "Maximum resident set size" in line:
                return int(line.split(":")[1])
    return 0


def ar_run(system, args, work, tree, ours_dir):
    """Archives the tree into a fresh image (redoxfs-ar, or mkfs.ext4 -d); returns seconds, peak RSS."""
    image = os.path.join(work, f"ar-{system.name}.img")
    if os.path.exists(image):
        os.remove(image)
    time_file = os.path.join(work, "time.txt")
    size_mib = args.ar_size_mib * 3 // 2 + 256
    if system.kind == "ext4":
        command = ["mkfs.ext4", "-q", "-F", "-d", tree, image, f"{size_mib}M"]
    else:
        command = [system.tool("redoxfs-ar")] + system.password_args() + [
            "--quiet", "--size", f"{size_mib}MiB", image, tree]
    start = time.perf_counter()
    run(["/usr/bin/time", "-v", "-o", time_file] + command)
    fsync_path(image)
    seconds = time.perf_counter() - start
    rss = peak_rss_kib(time_file)
    os.remove(image)
    return seconds, rss


def fsck_tree(root, count):
    """100 files per folder, two levels of folders; sizes cycle through inline, one-record and
    multi-record files (the tree of the former bench-fsck.sh)."""
    sizes = [0, 17, 300, 1000, 3000, 5000, 9000, 20000]
    for index in range(count):
        folder = os.path.join(root, "d%03d" % (index // 10000), "e%03d" % ((index // 100) % 100))
        if index % 100 == 0:
            os.makedirs(folder, exist_ok=True)
        size = sizes[index % len(sizes)]
        line = ("file %d of the fsck benchmark\n" % index).encode()
        with open(os.path.join(folder, "f%06d.txt" % index), "wb") as out:
            out.write((line * (size // len(line) + 1))[:size])


# MARK: - Table


def median(values):
    return statistics.median(values) if values else None


def fmt_seconds(value):
    return "—" if value is None else (f"{value:.3f} s" if value < 10 else f"{value:.1f} s")


def fmt_ratio(numerator, denominator):
    if numerator is None or denominator is None or numerator == 0:
        return "—"
    return f"{denominator / numerator:.2f}×"


class Table:
    """Rows of medians; each row: label, then one median per column, then ratios."""

    def __init__(self, title, columns, ratios):
        self.title = title
        self.columns = columns  # [(heading, key)]
        self.ratios = ratios  # [(heading, key of the measured, key of the reference)]
        self.rows = []

    def add(self, label, samples, note=lambda key, value: ""):
        self.rows.append((label, {key: median(values) for key, values in samples.items()}, note))

    def render(self):
        lines = [self.title]
        header = f"{'':46}" + "".join(f"{heading:>24}" for heading, _ in self.columns) + "".join(
            f"{heading:>14}" for heading, _, _ in self.ratios)
        lines.append(header)
        for label, medians, note in self.rows:
            cells = []
            for _, key in self.columns:
                value = medians.get(key)
                extra = note(key, value) if value is not None else ""
                cells.append(f"{fmt_seconds(value) + extra:>24}")
            ratio_cells = [f"{fmt_ratio(medians.get(a), medians.get(b)):>14}" for _, a, b in self.ratios]
            lines.append(f"{label:46}" + "".join(cells) + "".join(ratio_cells))
        return "\n".join(lines)


# MARK: - Main


def parse_size(text):
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    text = text.lower().rstrip("ib").rstrip("b") if text.lower().endswith(("ib", "b")) else text.lower()
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def main():
    parser = argparse.ArgumentParser(
        prog="bench-compare.sh", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=".build/release", help="our release binaries (default .build/release)")
    parser.add_argument("--baseline-bin", help="a second build's binaries (redoxfs, redoxfs-ar, ...) to compare with")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; each figure is the median (default 5)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1 round, small sizes")
    parser.add_argument("--only", default="ar,fuse,fsck,engine,parallel",
                        help="workload groups (default ar,fuse,fsck,engine,parallel)")
    parser.add_argument("--no-encrypted", dest="encrypted", action="store_false", help="skip the encrypted runs")
    parser.add_argument("--no-fuse2fs", dest="fuse2fs", action="store_false", help="skip fuse2fs/ext4 (e.g. old vs new only)")
    parser.add_argument("--seq-size", default="1GiB", help="sequential file size (default 1GiB)")
    parser.add_argument("--record-size", default="4k",
                        help="also run the random figures on a file written on a mount with -o record_size=SIZE "
                             "(ours; fuse2fs runs the same steps); 'none' skips them (default 4k)")
    parser.add_argument("--random-ops", type=int, default=20000, help="4 KiB random reads, then writes (default 20000)")
    parser.add_argument("--files", type=int, default=20000, help="small files (default 20000)")
    parser.add_argument("--fsync-files", type=int, default=20000, help="small files with an fsync each (default 20000)")
    parser.add_argument("--ar-files", type=int, default=20000, help="files of the ar tree (default 20000)")
    parser.add_argument("--ar-size", default="400MiB", help="bytes of the ar tree (default 400MiB)")
    parser.add_argument("--fsck-files", type=int, default=100000, help="files of the fsck tree (default 100000)")
    parser.add_argument("--tree", default="/usr/include", help="the source tree to untar (default /usr/include)")
    parser.add_argument("--image-size", default="4GiB", help="size of the mount images (default 4GiB)")
    parser.add_argument("--work", help="where trees and images go (default a new folder in /var/tmp)")
    parser.add_argument("--verify", action="store_true", help="compare the 1 GiB file after reading it back")
    parser.add_argument("--mount-option", action="append", default=[], help="extra option for our mounts (-o X)")
    parser.add_argument("--parallel-readers", type=int, default=4, help="reader processes of the parallel group (default 4)")
    parser.add_argument("--parallel-files", type=int, default=4000,
                        help="small files the parallel readers share out (default 4000)")
    parser.add_argument("--json", help="also write every sample to this file")
    args = parser.parse_args()

    if args.quick:
        args.rounds = 1
        args.seq_size, args.random_ops, args.files, args.fsync_files = "64MiB", 2000, 2000, 500
        args.ar_files, args.ar_size, args.fsck_files, args.image_size = 2000, "40MiB", 5000, "1GiB"
        args.parallel_files = 800
        args.tree = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Sources")
    args.seq_size = parse_size(args.seq_size)
    args.image_size = parse_size(args.image_size)
    args.ar_size_mib = parse_size(args.ar_size) // MiB
    groups = set(args.only.split(","))
    ours_dir = os.path.abspath(args.bin)
    baseline_dir = os.path.abspath(args.baseline_bin) if args.baseline_bin else None
    if os.geteuid() != 0:
        sys.exit("bench-compare: run as root (FUSE mounts, drop_caches)")

    work = args.work or tempfile.mkdtemp(prefix="redoxfs-compare.", dir="/var/tmp")
    os.makedirs(work, exist_ok=True)
    password_file = os.path.join(work, "password")
    if not os.path.exists(password_file):
        with open(password_file, "w") as out:
            out.write("bench-compare password")
    mount_extra = [arg for option in args.mount_option for arg in ("-o", option)]

    ours = System("redoxfs", "redoxfs", ours_dir, extra_mount=mount_extra)
    ext4 = System("fuse2fs", "ext4")
    plain = [ours] + ([ext4] if args.fuse2fs else [])
    encrypted = []
    if baseline_dir:
        plain.append(System("baseline", "redoxfs", baseline_dir, extra_mount=mount_extra))
    if args.encrypted:
        encrypted.append(System("redoxfs-enc", "redoxfs", ours_dir, True, password_file, mount_extra))
        if baseline_dir:
            encrypted.append(System("baseline-enc", "redoxfs", baseline_dir, True, password_file, mount_extra))
    systems = plain + encrypted
    samples = {}  # (group, figure, system) -> [seconds]

    def note(group, figure, system, seconds):
        samples.setdefault((group, figure, system), []).append(seconds)

    log(f"== work folder {work}; {args.rounds} round(s); systems: {', '.join(s.name for s in systems)}")
    inputs = {}
    try:
        if "fuse" in groups:
            inputs["random"] = os.path.join(work, "random.bin")
            with open(inputs["random"], "wb") as out:
                remaining = args.seq_size
                while remaining:
                    chunk = min(remaining, 8 * MiB)
                    out.write(os.urandom(chunk))
                    remaining -= chunk
            inputs["tarball"] = os.path.join(work, "tree.tar")
            tree = os.path.abspath(args.tree)
            run(["tar", "-C", os.path.dirname(tree), "-cf", inputs["tarball"], "--exclude=.build",
                 os.path.basename(tree)])
            members = run(["tar", "-tf", inputs["tarball"]]).stdout.decode().splitlines()
            inputs["tree_files"] = sum(1 for member in members if not member.endswith("/"))
            log(f"== untar input: {tree}, {inputs['tree_files']} files, {os.path.getsize(inputs['tarball']) // MiB} MiB tar")
        if "ar" in groups:
            ar_tree = os.path.join(work, "ar-tree")
            if not os.path.exists(ar_tree):
                run([os.path.join(ours_dir, "redoxfs-bench"), "generate", "--files", str(args.ar_files),
                     "--size", f"{args.ar_size_mib}MiB", ar_tree])
        if "fsck" in groups:
            fsck_root = os.path.join(work, "fsck-tree")
            if not os.path.exists(fsck_root):
                log(f"== generating the fsck tree ({args.fsck_files} files)")
                fsck_tree(fsck_root, args.fsck_files)
            total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(fsck_root) for f in fs)
            size_mib = total * 3 // MiB + 512
            fsck_images = {}
            for system in systems:
                # Kept between runs in a --work folder (made once: the same tree, the same image).
                image = os.path.join(work, f"fsck-{system.name}.fsckimg")
                if os.path.exists(image):
                    pass
                elif system.kind == "ext4":
                    run(["mkfs.ext4", "-q", "-F", "-d", fsck_root, image, f"{size_mib}M"])
                else:
                    # Every redoxfs build checks the image made by ours (the same format).
                    run([os.path.join(ours_dir, "redoxfs-ar")] + system.password_args()
                        + ["--quiet", "--size", f"{size_mib}MiB", image, fsck_root])
                fsck_images[system.name] = image

        for round_index in range(args.rounds):
            shift = round_index % len(systems)
            order = systems[shift:] + systems[:shift]
            log(f"== round {round_index + 1}/{args.rounds}: {' → '.join(s.name for s in order)}")
            for system in order:
                if "ar" in groups and (system.kind == "ext4" or os.path.exists(system.tool("redoxfs-ar"))):
                    seconds, rss = ar_run(system, args, work, ar_tree, ours_dir)
                    note("ar", "seconds", system.name, seconds)
                    note("ar", "rss", system.name, rss)
                    log(f"   ar {system.name}: {seconds:.2f} s, {rss / 1024:.0f} MiB")
                if "fsck" in groups and (system.kind == "ext4" or os.path.exists(system.tool("redoxfs-fsck"))):
                    image = fsck_images[system.name]
                    if system.kind == "ext4":
                        commands = {"fsck": ["e2fsck", "-fn", image]}
                    else:
                        checker = system.tool("redoxfs-fsck")
                        base = [checker, "-n", "-f"] + system.password_args()
                        commands = {"fsck": base + [image], "fsck_scrub": base + ["--scrub", image]}
                    for figure, command in commands.items():
                        # Warm: a warm-up run right before each timed run, so the image is in the
                        # page cache whatever ran before (the fuse group drops caches between rounds).
                        run(command)
                        note("fsck", figure, system.name, timed(lambda: run(command)))
                    # Cold: caches dropped right before the timed run, for every system alike.
                    drop_caches()
                    note("fsck", "fsck_cold", system.name, timed(lambda: run(commands["fsck"])))
                    log(f"   fsck {system.name}: warm {samples[('fsck', 'fsck', system.name)][-1]:.3f} s, "
                        f"cold {samples[('fsck', 'fsck_cold', system.name)][-1]:.3f} s")
                if "fuse" in groups:
                    results = fuse_suite(system, args, work, inputs, ours_dir)
                    for figure, seconds in results.items():
                        note("fuse", figure, system.name, seconds)
                    log(f"   fuse {system.name}: " + ", ".join(f"{k} {v:.2f}" for k, v in results.items()))
                if "parallel" in groups:
                    results = parallel_suite(system, args, work, ours_dir)
                    for figure, seconds in results.items():
                        note("parallel", figure, system.name, seconds)
                    log(f"   parallel {system.name}: " + ", ".join(f"{k} {v:.2f}" for k, v in results.items()))
                if "engine" in groups and system.kind == "redoxfs" and not system.encrypted:
                    bench = system.tool("redoxfs-bench")
                    if os.path.exists(bench):
                        output = run([bench, "engine", "--size", f"{args.seq_size // MiB}MiB", "--directory", work])
                        for line in output.stdout.decode().splitlines():
                            if line.startswith("engine ") and ": write " in line:
                                kind = "plain" if "plain" in line else "encrypted"
                                for part in line.split(": ", 1)[1].split(", "):
                                    name = part.split(" ")[0] + ("_again" if "again" in part else "")
                                    seconds = float(part.rsplit("(", 1)[1].split(" s")[0])
                                    note("engine", f"{kind}_{name}", system.name, seconds)
    finally:
        for key in ("random", "tarball"):
            if key in inputs and os.path.exists(inputs[key]):
                os.remove(inputs[key])
        for name in os.listdir(work):
            if name.endswith(".img"):
                os.remove(os.path.join(work, name))

    if args.json:
        with open(args.json, "w") as out:
            json.dump({"|".join(key): values for key, values in samples.items()}, out, indent=1)
    print_tables(samples, args, inputs, baseline_dir, systems)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    else:
        log(f"(the trees and fsck images stay in {work} for the next run with --work {work})")


def print_tables(samples, args, inputs, baseline_dir, systems):
    names = {s.name for s in systems}
    seq_mib = args.seq_size // MiB
    figures = [
        ("fuse", "seq_write", f"FUSE sequential write {seq_mib} MiB + fsync", seq_mib),
        ("fuse", "seq_read", f"FUSE sequential read {seq_mib} MiB (cold)", seq_mib),
        ("fuse", "rand_read", f"FUSE 4 KiB random read × {args.random_ops}", None),
        ("fuse", "rand_write", f"FUSE 4 KiB random write × {args.random_ops} + fsync", None),
        ("fuse", "rand_read_rs", f"  the same read, file made with -o record_size={args.record_size}", None),
        ("fuse", "rand_write_rs", f"  the same write, file made with -o record_size={args.record_size}", None),
        ("fuse", "small_create", f"{args.files} small files: create + 1 fsync", None),
        ("fuse", "small_stat", f"{args.files} small files: stat (cold)", None),
        ("fuse", "small_read", f"{args.files} small files: read", None),
        ("fuse", "small_delete", f"{args.files} small files: delete + 1 fsync", None),
        ("fuse", "small_create_fsync", f"{args.fsync_files} small files: create, fsync each", None),
        ("fuse", "small_delete_fsync", f"{args.fsync_files} small files: delete, fsync each", None),
        ("fuse", "untar", f"untar {inputs.get('tree_files', '?')} files + fsync", None),
        ("fuse", "tree_read", "read the untarred tree after remount + fsync", None),
        ("parallel", "par_one", f"{args.parallel_files} small files: stat + read, 1 process (cold)", None),
        ("parallel", "par_all", f"the same, {args.parallel_readers} processes at once (cold)", None),
        ("parallel", "par_with_fsync", f"the same while a process creates files, fsync each", None),
        ("parallel", "par_fsync_100", "100 create + fsync beside those readers", None),
        ("ar", "seconds", f"ar {args.ar_files} files / {args.ar_size_mib} MiB (ext4: mkfs -d)", args.ar_size_mib),
        ("fsck", "fsck", f"fsck {args.fsck_files} files (-n -f / e2fsck -fn), warm", None),
        ("fsck", "fsck_cold", f"fsck {args.fsck_files} files (-n -f / e2fsck -fn), cold", None),
        ("fsck", "fsck_scrub", f"fsck {args.fsck_files} files --scrub, warm", None),
        ("engine", "plain_write", f"engine write {seq_mib} MiB (no FUSE)", seq_mib),
        ("engine", "plain_read", f"engine read {seq_mib} MiB (no FUSE)", seq_mib),
        ("engine", "encrypted_write", f"engine write {seq_mib} MiB encrypted", seq_mib),
        ("engine", "encrypted_read", f"engine read {seq_mib} MiB encrypted", seq_mib),
    ]

    def rate_note(mib):
        return (lambda key, value: f" ({mib / value:.0f} MB/s)") if mib else (lambda key, value: "")

    def collect(group, figure, keys):
        return {key: samples.get((group, figure, key), []) for key in keys}

    has_ext4 = "fuse2fs" in names
    columns = [("redoxfs", "redoxfs")] + ([("fuse2fs/ext4", "fuse2fs")] if has_ext4 else [])
    ratios = [("vs ext4", "redoxfs", "fuse2fs")] if has_ext4 else []
    if baseline_dir:
        columns.append(("baseline", "baseline"))
        ratios.append(("vs baseline", "redoxfs", "baseline"))
    table = Table(f"== plain images, median of {args.rounds} round(s); ratio = speed of redoxfs ÷ speed of the other "
                  "(above 1: redoxfs faster)", columns, ratios)
    for group, figure, label, mib in figures:
        if any(samples.get((group, figure, key)) for key, _ in [(c[1], 0) for c in columns]):
            table.add(label, collect(group, figure, [c[1] for c in columns]), rate_note(mib))
    print()
    print(table.render())
    rss = {key: median(samples.get(("ar", "rss", key), [])) for key in names}
    if any(rss.values()):
        print("ar peak RSS (median): " + ", ".join(f"{k} {v / 1024:.0f} MiB" for k, v in rss.items() if v))

    if "redoxfs-enc" in names:
        columns = [("redoxfs-enc", "redoxfs-enc"), ("redoxfs plain", "redoxfs")] + (
            [("fuse2fs/ext4", "fuse2fs")] if has_ext4 else [])
        ratios = [("enc vs plain", "redoxfs-enc", "redoxfs")] + (
            [("enc vs ext4", "redoxfs-enc", "fuse2fs")] if has_ext4 else [])
        if baseline_dir:
            columns.append(("baseline-enc", "baseline-enc"))
            ratios.append(("vs baseline", "redoxfs-enc", "baseline-enc"))
        table = Table(f"== encrypted images (XTS-AES-128), median of {args.rounds} round(s)", columns, ratios)
        for group, figure, label, mib in figures:
            if group != "engine" and samples.get((group, figure, "redoxfs-enc")):
                table.add(label, collect(group, figure, [c[1] for c in columns]), rate_note(mib))
        print()
        print(table.render())
    print(f"\n{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the end; "
          "times are medians, lower is better; ratios are speeds (above 1: the first named is faster)")


if __name__ == "__main__":
    main()
