"""mkfifo(3)/mknod(2): FIFOs, sockets, character and block devices, regular files; device
numbers, owner, times, errors; a FIFO works as a pipe. Original test code for RedoxFSKit."""
import errno
import os
import stat

from .registry import case, cases_for
from support import (DEVICE, OTHER_GID, OTHER_UID, SECOND_GID, SECOND_UID, TYPES, bind_socket, changed_after,
                     check, expect, expect_as, make, tick, times, type_of, unchanged)

KINDS = {"fifo": stat.S_IFIFO, "socket": stat.S_IFSOCK, "regular": stat.S_IFREG,
         "char": stat.S_IFCHR, "block": stat.S_IFBLK}


def _makes(kind):
    device = DEVICE[kind][1] if kind in DEVICE else 0
    expect(0, os.mknod, "node", KINDS[kind] | 0o640, device)
    info = os.lstat("node")
    check(type_of("node") == kind, f"made a {type_of('node')}")
    check(stat.S_IMODE(info.st_mode) == 0o640, f"mode {oct(info.st_mode)}")
    if kind in DEVICE:
        check((os.major(info.st_rdev), os.minor(info.st_rdev)) == (os.major(device), os.minor(device)),
              f"device {os.major(info.st_rdev)},{os.minor(info.st_rdev)}")


def _times(kind):
    before = times(".")
    tick()
    device = DEVICE[kind][1] if kind in DEVICE else 0
    os.mknod("node", KINDS[kind] | 0o644, device)
    check(min(times("node")) > before[2], "the new node's times")
    changed_after(".", before[1], "mtime")
    changed_after(".", before[2], "ctime")


def _exists_mknod(kind):
    make(kind, "node", 0o644)
    before = times(".")
    tick()
    expect(errno.EEXIST, os.mknod, "node", stat.S_IFIFO | 0o644)
    expect(errno.EEXIST, os.mknod, "node", stat.S_IFCHR | 0o644, os.makedev(1, 2))
    unchanged(".", before)


def _exists_mkfifo(kind):
    make(kind, "node", 0o644)
    expect(errno.EEXIST, os.mkfifo, "node", 0o644)


cases_for("mknod", "makes", _makes, list(KINDS))
cases_for("mknod", "updates_times", _times, list(KINDS))
cases_for("mknod", "exists", _exists_mknod, TYPES)
cases_for("mkfifo", "exists", _exists_mkfifo, TYPES)


@case("mknod")
def devices_need_privilege():
    os.chmod(".", 0o777)
    expect_as(OTHER_UID, OTHER_GID, errno.EPERM, os.mknod, "char", stat.S_IFCHR | 0o644, os.makedev(1, 3))
    expect_as(OTHER_UID, OTHER_GID, errno.EPERM, os.mknod, "block", stat.S_IFBLK | 0o644, os.makedev(8, 0))
    expect_as(OTHER_UID, OTHER_GID, 0, os.mknod, "fifo", stat.S_IFIFO | 0o644)
    expect_as(OTHER_UID, OTHER_GID, 0, os.mknod, "socket", stat.S_IFSOCK | 0o644)
    check(os.lstat("fifo").st_uid == OTHER_UID, "a FIFO belongs to its maker")


@case("mknod")
def large_device_numbers():
    device = os.makedev(4095, 1048575)
    os.mknod("node", stat.S_IFBLK | 0o600, device)
    info = os.lstat("node")
    check(info.st_rdev == device, f"device {os.major(info.st_rdev)},{os.minor(info.st_rdev)}")


@case("mknod")
def no_write_permission():
    os.mkdir("closed", 0o755)
    expect_as(OTHER_UID, OTHER_GID, errno.EACCES, os.mknod, "closed/node", stat.S_IFIFO | 0o644)


@case("mknod")
def socket_by_bind_and_nodes_survive_rename_and_link():
    bind_socket("socket")
    check(type_of("socket") == "socket", "bind makes a socket node")
    make("char", "char")
    os.rename("char", "renamed")
    check(os.lstat("renamed").st_rdev == DEVICE["char"][1], "the device number moves with the node")
    os.link("renamed", "linked")
    check(os.lstat("linked").st_rdev == DEVICE["char"][1] and os.lstat("linked").st_nlink == 2, "hard link of a device")
    check(sorted(os.listdir(".")) == ["linked", "renamed", "socket"], f"listing {sorted(os.listdir('.'))}")


@case("mkfifo")
def makes_fifo_with_mode_and_owner():
    os.chmod(".", 0o777)
    expect_as(SECOND_UID, SECOND_GID, 0, os.mkfifo, "fifo", 0o666)
    info = os.lstat("fifo")
    check(stat.S_ISFIFO(info.st_mode), "a FIFO")
    check(stat.S_IMODE(info.st_mode) == 0o666, f"mode {oct(info.st_mode)}")
    check((info.st_uid, info.st_gid) == (SECOND_UID, SECOND_GID), f"owner {info.st_uid}:{info.st_gid}")


@case("mkfifo")
def updates_times():
    before = times(".")
    tick()
    os.mkfifo("fifo", 0o644)
    check(min(times("fifo")) > before[2], "the new FIFO's times")
    changed_after(".", before[1], "mtime")
    changed_after(".", before[2], "ctime")


@case("mkfifo")
def no_write_permission():
    os.mkdir("closed", 0o755)
    expect_as(OTHER_UID, OTHER_GID, errno.EACCES, os.mkfifo, "closed/fifo", 0o644)


@case("mkfifo")
def works_as_a_pipe():
    os.mkfifo("fifo", 0o644)
    reader = os.open("fifo", os.O_RDONLY | os.O_NONBLOCK)
    writer = os.open("fifo", os.O_WRONLY)
    os.write(writer, b"through the pipe")
    check(os.read(reader, 100) == b"through the pipe", "data passes")
    os.close(writer)
    os.close(reader)
    expect(errno.ENXIO, os.open, "fifo", os.O_WRONLY | os.O_NONBLOCK)
    check(os.lstat("fifo").st_size == 0, "a FIFO keeps no content")
