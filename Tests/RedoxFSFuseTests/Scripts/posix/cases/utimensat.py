"""utimensat(2): exact times on every file type (nanoseconds), UTIME_NOW and UTIME_OMIT, ctime,
symlinks themselves, who may set which times. Original test code for RedoxFSKit."""
import errno
import os

from .registry import case, cases_for
from support import (AT_SYMLINK_NOFOLLOW, OTHER_GID, OTHER_UID, SECOND_GID, SECOND_UID, TYPES, UTIME_NOW,
                     UTIME_OMIT, changed_after, check, ctime, expect, expect_as, make, tick, times, utimensat)


def _exact(kind):
    make(kind, "node", 0o644)
    before = ctime("node")
    tick()
    expect(0, utimensat, "node", (1234567890, 123456789), (987654321, 987654321), AT_SYMLINK_NOFOLLOW)
    atime, mtime, _ = times("node")
    check((atime, mtime) == (1234567890123456789, 987654321987654321), f"times {atime}, {mtime}")
    changed_after("node", before)


def _now(kind):
    make(kind, "node", 0o644)
    utimensat("node", (1, 0), (2, 0), AT_SYMLINK_NOFOLLOW)
    before = ctime("node")
    tick()
    expect(0, utimensat, "node", UTIME_NOW, UTIME_NOW, AT_SYMLINK_NOFOLLOW)
    atime, mtime, ctime_now = times("node")
    check(atime >= before and mtime >= before and ctime_now > before, f"times {atime}, {mtime}, {ctime_now} vs {before}")


def _omit(kind):
    make(kind, "node", 0o644)
    utimensat("node", (100, 1), (200, 2), AT_SYMLINK_NOFOLLOW)
    expect(0, utimensat, "node", UTIME_OMIT, (300, 3), AT_SYMLINK_NOFOLLOW)
    check(times("node")[:2] == (100000000001, 300000000003), f"atime kept: {times('node')}")
    expect(0, utimensat, "node", (400, 4), UTIME_OMIT, AT_SYMLINK_NOFOLLOW)
    check(times("node")[:2] == (400000000004, 300000000003), f"mtime kept: {times('node')}")
    before = times("node")
    expect(0, utimensat, "node", UTIME_OMIT, UTIME_OMIT, AT_SYMLINK_NOFOLLOW)
    check(times("node") == before, "both omitted: nothing changes")


cases_for("utimensat", "exact_times", _exact, TYPES)
cases_for("utimensat", "now", _now, TYPES)
cases_for("utimensat", "omit", _omit, TYPES)


@case("utimensat")
def symlink_and_target():
    make("regular", "target")
    os.symlink("target", "link")
    utimensat("link", (5, 0), (6, 0), AT_SYMLINK_NOFOLLOW)
    check(os.lstat("link").st_mtime_ns == 6 * 10**9, "the link's own time")
    check(os.stat("link").st_mtime_ns != 6 * 10**9, "the target is untouched")
    utimensat("link", (7, 0), (8, 0))
    check(os.stat("target").st_mtime_ns == 8 * 10**9, "without AT_SYMLINK_NOFOLLOW the target's")


@case("utimensat")
def owner_may_set_any_time():
    make("regular", "file", 0o600)
    os.chown("file", SECOND_UID, SECOND_GID)
    expect_as(SECOND_UID, SECOND_GID, 0, utimensat, "file", (10, 0), (20, 0))
    check(times("file")[:2] == (10 * 10**9, 20 * 10**9), "set by the owner")


@case("utimensat")
def writer_may_only_set_now():
    make("regular", "file", 0o666)
    os.chown("file", SECOND_UID, SECOND_GID)
    expect_as(OTHER_UID, OTHER_GID, errno.EPERM, utimensat, "file", (10, 0), (20, 0))
    expect_as(OTHER_UID, OTHER_GID, errno.EPERM, utimensat, "file", UTIME_NOW, (20, 0))
    expect_as(OTHER_UID, OTHER_GID, 0, utimensat, "file", UTIME_NOW, UTIME_NOW)


@case("utimensat")
def others_may_not():
    make("regular", "file", 0o644)
    os.chown("file", SECOND_UID, SECOND_GID)
    before = ctime("file")
    tick()
    expect_as(OTHER_UID, OTHER_GID, errno.EACCES, utimensat, "file", UTIME_NOW, UTIME_NOW)
    expect_as(OTHER_UID, OTHER_GID, errno.EPERM, utimensat, "file", (10, 0), (20, 0))
    check(ctime("file") == before, "a refused utimensat changed ctime")


@case("utimensat")
def range_of_times():
    make("regular", "file")
    for seconds, nanoseconds in ((0, 0), (0, 999999999), (2**31 - 1, 1), (2**31, 0), (2**33, 5), (2**40, 999999999)):
        expect(0, utimensat, "file", (seconds, nanoseconds), (seconds, nanoseconds))
        expected = seconds * 10**9 + nanoseconds
        check(times("file")[:2] == (expected, expected), f"{seconds}.{nanoseconds:09d}: {times('file')[:2]}")
    expect(errno.EINVAL, utimensat, "file", (0, 10**9), (0, 0))
