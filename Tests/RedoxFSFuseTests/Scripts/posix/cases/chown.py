"""chown(2) and lchown(2): every file type, ctime, who may change what, set-user-id and
set-group-id bits cleared. Original test code for RedoxFSKit."""
import errno
import os
import stat

from .registry import case, cases_for
from support import (OTHER_GID, OTHER_UID, SECOND_GID, SECOND_UID, TYPES, changed_after, check, ctime, expect,
                     expect_as, make, tick)


def _owner(path, follow=True):
    info = os.stat(path) if follow else os.lstat(path)
    return info.st_uid, info.st_gid


def _root_changes_owner(kind):
    make(kind, "node", 0o644)
    if kind == "symlink":
        make("regular", "target", 0o644)
        expect(0, os.chown, "node", 123, 456)
        check(_owner("target") == (123, 456), "chown follows the symlink")
        check(_owner("node", follow=False) == (0, 0), "chown changed the link itself")
        expect(0, os.lchown, "node", 789, 1011)
        check(_owner("node", follow=False) == (789, 1011), "lchown changes the link")
        check(_owner("target") == (123, 456), "lchown changed the target")
        return
    expect(0, os.chown, "node", 123, 456)
    check(_owner("node") == (123, 456), f"owner {_owner('node')}")
    expect(0, os.chown, "node", -1, 789)
    check(_owner("node") == (123, 789), "uid -1 keeps the owner")
    expect(0, os.chown, "node", 1011, -1)
    check(_owner("node") == (1011, 789), "gid -1 keeps the group")


def _updates_ctime(kind):
    make(kind, "node", 0o644)
    before = ctime("node")
    tick()
    os.lchown("node", 123, 456)
    changed_after("node", before)


def _failure_keeps_ctime(kind):
    make(kind, "node", 0o644)
    before = ctime("node")
    tick()
    expect_as(OTHER_UID, OTHER_GID, errno.EPERM, os.lchown, "node", OTHER_UID, OTHER_GID)
    check(ctime("node") == before, "a refused chown changed ctime")
    check(_owner("node", follow=False) == (0, 0), "a refused chown changed the owner")


cases_for("chown", "root_changes_owner", _root_changes_owner, TYPES)
cases_for("chown", "updates_ctime", _updates_ctime, TYPES)
cases_for("chown", "failure_keeps_ctime", _failure_keeps_ctime, TYPES)


@case("chown")
def owner_may_only_change_group_to_own_groups():
    make("regular", "file", 0o644)
    os.chown("file", SECOND_UID, SECOND_GID)
    groups = [SECOND_GID, 4001]
    expect_as(SECOND_UID, SECOND_GID, errno.EPERM, os.chown, "file", OTHER_UID, -1, groups=groups)
    expect_as(SECOND_UID, SECOND_GID, errno.EPERM, os.chown, "file", -1, 4002, groups=groups)
    expect_as(SECOND_UID, SECOND_GID, 0, os.chown, "file", -1, 4001, groups=groups)
    check(_owner("file") == (SECOND_UID, 4001), f"owner {_owner('file')}")
    expect_as(SECOND_UID, SECOND_GID, 0, os.chown, "file", SECOND_UID, SECOND_GID, groups=groups)
    check(_owner("file") == (SECOND_UID, SECOND_GID), "chown to the owner's own ids works")


@case("chown")
def non_owner_may_not():
    make("regular", "file", 0o666)
    os.chown("file", SECOND_UID, SECOND_GID)
    expect_as(OTHER_UID, OTHER_GID, errno.EPERM, os.chown, "file", OTHER_UID, OTHER_GID)
    expect_as(OTHER_UID, SECOND_GID, errno.EPERM, os.chown, "file", -1, SECOND_GID)


@case("chown")
def non_root_chown_clears_setuid_and_setgid():
    make("regular", "file", 0o644)
    os.chown("file", SECOND_UID, SECOND_GID)
    os.chmod("file", 0o6755)
    expect_as(SECOND_UID, SECOND_GID, 0, os.chown, "file", -1, 4001, groups=[SECOND_GID, 4001])
    mode = stat.S_IMODE(os.stat("file").st_mode)
    check(mode == 0o755, f"mode {oct(mode)} after a chown by the owner")


@case("chown")
def directory_keeps_setgid_for_group_change_by_root():
    os.mkdir("dir", 0o755)
    os.chmod("dir", 0o2755)
    os.chown("dir", 123, 456)
    check(_owner("dir") == (123, 456), "owner of the directory")
    check(stat.S_IMODE(os.stat("dir").st_mode) & stat.S_ISGID, "a directory keeps set-group-id on chown")
