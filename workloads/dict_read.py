# dict_read: every thread reads one shared dict with str keys.
#
# Sharing pattern: D, a dict literal with 8 str keys and mortal int values
# (1001..1008, above 256), is only read: each work iteration looks up every
# key of the tuple KEYS. Each lookup reads the shared dict's table and
# increfs the value it returns (decrefed once added): the values' counts
# and the dict's table are shared by every thread.
#
# Hurts: dict locks most: the Gilectomy's lock per dict takes and releases
# one shared lock per read (a cache line written by every reader), where
# nogil's optimistic reads only read the dict's version. Atomic counting and
# biased counting (values owned by the idle main thread) pay for the
# values' counts; immortal objects cover the keys (interned strs) but not
# the values. Deferred counting does not cover a plain dict or its values.
D = {'alpha': 1001, 'beta': 1002, 'gamma': 1003, 'delta': 1004,
     'epsilon': 1005, 'zeta': 1006, 'eta': 1007, 'theta': 1008}
KEYS = ('alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta')


def work(n):
    total = 0
    for i in range(n):
        for k in KEYS:
            total += D[k]
    return total


N = 500000


def expect(n):
    total = 0
    for i in range(n):
        total += 8036
    return total
