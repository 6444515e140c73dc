# churn: small objects made and dropped, nothing shared.
#
# Sharing pattern: none. Per work iteration a thread builds a two-item list
# and a two-item tuple holding it and drops the previous pair: four
# allocations (list header, item array, tuple, and the int from range) and
# four frees per iteration, all on the thread that made them.
#
# Hurts: the allocator: a global allocator lock (pymalloc under the
# Gilectomy) or a shared free list; per-thread heaps win (every free is
# local), as does a per-thread tuple/list free list. Counting schemes cost
# little here: every object is private, so biased counting stays on the
# owner's fast path and atomic counting's ops are uncontended (but still
# locked instructions). A GIL serialises work that needs no lock at all.
def work(n):
    total = 0
    for i in range(n):
        x = [i, i]
        t = (x, i)
        total += len(t)
    return total


N = 2000000


def expect(n):
    return n + n
