#!/usr/bin/env python3
"""Lists a mounted RedoxFS tree in the fixtures' manifest line format, from what stat shows:

    path type mode uid gid size links node_id blocks inline htree_levels mtime ctime sha256 target

`inline` and `htree_levels` are not visible through a mount and print as `?`. Paths go
depth-first with the children of each directory sorted by name bytes.
Original test code for RedoxFSKit.

    manifest.py MOUNTPOINT
"""
import hashlib
import os
import stat
import sys


def escape(text):
    out = []
    for character in text:
        code = ord(character)
        if character == "\\":
            out.append("\\\\")
        elif character == "\t":
            out.append("\\t")
        elif character == "\n":
            out.append("\\n")
        elif character == "\r":
            out.append("\\r")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        else:
            out.append(character)
    return "".join(out)


def timestamp(ns):
    return f"{ns // 10**9}.{ns % 10**9:09d}"


def line(root, relative):
    full = os.path.join(root, relative.lstrip("/")) if relative != "/" else root
    info = os.lstat(full)
    kind = stat.S_IFMT(info.st_mode)
    digest = "-"
    target = "-"
    if kind == stat.S_IFDIR:
        letter = "d"
    elif kind == stat.S_IFLNK:
        letter = "l"
        raw = os.readlink(os.fsencode(full))
        digest = hashlib.sha256(raw).hexdigest()
        target = escape(raw.decode("utf-8", "replace"))
    else:
        letter = "f"
        with open(full, "rb") as source:
            digest = hashlib.sha256(source.read()).hexdigest()
    fields = [
        relative, letter, f"{stat.S_IMODE(info.st_mode):04o}", str(info.st_uid), str(info.st_gid),
        str(info.st_size), str(info.st_nlink), str(info.st_ino), str(info.st_blocks // 8), "?", "?",
        timestamp(info.st_mtime_ns), timestamp(info.st_ctime_ns), digest, target,
    ]
    return "\t".join(fields)


def walk(root, relative, out):
    out.append(line(root, relative))
    full = os.path.join(root, relative.lstrip("/")) if relative != "/" else root
    if stat.S_ISDIR(os.lstat(full).st_mode):
        names = sorted(os.listdir(os.fsencode(full)))
        for name in names:
            child = (relative.rstrip("/") + "/" + os.fsdecode(name))
            walk(root, child, out)


def main():
    root = sys.argv[1]
    out = []
    walk(root, "/", out)
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
