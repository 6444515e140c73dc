// threading.local (Modules/_threadmodule.c's _thread._local; threading.py
// re-exports it): an object whose attributes are each thread's own. The
// object is shared — a module global every thread loads — and each thread
// reads and writes a dict of its own through it. How a thread finds its
// dict is what 3.6 and 3.13 do differently, and what decides the pattern's
// scaling:
//   - 3.6: the thread state's own dict (PyThreadState_GetDict) maps the
//     local's key, a str made for it, to a dummy holding the thread's dict
//     — borrowed references all the way, nothing shared is counted but the
//     bool PyObject_RichCompareBool makes (3.6's bools are counted);
//   - 3.13: the local's own dict `localdicts`, shared by every thread, maps
//     the thread's key to the thread's dict — PyDict_GetItemRef, a new
//     reference to the dict per access (3.13t: a lock-free read of a shared
//     dict and a try-incref of the value, which is the reading thread's own).
// Either way the local itself is counted once per access by the LOAD_FAST
// that pushes it: that is the shared count.
//
// Departures: 3.6's dummy object is left out (a borrowed read of it and its
// dict costs nothing counted); 3.13's thread key is a str of the thread's
// own, not a localdummy object hashed by address (rclab's dicts take str
// keys only; the lookup finds the key by identity either way); and a
// thread's entry in `localdicts` stays until the local dies, where 3.13
// drops it when the thread ends (a weakref callback; rclab has no weakrefs).
// Subclasses of local (an __init__ run per thread) are not modelled.
#pragma once

#include <cstdio>

#include "common/fatal.h"
#include "runtime/abstract.h"
#include "runtime/dict.h"
#include "runtime/object.h"
#include "runtime/object_ops.h"
#include "runtime/thread_state.h"

namespace rclab::runtime {

namespace detail {
// The thread's dict for `self`, made on the thread's first access: 3.6's
// borrowed, 3.13's a new reference (PyDict_GetItemRef).
template <class Cfg>
Dict<typename Cfg::RC>* local_dict(ThreadState<Cfg>& ts, ThreadLocal<typename Cfg::RC>* self) {
  using RC = typename Cfg::RC;
  if constexpr (Cfg::Gen::kCApi == 306) {
    ThreadState<Cfg>& cur = tstate_get(ts);  // PyThreadState_GetDict: PyThreadState_GET
    if (cur.dict == nullptr) cur.dict = dict_new(cur);
    Object<RC>* ldict = dict_get<Cfg>(cur.dict, self->key);  // PyDict_GetItem: borrowed
    if (ldict == nullptr) {  // _local_create_dummy
      Dict<RC>* d = dict_new(cur);
      dict_set(cur, cur.dict, self->key, &d->ob);
      decref(cur, &d->ob);  // the thread state's dict keeps it
      return d;
    }
    return as<Dict>(ldict);
  } else {
    if (ts.threading_local_key == nullptr) {  // create_localdummies
      char name[48];
      std::snprintf(name, sizeof name, "<thread key %p>", static_cast<void*>(&ts));
      ts.threading_local_key = ts.rt.new_str(ts, name);
    }
    Object<RC>* ldict = dict_load(ts, self->localdicts, ts.threading_local_key, ts.counters.rc);
    if (ldict == nullptr) {  // create_localsdict
      Dict<RC>* d = dict_new(ts);
      dict_set(ts, self->localdicts, ts.threading_local_key, &d->ob);
      return d;  // the creation's reference is the caller's
    }
    return as<Dict>(ldict);
  }
}

// The end of an access: 3.13's Py_DECREF(ldict); 3.6's was borrowed.
template <class Cfg>
void local_dict_done(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* ldict) {
  if constexpr (Cfg::Gen::kCApi != 306) decref(ts, &ldict->ob);
}

// PyObject_RichCompareBool(name, "__dict__", Py_EQ): both interned, never
// the same object here, so unicode_richcompare's bool, increfed and dropped.
template <class Cfg>
bool names_dunder_dict(ThreadState<Cfg>& ts, Str<typename Cfg::RC>* name) {
  if (name == ts.rt.intern_dict) return true;
  Object<typename Cfg::RC>* r = rich_compare(ts, &name->ob, &ts.rt.intern_dict->ob, kEq);
  const bool eq = r == ts.rt.true_;
  decref(ts, r);
  return eq;
}
}  // namespace detail

// local_new: the object, its key (3.6: "_thread._local.<address>") or its
// shared dict of thread dicts (3.13), and the creating thread's dict made
// at once, as both make it. A new reference.
template <class Cfg>
ThreadLocal<typename Cfg::RC>* local_new(ThreadState<Cfg>& ts) {
  using RC = typename Cfg::RC;
  auto* self = static_cast<ThreadLocal<RC>*>(alloc_block(ts, sizeof(ThreadLocal<RC>)));
  init_object(ts, &self->ob, Type::kLocal);
  self->key = nullptr;
  self->localdicts = nullptr;
  if constexpr (Cfg::Gen::kCApi == 306) {
    char name[48];
    std::snprintf(name, sizeof name, "_thread._local.%p", static_cast<void*>(self));
    self->key = ts.rt.new_str(ts, name);
  } else {
    self->localdicts = dict_new(ts);
  }
  detail::local_dict_done(ts, detail::local_dict(ts, self));
  return self;
}

// local_getattro for an exact local: the thread's dict, the `__dict__`
// test, then the dict's value, a new reference.
template <class Cfg>
[[gnu::noinline]] Object<typename Cfg::RC>* local_getattr(ThreadState<Cfg>& ts, ThreadLocal<typename Cfg::RC>* self,
                                                          Str<typename Cfg::RC>* name) {
  Dict<typename Cfg::RC>* ldict = detail::local_dict(ts, self);
  if (detail::names_dunder_dict(ts, name)) not_modelled("threading.local's __dict__ is not modelled");
  // 3.6: PyDict_GetItem then Py_INCREF; 3.13: PyDict_GetItemRef.
  Object<typename Cfg::RC>* value = dict_load(ts, ldict, name, ts.counters.rc);
  detail::local_dict_done(ts, ldict);
  if (value == nullptr) not_modelled("AttributeError: the thread's local has no such attribute");
  return value;
}

// local_setattro: the thread's dict, the `__dict__` test, then
// _PyObject_GenericSetAttrWithDict with that dict: the name increfed around
// a type lookup that finds nothing (_thread._local defines no attributes a
// workload sets) and the dict's PyDict_SetItem (3.13 increfs the dict
// around it).
template <class Cfg>
[[gnu::noinline]] void local_setattr(ThreadState<Cfg>& ts, ThreadLocal<typename Cfg::RC>* self,
                                     Str<typename Cfg::RC>* name, Object<typename Cfg::RC>* value) {
  Dict<typename Cfg::RC>* ldict = detail::local_dict(ts, self);
  if (detail::names_dunder_dict(ts, name)) not_modelled("AttributeError: a local's __dict__ is read-only");
  incref(ts, &name->ob);
  if constexpr (Cfg::Gen::kCApi != 306) incref(ts, &ldict->ob);
  dict_set(ts, ldict, name, value);
  if constexpr (Cfg::Gen::kCApi != 306) decref(ts, &ldict->ob);
  decref(ts, &name->ob);
  detail::local_dict_done(ts, ldict);
}

}  // namespace rclab::runtime
