#!/usr/bin/env python3
"""Small random reads of a few records of one file from several threads at once, dropping the
file's pages from the kernel's cache now and then, so that READs and the daemon's stores of the
rest of their records (`notify_store`) overlap on the same pages. Original test code for RedoxFSKit.

    storereader.py make FILE PAGES           write the pattern file (PAGES pages of 4 KiB)
    storereader.py read FILE PAGES THREADS READS SEED
    storereader.py check FILE PAGES          read the whole file once, in order, against the pattern

`read` checks every page it reads against the pattern and prints "progress N" (reads done so far,
all threads) every 100 reads. It stops after READS reads per thread, or at the first error once
the mount is gone (a read failing with ENOTCONN, ENODEV or EIO ends the thread quietly: the test
stops the daemon under it). It prints "done N" at its end, and "wrong page P" for a page that is
not the pattern's (then it exits 1).
"""
import os
import random
import sys
import threading

PAGE = 4096


def pattern(index):
    return random.Random(index * 7919 + 13).randbytes(PAGE)


def make(path, pages):
    with open(path, "wb") as file:
        for index in range(pages):
            file.write(pattern(index))
        file.flush()
        os.fsync(file.fileno())


def read(path, pages, threads, reads, seed):
    expected = [pattern(index) for index in range(pages)]
    lock = threading.Lock()
    state = {"done": 0, "wrong": None}

    def work(number):
        rng = random.Random(seed * 1000 + number)
        try:
            descriptor = os.open(path, os.O_RDONLY)
        except OSError:
            return
        try:
            for count in range(reads):
                if count % 8 == 7:
                    os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
                index = rng.randrange(pages)
                data = os.pread(descriptor, PAGE, index * PAGE)
                if data != expected[index]:
                    with lock:
                        state["wrong"] = index
                    return
                with lock:
                    state["done"] += 1
                    if state["done"] % 100 == 0:
                        print(f"progress {state['done']}", flush=True)
        except OSError:
            return
        finally:
            os.close(descriptor)

    workers = [threading.Thread(target=work, args=(number,)) for number in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if state["wrong"] is not None:
        print(f"wrong page {state['wrong']}", flush=True)
        return 1
    print(f"done {state['done']}", flush=True)
    return 0


def check(path, pages):
    with open(path, "rb") as file:
        for index in range(pages):
            if file.read(PAGE) != pattern(index):
                print(f"wrong page {index}", flush=True)
                return 1
        if file.read(1):
            print("longer than the pattern", flush=True)
            return 1
    return 0


def main(arguments):
    if len(arguments) == 3 and arguments[0] == "make":
        make(arguments[1], int(arguments[2]))
        return 0
    if len(arguments) == 3 and arguments[0] == "check":
        return check(arguments[1], int(arguments[2]))
    if len(arguments) == 6 and arguments[0] == "read":
        return read(arguments[1], int(arguments[2]), int(arguments[3]), int(arguments[4]), int(arguments[5]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
