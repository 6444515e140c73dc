# A module-level cache keyed by ints, read by every thread with `CACHE[k]`:
# eight reads per iteration of one dict all threads share, whose values are
# mortal ints. Shares the dict, its keys object and the values: 3.13t reads
# it lock-free (_Py_dict_lookup_threadsafe: a try-incref of the value and a
# re-check), so what contends is the values' counts (biased counting's
# shared field, atomic counting's one line per value); a dict lock that
# locks readers (the Gilectomy's) serialises every read. Its twin
# cache_get.py reads the same cache with CACHE.get(k).
N = 200000

KEYS = (1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007)
CACHE = {}
for k in KEYS:
    CACHE[k] = k + 1000


def work(n):
    total = 0
    for i in range(n):
        for k in KEYS:
            total += CACHE[k]
    return total


def expect(n):
    return 16028 * n
