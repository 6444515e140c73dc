# fib: Hastings' Gilectomy benchmark, the workload rclab started with.
#
# Sharing pattern: every thread calls the same module-level function,
# recursively: each call loads `fib` from the shared module dict (a read of
# one shared dict), increfs and decrefs the one shared function object and
# its code, and makes and frees a frame. The ints are small (n < 2 returns
# the constant 1; the sums stay in fib's few hundred thousand) and mostly
# thread-local.
#
# Hurts: atomic counting most (two atomic RMWs on the shared function per
# call, one cache line bounced between cores); a GIL (serialised). Biased
# counting helps little: the function was made by the main thread, so every
# worker is a non-owner and counts it atomically. Deferred counting (nogil)
# is what wins here: module-level functions and code objects are deferred,
# so the hot counts are never touched. Immortal objects cover only the
# small-int constants. Dict locks: one read of the module dict per call.
def fib(n):
    if n < 2: return 1
    return fib(n-1) + fib(n-2)


work = fib

N = 25


def expect(n):
    a = 1
    b = 1
    for i in range(1, n):
        c = a + b
        a = b
        b = c
    return b
