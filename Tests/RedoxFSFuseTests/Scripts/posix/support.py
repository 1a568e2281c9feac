"""Shared helpers of the POSIX suite: errno expectations, running a call as another user, making
every file type, times, and the name and path limits of the file system under test.
Original test code for RedoxFSKit.
"""
import ctypes
import ctypes.util
import errno
import os
import socket
import stat
import time

libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
AT_FDCWD = -100
RENAME_NOREPLACE, RENAME_EXCHANGE = 1, 2

# Every file type the suite makes; "regular" first.
TYPES = ["regular", "dir", "fifo", "block", "char", "socket", "symlink"]
NON_DIR_TYPES = [kind for kind in TYPES if kind != "dir"]
# Types made by mknod (the device numbers are arbitrary; the mount is nodev, nothing opens them).
DEVICE = {"block": (stat.S_IFBLK, os.makedev(8, 17)), "char": (stat.S_IFCHR, os.makedev(4, 66))}

# A user and groups that own nothing in the tree (the nobody-like ids pjdfstest uses).
OTHER_UID, OTHER_GID = 65534, 65534
SECOND_UID, SECOND_GID = 65533, 65533


class CaseFailure(AssertionError):
    """A check of a case did not hold."""


def check(condition, message):
    if not condition:
        raise CaseFailure(message)


def expect(code, function, *arguments, **keywords):
    """Runs `function` and checks that it fails with errno `code` (0: that it succeeds)."""
    try:
        result = function(*arguments, **keywords)
    except OSError as error:
        if error.errno != code:
            expected = "success" if code == 0 else errno.errorcode[code]
            raise CaseFailure(f"{function.__name__}{_show(arguments)}: {errno.errorcode.get(error.errno, error.errno)}, expected {expected}")
        return None
    if code != 0:
        raise CaseFailure(f"{function.__name__}{_show(arguments)} succeeded, expected {errno.errorcode[code]}")
    return result


def _show(arguments):
    shown = []
    for argument in arguments:
        text = repr(argument)
        shown.append(text if len(text) < 60 else text[:28] + "…" + text[-20:])
    return "(" + ", ".join(shown) + ")"


def as_user(uid, gid, function, *arguments, groups=None):
    """Runs `function(*arguments)` in a child process with real and effective ids `uid`/`gid`
    and supplementary `groups` (default: only `gid`); returns 0 on success or the errno."""
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.setgroups(groups if groups is not None else [gid])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
            function(*arguments)
        except OSError as error:
            code = error.errno or 255
        except BaseException:
            code = 254
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def expect_as(uid, gid, code, function, *arguments, groups=None):
    """`expect` for a call made as user `uid`/`gid`."""
    got = as_user(uid, gid, function, *arguments, groups=groups)
    if got != code:
        show = lambda value: "success" if value == 0 else errno.errorcode.get(value, str(value))
        raise CaseFailure(f"{function.__name__}{_show(arguments)} as {uid}:{gid}: {show(got)}, expected {show(code)}")


def make(kind, path, mode=0o644, target="target"):
    """Makes a node of `kind` at `path` (a symlink points at `target`)."""
    if kind == "regular":
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, mode))
    elif kind == "dir":
        os.mkdir(path, mode)
    elif kind == "fifo":
        os.mkfifo(path, mode)
    elif kind in DEVICE:
        type_bits, device = DEVICE[kind]
        os.mknod(path, type_bits | mode, device)
    elif kind == "socket":
        os.mknod(path, stat.S_IFSOCK | mode)
    elif kind == "symlink":
        os.symlink(target, path)
    else:
        raise ValueError(kind)


def remove(kind, path):
    (os.rmdir if kind == "dir" else os.unlink)(path)


def type_of(path):
    """The suite's name for the type of `path` (not following a symlink)."""
    mode = os.lstat(path).st_mode
    for kind, test in (("regular", stat.S_ISREG), ("dir", stat.S_ISDIR), ("fifo", stat.S_ISFIFO),
                       ("block", stat.S_ISBLK), ("char", stat.S_ISCHR), ("socket", stat.S_ISSOCK),
                       ("symlink", stat.S_ISLNK)):
        if test(mode):
            return kind
    return "unknown"


def times(path, follow=False):
    """(atime, mtime, ctime) in nanoseconds."""
    info = os.stat(path) if follow else os.lstat(path)
    return info.st_atime_ns, info.st_mtime_ns, info.st_ctime_ns


def ctime(path):
    return os.lstat(path).st_ctime_ns


def mtime(path):
    return os.lstat(path).st_mtime_ns


def tick():
    """Waits long enough that the next change gets a later time (the kernel's coarse clock,
    which stamps some changes, moves once per scheduler tick)."""
    time.sleep(0.03)


def name_max(path="."):
    return os.pathconf(path, "PC_NAME_MAX")


def path_max(path="."):
    return os.pathconf(path, "PC_PATH_MAX")


def long_name(length, letter="x"):
    return letter * length


def deep_path(total, name_length=None):
    """Creates nested directories below the current directory so that the relative path
    returned has exactly `total` bytes (its last component is not created)."""
    name_length = name_length or min(name_max(), 200)
    parts = []
    used = 0
    while total - used > name_length + 1:
        component = long_name(name_length, "d")
        parts.append(component)
        used += len(component) + 1
        directory = "/".join(parts)
        if not os.path.isdir(directory):
            os.mkdir(directory)
    parts.append(long_name(total - used, "f"))
    path = "/".join(parts)
    assert len(path) == total, (len(path), total)
    return path


def renameat2(old, new, flags):
    if libc.renameat2(AT_FDCWD, os.fsencode(old), AT_FDCWD, os.fsencode(new), flags) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def bind_socket(path):
    """Makes a socket node the way programs do: bind(2) of a Unix socket."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(path)
    finally:
        server.close()


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


UTIME_NOW = (1 << 30) - 1
UTIME_OMIT = (1 << 30) - 2
AT_SYMLINK_NOFOLLOW = 0x100


def utimensat(path, atime, mtime, flags=0):
    """utimensat(2) with (seconds, nanoseconds) pairs, or UTIME_NOW / UTIME_OMIT as nanoseconds."""
    def spec(value):
        if value in (UTIME_NOW, UTIME_OMIT):
            return _Timespec(0, value)
        return _Timespec(value[0], value[1])
    pair = (_Timespec * 2)(spec(atime), spec(mtime))
    if libc.utimensat(AT_FDCWD, os.fsencode(path), pair, flags) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def changed_after(path, before, field="ctime", follow=False):
    """Checks that `field` of `path` moved past `before` (nanoseconds)."""
    info = os.stat(path) if follow else os.lstat(path)
    value = getattr(info, f"st_{field}_ns")
    check(value > before, f"{field} of {path} did not move ({value} <= {before})")


def unchanged(path, before, follow=False):
    """Checks that (atime, mtime, ctime) of `path` are still `before`... except atime, which
    reads may move: only mtime and ctime are compared."""
    now = times(path, follow)
    check(now[1:] == before[1:], f"mtime/ctime of {path} changed: {before[1:]} -> {now[1:]}")


def chown_tree_owner(path, uid, gid):
    os.lchown(path, uid, gid)
