"""mkdir(2): mode, owner, set-group-id inheritance, times of the new directory and its parent,
errors. Original test code for RedoxFSKit."""
import errno
import os
import stat

from .registry import case, cases_for
from support import (OTHER_GID, OTHER_UID, SECOND_GID, SECOND_UID, TYPES, changed_after, check, expect,
                     expect_as, make, tick, times, unchanged)


@case("mkdir")
def mode_and_umask():
    # mkdir keeps the permission and sticky bits it is given (Linux drops set-group-id, which
    # only a set-group-id parent passes down).
    for mode in (0o755, 0o700, 0o777, 0o1777, 0o2755, 0o000):
        os.mkdir(f"dir-{mode:o}", mode)
        got = stat.S_IMODE(os.stat(f"dir-{mode:o}").st_mode)
        check(got == mode & 0o1777, f"mode {oct(got)} for {oct(mode)}")
    for umask, expected in ((0o077, 0o700), (0o022, 0o755), (0o002, 0o775)):
        previous = os.umask(umask)
        try:
            os.mkdir(f"umask-{umask:o}", 0o777)
        finally:
            os.umask(previous)
        got = stat.S_IMODE(os.stat(f"umask-{umask:o}").st_mode)
        check(got == expected, f"umask {oct(umask)}: mode {oct(got)}")


@case("mkdir")
def owner_is_the_caller():
    os.chmod(".", 0o777)
    expect_as(SECOND_UID, SECOND_GID, 0, os.mkdir, "dir", 0o755)
    info = os.stat("dir")
    check((info.st_uid, info.st_gid) == (SECOND_UID, SECOND_GID), f"owner {info.st_uid}:{info.st_gid}")


@case("mkdir")
def setgid_parent_passes_group_and_bit():
    os.mkdir("parent", 0o777)
    os.chown("parent", 0, 4242)
    os.chmod("parent", 0o2777)
    expect_as(SECOND_UID, SECOND_GID, 0, os.mkdir, "parent/child", 0o755)
    info = os.stat("parent/child")
    check(info.st_gid == 4242, f"group {info.st_gid}")
    check(info.st_mode & stat.S_ISGID, "set-group-id passed down")


@case("mkdir")
def times_of_new_directory_and_parent():
    before = times(".")
    tick()
    os.mkdir("dir", 0o755)
    new = times("dir")
    check(min(new) > before[2], f"new directory's times {new} not after {before}")
    changed_after(".", before[1], "mtime")
    changed_after(".", before[2], "ctime")


def _exists(kind):
    make(kind, "node", 0o644)
    before = times(".")
    tick()
    expect(errno.EEXIST, os.mkdir, "node", 0o755)
    unchanged(".", before)


cases_for("mkdir", "exists", _exists, TYPES)


@case("mkdir")
def no_write_permission():
    os.mkdir("closed", 0o755)
    expect_as(OTHER_UID, OTHER_GID, errno.EACCES, os.mkdir, "closed/dir", 0o755)
    os.chmod("closed", 0o733)
    expect_as(OTHER_UID, OTHER_GID, 0, os.mkdir, "closed/dir", 0o755)


@case("mkdir")
def sticky_directory_allows_anyone():
    os.mkdir("shared", 0o777)
    os.chmod("shared", 0o1777)
    expect_as(OTHER_UID, OTHER_GID, 0, os.mkdir, "shared/mine", 0o755)
    expect_as(SECOND_UID, SECOND_GID, 0, os.mkdir, "shared/theirs", 0o755)


@case("mkdir")
def trailing_slash_and_dot_names():
    expect(0, os.mkdir, "dir/", 0o755)
    check(os.path.isdir("dir"), "mkdir with a trailing slash")
    expect(errno.EEXIST, os.mkdir, ".", 0o755)
    expect(errno.EEXIST, os.mkdir, "..", 0o755)
