#!/usr/bin/env python3
"""Overwrites COUNT random bytes of an image, in blocks FIRST..LAST-1 (4096-byte blocks), from a
seed. Original test code for RedoxFSKit.

    corrupt.py IMAGE SEED [COUNT] [FIRST] [LAST]
"""
import random
import sys


def main():
    path, seed = sys.argv[1], int(sys.argv[2])
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 400
    rng = random.Random(seed)
    with open(path, "r+b") as image:
        image.seek(0, 2)
        blocks = image.tell() // 4096
        first = int(sys.argv[4]) if len(sys.argv) > 4 else 257
        last = min(blocks, int(sys.argv[5]) if len(sys.argv) > 5 else blocks)
        for _ in range(count):
            image.seek(rng.randrange(first, last) * 4096 + rng.randrange(4096))
            image.write(bytes([rng.randrange(256)]))


if __name__ == "__main__":
    main()
