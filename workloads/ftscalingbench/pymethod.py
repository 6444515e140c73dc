# ftscalingbench's `pymethod`: a method called on an instance each thread
# makes for itself (nothing of the instance is shared), doing `self.i += 1`.
# Shares only the class and its function: 3.6 makes a bound method per call
# (an allocation, and counts on the class's function), 3.13 calls without
# one (LOAD_ATTR_METHOD_WITH_VALUES, specialised; 3.13t does not
# specialise). Should hurt a strategy that counts the shared function
# atomically (atomic, the Gilectomy's), not biased or deferred counting.
class Counter(object):
    def __init__(self):
        self.i = 0

    def next_number(self):
        self.i += 1
        return self.i


N = 1000000


def work(n):
    c = Counter()
    for i in range(n):
        c.next_number()
    return c.i


def expect(n):
    return n
