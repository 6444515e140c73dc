# shared_method: every thread calls a method on ONE shared instance.
#
# Sharing pattern: OBJ, a Box made on the main thread at import, is used by
# all threads at once. `OBJ.get()` loads OBJ from the module dict, and
# LOAD_ATTR makes a bound method holding OBJ and Box.get: per call the
# instance's count goes up and down several times (the global load, the
# bound method, the frame's `self`), and get itself reads an attribute
# from OBJ's instance dict. The value returned is the small int 1, so work(n) is n.
#
# Hurts: atomic counting (OBJ's count is the one hot cache line); biased
# counting, because OBJ's owner is the idle main thread, so every thread's
# ops on it are the shared, atomic ones. Deferred counting covers Box.get
# (a function) and the module dict but NOT the instance, so it still pays
# for OBJ. Immortal objects do not help (OBJ is an ordinary object). Dict
# locks: a read of the module dict and of OBJ's instance dict per call.
# Per-thread heaps: each bound method is made and freed on its own thread.
class Box(object):
    def __init__(self, step):
        self.step = step

    def get(self):
        return self.step


OBJ = Box(1)


def work(n):
    total = 0
    for i in range(n):
        total += OBJ.get()
    return total


N = 2000000


def expect(n):
    return n
