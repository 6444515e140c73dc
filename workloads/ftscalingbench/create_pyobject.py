# ftscalingbench's `create_pyobject`: an instance of an empty module-level
# class made and dropped per iteration. Shares the class: every instance
# holds a reference to its type (3.13t: the heap type immortalised at the
# first thread start; 3.14t: per-thread type counts). Hurts counting that
# increfs the shared class atomically; and the allocator and freelists, one
# object per iteration. (The built-in `create_instance` is the same pattern
# with an __init__.)
class MyObject(object):
    pass


N = 1000000


def work(n):
    t = 0
    for i in range(n):
        o = MyObject()
        t += 1
    return t


def expect(n):
    return n
