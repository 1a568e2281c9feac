#!/usr/bin/env python3
"""POSIX behaviour of a mounted file system, one check per function: ownership of new nodes,
permission checks, hard links, renameat2 flags, unlinked open files, directory rules, special
nodes, extended attributes, statfs, times, names, large directories. Run as root on a mount made
with -o allow_other. Prints one line per check; exit status 1 when one fails.
Original test code for RedoxFSKit.

    semantics.py MOUNTPOINT
"""
import ctypes
import ctypes.util
import errno
import os
import socket
import stat
import sys
import time
import traceback

libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
AT_FDCWD = -100
RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT = 1, 2, 4
CHECKS = []


def check(function):
    CHECKS.append(function)
    return function


def renameat2(old, new, flags):
    if libc.renameat2(AT_FDCWD, os.fsencode(old), AT_FDCWD, os.fsencode(new), flags) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def expect_errno(code, function, *arguments):
    try:
        function(*arguments)
    except OSError as error:
        assert error.errno == code, f"{function.__name__}: errno {error.errno} ({error.strerror}), expected {errno.errorcode[code]}"
        return
    raise AssertionError(f"{function.__name__}{arguments} succeeded, expected {errno.errorcode[code]}")


def as_user(uid, gid, action):
    """Runs `action()` in a child process with the given ids; returns its exit status."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
            os.umask(0o022)
            action()
            os._exit(0)
        except OSError as error:
            os._exit(100 + (error.errno or 0) % 100)
        except BaseException:
            traceback.print_exc()
            os._exit(99)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def write(path, data=b"", mode=0o644):
    with open(path, "wb") as out:
        out.write(data)
    os.chmod(path, mode)


def read(path):
    with open(path, "rb") as source:
        return source.read()


@check
def new_nodes_belong_to_the_caller(root):
    shared = os.path.join(root, "shared")
    os.mkdir(shared)
    os.chmod(shared, 0o1777)

    def make():
        write(os.path.join(shared, "file"), b"mine")
        os.mkdir(os.path.join(shared, "dir"))
        os.symlink("file", os.path.join(shared, "link"))
        os.link(os.path.join(shared, "file"), os.path.join(shared, "hard"))
    assert as_user(1000, 1001, make) == 0, "uid 1000 could not create in a 1777 directory"
    for name in ("file", "dir", "link", "hard"):
        info = os.lstat(os.path.join(shared, name))
        assert (info.st_uid, info.st_gid) == (1000, 1001), f"{name} is {info.st_uid}:{info.st_gid}, expected 1000:1001"


@check
def setgid_directories_pass_their_group_down(root):
    directory = os.path.join(root, "sgid")
    os.mkdir(directory)
    os.chown(directory, 0, 4242)
    os.chmod(directory, 0o2777)

    def make():
        write(os.path.join(directory, "file"))
        os.mkdir(os.path.join(directory, "sub"))
    assert as_user(1000, 1001, make) == 0
    assert os.stat(os.path.join(directory, "file")).st_gid == 4242
    sub = os.stat(os.path.join(directory, "sub"))
    assert sub.st_gid == 4242 and sub.st_mode & stat.S_ISGID, f"sub: gid {sub.st_gid}, mode {oct(sub.st_mode)}"


@check
def permissions_are_enforced(root):
    private = os.path.join(root, "private")
    write(private, b"secret", 0o600)
    assert as_user(1000, 1000, lambda: read(private)) == 100 + errno.EACCES
    assert as_user(1000, 1000, lambda: write(private, b"x")) == 100 + errno.EACCES
    assert as_user(1000, 1000, lambda: os.chmod(private, 0o777)) == 100 + errno.EPERM
    closed = os.path.join(root, "closed")
    os.mkdir(closed, 0o755)
    assert as_user(1000, 1000, lambda: write(os.path.join(closed, "x"))) == 100 + errno.EACCES


@check
def write_clears_setuid(root):
    path = os.path.join(root, "suid")
    write(path, b"program", 0o4755)
    os.chown(path, 1000, 1000)
    os.chmod(path, 0o4777)

    def append():
        with open(path, "ab") as out:
            out.write(b"more")
    assert as_user(2000, 2000, append) == 0
    assert os.stat(path).st_mode & stat.S_ISUID == 0, "a write by another user must clear set-user-id"


@check
def hard_links(root):
    a = os.path.join(root, "hard-a")
    b = os.path.join(root, "hard-b")
    write(a, b"shared content")
    os.link(a, b)
    assert os.stat(a).st_ino == os.stat(b).st_ino
    assert os.stat(a).st_nlink == 2
    with open(b, "ab") as out:
        out.write(b"!")
    assert read(a) == b"shared content!"
    os.unlink(a)
    assert os.stat(b).st_nlink == 1 and read(b) == b"shared content!"
    expect_errno(errno.EPERM, os.link, root, os.path.join(root, "dir-link"))
    expect_errno(errno.EEXIST, os.link, b, b)


@check
def rename_flags(root):
    x = os.path.join(root, "rx")
    y = os.path.join(root, "ry")
    write(x, b"x")
    write(y, b"y")
    expect_errno(errno.EEXIST, renameat2, x, y, RENAME_NOREPLACE)
    renameat2(x, y, RENAME_EXCHANGE)
    assert read(x) == b"y" and read(y) == b"x"
    z = os.path.join(root, "rz")
    renameat2(x, z, RENAME_NOREPLACE)
    assert not os.path.exists(x) and read(z) == b"y"
    expect_errno(errno.ENOENT, renameat2, x, y, RENAME_EXCHANGE)
    expect_errno(errno.EINVAL, renameat2, z, y, RENAME_NOREPLACE | RENAME_EXCHANGE)
    # A directory and a file can be exchanged.
    d = os.path.join(root, "rdir")
    os.mkdir(d)
    renameat2(d, z, RENAME_EXCHANGE)
    assert os.path.isdir(z) and read(d) == b"y"


@check
def rename_rules(root):
    base = os.path.join(root, "rename-rules")
    os.makedirs(os.path.join(base, "full/inner"))
    os.makedirs(os.path.join(base, "empty"))
    os.makedirs(os.path.join(base, "moving/child"))
    write(os.path.join(base, "file"))
    expect_errno(errno.ENOTEMPTY, os.rename, os.path.join(base, "empty"), os.path.join(base, "full"))
    expect_errno(errno.EISDIR, os.rename, os.path.join(base, "file"), os.path.join(base, "empty"))
    expect_errno(errno.ENOTDIR, os.rename, os.path.join(base, "empty"), os.path.join(base, "file"))
    expect_errno(errno.EINVAL, os.rename, os.path.join(base, "moving"), os.path.join(base, "moving/child/x"))
    os.rename(os.path.join(base, "moving"), os.path.join(base, "empty"))
    assert os.path.isdir(os.path.join(base, "empty/child"))
    write(os.path.join(base, "target"), b"old")
    write(os.path.join(base, "source"), b"new")
    os.rename(os.path.join(base, "source"), os.path.join(base, "target"))
    assert read(os.path.join(base, "target")) == b"new"


@check
def unlinked_open_file_lives_until_closed(root):
    path = os.path.join(root, "doomed")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    os.write(fd, b"still here" * 1000)
    os.unlink(path)
    assert not os.path.exists(path)
    os.fsync(fd)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    assert os.pread(fd, 10, 9990) == b"still here"
    os.pwrite(fd, b"more", 10000)
    assert os.fstat(fd).st_size == 10004 and os.fstat(fd).st_nlink == 0
    os.close(fd)


@check
def directory_rules(root):
    d = os.path.join(root, "dirs")
    os.makedirs(os.path.join(d, "child"))
    write(os.path.join(d, "file"))
    expect_errno(errno.ENOTEMPTY, os.rmdir, d)
    expect_errno(errno.ENOTDIR, os.rmdir, os.path.join(d, "file"))
    expect_errno(errno.EISDIR, os.unlink, os.path.join(d, "child"))
    expect_errno(errno.EEXIST, os.mkdir, os.path.join(d, "child"))
    expect_errno(errno.ENOENT, os.rmdir, os.path.join(d, "nothing"))
    os.rmdir(os.path.join(d, "child"))
    os.unlink(os.path.join(d, "file"))
    os.rmdir(d)
    assert not os.path.exists(d)


@check
def exclusive_create_and_truncate(root):
    path = os.path.join(root, "excl")
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    expect_errno(errno.EEXIST, os.open, path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    write(path, b"x" * 300000, 0o600)
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    os.close(fd)
    assert os.stat(path).st_size == 0
    fd = os.open(path, os.O_RDWR)
    os.pwrite(fd, b"end", 200000)
    data = os.pread(fd, 200003, 0)
    os.close(fd)
    assert data == bytes(200000) + b"end", "bytes before a write past the end must read as zeros"


@check
def special_nodes(root):
    os.mkfifo(os.path.join(root, "fifo"))
    assert stat.S_ISFIFO(os.lstat(os.path.join(root, "fifo")).st_mode)
    os.mknod(os.path.join(root, "dev"), 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    assert os.lstat(os.path.join(root, "dev")).st_rdev == os.makedev(1, 3)
    os.mknod(os.path.join(root, "regular"), 0o640 | stat.S_IFREG)
    assert stat.S_ISREG(os.stat(os.path.join(root, "regular")).st_mode)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(os.path.join(root, "sock"))
    server.close()
    assert stat.S_ISSOCK(os.lstat(os.path.join(root, "sock")).st_mode)


@check
def extended_attributes_are_not_supported(root):
    path = os.path.join(root, "xattr")
    write(path)
    expect_errno(errno.EOPNOTSUPP, os.setxattr, path, "user.test", b"value")
    expect_errno(errno.EOPNOTSUPP, os.getxattr, path, "user.test")
    expect_errno(errno.EOPNOTSUPP, os.listxattr, path)


@check
def statfs_reports_blocks(root):
    info = os.statvfs(root)
    assert info.f_bsize == 4096 and info.f_frsize == 4096
    assert info.f_namemax == 252
    # f_bavail leaves out the copy-on-write reserve kept for deletes.
    assert 0 < info.f_bfree <= info.f_blocks and 0 < info.f_bavail <= info.f_bfree


@check
def times_are_exact(root):
    path = os.path.join(root, "times")
    write(path)
    os.utime(path, ns=(1234567890123456789, 987654321987654321))
    info = os.stat(path)
    assert (info.st_atime_ns, info.st_mtime_ns) == (1234567890123456789, 987654321987654321)
    # "Now" lies between the clock read before the call and after the stat, however slow the
    # machine (a second of slack each side: the kernel's coarse clock and the daemon's may differ).
    before = time.time_ns()
    os.utime(path)
    stamped = os.stat(path).st_mtime_ns
    after = time.time_ns()
    assert before - 10**9 <= stamped <= after + 10**9, (before, stamped, after)
    link = os.path.join(root, "times-link")
    os.symlink("times", link)
    os.utime(link, ns=(5, 6), follow_symlinks=False)
    assert os.lstat(link).st_mtime_ns == 6 and os.stat(link).st_mtime_ns != 6


@check
def symlinks(root):
    link = os.path.join(root, "symlink")
    target = "a/b/" + "c" * 3000
    os.symlink(target, link)
    assert os.readlink(link) == target
    assert os.lstat(link).st_size == len(target)
    os.lchown(link, 77, 88)
    assert (os.lstat(link).st_uid, os.lstat(link).st_gid) == (77, 88)


@check
def names(root):
    write(os.path.join(root, "n" * 252))
    expect_errno(errno.ENAMETOOLONG, write, os.path.join(root, "n" * 253))
    write(os.path.join(root, "naïve ☃ name"))
    assert "naïve ☃ name" in os.listdir(root)


@check
def large_directory_listing_and_removal(root):
    d = os.path.join(root, "big-dir")
    os.mkdir(d)
    names = {f"entry-{i:05d}-{'x' * (i % 50)}" for i in range(1500)}
    for name in names:
        os.close(os.open(os.path.join(d, name), os.O_CREAT | os.O_WRONLY, 0o644))
    listed = os.listdir(d)
    assert len(listed) == len(names) and set(listed) == names, f"{len(listed)} listed, {len(names)} made"
    # Delete while listing: every entry is still seen exactly once.
    seen = []
    with os.scandir(d) as entries:
        for entry in entries:
            seen.append(entry.name)
            os.unlink(entry.path)
    assert len(seen) == len(set(seen)), "an entry was listed twice"
    assert os.listdir(d) == []
    os.rmdir(d)


@check
def sparse_files(root):
    path = os.path.join(root, "sparse")
    with open(path, "wb") as out:
        out.seek(50 * 1024 * 1024)
        out.write(b"tail")
    info = os.stat(path)
    assert info.st_size == 50 * 1024 * 1024 + 4
    assert info.st_blocks * 512 < 1024 * 1024, f"{info.st_blocks} blocks for a sparse file"
    with open(path, "rb") as source:
        source.seek(25 * 1024 * 1024)
        assert source.read(4096) == bytes(4096)


def _churn(directory, number, rounds):
    # A count of rounds, not a time: a slow machine races the same work, only longer.
    for counter in range(rounds):
        path = os.path.join(directory, f"c{number}-{counter % 5}")
        with open(path, "wb") as out:
            out.write(b"x" * (counter % 7000))
        os.unlink(path)


def _race_reader(directory, churning, errors):
    # Reads as long as the churners run (at least one pass).
    first = True
    while first or churning.is_set():
        first = False
        for name in os.listdir(directory):
            try:
                os.stat(os.path.join(directory, name))
                with open(os.path.join(directory, name), "rb") as source:
                    source.read()
            except FileNotFoundError:
                pass
            except OSError as error:
                errors.put(repr(error))
                return


@check
def reused_node_ids_never_give_eio(root):
    # Node ids come back lowest-free: files deleted while others look them up must read as gone
    # (ENOENT), never as a broken inode (EIO).
    import multiprocessing
    directory = os.path.join(root, "churn")
    os.mkdir(directory)
    errors = multiprocessing.Queue()
    churning = multiprocessing.Event()
    churning.set()
    churners = [multiprocessing.Process(target=_churn, args=(directory, n, 600)) for n in range(3)]
    readers = [multiprocessing.Process(target=_race_reader, args=(directory, churning, errors)) for _ in range(3)]
    for worker in readers + churners:
        worker.start()
    for worker in churners:
        worker.join()
    churning.clear()
    for worker in readers:
        worker.join()
    assert errors.empty(), f"a reader failed: {errors.get()}"


@check
def locks_work(root):
    import fcntl
    path = os.path.join(root, "locked")
    write(path)
    with open(path, "r+b") as handle:
        fcntl.lockf(handle, fcntl.LOCK_EX)
        fcntl.flock(handle, fcntl.LOCK_EX)
        fcntl.flock(handle, fcntl.LOCK_UN)
        fcntl.lockf(handle, fcntl.LOCK_UN)


def main():
    root = sys.argv[1]
    failures = 0
    for function in CHECKS:
        started = time.time()
        try:
            function(root)
            print(f"ok   {function.__name__} ({time.time() - started:.1f} s)")
        except Exception as error:
            failures += 1
            print(f"FAIL {function.__name__}: {error!r}")
            traceback.print_exc(file=sys.stdout)
    print(f"semantics: {len(CHECKS) - failures}/{len(CHECKS)} checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
