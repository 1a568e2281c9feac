#!/usr/bin/env python3
"""A randomized file exerciser in the spirit of fsx: random writes, reads, mmap reads and writes,
truncates down and up, hole punching and zeroing (fallocate), fsync, cache drops and reopens on a
few files, each checked against an in-memory model after every operation.

    fsx.py DIR --ops N [--seed S] [--model-dir D]     run N operations on files in DIR
    fsx.py DIR --verify --model-dir D                 compare the files in DIR with saved models

Exit status 0 when every check passed; 1 with a report of the last operations on a miscompare.
Original test code for RedoxFSKit.
"""
import argparse
import ctypes
import ctypes.util
import errno
import mmap
import os
import random
import sys
import time

FALLOC_FL_KEEP_SIZE = 0x01
FALLOC_FL_PUNCH_HOLE = 0x02
FALLOC_FL_ZERO_RANGE = 0x10

libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong]


def fallocate(fd, mode, offset, length):
    if libc.fallocate(fd, mode, offset, length) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


class Miscompare(Exception):
    pass


class Target:
    """One exercised file: its path, descriptor, model and size limit."""

    def __init__(self, path, limit, full_check_limit):
        self.path = path
        self.limit = limit
        self.full_check_limit = full_check_limit
        self.model = bytearray()
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)

    def reopen(self):
        os.close(self.fd)
        self.fd = os.open(self.path, os.O_RDWR)


class Exerciser:
    def __init__(self, directory, seed, log_length=40, max_length=160 * 1024):
        self.random = random.Random(seed)
        self.max_length = max_length
        self.seed = seed
        self.log = []
        self.log_length = log_length
        self.count = 0
        self.punch_supported = True
        self.zero_supported = True
        self.targets = [
            # Crosses the 3968-byte inline boundary back and forth.
            Target(os.path.join(directory, "fsx-small"), 12 * 1024, 1 << 30),
            # A few 128 KiB records.
            Target(os.path.join(directory, "fsx-medium"), 512 * 1024, 256 * 1024),
            # Past the 16 MiB level-0 range: indirect block lists, mostly holes.
            Target(os.path.join(directory, "fsx-large"), 24 * 1024 * 1024, 1024 * 1024),
        ]
        self.stats = {}
        self.seconds = {}
        self.pool = self.random.randbytes(4 * 1024 * 1024)

    def note(self, text):
        self.log.append(f"{self.count}: {text}")
        if len(self.log) > self.log_length:
            del self.log[0]

    def data(self, length):
        # Slices of a random pool (cheap), all zeros now and then so records compress and go all-zero.
        if self.random.random() < 0.15:
            return bytes(length)
        start = self.random.randrange(len(self.pool) - length)
        return self.pool[start:start + length]

    def pick_range(self, target, within_size):
        size = len(target.model)
        if within_size:
            if size == 0:
                return None
            offset = self.random.randrange(size)
            length = self.random.randint(1, min(size - offset, self.max_length))
            return offset, length
        if target.limit > 1 << 20 and self.random.random() < 0.2:
            offset = self.random.randrange(target.limit)  # anywhere: makes holes
        else:
            offset = self.random.randrange(max(1, min(target.limit, size + 64 * 1024)))
        length = self.random.randint(1, max(1, min(target.limit - offset, self.max_length)))
        return offset, length

    # Operations -----------------------------------------------------------------------------

    def op_write(self, target):
        offset, length = self.pick_range(target, False)
        data = self.data(length)
        self.note(f"write {os.path.basename(target.path)} {offset:#x} +{length:#x}")
        if os.pwrite(target.fd, data, offset) != length:
            raise Miscompare("short write")
        self.apply(target, offset, data)
        return offset, length

    def op_read(self, target):
        picked = self.pick_range(target, True)
        if picked is None:
            return
        offset, length = picked
        self.note(f"read {os.path.basename(target.path)} {offset:#x} +{length:#x}")
        got = os.pread(target.fd, length, offset)
        self.compare(target, offset, got, "read")
        return offset, length

    def op_mapread(self, target):
        picked = self.pick_range(target, True)
        if picked is None:
            return
        offset, length = picked
        size = len(target.model)
        self.note(f"mapread {os.path.basename(target.path)} {offset:#x} +{length:#x}")
        with mmap.mmap(target.fd, size, mmap.MAP_SHARED, mmap.PROT_READ) as mapping:
            got = mapping[offset:offset + length]
        self.compare(target, offset, got, "mapread")
        return offset, length

    def op_mapwrite(self, target):
        offset, length = self.pick_range(target, False)
        data = self.data(length)
        end = offset + length
        self.note(f"mapwrite {os.path.basename(target.path)} {offset:#x} +{length:#x}")
        if end > len(target.model):
            os.ftruncate(target.fd, end)
            target.model.extend(bytes(end - len(target.model)))
        with mmap.mmap(target.fd, len(target.model), mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE) as mapping:
            mapping[offset:end] = data
            if self.random.random() < 0.5:
                mapping.flush()
        target.model[offset:end] = data
        return offset, length

    def op_truncate(self, target):
        size = len(target.model)
        if self.random.random() < 0.5 and size > 0:
            new_size = self.random.randrange(size)  # down
        else:
            new_size = self.random.randrange(target.limit + 1)
        self.note(f"truncate {os.path.basename(target.path)} {size:#x} -> {new_size:#x}")
        os.ftruncate(target.fd, new_size)
        if new_size < size:
            del target.model[new_size:]
        else:
            target.model.extend(bytes(new_size - size))
        return min(size, new_size), 8192

    def op_punch(self, target):
        if not self.punch_supported:
            return
        picked = self.pick_range(target, True)
        if picked is None:
            return
        offset, length = picked
        self.note(f"punch {os.path.basename(target.path)} {offset:#x} +{length:#x}")
        try:
            fallocate(target.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length)
        except OSError as error:
            if error.errno == errno.EOPNOTSUPP:
                self.punch_supported = False
                self.note("punch: EOPNOTSUPP, not used any more")
                return
            raise
        end = min(offset + length, len(target.model))
        target.model[offset:end] = bytes(end - offset)
        return offset, length

    def op_zero(self, target):
        if not self.zero_supported:
            return
        offset, length = self.pick_range(target, False)
        keep = self.random.random() < 0.5
        self.note(f"zero{'/keep' if keep else ''} {os.path.basename(target.path)} {offset:#x} +{length:#x}")
        try:
            fallocate(target.fd, FALLOC_FL_ZERO_RANGE | (FALLOC_FL_KEEP_SIZE if keep else 0), offset, length)
        except OSError as error:
            if error.errno == errno.EOPNOTSUPP:
                self.zero_supported = False
                self.note("zero range: EOPNOTSUPP, not used any more")
                return
            raise
        size = len(target.model)
        end = offset + length
        if not keep and end > size:
            target.model.extend(bytes(end - size))
        stop = min(end, len(target.model))
        if offset < stop:
            target.model[offset:stop] = bytes(stop - offset)
        return offset, length

    def op_allocate(self, target):
        offset, length = self.pick_range(target, False)
        self.note(f"fallocate {os.path.basename(target.path)} {offset:#x} +{length:#x}")
        os.posix_fallocate(target.fd, offset, length)
        end = offset + length
        if end > len(target.model):
            target.model.extend(bytes(end - len(target.model)))
        return offset, length

    def op_fsync(self, target):
        self.note(f"fsync {os.path.basename(target.path)}")
        os.fsync(target.fd)

    def op_dropcache(self, target):
        # Written-back pages are dropped, so the next reads come from the file system itself.
        self.note(f"dropcache {os.path.basename(target.path)}")
        os.fsync(target.fd)
        os.posix_fadvise(target.fd, 0, 0, os.POSIX_FADV_DONTNEED)

    def op_reopen(self, target):
        self.note(f"reopen {os.path.basename(target.path)}")
        target.reopen()

    OPERATIONS = [
        ("write", 26), ("read", 14), ("mapread", 8), ("mapwrite", 8), ("truncate", 12), ("punch", 7),
        ("zero", 4), ("allocate", 3), ("fsync", 3), ("dropcache", 10), ("reopen", 5),
    ]

    # Checking -------------------------------------------------------------------------------

    def apply(self, target, offset, data):
        end = offset + len(data)
        if end > len(target.model):
            target.model.extend(bytes(end - len(target.model)))
        target.model[offset:end] = data

    def compare(self, target, offset, got, what):
        want = bytes(target.model[offset:offset + len(got)])
        if got != want or len(got) != min(len(target.model) - offset, len(got)):
            bad = next((i for i in range(min(len(got), len(want))) if got[i] != want[i]), min(len(got), len(want)))
            raise Miscompare(
                f"{what} of {os.path.basename(target.path)} at {offset:#x}: first difference at "
                f"{offset + bad:#x} (got {got[bad:bad + 8].hex()}, want {want[bad:bad + 8].hex()}), "
                f"{len(got)} bytes read, {len(want)} expected")

    def check(self, target, offset=None, length=None):
        """The size always; the whole content of small files, else the touched range."""
        size = os.fstat(target.fd).st_size
        if size != len(target.model):
            raise Miscompare(f"size of {os.path.basename(target.path)} is {size:#x}, model says {len(target.model):#x}")
        if len(target.model) <= target.full_check_limit or offset is None:
            got = os.pread(target.fd, len(target.model) + 1, 0)
            self.compare(target, 0, got, "check")
        else:
            stop = min(len(target.model), offset + length + 4096)
            start = min(max(0, offset - 4096), stop)
            got = os.pread(target.fd, stop - start, start)
            self.compare(target, start, got, "check")

    def run(self, count):
        names = [name for name, _ in self.OPERATIONS]
        weights = [weight for _, weight in self.OPERATIONS]
        started = time.time()
        for self.count in range(1, count + 1):
            target = self.random.choices(self.targets, (4, 4, 2))[0]
            name = self.random.choices(names, weights)[0]
            self.stats[name] = self.stats.get(name, 0) + 1
            begun = time.perf_counter()
            touched = getattr(self, "op_" + name)(target)
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - begun
            if self.count % 500 == 0:
                self.check(target)
            elif touched is None:
                # fsync, cache drop or reopen: a window somewhere in the file.
                size = len(target.model)
                start = self.random.randrange(size) if size else 0
                self.check(target, start, self.max_length)
            else:
                self.check(target, *touched)
        for target in self.targets:
            self.check(target)
        return time.time() - started

    def save(self, model_dir):
        for target in self.targets:
            with open(os.path.join(model_dir, os.path.basename(target.path) + ".model"), "wb") as out:
                out.write(target.model)


def verify(directory, model_dir):
    failures = 0
    for name in sorted(os.listdir(model_dir)):
        if not name.endswith(".model"):
            continue
        with open(os.path.join(model_dir, name), "rb") as source:
            want = source.read()
        path = os.path.join(directory, name[:-len(".model")])
        with open(path, "rb") as source:
            got = source.read()
        if got != want:
            print(f"verify: {path} differs from its model ({len(got)} bytes, {len(want)} expected)")
            failures += 1
    return failures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--ops", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--model-dir")
    parser.add_argument("--verify", action="store_true")
    arguments = parser.parse_args()
    if arguments.verify:
        failures = verify(arguments.directory, arguments.model_dir)
        print(f"verify: {'ok' if failures == 0 else str(failures) + ' file(s) differ'}")
        return 0 if failures == 0 else 1
    seed = arguments.seed if arguments.seed is not None else int.from_bytes(os.urandom(4), "little")
    exerciser = Exerciser(arguments.directory, seed)
    try:
        seconds = exerciser.run(arguments.ops)
    except (Miscompare, OSError) as error:
        print(f"fsx: seed {seed}: FAILED at operation {exerciser.count}: {error}")
        print("last operations:")
        for line in exerciser.log:
            print("  " + line)
        return 1
    if arguments.model_dir:
        exerciser.save(arguments.model_dir)
    for target in exerciser.targets:
        os.close(target.fd)
    summary = ", ".join(f"{name} {exerciser.stats.get(name, 0)} ({exerciser.seconds.get(name, 0):.1f} s)"
                        for name, _ in Exerciser.OPERATIONS)
    print(f"fsx: seed {seed}: {arguments.ops} operations passed in {seconds:.1f} s ({summary});"
          f" punch {'used' if exerciser.punch_supported else 'EOPNOTSUPP'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
