"""Errors of path resolution, for every system call that takes a path: a component that is not
a directory (ENOTDIR), a missing component (ENOENT), a component or a whole path too long
(ENAMETOOLONG; the longest allowed ones work), a symlink loop (ELOOP), a directory without
search permission for the caller (EACCES). Original test code for RedoxFSKit.
"""
import errno
import os
import stat

from .registry import CASES, Case
from support import (OTHER_GID, OTHER_UID, check, deep_path, expect, expect_as, long_name, make,
                       name_max, path_max)


def _existing():
    make("regular", "existing")


# For each system call: (prepare, call) — `call(path)` makes the call with `path` as the path
# under test; `prepare()` makes what the other arguments name.
CALLS = {
    "chmod": (None, lambda p: os.chmod(p, 0o600)),
    "chown": (None, lambda p: os.chown(p, 65534, 65534)),
    "link": (_existing, lambda p: os.link("existing", p)),
    "mkdir": (None, lambda p: os.mkdir(p, 0o755)),
    "mkfifo": (None, lambda p: os.mkfifo(p, 0o644)),
    "mknod": (None, lambda p: os.mknod(p, stat.S_IFIFO | 0o644)),
    "open": (None, lambda p: os.close(os.open(p, os.O_RDONLY | os.O_CREAT, 0o644))),
    "rename": (_existing, lambda p: os.rename("existing", p)),
    "rmdir": (None, lambda p: os.rmdir(p)),
    "symlink": (None, lambda p: os.symlink("target", p)),
    "truncate": (None, lambda p: os.truncate(p, 0)),
    "unlink": (None, lambda p: os.unlink(p)),
    "utimensat": (None, lambda p: os.utime(p, ns=(1, 2))),
}
# The calls that make the node named by their path (for them the longest names must work).
CREATING = {"link", "mkdir", "mkfifo", "mknod", "open", "rename", "symlink"}
# And for the others, a node of the right type to work on.
EXISTING_KIND = {"chmod": "regular", "chown": "regular", "rmdir": "dir", "truncate": "regular",
                 "unlink": "regular", "utimensat": "regular"}


def _prepare(syscall):
    prepare = CALLS[syscall][0]
    if prepare:
        prepare()


def _works_on(syscall, path):
    """The call succeeds on `path` (made first when the call does not make it)."""
    _prepare(syscall)
    if syscall not in CREATING:
        make(EXISTING_KIND[syscall], path)
    expect(0, CALLS[syscall][1], path)


def not_a_directory(syscall):
    _prepare(syscall)
    make("regular", "file")
    expect(errno.ENOTDIR, CALLS[syscall][1], "file/name")


def missing_component(syscall):
    _prepare(syscall)
    expect(errno.ENOENT, CALLS[syscall][1], "missing/name")


def longest_name_works(syscall):
    _works_on(syscall, long_name(name_max()))


def name_too_long(syscall):
    _prepare(syscall)
    too_long = long_name(name_max() + 1)
    expect(errno.ENAMETOOLONG, CALLS[syscall][1], too_long)
    os.mkdir("dir")
    expect(errno.ENAMETOOLONG, CALLS[syscall][1], f"{too_long}/name")


def longest_path_works(syscall):
    # PATH_MAX counts the terminating NUL.
    _works_on(syscall, deep_path(path_max() - 1))


def path_too_long(syscall):
    _prepare(syscall)
    path = deep_path(path_max())
    expect(errno.ENAMETOOLONG, CALLS[syscall][1], path)


def symlink_loop(syscall):
    _prepare(syscall)
    os.symlink("loop2", "loop1")
    os.symlink("loop1", "loop2")
    expect(errno.ELOOP, CALLS[syscall][1], "loop1/name")


def search_denied(syscall):
    _prepare(syscall)
    os.chmod(".", 0o777)
    os.mkdir("closed", 0o755)
    if syscall not in CREATING:
        make(EXISTING_KIND[syscall], "closed/name")
    os.chmod("closed", 0o666)
    expect_as(OTHER_UID, OTHER_GID, errno.EACCES, CALLS[syscall][1], "closed/name")
    os.chmod("closed", 0o755)
    check(os.path.isdir("closed"), "the directory is still there")


for _syscall in CALLS:
    for _function in (not_a_directory, missing_component, longest_name_works, name_too_long,
                      longest_path_works, path_too_long, symlink_loop, search_denied):
        CASES.append(Case(_syscall, f"{_function.__name__}", (lambda f, s: lambda: f(s))(_function, _syscall)))
