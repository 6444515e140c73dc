# shared_list: every thread iterates one shared list of mortal ints.
#
# Sharing pattern: L is built once, on the main thread, at import: 100 ints
# 1000..1099 (above 256, so not small ints: ordinary mortal objects). Each
# work iteration makes an iterator over L (increfs the shared list), and
# every item it yields is increfed into a local and decrefed when the next
# one replaces it: per iteration, 100 increfs and 100 decrefs on objects
# that every thread touches at once.
#
# Hurts: atomic counting (each item's count is a contended cache line);
# biased counting hardest of the cheap schemes, because the owner of every
# item is the main thread, which is idle: every worker's count op is the
# slow, shared path. Immortal objects do not help (the ints are not small);
# deferred counting does not help (ints and lists are not deferred). A GIL
# serialises it. Buffered counting logs 200 ops per iteration per thread,
# all on shared objects. No dict traffic in the loop.
L = []
for i in range(1000, 1100):
    L.append(i)


def work(n):
    total = 0
    for i in range(n):
        for x in L:
            total += x
    return total


N = 80000


def expect(n):
    s = 0
    for x in range(1000, 1100):
        s += x
    total = 0
    for i in range(n):
        total += s
    return total
