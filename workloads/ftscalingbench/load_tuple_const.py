# ftscalingbench's `load_tuple_const`: an int compared with a tuple
# constant per iteration (never equal). Shares the constant tuple: 3.6
# counts it on every LOAD_CONST; 3.13t makes code constants immortal
# (gh-117783), 3.13 with the GIL counts it. As load_string_const, the
# comparison meets NotImplemented twice and falls back to identity.
N = 1000000


def work(n):
    accu = 0
    for i in range(n):
        if i == (1, 2):
            accu += 7
        else:
            accu += 1
    return accu


def expect(n):
    return n
