#!/usr/bin/env python3
"""Writes, rewrites and deletes files on a mount until the mount dies (its daemon is killed),
keeping a journal on another file system of what was made durable with fsync. After a remount,
`--verify` checks that everything the journal calls durable is there, exactly.
Original test code for RedoxFSKit.

    crashwriter.py DIR JOURNAL            write until an error (the mount is gone)
    crashwriter.py DIR JOURNAL --verify   check a remounted DIR against the journal

DIR must exist already (made on the mount by the caller): the writer never creates it, so once
the mount is gone it cannot write into the directory underneath. It also stops by itself after
20,000 operations or 20 minutes (a hang guard: the test kills the mount long before).
"""
import hashlib
import os
import random
import sys
import time


def data_for(name, generation):
    rng = random.Random(f"{name}:{generation}")
    length = rng.choice((0, 10, 3000, 5000, 131072, 200000, 700000))
    return rng.randbytes(length)


def write(directory, journal):
    rng = random.Random(42)
    live = {}  # name -> generation, durable or not
    counter = 0

    def note(line):
        journal.write(line + "\n")
        journal.flush()
        os.fsync(journal.fileno())

    started = time.time()
    try:
        while counter < 20000 and time.time() - started < 1200:
            counter += 1
            action = rng.random()
            if live and action < 0.15:
                name = rng.choice(sorted(live))
                note(f"dirty {name}")
                os.unlink(os.path.join(directory, name))
                del live[name]
                # Any fsync commits everything, the removal included.
                fd = os.open(directory, os.O_RDONLY)
                os.fsync(fd)
                os.close(fd)
                note(f"deleted {name}")
                continue
            if live and action < 0.4:
                name = rng.choice(sorted(live))
                generation = live[name] + 1
            else:
                name = f"file-{counter:06d}"
                generation = 0
            data = data_for(name, generation)
            note(f"dirty {name}")
            fd = os.open(os.path.join(directory, name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.write(fd, data)
            live[name] = generation
            if rng.random() < 0.7:
                os.fsync(fd)
                os.close(fd)
                note(f"durable {name} {hashlib.sha256(data).hexdigest()}")
            else:
                os.close(fd)
    except OSError as error:
        print(f"crashwriter: stopped after {counter} operations: {error}")
        return 0
    print(f"crashwriter: stopped after {counter} operations without an error (the mount never died)")
    return 1


def verify(directory, journal_path):
    state = {}
    with open(journal_path) as journal:
        for line in journal:
            parts = line.split()
            if len(parts) >= 2:
                state[parts[1]] = parts
    durable = missing = wrong = survived = 0
    for name, parts in sorted(state.items()):
        path = os.path.join(directory, name)
        if parts[0] == "durable":
            durable += 1
            try:
                with open(path, "rb") as source:
                    digest = hashlib.sha256(source.read()).hexdigest()
            except FileNotFoundError:
                print(f"verify: durable file {name} is missing")
                missing += 1
                continue
            if digest != parts[2]:
                print(f"verify: durable file {name} has other content")
                wrong += 1
        elif parts[0] == "deleted" and os.path.exists(path):
            print(f"verify: deleted file {name} is back")
            survived += 1
    print(f"verify: {durable} durable files checked, {missing} missing, {wrong} wrong, {survived} deleted ones back")
    return 1 if missing or wrong or survived else 0


def main():
    directory, journal_path = sys.argv[1], sys.argv[2]
    if "--verify" in sys.argv:
        return verify(directory, journal_path)
    if not os.path.isdir(directory):
        print(f"crashwriter: {directory} does not exist")
        return 1
    with open(journal_path, "a") as journal:
        return write(directory, journal)


if __name__ == "__main__":
    sys.exit(main())
