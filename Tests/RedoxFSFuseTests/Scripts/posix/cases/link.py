"""link(2): every non-directory type, link counts, ctime of the node and times of the directory,
errors. Original test code for RedoxFSKit."""
import errno
import os

from .registry import case, cases_for
from support import (NON_DIR_TYPES, OTHER_GID, OTHER_UID, TYPES, changed_after, check, ctime, expect, expect_as,
                     make, tick, times, type_of, unchanged)


def _link(source, target):
    os.link(source, target, follow_symlinks=False)


def _links_every_type(kind):
    make(kind, "node", 0o644)
    expect(0, _link, "node", "other")
    a, b = os.lstat("node"), os.lstat("other")
    check(a.st_ino == b.st_ino, "both names lead to one node")
    check(a.st_nlink == 2 and b.st_nlink == 2, f"link counts {a.st_nlink}, {b.st_nlink}")
    check(type_of("other") == kind, f"the link is a {type_of('other')}")
    os.unlink("node")
    check(os.lstat("other").st_nlink == 1, "one name left")


def _times(kind):
    make(kind, "node", 0o644)
    os.mkdir("dir", 0o755)
    node_before = ctime("node")
    directory_before = times("dir")
    tick()
    _link("node", "dir/other")
    changed_after("node", node_before)
    changed_after("dir", directory_before[1], "mtime")
    changed_after("dir", directory_before[2], "ctime")


def _target_exists(kind):
    make("regular", "node", 0o644)
    make(kind, "existing", 0o644)
    before = times(".")
    tick()
    expect(errno.EEXIST, _link, "node", "existing")
    check(os.lstat("node").st_nlink == 1, "a failed link changed the count")
    unchanged(".", before)


cases_for("link", "links_every_type", _links_every_type, NON_DIR_TYPES)
cases_for("link", "updates_times", _times, NON_DIR_TYPES)
cases_for("link", "target_exists", _target_exists, TYPES)


@case("link")
def directory_is_refused():
    os.mkdir("dir", 0o755)
    expect(errno.EPERM, _link, "dir", "other")


@case("link")
def missing_source():
    expect(errno.ENOENT, _link, "missing", "other")


@case("link")
def no_write_permission_in_target_directory():
    make("regular", "node", 0o644)
    os.chown("node", OTHER_UID, OTHER_GID)
    os.mkdir("closed", 0o755)
    expect_as(OTHER_UID, OTHER_GID, errno.EACCES, _link, "node", "closed/other")
    os.chmod("closed", 0o777)
    expect_as(OTHER_UID, OTHER_GID, 0, _link, "node", "closed/other")


@case("link")
def unlinking_one_name_updates_the_other():
    make("regular", "node", 0o644)
    with open("node", "wb") as out:
        out.write(b"shared")
    _link("node", "other")
    before = ctime("other")
    tick()
    os.unlink("node")
    info = os.lstat("other")
    check(info.st_nlink == 1, f"link count {info.st_nlink}")
    changed_after("other", before)
    with open("other", "rb") as source:
        check(source.read() == b"shared", "the content survives")


@case("link")
def many_links():
    make("regular", "node", 0o644)
    for number in range(200):
        _link("node", f"link-{number}")
    check(os.lstat("node").st_nlink == 201, f"link count {os.lstat('node').st_nlink}")
    for number in range(200):
        os.unlink(f"link-{number}")
    check(os.lstat("node").st_nlink == 1, "back to one link")
