"""open(2): creating (mode, owner, times, the parent's times), O_EXCL for every type, O_TRUNC
times, permission checks for the other users, directory, symlink and FIFO rules.
Original test code for RedoxFSKit."""
import errno
import os
import stat

from .registry import case, cases_for
from support import (OTHER_GID, OTHER_UID, SECOND_GID, SECOND_UID, TYPES, changed_after, check, expect,
                     expect_as, make, tick, times, unchanged)


def _open(path, flags, mode=0o644):
    os.close(os.open(path, flags, mode))


@case("open")
def create_sets_mode_owner_and_times():
    os.chmod(".", 0o777)
    before = times(".")
    tick()
    expect_as(SECOND_UID, SECOND_GID, 0, _open, "file", os.O_CREAT | os.O_WRONLY, 0o666)
    info = os.stat("file")
    check(stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o666, f"mode {oct(info.st_mode)}")
    check((info.st_uid, info.st_gid) == (SECOND_UID, SECOND_GID), f"owner {info.st_uid}:{info.st_gid}")
    check(min(times("file")) > before[2], "the new file's times")
    changed_after(".", before[1], "mtime")
    changed_after(".", before[2], "ctime")


@case("open")
def create_applies_umask():
    previous = os.umask(0o027)
    try:
        _open("file", os.O_CREAT | os.O_WRONLY, 0o777)
    finally:
        os.umask(previous)
    check(stat.S_IMODE(os.stat("file").st_mode) == 0o750, f"mode {oct(os.stat('file').st_mode)}")


@case("open")
def create_of_existing_file_leaves_parent_alone():
    make("regular", "file", 0o644)
    before = times(".")
    file_before = times("file")
    tick()
    _open("file", os.O_CREAT | os.O_RDWR)
    unchanged(".", before)
    unchanged("file", file_before)


def _truncate_times(size):
    with open("file", "wb") as out:
        out.write(b"x" * size)
    before = times("file")
    tick()
    _open("file", os.O_WRONLY | os.O_TRUNC)
    check(os.stat("file").st_size == 0, "O_TRUNC empties the file")
    changed_after("file", before[1], "mtime")
    changed_after("file", before[2], "ctime")


cases_for("open", "truncate_updates_times", _truncate_times, [0, 100, 300000])


def _exclusive(kind):
    make(kind, "node", 0o644)
    expect(errno.EEXIST, _open, "node", os.O_CREAT | os.O_EXCL | os.O_WRONLY)


cases_for("open", "exclusive_create_of_existing", _exclusive, TYPES)


@case("open")
def exclusive_create_of_dangling_symlink():
    os.symlink("nowhere", "link")
    expect(errno.EEXIST, _open, "link", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    check(not os.path.exists("nowhere"), "O_EXCL does not follow the link")


@case("open")
def create_follows_dangling_symlink():
    os.symlink("made", "link")
    _open("link", os.O_CREAT | os.O_WRONLY)
    check(os.path.isfile("made"), "O_CREAT through a dangling symlink makes its target")


@case("open")
def permission_bits_are_checked():
    for mode, flags, code in ((0o600, os.O_RDONLY, errno.EACCES), (0o604, os.O_RDONLY, 0),
                              (0o604, os.O_WRONLY, errno.EACCES), (0o602, os.O_WRONLY, 0),
                              (0o602, os.O_RDWR, errno.EACCES), (0o606, os.O_RDWR, 0),
                              (0o604, os.O_RDONLY | os.O_TRUNC, errno.EACCES)):
        name = f"file-{mode:o}-{flags}"
        make("regular", name, mode)
        os.chmod(name, mode)
        expect_as(OTHER_UID, OTHER_GID, code, _open, name, flags)


@case("open")
def owner_and_group_bits_are_checked():
    make("regular", "file", 0o640)
    os.chown("file", SECOND_UID, SECOND_GID)
    expect_as(SECOND_UID, SECOND_GID, 0, _open, "file", os.O_RDWR)
    expect_as(OTHER_UID, SECOND_GID, 0, _open, "file", os.O_RDONLY)
    expect_as(OTHER_UID, SECOND_GID, errno.EACCES, _open, "file", os.O_WRONLY)
    expect_as(OTHER_UID, OTHER_GID, errno.EACCES, _open, "file", os.O_RDONLY)
    expect_as(OTHER_UID, OTHER_GID, 0, _open, "file", os.O_RDONLY, groups=[OTHER_GID, SECOND_GID])
    os.chmod("file", 0o077)
    expect_as(SECOND_UID, SECOND_GID, errno.EACCES, _open, "file", os.O_RDONLY)
    expect(0, _open, "file", os.O_RDWR)


@case("open")
def create_needs_write_permission_in_directory():
    os.mkdir("closed", 0o755)
    expect_as(OTHER_UID, OTHER_GID, errno.EACCES, _open, "closed/file", os.O_CREAT | os.O_WRONLY)
    os.chmod("closed", 0o777)
    expect_as(OTHER_UID, OTHER_GID, 0, _open, "closed/file", os.O_CREAT | os.O_WRONLY)


@case("open")
def directories():
    os.mkdir("dir", 0o755)
    expect(0, _open, "dir", os.O_RDONLY)
    expect(errno.EISDIR, _open, "dir", os.O_WRONLY)
    expect(errno.EISDIR, _open, "dir", os.O_RDWR)
    make("regular", "file")
    expect(errno.ENOTDIR, _open, "file", os.O_RDONLY | os.O_DIRECTORY)
    expect(0, _open, "dir", os.O_RDONLY | os.O_DIRECTORY)


@case("open")
def nofollow_refuses_symlink():
    make("regular", "target")
    os.symlink("target", "link")
    expect(errno.ELOOP, _open, "link", os.O_RDONLY | os.O_NOFOLLOW)
    expect(0, _open, "target", os.O_RDONLY | os.O_NOFOLLOW)


@case("open")
def missing_file_without_create():
    expect(errno.ENOENT, _open, "missing", os.O_RDONLY)
    expect(errno.ENOENT, _open, "missing", os.O_WRONLY | os.O_TRUNC)


@case("open")
def fifo_without_reader():
    os.mkfifo("fifo", 0o644)
    expect(errno.ENXIO, _open, "fifo", os.O_WRONLY | os.O_NONBLOCK)
    expect(0, _open, "fifo", os.O_RDONLY | os.O_NONBLOCK)


@case("open")
def devices_on_a_nodev_mount():
    # The mount is nodev (FUSE's default): device nodes are kept but cannot be opened.
    make("char", "char")
    make("block", "block")
    expect(errno.EACCES, _open, "char", os.O_RDONLY)
    expect(errno.EACCES, _open, "block", os.O_RDONLY)


@case("open")
def content_round_trip_and_append():
    with open("file", "wb") as out:
        out.write(b"first")
    with open("file", "ab") as out:
        out.write(b" second")
    with open("file", "rb") as source:
        check(source.read() == b"first second", "append")
