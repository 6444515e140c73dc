// Builtin callables (PyCFunction objects and the types the workloads call):
// range, len, Queue, round, id, list.append, list.pop([i]), dict.get,
// Queue.put, Queue.get,
// float.__round__, int.__floor__, and the C functions and types of the
// modules rclab builds (math.floor, math.cos, threading.local,
// operator.methodcaller: runtime/modules.h) — and the thread-safe
// queue itself. `__build_class__` and calling a class need the
// interpreter and live in runtime/interp.h.
//
// A builtin is a Builtin object whose `which` indexes the table of
// BuiltinDefs; every one takes (self, args, nargs) and returns a new
// reference. A method of a builtin type (list.append) is found through its
// type's method table: LOAD_ATTR increfs the method's descriptor (one per
// method, owned by the runtime and shared by every thread, as 3.6's method
// descriptors live in the type's dict) and binds it to the object in a new
// Builtin (PyCFunction_NewEx: the object increfed).
//
// The queue stands for a C-implemented queue such as 3.7's
// _queue.SimpleQueue (tools/peer/peer_fib.py gives the real interpreters that, or
// queue.Queue where it is missing): a FIFO under its own futex lock, the
// same in every configuration but one, so comparisons across configurations
// see only their own variable. The one: under 3.13t's object locks
// (dictlock `ft313`, kLockedContainers) put and get run in a critical
// section on the queue's PyMutex, as 3.13t's SimpleQueue methods are
// declared @critical_section (Modules/_queuemodule.c). put() takes a reference; get() hands the
// queue's reference to the caller. get() on an empty queue stops the run:
// the workloads put before they get, so it never waits (a blocking get
// would need the GIL dropped around the wait, which 3.6's C API does and
// this model does not).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "common/fatal.h"
#include "dictlock/critical_section.h"
#include "dictlock/futex_mutex.h"
#include "runtime/containers.h"
#include "runtime/deferred_gc_ops.h"
#include "runtime/floats.h"
#include "runtime/generation.h"
#include "runtime/ints.h"
#include "runtime/object.h"
#include "runtime/object_ops.h"
#include "runtime/thread_local.h"
#include "runtime/thread_state.h"

namespace rclab::runtime {

template <class RC>
struct Queue {
  Object<RC> ob;
  dictlock::FutexMutex lock;
  dictlock::PyMutex ob_mutex;  // 3.13t's, under kLockedContainers
  Object<RC>** ring;  // `cap` slots; items from head, `count` of them, wrapping
  std::int64_t cap, head, count;
};

enum BuiltinId : std::uint32_t {
  kBuiltinRange, kBuiltinLen, kBuiltinBuildClass, kBuiltinQueue,
  kBuiltinListAppend, kBuiltinListPop, kBuiltinQueuePut, kBuiltinQueueGet,
  kBuiltinRound, kBuiltinFloatRound, kBuiltinMathFloor, kBuiltinMathCos, kBuiltinIntFloor,
  kBuiltinThreadLocal, kBuiltinMethodCaller,
  kBuiltinTuple, kBuiltinTupleNew, kBuiltinTypeNew,
  kBuiltinId, kBuiltinDictGet,
  kBuiltinCount,
};

// How 3.13's specialiser treats a call to the builtin (Python/specialize.c:
// specialize_c_call, specialize_class_call, specialize_method_descriptor),
// which its C implementation's flags decide: range is a static type with a
// vectorcall; len and list.append are recognised by identity; Queue.put is
// METH_FASTCALL|METH_KEYWORDS, list.pop METH_FASTCALL; Queue.get
// (METH_METHOD, as _queue.SimpleQueue.get) and the rest are general calls;
// round is METH_FASTCALL|METH_KEYWORDS (CALL_BUILTIN_FAST_WITH_KEYWORDS),
// math.floor, math.cos and id METH_O (CALL_BUILTIN_O), dict.get
// METH_FASTCALL (CALL_METHOD_DESCRIPTOR_FAST).
enum class CallKind : std::uint8_t {
  kGeneral, kBuiltinClass, kLen, kListAppend, kMethodFastKeywords, kMethodFast, kBuiltinFastKeywords, kBuiltinO
};

template <class Cfg>
struct BuiltinDef {
  using O = Object<typename Cfg::RC>;
  const char* name;
  O* (*fn)(ThreadState<Cfg>&, O* self, O** args, int nargs);
  int nargs;       // the positional arguments it takes (-1: any number, checked by fn)
  bool is_type;    // a type object in 3.6: call_function's generic path (the callable increfed around the call)
  Type self_type;  // a method: the type it belongs to (kCount for a module-level builtin)
  CallKind call_kind;  // py313's specialiser
  bool static_type;    // a statically allocated type (range), immortal in 3.12+; Queue is a heap type
  bool varargs36;      // METH_VARARGS in 3.6: a call packs its arguments into a tuple first
  std::string_view module = {};  // a module-level function's module (runtime/modules.h); empty: builtins
  // A type's `__new__` (typeobject.c's tp_new_wrapper, METH_VARARGS |
  // METH_KEYWORDS in every version): a builtin function in the dict of the
  // type named by self_type (kTuple: tuple.__new__; kClass: type.__new__,
  // which the metatype lookup of a class's `__new__` finds first), bound to
  // that type — not a method descriptor, so 3.13t does not defer it.
  bool new_wrapper = false;
};

template <class Cfg>
Queue<typename Cfg::RC>* queue_new(ThreadState<Cfg>& ts) {
  using RC = typename Cfg::RC;
  auto* q = static_cast<Queue<RC>*>(alloc_block(ts, sizeof(Queue<RC>)));
  init_object(ts, &q->ob, Type::kQueue);
  new (&q->lock) dictlock::FutexMutex();
  new (&q->ob_mutex) dictlock::PyMutex();
  q->cap = 16;
  q->ring = static_cast<Object<RC>**>(alloc_block(ts, std::size_t(q->cap) * sizeof(Object<RC>*)));
  q->head = q->count = 0;
  return q;
}

template <class Cfg>
struct Builtins;
template <class Cfg>
Builtin<typename Cfg::RC>* builtin_new(ThreadState<Cfg>& ts, std::uint32_t which, Object<typename Cfg::RC>* self);

namespace detail {
template <class Cfg>
using BO = Object<typename Cfg::RC>;

// _PyObject_LookupSpecial(self, name), a call of what it finds with no
// arguments, and its Py_DECREF (round(), math.floor()): the method
// descriptor found on self's type (3.13's _PyType_LookupRef increfs it,
// 3.6's _PyType_LookupId borrows it), bound by its tp_descr_get (method_get:
// a new builtin method holding self), the descriptor dropped (3.13's
// Py_SETREF), the method called (3.6 packs a METH_VARARGS method's
// arguments: the shared empty tuple), and freed.
template <class Cfg>
BO<Cfg>* call_special(ThreadState<Cfg>& ts, BO<Cfg>* self, std::string_view name) {
  const std::uint32_t which = Builtins<Cfg>::find_method(self->type, name);
  if (which == kBuiltinCount) not_modelled("TypeError: the type does not define this special method here");
  constexpr bool k36 = Cfg::Gen::kCApi == 306;
  BO<Cfg>* descr = &ts.rt.method_descrs[which]->ob;
  if constexpr (!k36) incref(ts, descr);
  Builtin<typename Cfg::RC>* bound = builtin_new(ts, which, self);
  if constexpr (!k36) decref(ts, descr);
  BO<Cfg>* res;
  if (k36 && Builtins<Cfg>::table[which].varargs36) {
    BO<Cfg>* args = &ts.rt.empty_tuple->ob;
    incref(ts, args);
    res = Builtins<Cfg>::table[which].fn(ts, self, nullptr, 0);
    decref(ts, args);
  } else {
    res = Builtins<Cfg>::table[which].fn(ts, self, nullptr, 0);
  }
  decref(ts, &bound->ob);
  return res;
}

template <class Cfg>
BO<Cfg>* none_ref(ThreadState<Cfg>& ts) {
  return new_ref_to_immortal(ts, ts.rt.none, ts.counters.rc);  // Py_RETURN_NONE
}

template <class Cfg>
BO<Cfg>* builtin_range(ThreadState<Cfg>& ts, BO<Cfg>*, BO<Cfg>** args, int nargs) {
  if (nargs < 1 || nargs > 2) not_modelled("TypeError: range() takes 1 or 2 arguments here");
  return range_new(ts, args, nargs);
}

template <class Cfg>
BO<Cfg>* builtin_len(ThreadState<Cfg>& ts, BO<Cfg>*, BO<Cfg>** args, int) {
  BO<Cfg>* o = args[0];
  std::int64_t n;
  switch (o->type) {
    case Type::kList: n = detail::load<kLockedContainers<Cfg>>(as<List>(o)->size); break;  // a relaxed load in 3.13t
    case Type::kTuple: n = as<Tuple>(o)->size; break;
    case Type::kDict: n = std::int64_t(as<Dict>(o)->used); break;
    case Type::kStr: n = as<Str>(o)->size; break;
    default: not_modelled("TypeError: object has no len()");
  }
  return int_from(ts, n);
}

template <class Cfg>
BO<Cfg>* builtin_queue(ThreadState<Cfg>& ts, BO<Cfg>*, BO<Cfg>**, int) {
  return &queue_new(ts)->ob;
}

template <class Cfg>
BO<Cfg>* builtin_list_append(ThreadState<Cfg>& ts, BO<Cfg>* self, BO<Cfg>** args, int) {
  list_append(ts, as<List>(self), args[0]);
  return none_ref(ts);
}

// list.pop([i]). The index goes through PyNumber_Index (3.6's getargs 'n',
// 3.13's clinic _PyNumber_Index): a new reference to the int, read, then
// dropped.
template <class Cfg>
BO<Cfg>* builtin_list_pop(ThreadState<Cfg>& ts, BO<Cfg>* self, BO<Cfg>** args, int nargs) {
  if (nargs > 1) not_modelled("TypeError: pop expected at most 1 argument");
  std::int64_t i = -1;
  if (nargs == 1) {
    BO<Cfg>* index = args[0];
    if (index->type != Type::kInt) not_modelled("TypeError: list indices must be integers");
    incref(ts, index);
    i = int_value(as<Int>(index));
    decref(ts, index);
  }
  return list_pop(ts, as<List>(self), i);
}

// round(number[, ndigits]): builtin_round_impl. ndigits other than None is
// not modelled.
template <class Cfg>
BO<Cfg>* builtin_round(ThreadState<Cfg>& ts, BO<Cfg>*, BO<Cfg>** args, int nargs) {
  if (nargs < 1 || nargs > 2) not_modelled("TypeError: round() takes 1 or 2 arguments");
  if (nargs == 2 && args[1] != ts.rt.none) not_modelled("round(x, ndigits) is not modelled");
  return call_special(ts, args[0], "__round__");
}

// float.__round__() (float___round___impl, 3.6's float_round): round half
// to even, then PyLong_FromDouble, which rclab makes through PyLong_FromLong
// (3.13 does for a double within a long; 3.6 builds the digits of values
// from 1 up in a new int, which the model does not).
template <class Cfg>
BO<Cfg>* builtin_float_round(ThreadState<Cfg>& ts, BO<Cfg>* self, BO<Cfg>** args, int nargs) {
  if (nargs > 1) not_modelled("TypeError: __round__ takes at most 1 argument");
  if (nargs == 1 && args[0] != ts.rt.none) not_modelled("float.__round__(ndigits) is not modelled");
  const double x = as<Float>(self)->fval;
  double rounded = std::round(x);
  if (std::fabs(x - rounded) == 0.5) rounded = 2.0 * std::round(x / 2.0);  // halfway: to even
  if (!(std::fabs(rounded) < 9.2e18)) not_modelled("round() of a float beyond rclab's 64-bit ints, inf or nan");
  return int_from(ts, std::int64_t(rounded));
}

// math.floor(x) (math_floor, METH_O): a float's floor as an int; any other
// object through its type's __floor__ (_PyObject_LookupSpecial): int's
// returns the int itself.
template <class Cfg>
BO<Cfg>* builtin_math_floor(ThreadState<Cfg>& ts, BO<Cfg>*, BO<Cfg>** args, int) {
  BO<Cfg>* x = args[0];
  if (x->type == Type::kFloat) {
    const double f = std::floor(as<Float>(x)->fval);
    if (!(std::fabs(f) < 9.2e18)) not_modelled("math.floor() of a float beyond rclab's 64-bit ints, inf or nan");
    return int_from(ts, std::int64_t(f));  // PyLong_FromDouble
  }
  return call_special(ts, x, "__floor__");
}

// math.cos(x) (math_1: PyFloat_AsDouble, cos, PyFloat_FromDouble).
template <class Cfg>
BO<Cfg>* builtin_math_cos(ThreadState<Cfg>& ts, BO<Cfg>*, BO<Cfg>** args, int) {
  double x;
  if (!as_double<Cfg>(args[0], x)) not_modelled("TypeError: must be real number");
  return float_from(ts, std::cos(x));
}

// id(x) (builtin_id, METH_O): PyLong_FromVoidPtr, a new int of the
// object's address (3.13's PySys_Audit returns at once: no hook is set).
template <class Cfg>
BO<Cfg>* builtin_id(ThreadState<Cfg>& ts, BO<Cfg>*, BO<Cfg>** args, int) {
  return int_from(ts, std::int64_t(reinterpret_cast<std::uintptr_t>(args[0])));
}

// dict.get(key[, default]): a new reference to the value, else to the
// default (None). 3.13's dict_get (clinic, METH_FASTCALL) runs dict_get_impl
// in the dict's critical section — under 3.13t's object locks every get
// takes the dict's PyMutex, where `d[key]` reads lock-free — then the
// key's hash and _Py_dict_lookup_threadsafe, else Py_NewRef(default).
// Inside the section rclab reads with the locked lookup and a plain incref:
// 3.13t's lock-free read there cannot fail (the section excludes every
// writer), and its nested section (ensure_shared_on_read) is the outer
// one's. 3.6's dict_get (METH_VARARGS): the hash, dk_lookup through the
// dict lock, Py_INCREF of the value or the default.
template <class Cfg>
BO<Cfg>* builtin_dict_get(ThreadState<Cfg>& ts, BO<Cfg>* self, BO<Cfg>** args, int nargs) {
  using L = typename Cfg::DictLock;
  if (nargs < 1 || nargs > 2) not_modelled("TypeError: get expected 1 or 2 arguments");
  Dict<typename Cfg::RC>* d = as<Dict>(self);
  BO<Cfg>* key = args[0];
  BO<Cfg>* v;
  if constexpr (try_incref_reads<L>()) {
    const std::uint64_t hash = hash_fast<Cfg>(key);
    auto& state = dict_lock_state<Cfg>(d);
    dictlock::Section cs(state.mutex);
    if (!owned_by_this_thread(ts, &d->ob) && !L::is_shared(state)) L::set_shared(state);  // ensure_shared_on_read
    dict_lookup<false>(&ts, d, key, hash, &v);
    if (v != nullptr) incref(ts, v);
  } else {
    v = dict_load(ts, d, key, ts.counters.rc);  // a stack reference
    if (v != nullptr) from_stack(ts, v);        // counted, deferred or not
  }
  if (v == nullptr) {
    v = nargs == 2 ? args[1] : ts.rt.none;
    incref(ts, v);
  }
  return v;
}

// tuple(iterable): not modelled (3.13 specialises it as CALL_TUPLE_1); the
// type is here for tuple.__new__ and for `class P(tuple)`.
template <class Cfg>
BO<Cfg>* builtin_tuple(ThreadState<Cfg>&, BO<Cfg>*, BO<Cfg>**, int) {
  not_modelled("tuple(iterable) is not modelled: only a subclass's tuple.__new__(cls, a_tuple)");
}

// tuple.__new__(cls, iterable) (tp_new_wrapper, then tuple_new and
// tuple_subtype_new, Objects/typeobject.c and tupleobject.c): the arguments
// as a tuple (3.6's cfunction call packs them, varargs36; 3.13's
// builtin has no vectorcall, so _PyObject_MakeTpCall packs them here), the
// rest after cls sliced into a new tuple (PyTuple_GetSlice: each increfed),
// the iterable read borrowed (argument parsing), PySequence_Tuple's new
// reference to it (an exact tuple is returned itself), the instance
// allocated (PyType_GenericAlloc: the heap class increfed), each item
// increfed into it, the temporary and the slice dropped.
template <class Cfg>
BO<Cfg>* builtin_tuple_new(ThreadState<Cfg>& ts, BO<Cfg>*, BO<Cfg>** stack, int nargs) {
  using RC = typename Cfg::RC;
  constexpr bool k36 = Cfg::Gen::kCApi == 306;
  Tuple<RC>* packed = k36 ? nullptr : tuple_from_array(ts, stack, nargs);
  BO<Cfg>** args = k36 ? stack : packed->items();
  if (nargs != 2) not_modelled("tuple.__new__(cls, iterable) with other arguments is not modelled");
  if (args[0]->type != Type::kClass || !as<Class>(args[0])->tuple_base)
    not_modelled("TypeError: tuple.__new__(X): X is not a subtype of tuple");
  Class<RC>* cls = as<Class>(args[0]);
  Tuple<RC>* rest = tuple_from_array(ts, args + 1, 1);
  BO<Cfg>* iterable = rest->items()[0];
  if (iterable->type != Type::kTuple) not_modelled("tuple.__new__ of other than a tuple is not modelled");
  incref(ts, iterable);  // PySequence_Tuple
  Tuple<RC>* tmp = as<Tuple>(iterable);
  const std::int64_t n = tmp->size;
  auto* obj = static_cast<Tuple<RC>*>(alloc_block(ts, tuple_block_size<Cfg>(n + 1)));
  init_object(ts, &obj->ob, Type::kTupleSub);
  obj->size = n;
  thread_incref(ts, &cls->ob, ts.counters.rc);  // _PyObject_Init's _Py_INCREF_TYPE
  tuple_sub_class(obj) = &cls->ob;
  for (std::int64_t i = 0; i < n; ++i) {
    incref(ts, tmp->items()[i]);
    obj->items()[i] = tmp->items()[i];
  }
  decref(ts, &tmp->ob);
  decref(ts, &rest->ob);
  if (packed != nullptr) decref(ts, &packed->ob);
  return &obj->ob;
}

// type.__new__: found by the metatype lookup of a class's `__new__` and
// counted there; calling it (type(name, bases, dict)) is not modelled.
template <class Cfg>
BO<Cfg>* builtin_type_new(ThreadState<Cfg>&, BO<Cfg>*, BO<Cfg>**, int) {
  not_modelled("type.__new__ is not modelled");
}

// threading.local() (local_new, runtime/thread_local.h): no arguments
// here (a local's args and kw serve subclasses' __init__, not modelled).
template <class Cfg>
BO<Cfg>* builtin_thread_local(ThreadState<Cfg>& ts, BO<Cfg>*, BO<Cfg>**, int) {
  return &local_new(ts)->ob;
}

// operator.methodcaller(name) (methodcaller_new): the name interned (3.6's
// PyUnicode_InternInPlace, 3.13's _PyUnicode_InternMortal: every name a
// workload gives is a constant, interned already) and no extra arguments.
template <class Cfg>
BO<Cfg>* builtin_methodcaller(ThreadState<Cfg>& ts, BO<Cfg>*, BO<Cfg>** args, int nargs) {
  using RC = typename Cfg::RC;
  if (nargs != 1) not_modelled("operator.methodcaller with arguments for the method is not modelled");
  if (args[0]->type != Type::kStr) not_modelled("TypeError: method name must be a string");
  auto* mc = static_cast<MethodCaller<RC>*>(alloc_block(ts, sizeof(MethodCaller<RC>)));
  init_object(ts, &mc->ob, Type::kMethodCaller);
  incref(ts, args[0]);
  mc->name = as<Str>(args[0]);
  incref(ts, &ts.rt.empty_tuple->ob);
  mc->args = ts.rt.empty_tuple;
  return &mc->ob;
}

// int.__floor__() (3.6's long_long_meth, 3.13's int___floor___impl): an
// exact int is its own floor, Py_NewRef.
template <class Cfg>
BO<Cfg>* builtin_int_floor(ThreadState<Cfg>& ts, BO<Cfg>* self, BO<Cfg>**, int) {
  incref(ts, self);
  return self;
}

// The queue's lock around f: its futex mutex, or 3.13t's critical section.
template <class Cfg, class F>
auto queue_locked(Queue<typename Cfg::RC>* q, F&& f) {
  if constexpr (kLockedContainers<Cfg>) {
    dictlock::Section cs(q->ob_mutex);
    return f();
  } else {
    q->lock.lock();
    struct Unlock {
      dictlock::FutexMutex& m;
      ~Unlock() { m.unlock(); }
    } unlock{q->lock};
    return f();
  }
}

template <class Cfg>
BO<Cfg>* builtin_queue_put(ThreadState<Cfg>& ts, BO<Cfg>* self, BO<Cfg>** args, int) {
  using O = BO<Cfg>;
  auto* q = as<Queue>(self);
  O* v = args[0];
  incref(ts, v);
  queue_locked<Cfg>(q, [&] {
    if (q->count == q->cap) {  // grow: the new ring is private until the lock is released
      const std::int64_t cap = q->cap * 2;
      auto* ring = static_cast<O**>(alloc_block(ts, std::size_t(cap) * sizeof(O*)));
      for (std::int64_t i = 0; i < q->count; ++i) ring[i] = q->ring[(q->head + i) % q->cap];
      free_block(ts, q->ring, std::size_t(q->cap) * sizeof(O*));
      q->ring = ring;
      q->cap = cap;
      q->head = 0;
    }
    q->ring[(q->head + q->count) % q->cap] = v;
    ++q->count;
  });
  return none_ref(ts);
}

template <class Cfg>
BO<Cfg>* builtin_queue_get(ThreadState<Cfg>&, BO<Cfg>* self, BO<Cfg>**, int) {
  auto* q = as<Queue>(self);
  return queue_locked<Cfg>(q, [&] {
    if (q->count == 0) not_modelled("Queue.get on an empty queue: a workload must put before it gets (runtime/builtins.h)");
    BO<Cfg>* v = q->ring[q->head];
    q->head = (q->head + 1) % q->cap;
    --q->count;
    return v;  // the queue's reference moves to the caller
  });
}
}  // namespace detail

// __build_class__ runs the class body in the generation's interpreter
// (GenerationOps<Gen, Cfg>::build_class, runtime/py36/generation.h and
// runtime/py313/generation.h).
template <class Cfg>
Object<typename Cfg::RC>* builtin_build_class(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* self,
                                              Object<typename Cfg::RC>** args, int nargs) {
  return GenerationOps<typename Cfg::Gen, Cfg>::build_class(ts, self, args, nargs);
}

template <class Cfg>
struct Builtins {
  using K = CallKind;
  static constexpr BuiltinDef<Cfg> table[kBuiltinCount] = {
      {"range", &detail::builtin_range<Cfg>, -1, true, Type::kCount, K::kBuiltinClass, true, false},
      {"len", &detail::builtin_len<Cfg>, 1, false, Type::kCount, K::kLen, false, false},
      {"__build_class__", &builtin_build_class<Cfg>, -1, false, Type::kCount, K::kGeneral, false, true},
      {"Queue", &detail::builtin_queue<Cfg>, 0, true, Type::kCount, K::kGeneral, false, false},
      {"append", &detail::builtin_list_append<Cfg>, 1, false, Type::kList, K::kListAppend, false, false},
      {"pop", &detail::builtin_list_pop<Cfg>, -1, false, Type::kList, K::kMethodFast, false, true},
      {"put", &detail::builtin_queue_put<Cfg>, 1, false, Type::kQueue, K::kMethodFastKeywords, false, false},
      {"get", &detail::builtin_queue_get<Cfg>, 0, false, Type::kQueue, K::kGeneral, false, false},
      {"round", &detail::builtin_round<Cfg>, -1, false, Type::kCount, K::kBuiltinFastKeywords, false, true},
      {"__round__", &detail::builtin_float_round<Cfg>, -1, false, Type::kFloat, K::kMethodFast, false, true},
      {"floor", &detail::builtin_math_floor<Cfg>, 1, false, Type::kCount, K::kBuiltinO, false, false, "math"},
      {"cos", &detail::builtin_math_cos<Cfg>, 1, false, Type::kCount, K::kBuiltinO, false, false, "math"},
      {"__floor__", &detail::builtin_int_floor<Cfg>, 0, false, Type::kInt, K::kGeneral, false, false},
      // A type, called through type_call (3.13: a heap type, PyType_FromModuleAndSpec).
      {"local", &detail::builtin_thread_local<Cfg>, 0, true, Type::kCount, K::kGeneral, false, false, "threading"},
      {"methodcaller", &detail::builtin_methodcaller<Cfg>, -1, true, Type::kCount, K::kGeneral, false, false, "operator"},
      {"tuple", &detail::builtin_tuple<Cfg>, -1, true, Type::kCount, K::kGeneral, true, false},
      {"__new__", &detail::builtin_tuple_new<Cfg>, -1, false, Type::kTuple, K::kGeneral, false, true, {}, true},
      {"__new__", &detail::builtin_type_new<Cfg>, -1, false, Type::kClass, K::kGeneral, false, true, {}, true},
      {"id", &detail::builtin_id<Cfg>, 1, false, Type::kCount, K::kBuiltinO, false, false},
      {"get", &detail::builtin_dict_get<Cfg>, -1, false, Type::kDict, K::kMethodFast, false, true},
  };
  // The method of `type` named `name`, or kBuiltinCount.
  static std::uint32_t find_method(Type type, std::string_view name) {
    for (std::uint32_t i = 0; i < kBuiltinCount; ++i)
      if (table[i].self_type == type && name == table[i].name) return i;
    return kBuiltinCount;
  }
};

// Whether `o` is the builtin `which` (the type `tuple`, say).
template <class RC>
bool is_builtin(Object<RC>* o, std::uint32_t which) {
  return o->type == Type::kBuiltin && as<Builtin>(o)->which == which;
}

// A Builtin object: `self` (may be null) is increfed.
template <class Cfg>
Builtin<typename Cfg::RC>* builtin_new(ThreadState<Cfg>& ts, std::uint32_t which, Object<typename Cfg::RC>* self) {
  using RC = typename Cfg::RC;
  auto* b = static_cast<Builtin<RC>*>(alloc_block(ts, sizeof(Builtin<RC>)));
  init_object(ts, &b->ob, Type::kBuiltin);
  b->which = which;
  if (self != nullptr) incref(ts, self);
  b->self = self;
  return b;
}

}  // namespace rclab::runtime
