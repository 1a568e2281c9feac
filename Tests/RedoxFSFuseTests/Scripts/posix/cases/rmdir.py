"""rmdir(2): removal and the parent's times, non-empty and non-directory targets, "." and
permission checks, sticky directories. Original test code for RedoxFSKit."""
import errno
import os

from .registry import case, cases_for
from support import (NON_DIR_TYPES, OTHER_GID, OTHER_UID, SECOND_GID, SECOND_UID, changed_after, check, expect,
                     expect_as, make, tick, times, unchanged)


@case("rmdir")
def removes_and_updates_parent_times():
    os.mkdir("dir", 0o755)
    before = times(".")
    tick()
    expect(0, os.rmdir, "dir")
    check(not os.path.lexists("dir"), "gone")
    changed_after(".", before[1], "mtime")
    changed_after(".", before[2], "ctime")


@case("rmdir")
def not_empty():
    os.makedirs("dir/inner")
    before = times(".")
    tick()
    expect(errno.ENOTEMPTY, os.rmdir, "dir")
    unchanged(".", before)
    make("regular", "dir/inner/file")
    expect(errno.ENOTEMPTY, os.rmdir, "dir/inner")


def _not_a_directory(kind):
    make(kind, "node", 0o644)
    expect(errno.ENOTDIR, os.rmdir, "node")
    check(os.path.lexists("node"), "still there")


cases_for("rmdir", "not_a_directory", _not_a_directory, NON_DIR_TYPES)


@case("rmdir")
def dot_and_dot_dot():
    os.mkdir("dir", 0o755)
    expect(errno.EINVAL, os.rmdir, "dir/.")
    expect(errno.ENOTEMPTY, os.rmdir, "dir/..")
    expect(errno.ENOENT, os.rmdir, "missing")


@case("rmdir")
def needs_write_permission_in_parent():
    os.mkdir("parent", 0o755)
    os.mkdir("parent/dir", 0o777)
    expect_as(OTHER_UID, OTHER_GID, errno.EACCES, os.rmdir, "parent/dir")
    os.chmod("parent", 0o757)
    expect_as(OTHER_UID, OTHER_GID, 0, os.rmdir, "parent/dir")


@case("rmdir")
def sticky_directory():
    os.mkdir("sticky", 0o777)
    os.chmod("sticky", 0o1777)
    os.chown("sticky", SECOND_UID, SECOND_GID)
    for name, owner in (("root-owned", 0), ("other-owned", OTHER_UID), ("second-owned", 4000)):
        os.mkdir(f"sticky/{name}", 0o777)
        os.chown(f"sticky/{name}", owner, owner)
    expect_as(OTHER_UID, OTHER_GID, errno.EPERM, os.rmdir, "sticky/root-owned")
    expect_as(OTHER_UID, OTHER_GID, 0, os.rmdir, "sticky/other-owned")
    expect_as(SECOND_UID, SECOND_GID, 0, os.rmdir, "sticky/second-owned")  # owns the sticky directory
    expect(0, os.rmdir, "sticky/root-owned")
