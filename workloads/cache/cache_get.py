# A module-level cache keyed by ints, read by every thread with
# `CACHE.get(k)`: cache_subscript.py's eight reads per iteration through the
# method instead of the subscript. Shares the dict, its keys object, the
# values and dict.get's method descriptor: CPython 3.13t runs dict.get in
# the dict's critical section (its clinic declares it @critical_section),
# so every get takes the dict's PyMutex where `CACHE[k]` reads lock-free:
# it should hurt 3.13t's object locks (`ft313`) and nothing that has a GIL.
N = 200000

KEYS = (1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007)
CACHE = {}
for k in KEYS:
    CACHE[k] = k + 1000


def work(n):
    total = 0
    for i in range(n):
        for k in KEYS:
            total += CACHE.get(k)
    return total


def expect(n):
    return 16028 * n
