"""rename(2): every type within and across directories, replacing, the times of the node and of
both directories, directory rules, permission checks and sticky directories, renameat2 flags.
Original test code for RedoxFSKit."""
import errno
import os

from .registry import case, cases_for
from support import (NON_DIR_TYPES, OTHER_GID, OTHER_UID, RENAME_EXCHANGE, RENAME_NOREPLACE, SECOND_GID,
                     SECOND_UID, TYPES, changed_after, check, ctime, expect, expect_as, make, renameat2, tick,
                     times, type_of, unchanged)


def _within_directory(kind):
    make(kind, "node", 0o644)
    inode = os.lstat("node").st_ino
    expect(0, os.rename, "node", "moved")
    check(not os.path.lexists("node"), "the old name is gone")
    check(os.lstat("moved").st_ino == inode and type_of("moved") == kind, "the new name leads to the node")


def _across_directories(kind):
    os.mkdir("from", 0o755)
    os.mkdir("to", 0o755)
    make(kind, "from/node", 0o644)
    inode = os.lstat("from/node").st_ino
    before_from, before_to, before_node = times("from"), times("to"), ctime("from/node")
    tick()
    expect(0, os.rename, "from/node", "to/node")
    check(os.lstat("to/node").st_ino == inode and not os.path.lexists("from/node"), "moved")
    changed_after("to/node", before_node)
    for directory, before in (("from", before_from), ("to", before_to)):
        changed_after(directory, before[1], "mtime")
        changed_after(directory, before[2], "ctime")


def _replaces(kind):
    make(kind, "target", 0o644)
    if kind != "dir":
        os.link("target", "other-name", follow_symlinks=False)
    make("dir" if kind == "dir" else "regular", "source", 0o644)
    inode = os.lstat("source").st_ino
    before = ctime("other-name") if kind != "dir" else None
    tick()
    expect(0, os.rename, "source", "target")
    check(os.lstat("target").st_ino == inode, "the target name leads to the source node")
    if kind != "dir":
        check(os.lstat("other-name").st_nlink == 1, "the replaced node lost a link")
        changed_after("other-name", before)


def _same_directory_times(kind):
    make(kind, "node", 0o644)
    before, node_before = times("."), ctime("node")
    tick()
    os.rename("node", "moved")
    changed_after(".", before[1], "mtime")
    changed_after(".", before[2], "ctime")
    changed_after("moved", node_before)


cases_for("rename", "within_directory", _within_directory, TYPES)
cases_for("rename", "across_directories", _across_directories, TYPES)
cases_for("rename", "replaces", _replaces, NON_DIR_TYPES + ["dir"])
cases_for("rename", "updates_times", _same_directory_times, TYPES)


def _non_dir_over_dir(kind):
    make(kind, "node", 0o644)
    os.mkdir("dir", 0o755)
    expect(errno.EISDIR, os.rename, "node", "dir")
    expect(errno.ENOTDIR, os.rename, "dir", "node")


cases_for("rename", "directory_and_non_directory", _non_dir_over_dir, NON_DIR_TYPES)


@case("rename")
def directory_over_non_empty_directory():
    os.makedirs("full/inner")
    os.mkdir("dir", 0o755)
    before = times(".")
    tick()
    expect(errno.ENOTEMPTY, os.rename, "dir", "full")
    unchanged(".", before)
    check(os.path.isdir("full/inner") and os.path.isdir("dir"), "both stay")


@case("rename")
def directory_into_itself():
    os.makedirs("dir/sub/subsub")
    expect(errno.EINVAL, os.rename, "dir", "dir/sub/moved")
    expect(errno.EINVAL, os.rename, "dir", "dir/sub/subsub/moved")
    expect(0, os.rename, "dir/sub/subsub", "subsub")


@case("rename")
def hard_links_of_one_node():
    make("regular", "a")
    os.link("a", "b")
    expect(0, os.rename, "a", "b")
    check(os.path.exists("a") and os.path.exists("b") and os.lstat("a").st_nlink == 2, "nothing happens")


@case("rename")
def missing_source():
    expect(errno.ENOENT, os.rename, "missing", "new")


@case("rename")
def needs_write_permission_in_both_directories():
    os.mkdir("from", 0o755)
    os.mkdir("to", 0o777)
    make("regular", "from/node")
    os.chown("from/node", OTHER_UID, OTHER_GID)
    expect_as(OTHER_UID, OTHER_GID, errno.EACCES, os.rename, "from/node", "to/node")
    os.chmod("from", 0o777)
    os.chmod("to", 0o755)
    expect_as(OTHER_UID, OTHER_GID, errno.EACCES, os.rename, "from/node", "to/node")
    os.chmod("to", 0o777)
    expect_as(OTHER_UID, OTHER_GID, 0, os.rename, "from/node", "to/node")


@case("rename")
def moving_a_directory_needs_write_permission_in_it():
    # Its ".." changes.
    os.mkdir("from", 0o777)
    os.mkdir("to", 0o777)
    os.mkdir("from/dir", 0o755)
    expect_as(OTHER_UID, OTHER_GID, errno.EACCES, os.rename, "from/dir", "to/dir")
    os.chown("from/dir", OTHER_UID, OTHER_GID)
    expect_as(OTHER_UID, OTHER_GID, 0, os.rename, "from/dir", "to/dir")


@case("rename")
def sticky_source_directory():
    os.mkdir("sticky", 0o777)
    os.chmod("sticky", 0o1777)
    make("regular", "sticky/theirs")
    os.chown("sticky/theirs", SECOND_UID, SECOND_GID)
    expect_as(OTHER_UID, OTHER_GID, errno.EPERM, os.rename, "sticky/theirs", "sticky/mine")
    expect_as(SECOND_UID, SECOND_GID, 0, os.rename, "sticky/theirs", "sticky/still-theirs")
    os.chown("sticky", OTHER_UID, OTHER_GID)
    expect_as(OTHER_UID, OTHER_GID, 0, os.rename, "sticky/still-theirs", "sticky/owner-of-directory")


@case("rename")
def sticky_target_directory():
    os.mkdir("sticky", 0o777)
    os.chmod("sticky", 0o1777)
    make("regular", "sticky/theirs")
    os.chown("sticky/theirs", SECOND_UID, SECOND_GID)
    os.chmod(".", 0o777)
    make("regular", "mine")
    os.chown("mine", OTHER_UID, OTHER_GID)
    expect_as(OTHER_UID, OTHER_GID, errno.EPERM, os.rename, "mine", "sticky/theirs")
    expect_as(OTHER_UID, OTHER_GID, 0, os.rename, "mine", "sticky/new")


@case("rename")
def renameat2_flags():
    make("regular", "x")
    make("dir", "y")
    expect(errno.EEXIST, renameat2, "x", "y", RENAME_NOREPLACE)
    inode_x, inode_y = os.lstat("x").st_ino, os.lstat("y").st_ino
    before = times(".")
    tick()
    expect(0, renameat2, "x", "y", RENAME_EXCHANGE)
    check(os.lstat("x").st_ino == inode_y and os.lstat("y").st_ino == inode_x, "exchanged")
    changed_after(".", before[1], "mtime")
    expect(0, renameat2, "y", "z", RENAME_NOREPLACE)
    expect(errno.ENOENT, renameat2, "y", "x", RENAME_EXCHANGE)
    expect(errno.EINVAL, renameat2, "z", "x", RENAME_NOREPLACE | RENAME_EXCHANGE)
