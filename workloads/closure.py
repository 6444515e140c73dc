# closure: every thread calls one shared closure.
#
# Sharing pattern: ADD is a nested function made once at import by
# make_adder(1): a closure with one cell holding 1. Every thread calls it
# in a loop, feeding back its own running total: per call the shared
# function object's count goes up and down (the global load, the call),
# the shared cell is increfed into the new frame and decrefed when it
# dies, and the cell's content is increfed by LOAD_DEREF. The sums are
# the thread's own fresh ints.
#
# Hurts: deferred counting, which covers module-level functions but NOT
# nested functions and closures (nogil): ADD and its cell are counted like
# any object, so unlike fib the shared function's count is hot. Atomic
# counting and biased counting (ADD and its cell are owned by the idle
# main thread) pay on every call; immortal objects cover only the cell's
# content (1 is a small int). Dict locks: one module-dict read per call.
# Per-thread heaps: the sums are made and freed locally.
def make_adder(k):
    def add(x):
        return x + k
    return add


ADD = make_adder(1)


def work(n):
    total = 0
    for i in range(n):
        total = ADD(total)
    return total


N = 2500000


def expect(n):
    return n
