# create_closure: a function made and called in every iteration
# (ftscalingbench's create_closure).
#
# Sharing pattern: every thread makes a new function object from the same
# code object, in the same module, each iteration, calls it once and drops
# it. The new function is private; what it refers to is shared: its code,
# the module's globals and the builtins, whose counts PyFunction_New
# increments and func_dealloc decrements (plus its name and qualname, which
# are interned). The result is the number of calls, n.
#
# Hurts: counting on the shared code and module dicts. Under atomic or
# biased counting every thread writes the same three counts twice per
# iteration: the lines bounce between cores. 3.13t avoids it by making code
# objects and module dicts immortal when the first thread starts; 3.14t,
# which no longer does, defers them and counts these references per thread
# (gh-124218). nogil-3.9 defers the code and the dicts but counts the new
# function's references to them. A GIL serialises the loop; the allocator
# sees one function (and on 3.6 one frame) per iteration, made and freed on
# the same thread.
def work(n):
    total = 0
    for i in range(n):
        def foo(x):
            return x
        total += foo(1)
    return total


N = 800000


def expect(n):
    return n
