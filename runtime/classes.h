// Classes, instances, bound methods and attribute access (typeobject.c,
// object.c's generic getattr/setattr, classobject.c): what `class C(object)`,
// `obj.attr`, `obj.attr = v` and `obj.method()` reach, with 3.6's
// reference-count operations at the same places.
//
// LOAD_ATTR on an instance is PyObject_GenericGetAttr: the name and the
// class attribute (the descriptor) are increfed around the lookup, the
// instance's __dict__ is increfed around its read, and a function found on
// the class is bound into a new method object (PyMethod_New: the function
// and the instance increfed). So `obj.method()` on one shared instance
// counts that instance, its dict and the method's function from every
// thread — the traffic fib never makes.
//
// Not modelled: 3.6's method cache (_PyType_Lookup here reads each class's
// dict through the dict lock; 3.6 hits a global cache keyed by the type's
// version), its key-sharing instance dicts (PEP 412: an instance's dict is
// an ordinary dict here), and the method free list (256 objects): bound
// methods come from the allocator.
#pragma once

#include <cstdint>
#include <new>

#include "common/fatal.h"
#include "runtime/deferred_gc_ops.h"
#include "runtime/dict.h"
#include "runtime/object.h"
#include "runtime/object_ops.h"
#include "runtime/thread_state.h"

namespace rclab::runtime {

// _PyType_Lookup: the class's own dict, then its base's (the MRO of a
// single-inheritance class). A borrowed reference, or null.
template <class Cfg>
Object<typename Cfg::RC>* type_lookup(Class<typename Cfg::RC>* cls, Str<typename Cfg::RC>* name) {
  for (Class<typename Cfg::RC>* c = cls; c != nullptr; c = c->base)
    if (Object<typename Cfg::RC>* v = dict_get<Cfg>(c->dict, name)) return v;
  return nullptr;
}

// PyMethod_New: a new reference to `func` bound to `self`.
template <class Cfg>
Object<typename Cfg::RC>* method_new(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* func,
                                     Object<typename Cfg::RC>* self) {
  using RC = typename Cfg::RC;
  auto* m = static_cast<Method<RC>*>(alloc_block(ts, sizeof(Method<RC>)));
  init_object(ts, &m->ob, Type::kMethod);
  incref(ts, func);
  m->func = func;
  incref(ts, self);
  m->self = self;
  return &m->ob;
}

// PyObject_GenericGetAttr on an instance: a new reference to the attribute.
template <class Cfg>
[[gnu::noinline]] Object<typename Cfg::RC>* instance_getattr(ThreadState<Cfg>& ts, Instance<typename Cfg::RC>* obj,
                                                             Str<typename Cfg::RC>* name) {
  using O = Object<typename Cfg::RC>;
  incref(ts, &name->ob);
  O* descr = type_lookup<Cfg>(obj->cls, name);
  if (descr != nullptr) incref(ts, descr);  // a function is not a data descriptor: the dict comes first
  O* res = nullptr;
  if (Dict<typename Cfg::RC>* dict = obj->dict) {
    incref(ts, &dict->ob);
    res = dict_load(ts, dict, name, ts.counters.rc);  // PyDict_GetItem, then Py_INCREF(res)
    decref(ts, &dict->ob);
  }
  if (res == nullptr && descr != nullptr) {
    if (descr->type == Type::kFunction) {
      res = method_new(ts, descr, &obj->ob);  // func_descr_get
    } else {
      res = descr;  // a plain class attribute: the descriptor's reference moves to the result
      descr = nullptr;
    }
  }
  if (descr != nullptr) decref(ts, descr);
  decref(ts, &name->ob);
  if (res == nullptr) not_modelled("AttributeError: the instance has no such attribute");
  return res;
}

// PyObject_SetAttr + PyObject_GenericSetAttr on an instance: the name is
// increfed twice around the store (PyObject_SetAttr's and the generic
// setter's); the instance's __dict__ is made at the first store.
template <class Cfg>
[[gnu::noinline]] void instance_setattr(ThreadState<Cfg>& ts, Instance<typename Cfg::RC>* obj,
                                        Str<typename Cfg::RC>* name, Object<typename Cfg::RC>* value) {
  using O = Object<typename Cfg::RC>;
  incref(ts, &name->ob);  // PyObject_SetAttr (the name is interned already)
  incref(ts, &name->ob);  // _PyObject_GenericSetAttrWithDict
  O* descr = type_lookup<Cfg>(obj->cls, name);
  if (descr != nullptr) incref(ts, descr);  // no __set__: functions and plain values are not data descriptors
  if (!obj->cls->has_dict) not_modelled("AttributeError: the object has no __dict__ (its class sets __slots__)");
  if (obj->dict == nullptr) obj->dict = dict_new(ts);  // _PyObjectDict_SetItem
  dict_set(ts, obj->dict, name, value);
  if (descr != nullptr) decref(ts, descr);
  decref(ts, &name->ob);
  decref(ts, &name->ob);
}

// PyType_GenericAlloc for a heap class: the instance holds a reference to
// its class. A new reference; the caller runs __init__.
template <class Cfg>
Instance<typename Cfg::RC>* instance_new(ThreadState<Cfg>& ts, Class<typename Cfg::RC>* cls) {
  using RC = typename Cfg::RC;
  auto* obj = ::new (alloc_block(ts, sizeof(Instance<RC>))) Instance<RC>;  // default members: no inline values
  init_object(ts, &obj->ob, Type::kInstance);
  incref(ts, &cls->ob);
  obj->cls = cls;
  obj->dict = nullptr;
  return obj;
}

// PyStaticMethod_New: a new reference.
template <class Cfg>
Object<typename Cfg::RC>* staticmethod_new(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* callable) {
  using RC = typename Cfg::RC;
  auto* sm = static_cast<StaticMethod<RC>*>(alloc_block(ts, sizeof(StaticMethod<RC>)));
  init_object(ts, &sm->ob, Type::kStaticMethod);
  incref(ts, callable);
  sm->callable = callable;
  return &sm->ob;
}

// type_new for `class name(base)`: takes references to name, namespace and
// base. `tuple_base`: the base named was the builtin tuple, whose dict is
// not modelled: the class's base is then `object` (the rest of its MRO).
template <class Cfg>
Class<typename Cfg::RC>* class_new(ThreadState<Cfg>& ts, Str<typename Cfg::RC>* name, Dict<typename Cfg::RC>* ns,
                                   Class<typename Cfg::RC>* base, bool tuple_base = false) {
  using RC = typename Cfg::RC;
  // type_new_set_attrs: a plain function as `__new__` becomes a staticmethod.
  if (Object<RC>* fn = dict_get<Cfg>(ns, ts.rt.intern_new); fn != nullptr && fn->type == Type::kFunction) {
    Object<RC>* sm = staticmethod_new(ts, fn);
    dict_set(ts, ns, ts.rt.intern_new, sm);
    decref(ts, sm);
  }
  auto* c = ::new (alloc_block(ts, sizeof(Class<RC>))) Class<RC>;  // default members: no version, no shared keys
  init_object(ts, &c->ob, Type::kClass);
  if constexpr (kHasDeferredGc<Cfg>) gc_defer(ts, &c->ob, true);  // 3.14t: type_new_alloc's unique id
  incref(ts, &name->ob);
  c->name = name;
  incref(ts, &ns->ob);
  c->dict = ns;
  if (base != nullptr) incref(ts, &base->ob);
  c->base = base;
  c->tuple_base = tuple_base || (base != nullptr && base->tuple_base);
  c->slot_new = dict_get<Cfg>(ns, ts.rt.intern_new) != nullptr || (base != nullptr && base->slot_new);
  // type_new's __slots__: `()` on object (or on a class without a
  // __dict__) leaves the instances without one; naming slots is not modelled.
  if (Object<RC>* slots = dict_get<Cfg>(ns, ts.rt.intern_slots)) {
    if (slots->type != Type::kTuple || as<Tuple>(slots)->size != 0)
      not_modelled("__slots__ naming attributes is not modelled: only __slots__ = ()");
    c->has_dict = base != nullptr && base != ts.rt.object_class && base->has_dict && !tuple_base;
  }
  // Calls run a class's __new__ with object_init after it (runtime/py36,
  // py313: type_call); slot_tp_init after a __new__ is not modelled.
  if (c->slot_new && type_lookup<Cfg>(c, ts.rt.intern_init) != nullptr)
    not_modelled("a class defining both __new__ and __init__ is not modelled");
  if (c->tuple_base && c->has_dict)
    not_modelled("a subclass of tuple without `__slots__ = ()` is not modelled (its instances would have a __dict__)");
  return c;
}

}  // namespace rclab::runtime
