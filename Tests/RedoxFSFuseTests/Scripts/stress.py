#!/usr/bin/env python3
"""Concurrent writers and readers on one mount. Each writer process makes, checks, renames,
rewrites, appends to and deletes its own files, in its own directory and in a directory all
writers share; every file's content is a function of its name, and a file appears under its
final name only by rename, complete. Reader processes list the directories and read whatever
they find at the same time; everything they can open under a final name must be complete and
correct. At the end the surviving files are recorded (`--record`) or compared with the record
(`--verify`, after a remount). Original test code for RedoxFSKit.

    stress.py ROOT --writers 8 --readers 3 --rounds 150 --record STATE.json
    stress.py ROOT --verify STATE.json
"""
import argparse
import hashlib
import json
import multiprocessing
import os
import random
import sys
import time


def content(name, generation):
    """The bytes file `name` holds at `generation`: 0 to 300 KiB, from its name."""
    seed = hashlib.sha256(f"{name}/{generation}".encode()).digest()
    length = int.from_bytes(seed[:4], "little") % (300 * 1024)
    if seed[4] % 4 == 0:
        length %= 3968  # inline-sized now and then
    if seed[5] % 3 == 0:
        line = f"{name} generation {generation}\n".encode()
        return (line * (length // len(line) + 1))[:length]  # compressible
    return random.Random(seed).randbytes(length)


def final_name(writer, index, generation):
    return f"w{writer}-f{index:04d}-g{generation}"


def parse(name):
    # w3-f0012-g2 -> content is content(name, generation)
    try:
        generation = int(name.rsplit("-g", 1)[1])
    except (IndexError, ValueError):
        return None
    return generation


def write_file(directory, name, generation, rng):
    data = content(name, generation)
    temporary = os.path.join(directory, f".tmp-{name}-{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        offset = 0
        while offset < len(data):
            chunk = rng.choice((1, 100, 4096, 65536, 131072, 200000))
            offset += os.write(fd, data[offset:offset + chunk])
        if rng.random() < 0.2:
            os.fsync(fd)
    finally:
        os.close(fd)
    with open(temporary, "rb") as source:
        if source.read() != data:
            raise RuntimeError(f"read-back of {temporary} differs")
    os.rename(temporary, os.path.join(directory, name))


def writer(root, number, rounds, seed, results):
    rng = random.Random(seed * 1000 + number)
    own = os.path.join(root, f"writer-{number}")
    shared = os.path.join(root, "shared")
    os.makedirs(own, exist_ok=True)
    files = {}  # path -> generation
    try:
        for round_number in range(rounds):
            directory = own if rng.random() < 0.6 else shared
            index = rng.randrange(40)
            action = rng.random()
            existing = [p for p in files if os.path.basename(p).startswith(f"w{number}-f{index:04d}-")]
            if existing and action < 0.25:
                path = existing[0]
                os.unlink(path)
                del files[path]
            elif existing and action < 0.45:
                # Replace with the next generation (new name by rename over nothing, old removed).
                path = existing[0]
                generation = files.pop(path) + 1
                name = final_name(number, index, generation)
                write_file(os.path.dirname(path), name, generation, rng)
                os.unlink(path)
                files[os.path.join(os.path.dirname(path), name)] = generation
            elif existing and action < 0.55:
                path = existing[0]
                with open(path, "rb") as source:
                    if source.read() != content(os.path.basename(path), files[path]):
                        raise RuntimeError(f"{path} changed under its writer")
            elif not existing:
                name = final_name(number, index, 0)
                write_file(directory, name, 0, rng)
                files[os.path.join(directory, name)] = 0
        for path, generation in files.items():
            with open(path, "rb") as source:
                if source.read() != content(os.path.basename(path), generation):
                    raise RuntimeError(f"{path}: final content is wrong")
        results.put(("writer", number, None, sorted(files.items())))
    except Exception as error:  # reported to the parent
        results.put(("writer", number, f"{type(error).__name__}: {error}", []))


def reader(root, number, stop, results):
    checked = 0
    try:
        while not stop.is_set():
            for directory in sorted(os.listdir(root)):
                full = os.path.join(root, directory)
                try:
                    names = os.listdir(full)
                except FileNotFoundError:
                    continue
                for name in names:
                    if name.startswith(".tmp-"):
                        continue
                    generation = parse(name)
                    if generation is None:
                        continue
                    try:
                        with open(os.path.join(full, name), "rb") as source:
                            data = source.read()
                    except FileNotFoundError:
                        continue  # deleted between listing and opening
                    if data != content(name, generation):
                        raise RuntimeError(f"reader saw {directory}/{name} with {len(data)} wrong bytes")
                    checked += 1
        results.put(("reader", number, None, checked))
    except Exception as error:
        results.put(("reader", number, f"{type(error).__name__}: {error}", checked))


def run(arguments):
    os.makedirs(os.path.join(arguments.root, "shared"), exist_ok=True)
    results = multiprocessing.Queue()
    stop = multiprocessing.Event()
    writers = [multiprocessing.Process(target=writer, args=(arguments.root, n, arguments.rounds, arguments.seed, results))
               for n in range(arguments.writers)]
    readers = [multiprocessing.Process(target=reader, args=(arguments.root, n, stop, results))
               for n in range(arguments.readers)]
    started = time.time()
    for process in writers + readers:
        process.start()
    outcomes = [results.get(timeout=arguments.timeout) for _ in writers]
    stop.set()
    outcomes += [results.get(timeout=arguments.timeout) for _ in readers]
    for process in writers + readers:
        process.join(timeout=60)
    failures = [o for o in outcomes if o[2] is not None]
    state = {}
    for kind, number, error, payload in outcomes:
        if kind == "writer":
            for path, generation in payload:
                state[os.path.relpath(path, arguments.root)] = hashlib.sha256(content(os.path.basename(path), generation)).hexdigest()
    checked = sum(o[3] for o in outcomes if o[0] == "reader")
    for failure in failures:
        print(f"stress: {failure[0]} {failure[1]} failed: {failure[2]}")
    # Nothing but the recorded files may remain (temporaries included).
    present = set()
    for directory, _, names in os.walk(arguments.root):
        for name in names:
            present.add(os.path.relpath(os.path.join(directory, name), arguments.root))
    extra = present - set(state)
    missing = set(state) - present
    for path in sorted(extra)[:10]:
        print(f"stress: unexpected file {path}")
    for path in sorted(missing)[:10]:
        print(f"stress: missing file {path}")
    if arguments.record:
        with open(arguments.record, "w") as out:
            json.dump(state, out, indent=1, sort_keys=True)
    print(f"stress: {arguments.writers} writers x {arguments.rounds} rounds, {arguments.readers} readers "
          f"({checked} files read and verified), {len(state)} files remain, {time.time() - started:.1f} s")
    return 1 if failures or extra or missing else 0


def verify(arguments):
    with open(arguments.verify) as source:
        state = json.load(source)
    bad = 0
    for path, digest in sorted(state.items()):
        with open(os.path.join(arguments.root, path), "rb") as data:
            if hashlib.sha256(data.read()).hexdigest() != digest:
                print(f"verify: {path} differs")
                bad += 1
    print(f"verify: {len(state)} files, {bad} bad")
    return 1 if bad else 0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("root")
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--readers", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=150)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=int, default=1200)
    parser.add_argument("--record")
    parser.add_argument("--verify")
    arguments = parser.parse_args()
    return verify(arguments) if arguments.verify else run(arguments)


if __name__ == "__main__":
    sys.exit(main())
