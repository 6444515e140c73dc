# ftscalingbench's `pyfunction` (CPython's Tools/ftscalingbench): a
# module-level function called in a loop by every thread. Shares the
# function, its code object and the module's globals: every call counts the
# function (3.6: the frame's f_func-less call still increfs the globals and
# code; 3.13: the frame holds the function) unless it is deferred or
# immortal — plain atomic counting contends on one line per call, biased
# counting moves that to the shared count, 3.13t immortalises the function
# at the first thread start, nogil defers it.
N = 1000000


def next_number(i):
    return i + 1


def work(n):
    accu = 0
    for i in range(n):
        accu = next_number(i)
    return accu


def expect(n):
    return n
