# ftscalingbench's `instantiate_dataclass`: an instance of a three-field
# dataclass made per iteration with keyword arguments, x=1, y=2, z=3. The
# class is the one @dataclass makes, written out: the `__init__` it
# generates (dataclasses._init_fn, run through exec) is `self.x = x` per
# field, which is what runs per instance; the exec itself runs once, at
# class creation, and needs a compiler at run time, which rclab does not
# have. What is shared is the class (each instance holds a reference:
# 3.13t immortalises heap types at the first thread start), its `__init__`
# and code, and the keyword names. The call goes through C: the keywords
# become a dict (type_call), then a tuple of names again for __init__.
# Hurts counting that increfs the class and __init__ atomically.
N = 1000000


class MyDataClass(object):
    def __init__(self, x, y, z):
        self.x = x
        self.y = y
        self.z = z


def work(n):
    obj = MyDataClass(0, 0, 0)
    for _ in range(n):
        obj = MyDataClass(x=1, y=2, z=3)
    return obj.x + obj.y + obj.z


def expect(n):
    return 6 if n > 0 else 0
