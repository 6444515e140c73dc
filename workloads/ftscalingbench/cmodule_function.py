# ftscalingbench's `cmodule_function`: a C module's function, math.floor,
# called per iteration on an int. Shares the module `math`, its dict, its
# function `floor` and int's `__floor__` method descriptor, which
# math.floor looks up on the int's type and binds in a new builtin method
# per call (_PyObject_LookupSpecial). 3.13t immortalises modules, their
# dicts, C functions and method descriptors at the first thread start;
# 3.13 counts the module, the function and the descriptor on every call.
# Hurts counting that increfs those shared objects atomically.
import math

N = 1000000


def work(n):
    t = 0
    for i in range(n):
        t += math.floor(i * i)
    return t


def expect(n):
    # The sum of the squares below n.
    t = 0
    for i in range(n):
        t += i * i
    return t
