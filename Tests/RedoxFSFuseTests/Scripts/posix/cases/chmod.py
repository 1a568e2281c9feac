"""chmod(2): every file type, ctime, who may, set-group-id and sticky bits.
Original test code for RedoxFSKit."""
import errno
import os
import stat

from .registry import case, cases_for
from support import (OTHER_GID, OTHER_UID, SECOND_GID, SECOND_UID, TYPES, changed_after, check, ctime, expect,
                     expect_as, make, tick, type_of)


def _changes_mode(kind):
    make(kind, "node", 0o644)
    if kind == "symlink":
        make("regular", "target", 0o644)
    for mode in (0o111, 0o4751, 0o2700, 0o1777, 0o000):
        expect(0, os.chmod, "node", mode)
        followed = "target" if kind == "symlink" else "node"
        got = stat.S_IMODE(os.stat(followed).st_mode)
        check(got == mode, f"mode {oct(got)}, expected {oct(mode)}")
        check(type_of(followed) == ("regular" if kind == "symlink" else kind), "the type changed")
    if kind == "symlink":
        check(stat.S_IMODE(os.lstat("node").st_mode) == 0o777, "chmod through a symlink changed the link")


def _updates_ctime(kind):
    make(kind, "node", 0o644)
    if kind == "symlink":
        make("regular", "target", 0o644)
    followed = "target" if kind == "symlink" else "node"
    before = ctime(followed)
    tick()
    os.chmod("node", 0o640)
    changed_after(followed, before)


def _failure_keeps_ctime(kind):
    make(kind, "node", 0o644)
    if kind == "symlink":
        make("regular", "target", 0o644)
    followed = "target" if kind == "symlink" else "node"
    before = ctime(followed)
    tick()
    expect_as(OTHER_UID, OTHER_GID, errno.EPERM, os.chmod, "node", 0o600)
    check(ctime(followed) == before, "a refused chmod changed ctime")
    check(stat.S_IMODE(os.stat(followed).st_mode) == 0o644, "a refused chmod changed the mode")


cases_for("chmod", "changes_mode", _changes_mode, TYPES)
cases_for("chmod", "updates_ctime", _updates_ctime, TYPES)
cases_for("chmod", "failure_keeps_ctime", _failure_keeps_ctime, TYPES)


@case("chmod")
def only_owner_or_root():
    make("regular", "file", 0o644)
    os.chown("file", SECOND_UID, SECOND_GID)
    expect_as(OTHER_UID, OTHER_GID, errno.EPERM, os.chmod, "file", 0o777)
    expect_as(SECOND_UID, SECOND_GID, 0, os.chmod, "file", 0o600)
    check(stat.S_IMODE(os.stat("file").st_mode) == 0o600, "the owner's chmod did not apply")
    expect(0, os.chmod, "file", 0o604)
    check(stat.S_IMODE(os.stat("file").st_mode) == 0o604, "root's chmod did not apply")


@case("chmod")
def setgid_dropped_for_non_member():
    # Linux: a caller outside the file's group sets the set-group-id bit without effect.
    make("regular", "file", 0o644)
    os.chown("file", SECOND_UID, 0)
    expect_as(SECOND_UID, SECOND_GID, 0, os.chmod, "file", 0o2755)
    check(stat.S_IMODE(os.stat("file").st_mode) == 0o755, f"mode {oct(os.stat('file').st_mode)}")
    os.chown("file", SECOND_UID, SECOND_GID)
    expect_as(SECOND_UID, SECOND_GID, 0, os.chmod, "file", 0o2755)
    check(stat.S_IMODE(os.stat("file").st_mode) == 0o2755, "a group member may set set-group-id")


@case("chmod")
def sticky_bit_on_files_and_directories():
    make("regular", "file", 0o644)
    os.chown("file", SECOND_UID, SECOND_GID)
    expect_as(SECOND_UID, SECOND_GID, 0, os.chmod, "file", 0o1644)
    check(stat.S_IMODE(os.stat("file").st_mode) == 0o1644, "sticky bit on a file")
    os.mkdir("dir", 0o755)
    os.chmod("dir", 0o1777)
    check(stat.S_IMODE(os.stat("dir").st_mode) == 0o1777, "sticky bit on a directory")


def _write_as(path, data):
    with open(path, "ab") as out:
        out.write(data)


@case("chmod")
def write_by_another_user_clears_setuid_and_setgid():
    make("regular", "file", 0o644)
    os.chown("file", SECOND_UID, SECOND_GID)
    os.chmod("file", 0o6777)
    expect_as(OTHER_UID, OTHER_GID, 0, _write_as, "file", b"more")
    mode = stat.S_IMODE(os.stat("file").st_mode)
    check(mode & (stat.S_ISUID | stat.S_ISGID) == 0, f"mode {oct(mode)} after a write by another user")


@case("chmod")
def truncate_by_another_user_clears_setuid():
    make("regular", "file", 0o644)
    with open("file", "wb") as out:
        out.write(b"program")
    os.chown("file", SECOND_UID, SECOND_GID)
    os.chmod("file", 0o4777)
    expect_as(OTHER_UID, OTHER_GID, 0, os.truncate, "file", 3)
    check(stat.S_IMODE(os.stat("file").st_mode) & stat.S_ISUID == 0, "truncate by another user clears set-user-id")
