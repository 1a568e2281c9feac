"""truncate(2) and ftruncate(2): sizes and content, mtime and ctime, permission checks, every
other file type, length limits. Original test code for RedoxFSKit."""
import errno
import os

from .registry import case, cases_for
from support import (OTHER_GID, OTHER_UID, SECOND_GID, SECOND_UID, changed_after, check, ctime, expect,
                     expect_as, make, tick, times)


@case("truncate")
def grows_and_shrinks():
    with open("file", "wb") as out:
        out.write(b"abcdef" * 1000)
    expect(0, os.truncate, "file", 10)
    check(os.stat("file").st_size == 10, "shrunk")
    expect(0, os.truncate, "file", 1 << 20)
    with open("file", "rb") as source:
        data = source.read()
    check(len(data) == 1 << 20 and data[:10] == b"abcdefabcd" and data[10:] == bytes((1 << 20) - 10), "zeros after the old end")
    expect(0, os.truncate, "file", 0)
    check(os.stat("file").st_size == 0, "emptied")


def _times(sizes):
    start, end = sizes
    with open("file", "wb") as out:
        out.write(b"x" * start)
    before = times("file")
    tick()
    os.truncate("file", end)
    changed_after("file", before[1], "mtime")
    changed_after("file", before[2], "ctime")


cases_for("truncate", "updates_times", _times, [(0, 100), (100, 0), (5000, 300000), (300000, 4000)])


@case("truncate")
def ftruncate_updates_times():
    fd = os.open("file", os.O_CREAT | os.O_RDWR, 0o644)
    try:
        before = times("file")
        tick()
        os.ftruncate(fd, 12345)
        check(os.fstat(fd).st_size == 12345, "size")
        changed_after("file", before[1], "mtime")
        changed_after("file", before[2], "ctime")
    finally:
        os.close(fd)


@case("truncate")
def needs_write_permission():
    make("regular", "file", 0o644)
    os.chown("file", SECOND_UID, SECOND_GID)
    before = ctime("file")
    tick()
    expect_as(OTHER_UID, OTHER_GID, errno.EACCES, os.truncate, "file", 0)
    check(ctime("file") == before, "a refused truncate changed ctime")
    os.chmod("file", 0o646)
    expect_as(OTHER_UID, OTHER_GID, 0, os.truncate, "file", 7)
    check(os.stat("file").st_size == 7, "truncated by a user with write permission")


def _other_types(kind):
    make(kind, "node", 0o644)
    code = errno.EISDIR if kind == "dir" else errno.EINVAL
    expect(code, os.truncate, "node", 0)


cases_for("truncate", "other_types", _other_types, ["dir", "fifo", "socket", "char", "block"])


@case("truncate")
def follows_symlinks():
    with open("target", "wb") as out:
        out.write(b"0123456789")
    os.symlink("target", "link")
    os.truncate("link", 3)
    check(os.stat("target").st_size == 3 and os.lstat("link").st_size == len("target"), "the target was truncated")


@case("truncate")
def length_limits():
    make("regular", "file")
    expect(errno.EINVAL, os.truncate, "file", -1)
    fd = os.open("file", os.O_RDWR)
    try:
        expect(errno.EINVAL, os.ftruncate, fd, -1)
        try:
            os.ftruncate(fd, 999999999999999999)
            raise AssertionError("a length beyond the largest file succeeded")
        except OSError as error:
            check(error.errno in (errno.EFBIG, errno.EINVAL), f"errno {error.errno}")
    finally:
        os.close(fd)
    with open("file", "rb") as source:
        check(source.read() == b"", "nothing changed")
