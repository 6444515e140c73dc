# ftscalingbench's `object_cfunction`: C methods of a list that is the
# thread's own — pop(0), append(i), a subscript — per iteration. What is
# shared is the list type's method descriptors (`pop`, `append`; 3.6 binds
# each per call, 3.13 calls the descriptor) and the small ints the list
# holds and pops. Hurts counting that contends on those: plain atomic
# counting on the descriptors and on the cached small int 1 (3.6's are
# mortal), and 3.13t's per-object locks taken by every pop and append, even
# uncontended. pop(0) moves the list's 99 other items each time.
N = 1000000


def work(n):
    accu = 0
    tab = [1] * 100
    for i in range(n):
        tab.pop(0)
        tab.append(i)
        accu += tab[50]
    return accu


def expect(n):
    # Iteration i reads a 1 while i < 49, then i - 49.
    if n <= 49:
        return n
    t = 49
    for i in range(n - 49):
        t += i
    return t
