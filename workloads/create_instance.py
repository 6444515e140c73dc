# create_instance: an instance of a module-level class made and dropped in
# every iteration (ftscalingbench's create_pyobject).
#
# Sharing pattern: every thread instantiates the same class, which every
# instance refers to: the class's count is incremented when an instance is
# made and decremented when it dies, by every thread, every iteration. The
# instance itself is private. The result is the number of instances, n.
#
# Hurts: counting on the shared class. Atomic and biased counting write the
# class's count from every thread (one contended line). 3.13t makes heap
# types immortal at the first thread start; 3.14t defers them and counts
# an instance's reference to its type per thread (_Py_INCREF_TYPE). A GIL
# serialises the loop; the allocator makes and frees one instance per
# iteration on the same thread.
class MyObject(object):
    pass


def work(n):
    total = 0
    for i in range(n):
        o = MyObject()
        total += 1
    return total


N = 1200000


def expect(n):
    return n
