#!/usr/bin/env python3
"""Compares two trees by what stat and readlink show: type, mode, owner, size, modification and
access times (nanoseconds), link counts, which names are hard links of each other, symlink
targets and file contents. Prints every difference; exit status 1 when there is one.
Original test code for RedoxFSKit.

    treecompare.py SOURCE COPY [--no-atime] [--no-times]
"""
import argparse
import hashlib
import os
import stat
import sys


def describe(root, atime, times=True):
    entries = {}
    groups = {}
    for directory, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            full = os.path.join(directory, name)
            relative = os.path.relpath(full, root)
            info = os.lstat(full)
            kind = stat.S_IFMT(info.st_mode)
            entry = {
                "type": kind,
                "mode": oct(stat.S_IMODE(info.st_mode)),
                "uid": info.st_uid,
                "gid": info.st_gid,
            }
            if times:
                entry["mtime"] = info.st_mtime_ns
            if times and atime and kind != stat.S_IFDIR:
                entry["atime"] = info.st_atime_ns
            if kind == stat.S_IFREG:
                entry["size"] = info.st_size
                entry["nlink"] = info.st_nlink
                with open(full, "rb") as source:
                    entry["sha256"] = hashlib.sha256(source.read()).hexdigest()
                groups.setdefault(info.st_ino, []).append(relative)
            elif kind == stat.S_IFLNK:
                entry["target"] = os.readlink(full)
                entry["size"] = info.st_size
            entries[relative] = entry
    # Hard links: for each name, the sorted set of names sharing its inode.
    for names in groups.values():
        for name in names:
            entries[name]["hardlinks"] = sorted(names)
    return entries


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("source")
    parser.add_argument("copy")
    parser.add_argument("--no-atime", action="store_true")
    parser.add_argument("--no-times", action="store_true")
    arguments = parser.parse_args()
    want = describe(arguments.source, not arguments.no_atime, not arguments.no_times)
    got = describe(arguments.copy, not arguments.no_atime, not arguments.no_times)
    problems = []
    for path in sorted(set(want) | set(got)):
        if path not in got:
            problems.append(f"missing in copy: {path}")
        elif path not in want:
            problems.append(f"extra in copy: {path}")
        else:
            for key in sorted(set(want[path]) | set(got[path])):
                if want[path].get(key) != got[path].get(key):
                    problems.append(f"{path}: {key} is {got[path].get(key)!r}, source has {want[path].get(key)!r}")
    for problem in problems[:50]:
        print(problem)
    print(f"treecompare: {len(want)} entries, {len(problems)} difference(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
