# queue: objects handed from thread to thread through one shared queue.
#
# Sharing pattern: Q is the host's thread-safe FIFO (the global `Queue`,
# provided by whoever runs this file, not imported). Per work iteration a
# thread makes a fresh one-item list, puts it, then gets one item, often
# another thread's list, which then dies on the getting thread. Every
# thread puts before it gets, so a get never waits forever. The result is
# the sum of len() of what was got: n, whoever made the lists.
#
# Hurts: biased counting (the got object's owner is another thread: its
# incref and decrefs are the shared path, and its death is a queued decref
# the owner must merge); per-thread heaps (the list and its item array are
# freed remotely, into the maker's heap); buffered counting (an object's
# ops sit in two threads' logs). Atomic counting pays one atomic op per
# count change, uncontended. A GIL: the queue's lock plus the GIL's
# hand-overs when a get has to wait.
Q = Queue()

# Objects made by one thread are counted and freed by another: rclab
# refuses this workload under counting that allows no such thing
# (shared_immortal's plain counts).
CROSSES_THREADS = True


def work(n):
    got = 0
    for i in range(n):
        Q.put([i])
        x = Q.get()
        got += len(x)
    return got


N = 70000


def expect(n):
    return n
