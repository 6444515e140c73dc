# ftscalingbench's `thread_local_read`: five reads per iteration of an
# attribute of a threading.local that every thread shares, each thread
# having stored its own value first. What is shared is the local object —
# every read pushes it (LOAD_FAST's incref) — and, on 3.13, the local's dict
# of per-thread dicts, looked up per read; 3.6 finds the thread's dict
# through the thread state instead, and shares only the bool its name test
# makes and the small int read. Hurts counting that contends on the one
# local object: plain atomic counting, and biased counting for every thread
# but the one that made it (3.13t does not immortalise it).
import threading

N = 500000

tl = threading.local()


def work(n):
    tmp = tl
    tmp.x = 10
    _ = 0
    for i in range(n):
        _ = tmp.x
        _ = tmp.x
        _ = tmp.x
        _ = tmp.x
        _ = tmp.x
    return _


def expect(n):
    # The thread's own value, read back.
    return 10 if n > 0 else 0
