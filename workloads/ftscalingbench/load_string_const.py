# ftscalingbench's `load_string_const`: an int compared with a str constant
# per iteration (never equal). Shares the constant: 3.6 counts it on every
# LOAD_CONST (a shared interned str: atomic and biased counting contend on
# it), 3.12+ has it immortal (marshal interns it) and counts nothing. The
# comparison goes int's then str's tp_richcompare, both NotImplemented (a
# shared static in 3.6, counted twice each), then identity.
N = 1000000


def work(n):
    accu = 0
    for i in range(n):
        if i == 'a string':
            accu += 7
        else:
            accu += 1
    return accu


def expect(n):
    return n
