# ftscalingbench's `create_dict`: a one-item dict with constant str key and
# value made and dropped per iteration, by every thread. Shares only the
# constants (interned strs: immortal from 3.12, counted in 3.6): the dict
# itself is thread-local. Hurts the allocator and dict freelists (3.13t's
# are per thread), and counting that increfs the shared constants (3.6's
# atomic or biased counting on the interned key and value).
N = 1000000


def work(n):
    t = 0
    for i in range(n):
        d = {"key": "value"}
        t += len(d)
    return t


def expect(n):
    return n
