# ftscalingbench's `method_caller`: an operator.methodcaller("func") called
# per iteration on an instance of a class with `__slots__ = ()`, both the
# thread's own. What is shared is the class's function `func` and its code:
# 3.13 looks the method up unbound and increfs the function around the call
# (PyObject_VectorcallMethod); 3.13t calls through methodcaller's tp_call,
# which binds the function to the instance in a new method object, and 3.6
# does the same. 3.13t immortalises the function at the first thread start.
# Hurts counting that increfs the shared function atomically.
import operator

N = 1000000


class MyClass(object):
    __slots__ = ()

    def func(self):
        pass


def work(n):
    mc = operator.methodcaller("func")
    obj = MyClass()
    for i in range(n):
        mc(obj)
    return n


def expect(n):
    return n
