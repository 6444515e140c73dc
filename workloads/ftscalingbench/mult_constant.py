# ftscalingbench's `mult_constant`: a local float multiplied by a float
# constant per iteration. Shares the constant 1.01 (3.13t makes code
# constants immortal; 3.13 and 3.6 count it on every LOAD_CONST). Each
# iteration makes a new float and frees the old one: the float freelist
# (per thread in 3.13t, the interpreter's under 3.13's GIL) or the
# allocator. Hurts counting that contends on the shared constant.
N = 6000000


def work(n):
    x = 1.0
    for i in range(n):
        x *= 1.01
    # 1.01 ** n overflows to inf past n = 71,000 or so, as in
    # ftscalingbench; the result only says the loop ran.
    if x > 1.0:
        return n
    return 0


def expect(n):
    return n
