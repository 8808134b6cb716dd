#!/usr/bin/env python3
"""Reference data for OutputTests, computed independently of the Swift code.

- sha256_vectors.csv: hashlib.sha256 of deterministic pseudo-random messages whose lengths cross
  the 55/56/64-byte padding boundaries and span several blocks. A message of length L is bytes
  (i * 131 + L * 7) % 256 for i in 0..<L, so the test can rebuild it.
- shortest_doubles.csv: Python's repr (David Gay's shortest round-trip, nearest among shortest)
  of doubles from seeded random bit patterns, as (bits in hex, repr). The test compares the
  significant digits and decimal exponent with formatNumber, whose layout differs from repr's.

Run: python3 make_fixtures.py   (Python 3.8+; no packages)
"""
import hashlib
import random
import struct

def message(length):
    return bytes((i * 131 + length * 7) % 256 for i in range(length))

with open("sha256_vectors.csv", "w", newline="\n") as out:
    out.write("LENGTH,SHA256\n")
    for length in list(range(0, 130)) + [191, 192, 193, 1000, 4095, 4096, 4097, 100000]:
        out.write(f"{length},{hashlib.sha256(message(length)).hexdigest()}\n")

rng = random.Random(20240601)
with open("shortest_doubles.csv", "w", newline="\n") as out:
    out.write("BITS,REPR\n")
    count = 0
    while count < 5000:
        if count % 2 == 0:
            bits = rng.getrandbits(64)  # any finite double, all exponents
        else:  # values of ordinary size, as results mostly are
            x = rng.uniform(-1000, 1000) * 10 ** rng.randint(-6, 6)
            bits = struct.unpack("<Q", struct.pack("<d", x))[0]
        x = struct.unpack("<d", struct.pack("<Q", bits))[0]
        if x != x or x in (float("inf"), float("-inf")):
            continue
        out.write(f"{bits:016x},{x!r}\n")
        count += 1
