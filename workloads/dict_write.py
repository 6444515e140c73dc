# dict_write: every thread writes one shared dict.
#
# Sharing pattern: each work iteration stores the int i that this thread's
# range made (1000 and up: mortal, above 256) under each of the 4 shared
# str keys of D. A store decrefs the value it replaces, which another
# thread usually made: the int is freed on whichever thread overwrote it
# last. The result counts only local things (the sum of this thread's own
# i), so it is deterministic whatever the other threads write.
#
# Hurts: dict locks (every store takes the dict's lock, in nogil and the
# Gilectomy alike, and the lock's cache line bounces); per-thread heaps
# (the freed ints are mostly another thread's blocks: remote frees);
# biased counting (a thread's ints are decrefed to zero by other threads:
# queued to the owner, so objects die late and the owner must merge).
# Atomic counting pays for every store's incref and the replaced value's
# decref. Immortal objects cover only the keys. A GIL serialises it.
D = {'a': 0, 'b': 0, 'c': 0, 'd': 0}
KEYS = ('a', 'b', 'c', 'd')

# Objects made by one thread are counted and freed by another: rclab
# refuses this workload under counting that allows no such thing
# (shared_immortal's plain counts).
CROSSES_THREADS = True


def work(n):
    total = 0
    for i in range(1000, n + 1000):
        for k in KEYS:
            D[k] = i
        total += i
    return total


N = 200000


def expect(n):
    total = 0
    for i in range(1000, n + 1000):
        total += i
    return total
