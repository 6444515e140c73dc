# ftscalingbench's `context_manager`: a `with` block per iteration on a new
# instance of a class whose __enter__ and __exit__ do nothing. What is
# shared is the class (each instance holds a reference) and its two
# functions, each looked up and bound to the instance in a new method
# object per block (_PyObject_LookupSpecial), then called: 3.13t
# immortalises both and the class at the first thread start; 3.13 and 3.6
# count them from every thread. Hurts counting that increfs the class and
# the functions atomically. Only the block's normal end runs: the model
# raises no exception, and 3.13's exception handlers are accepted but never
# reached.
N = 1000000


class MyContextManager(object):
    def __enter__(self):
        pass

    def __exit__(self, exc_type, exc_value, traceback):
        pass


def work(n):
    for i in range(n):
        with MyContextManager():
            pass
    return n


def expect(n):
    return n
