#!/usr/bin/env python3
"""Generates a deterministic test tree: files of many sizes (inline, record boundaries, sparse,
compressible, past the 16 MiB level-0 range), hard links, symlinks, special modes, owners and
exact times. Must run as root (chown). Original test code for RedoxFSKit.

    treegen.py DEST [--seed S] [--big]
"""
import argparse
import hashlib
import os
import random


def prng(seed, length):
    out = bytearray()
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(seed + counter.to_bytes(8, "little")).digest()
        counter += 1
    return bytes(out[:length])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dest")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--big", action="store_true", help="add a 20 MiB file")
    arguments = parser.parse_args()
    rng = random.Random(arguments.seed)
    root = arguments.dest
    os.makedirs(root, exist_ok=True)

    def write(path, data, mode=0o644):
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as out:
            out.write(data)
        os.chmod(full, mode)
        return full

    for size in (0, 1, 100, 3967, 3968, 3969, 4095, 4096, 4097, 65536, 131071, 131072, 131073, 300000, 1 << 20):
        write(f"sizes/size-{size}.bin", prng(b"size%d" % size, size))
    write("text/compressible.txt", b"".join(b"line %08d: the quick brown fox\n" % i for i in range(40000)))
    write("text/zeros.bin", bytes(512 * 1024))
    sparse = os.path.join(root, "sparse.bin")
    with open(sparse, "wb") as out:
        out.write(b"head")
        out.seek(3 * 1024 * 1024 + 5)
        out.write(prng(b"sparse", 10000))
        out.truncate(6 * 1024 * 1024)
    if arguments.big:
        write("big/big-20MiB.bin", prng(b"big", 20 * 1024 * 1024))

    # Many small files in nested directories.
    for d in range(12):
        for f in range(60):
            write(f"many/d{d:02d}/f{f:03d}", prng(b"m%d-%d" % (d, f), rng.randrange(0, 9000)))
    write("deep/a/b/c/d/e/f/g/h/leaf.txt", b"deep\n")

    # Names.
    write("names/" + "n" * 252, b"long name\n")
    write("names/" + "é" * 126, b"two-byte characters\n")
    write("names/日本語.txt", b"japanese\n")
    write("names/with space and 'quotes'", b"spaces\n")

    # Hard links: a pair and a triple, across directories.
    first = write("links/hard-a", prng(b"hard", 5000))
    os.link(first, os.path.join(root, "links/hard-b"))
    triple = write("links/triple-1", b"three names\n")
    os.makedirs(os.path.join(root, "links/sub"), exist_ok=True)
    os.link(triple, os.path.join(root, "links/triple-2"))
    os.link(triple, os.path.join(root, "links/sub/triple-3"))

    # Symlinks.
    os.symlink("../sizes/size-1.bin", os.path.join(root, "links/rel-file"))
    os.symlink("../deep/a", os.path.join(root, "links/rel-dir"))
    os.symlink("/etc/hostname", os.path.join(root, "links/abs"))
    os.symlink("does/not/exist", os.path.join(root, "links/dangling"))
    os.symlink("x" * 3000, os.path.join(root, "links/long-target"))

    # Modes and owners.
    for mode in (0o600, 0o755, 0o000, 0o4755, 0o2755, 0o1777 & 0o777):
        write(f"modes/file-{mode:04o}", b"mode\n", mode)
    for mode in (0o1777, 0o700, 0o2775):
        path = os.path.join(root, f"modes/dir-{mode:04o}")
        os.makedirs(path, exist_ok=True)
        os.chmod(path, mode)
    owned = write("owners/u1000", b"owned\n")
    os.chown(owned, 1000, 1000)
    owned = write("owners/u12345", b"owned\n")
    os.chown(owned, 12345, 54321)
    os.makedirs(os.path.join(root, "owners/dir-2000"), exist_ok=True)
    os.chown(os.path.join(root, "owners/dir-2000"), 2000, 3000)
    os.lchown(os.path.join(root, "links/abs"), 4000, 4001)

    # Exact times, deepest first so directory times stick: mtimes in the past, atimes in the
    # future (so reading the source does not move them under relatime).
    paths = []
    for directory, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            paths.append(os.path.join(directory, name))
    paths.sort(key=lambda p: -p.count(os.sep))
    for k, path in enumerate(sorted(paths, key=lambda p: (-p.count(os.sep), p))):
        mtime = 1_600_000_000 * 10**9 + k * 1_000_000_007 + 123
        atime = 4_000_000_000 * 10**9 + k * 77
        os.utime(path, ns=(atime, mtime), follow_symlinks=False)
    os.utime(root, ns=(4_000_000_000 * 10**9, 1_600_000_000 * 10**9))


if __name__ == "__main__":
    main()
