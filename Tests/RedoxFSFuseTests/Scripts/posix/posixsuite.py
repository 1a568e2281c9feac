#!/usr/bin/env python3
"""A POSIX conformance suite for a mounted file system, organised per system call as pjdfstest
is (chmod, chown, link, mkdir, mkfifo, mknod, open, rename, rmdir, symlink, truncate, unlink,
utimensat): errno cases, time updates, permission checks as other users, sticky directories,
name and path length limits, every file type. Run as root on a mount made with
`allow_other,default_permissions`; each case runs in a fresh directory of its own.
Original test code for RedoxFSKit.

    posixsuite.py MOUNTPOINT [SYSCALL|CASE ...]

Prints one line per case and a summary per system call; exit status 1 when a case fails.
"""
import os
import shutil
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cases  # noqa: E402  (registers every case)

SYSCALLS = ["chmod", "chown", "link", "mkdir", "mkfifo", "mknod", "open", "rename", "rmdir",
            "symlink", "truncate", "unlink", "utimensat"]


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    root = os.path.abspath(sys.argv[1])
    wanted = set(sys.argv[2:])
    os.umask(0)  # modes given are modes made; the umask cases set their own
    selected = [c for c in cases.registry.CASES
                if not wanted or c.syscall in wanted or c.name in wanted]
    unknown = {c.syscall for c in selected} - set(SYSCALLS)
    assert not unknown, f"cases for unknown system calls: {unknown}"
    results = {}
    started = time.time()
    for number, item in enumerate(selected):
        work = os.path.join(root, f"{item.syscall}.{number}")
        os.mkdir(work, 0o755)
        os.chdir(work)
        try:
            item.function()
            outcome = None
        except Exception as error:  # a failed check or an unexpected error
            outcome = error
        finally:
            os.chdir(root)
            _clear(work)
        passed, failed = results.setdefault(item.syscall, [0, 0])
        if outcome is None:
            results[item.syscall][0] += 1
            print(f"ok   {item.syscall}: {item.name}")
        else:
            results[item.syscall][1] += 1
            print(f"FAIL {item.syscall}: {item.name}: {outcome}")
            if not isinstance(outcome, AssertionError):
                traceback.print_exception(outcome, file=sys.stdout)
        sys.stdout.flush()
    total_passed = sum(p for p, _ in results.values())
    total_failed = sum(f for _, f in results.values())
    print("\nper system call (passed/cases):")
    for syscall in SYSCALLS:
        if syscall in results:
            passed, failed = results[syscall]
            print(f"  {syscall:10s} {passed}/{passed + failed}")
    print(f"posixsuite: {total_passed}/{total_passed + total_failed} cases passed in {time.time() - started:.1f} s")
    return 1 if total_failed else 0


def _clear(path):
    """Removes a case's directory whatever the case left in it (modes included)."""
    for folder, directories, _ in os.walk(path):
        for name in directories:
            try:
                os.chmod(os.path.join(folder, name), 0o755)
            except OSError:
                pass
    try:
        os.chmod(path, 0o755)
    except OSError:
        pass
    shutil.rmtree(path, ignore_errors=True)
    if os.path.lexists(path):
        raise RuntimeError(f"cannot remove {path}")


if __name__ == "__main__":
    sys.exit(main())
