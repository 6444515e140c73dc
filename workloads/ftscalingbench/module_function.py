# ftscalingbench's `module_function`: a Python function called per
# iteration as an attribute of its own module, found at set-up through
# sys.modules[__name__]. Shares the module object and its dict (the
# globals) besides the function: the attribute load counts the module and
# the function on every iteration unless they are immortal (3.13t at the
# first thread start) or deferred. Hurts counting that increfs the module
# atomically; compare with `pyfunction`, which loads the same kind of
# function as a global.
import sys

N = 1000000


def double(x):
    return x + x


module = sys.modules[__name__]


def work(n):
    total = 0
    for i in range(n):
        total += module.double(i)
    return total


def expect(n):
    # Twice the sum below n.
    t = 0
    for i in range(n):
        t += i + i
    return t
