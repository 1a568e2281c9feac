"""symlink(2): the link (type, size, target, owner, times), the parent's times, existing names
of every type, permission checks, target length limits. Original test code for RedoxFSKit."""
import errno
import os
import stat

from .registry import case, cases_for
from support import (OTHER_GID, OTHER_UID, SECOND_GID, SECOND_UID, TYPES, changed_after, check, expect,
                     expect_as, make, path_max, tick, times, unchanged)


@case("symlink")
def makes_link_with_owner_and_times():
    os.chmod(".", 0o777)
    before = times(".")
    tick()
    expect_as(SECOND_UID, SECOND_GID, 0, os.symlink, "some/target", "link")
    info = os.lstat("link")
    check(stat.S_ISLNK(info.st_mode), "a symlink")
    check(info.st_size == len("some/target"), f"size {info.st_size}")
    check(os.readlink("link") == "some/target", "target")
    check((info.st_uid, info.st_gid) == (SECOND_UID, SECOND_GID), f"owner {info.st_uid}:{info.st_gid}")
    check(min(times("link")) > before[2], "the link's times")
    changed_after(".", before[1], "mtime")
    changed_after(".", before[2], "ctime")


def _exists(kind):
    make(kind, "node", 0o644)
    before = times(".")
    tick()
    expect(errno.EEXIST, os.symlink, "target", "node")
    unchanged(".", before)


cases_for("symlink", "exists", _exists, TYPES)


@case("symlink")
def no_write_permission():
    os.mkdir("closed", 0o755)
    expect_as(OTHER_UID, OTHER_GID, errno.EACCES, os.symlink, "target", "closed/link")


@case("symlink")
def target_lengths():
    longest = "t" * (path_max() - 1)
    expect(0, os.symlink, longest, "longest")
    check(os.readlink("longest") == longest, "the longest target reads back")
    expect(errno.ENAMETOOLONG, os.symlink, "t" * path_max(), "too-long")


@case("symlink")
def dangling_and_followed():
    os.symlink("missing", "dangling")
    check(os.path.lexists("dangling") and not os.path.exists("dangling"), "a dangling link")
    make("regular", "target")
    with open("target", "wb") as out:
        out.write(b"data")
    os.symlink("target", "link")
    with open("link", "rb") as source:
        check(source.read() == b"data", "read through the link")
    os.mkdir("dir", 0o755)
    os.symlink("../target", "dir/up")
    check(os.path.samefile("dir/up", "target"), "relative targets resolve from the link's directory")
