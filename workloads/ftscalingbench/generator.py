# ftscalingbench's `generator`: per iteration, a new generator of a
# module-level generator function, run to its end by a `for` loop (ten
# yields of small ints, summed). What is shared is the function (each call
# counts it: 3.6's call and frame, 3.13's f_funcobj), its code (each
# generator's frame holds it) and `range`; the generator, its frame and
# its iterator are the thread's own. 3.13t immortalises the function and
# the code at the first thread start and runs FOR_ITER's generic path
# (gen_iternext, the frame run from C); 3.13 runs FOR_ITER_GEN, the frame
# inline. Hurts counting that increfs the function and the code
# atomically from every thread.
N = 100000


def simple_gen():
    for i in range(10):
        yield i


def work(n):
    accu = 0
    for i in range(n):
        for v in simple_gen():
            accu += v
    return accu


def expect(n):
    return 45 * n
