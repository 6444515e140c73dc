# ftscalingbench's `instantiate_namedtuple` and `instantiate_typing_namedtuple`:
# an instance of a three-field named tuple made per iteration with keyword
# arguments, x=1, y=2, z=3. The class is the one collections.namedtuple
# makes (3.7+), written out: a subclass of tuple with `__slots__ = ()` whose
# `__new__` is the one namedtuple builds with eval, `_tuple_new(_cls, (x, y,
# z))` with `_tuple_new = tuple.__new__`; the eval runs once, at class
# creation, and needs a compiler at run time, which rclab does not have.
# typing.NamedTuple makes its class with collections.namedtuple, so both
# patterns run this code per instance: real 3.13.15 (--enable-pystats)
# makes 16 increfs and 23 decrefs per iteration on this file, on
# collections.namedtuple's class and on typing.NamedTuple's alike. (3.6's
# own namedtuple looks `tuple.__new__` up per call; this file does not.)
# What is shared: the class (each instance holds a reference; 3.13t
# immortalises heap types at the first thread start), the staticmethod
# holding `__new__` and `type.__new__` (slot_tp_new's attribute lookup
# increfs and drops both), `tuple.__new__` (read from the module per call),
# none of which 3.13t defers; the keyword names. The call goes through C:
# the keywords become a dict (type_call), then a tuple of names again for
# `__new__`. Hurts counting that increfs shared objects atomically.
N = 1000000

_tuple_new = tuple.__new__


class MyNamedTuple(tuple):
    __slots__ = ()
    _fields = ('x', 'y', 'z')

    def __new__(_cls, x, y, z):
        return _tuple_new(_cls, (x, y, z))


def work(n):
    obj = MyNamedTuple(0, 0, 0)
    for _ in range(n):
        obj = MyNamedTuple(x=1, y=2, z=3)
    return obj[0] + obj[1] + obj[2]


def expect(n):
    return 6 if n > 0 else 0
