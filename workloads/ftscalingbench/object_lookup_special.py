# ftscalingbench's `object_lookup_special`: round() of a float per
# iteration, which finds float.__round__ on the float's type
# (_PyObject_LookupSpecial), binds it to the float in a new builtin method,
# calls it and drops it. Shares the builtin `round` and float's __round__
# method descriptor (3.13 increfs it on every lookup; 3.13t immortalises
# method descriptors at the first thread start; 3.6 borrows it) and, through
# i / n, makes two floats per iteration. Hurts counting that contends on the
# shared descriptor and function, and allocators without a float freelist.
N = 1000000


def work(n):
    t = 0
    for i in range(n):
        t += round(i / n)
    return t


def expect(n):
    # round(i / n) is 1 from i / n > 0.5 (0.5 itself rounds to even, 0).
    t = 0
    for i in range(n):
        if i + i > n:
            t += 1
    return t
