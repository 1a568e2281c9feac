"""unlink(2): every non-directory type, the parent's times, link counts and ctime of the
remaining names, directories, permission checks, sticky directories, open files.
Original test code for RedoxFSKit."""
import errno
import os

from .registry import case, cases_for
from support import (NON_DIR_TYPES, OTHER_GID, OTHER_UID, SECOND_GID, SECOND_UID, changed_after, check, ctime,
                     expect, expect_as, make, tick, times, unchanged)


def _removes(kind):
    make(kind, "node", 0o644)
    before = times(".")
    tick()
    expect(0, os.unlink, "node")
    check(not os.path.lexists("node"), "gone")
    changed_after(".", before[1], "mtime")
    changed_after(".", before[2], "ctime")


def _other_name(kind):
    make(kind, "node", 0o644)
    os.link("node", "other", follow_symlinks=False)
    before = ctime("other")
    tick()
    os.unlink("node")
    check(os.lstat("other").st_nlink == 1, "the other name keeps the node")
    changed_after("other", before)


cases_for("unlink", "removes", _removes, NON_DIR_TYPES)
cases_for("unlink", "updates_remaining_name", _other_name, NON_DIR_TYPES)


@case("unlink")
def directory_is_refused():
    os.mkdir("dir", 0o755)
    before = times(".")
    tick()
    expect(errno.EISDIR, os.unlink, "dir")
    unchanged(".", before)


@case("unlink")
def missing():
    expect(errno.ENOENT, os.unlink, "missing")


@case("unlink")
def needs_write_permission_in_parent():
    os.mkdir("parent", 0o755)
    make("regular", "parent/file", 0o666)
    os.chown("parent/file", OTHER_UID, OTHER_GID)
    expect_as(OTHER_UID, OTHER_GID, errno.EACCES, os.unlink, "parent/file")
    os.chmod("parent", 0o777)
    expect_as(OTHER_UID, OTHER_GID, 0, os.unlink, "parent/file")


def _sticky(kind):
    os.mkdir("sticky", 0o777)
    os.chmod("sticky", 0o1777)
    os.chown("sticky", SECOND_UID, SECOND_GID)
    for name, owner in (("root-owned", 0), ("other-owned", OTHER_UID), ("fourth-owned", 4000)):
        make(kind, f"sticky/{name}", 0o666)
        os.lchown(f"sticky/{name}", owner, owner)
    expect_as(OTHER_UID, OTHER_GID, errno.EPERM, os.unlink, "sticky/root-owned")
    expect_as(OTHER_UID, OTHER_GID, errno.EPERM, os.unlink, "sticky/fourth-owned")
    expect_as(OTHER_UID, OTHER_GID, 0, os.unlink, "sticky/other-owned")
    expect_as(SECOND_UID, SECOND_GID, 0, os.unlink, "sticky/fourth-owned")  # owns the sticky directory
    expect(0, os.unlink, "sticky/root-owned")


cases_for("unlink", "sticky_directory", _sticky, NON_DIR_TYPES)


@case("unlink")
def open_file_lives_until_closed():
    fd = os.open("file", os.O_CREAT | os.O_RDWR, 0o644)
    try:
        os.write(fd, b"still here")
        os.unlink("file")
        check(not os.path.lexists("file"), "the name is gone")
        check(os.pread(fd, 10, 0) == b"still here", "the content is still readable")
        check(os.fstat(fd).st_nlink == 0, "no links left")
    finally:
        os.close(fd)
