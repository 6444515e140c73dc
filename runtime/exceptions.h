// Exceptions' objects, as CPython makes them (Objects/exceptions.c,
// Python/traceback.c), for any interpreter generation: the builtin
// exception classes, an exception instance, a traceback entry, and the
// except clause's match. Where an exception is raised, how it unwinds and
// which frame object a traceback names are the generation's
// (runtime/py313/interp.h; py36 raises none yet).
//
// Reference counts (i = incref, d = decref):
//   exception_new(cls, args)   BaseException_new: 1i args; BaseException_init:
//                              1i args, 1d the args it replaces (the same
//                              tuple). The class is static: no count.
//   traceback_new(next, frame) tb_create_raw: 1i next (when there is one),
//                              1i the frame
//   an exception's dealloc     1d each of dict, args, notes, traceback,
//                              cause, context that is set
//   a traceback's dealloc      1d next, 1d the frame
// Threading: an exception, its traceback and its frame objects are made and
// dropped by one thread; nothing here is shared but the classes, which are
// immortal (3.12+) and read-only.
#pragma once

#include <cstdint>
#include <new>
#include <span>
#include <string_view>
#include <utility>

#include "common/fatal.h"
#include "runtime/containers.h"
#include "runtime/object.h"
#include "runtime/object_ops.h"
#include "runtime/thread_state.h"

namespace rclab::runtime {

// One entry of a generation's list of exception classes (opcodes.json's
// "exception_classes_modelled"): "Name" for the root, "Name: Base" for the
// rest, each base listed before its subclasses.
struct ExcClassSpec {
  std::string_view name;
  std::string_view base;  // empty for the root
};
constexpr ExcClassSpec parse_exc_class_spec(std::string_view entry) {
  const std::size_t colon = entry.find(':');
  if (colon == std::string_view::npos) return {entry, {}};
  std::string_view base = entry.substr(colon + 1);
  while (!base.empty() && base.front() == ' ') base.remove_prefix(1);
  return {entry.substr(0, colon), base};
}

// PyType_IsSubtype on the exception classes: `cls` is `of` or derives from it.
template <class RC>
inline bool exc_class_is_subtype(const ExcClass<RC>* cls, const ExcClass<RC>* of) {
  for (; cls != nullptr; cls = cls->base)
    if (cls == of) return true;
  return false;
}

// PyErr_GivenExceptionMatches(exc, right) for an exception instance and an
// except clause's class or tuple of classes (_PyEval_CheckExceptTypeValid
// has refused anything else). No counts.
template <class RC>
inline bool exc_matches(const Exception<RC>* exc, Object<RC>* right) {
  if (right->type == Type::kTuple) {
    Tuple<RC>* t = as<Tuple>(right);
    for (std::int64_t i = 0; i < t->size; ++i)
      if (exc_matches(exc, t->items()[i])) return true;
    return false;
  }
  return exc_class_is_subtype(exc->cls, as<ExcClass>(right));
}

// _PyEval_CheckExceptTypeValid: an exception class, or a tuple of them.
template <class RC>
inline bool valid_except_type(Object<RC>* right) {
  if (right->type == Type::kTuple) {
    Tuple<RC>* t = as<Tuple>(right);
    for (std::int64_t i = 0; i < t->size; ++i)
      if (t->items()[i]->type != Type::kExcClass) return false;
    return true;
  }
  return right->type == Type::kExcClass;
}

// type_call(cls, args) for an exception class: BaseException_new (tp_alloc,
// a GC object; the fields null, args increfed), then BaseException_init
// (Py_XSETREF(self->args, Py_NewRef(args))). A new reference.
template <class Cfg>
[[gnu::noinline]] Exception<typename Cfg::RC>* exception_new(ThreadState<Cfg>& ts, ExcClass<typename Cfg::RC>* cls,
                                                             Tuple<typename Cfg::RC>* args) {
  using RC = typename Cfg::RC;
  auto* e = static_cast<Exception<RC>*>(alloc_block(ts, sizeof(Exception<RC>)));
  new (e) Exception<RC>{};
  init_object(ts, &e->ob, Type::kException);
  e->cls = cls;
  incref(ts, &args->ob);  // BaseException_new: Py_NewRef(args)
  e->args = args;
  incref(ts, &args->ob);  // BaseException_init: Py_XSETREF(self->args, Py_NewRef(args))
  Tuple<RC>* old = std::exchange(e->args, args);
  decref(ts, &old->ob);
  return e;
}

// tb_create_raw (PyObject_GC_New, then Py_XNewRef of next and the frame).
// A new reference.
template <class Cfg>
[[gnu::noinline]] Traceback<typename Cfg::RC>* traceback_new(ThreadState<Cfg>& ts, Traceback<typename Cfg::RC>* next,
                                                             Object<typename Cfg::RC>* frame, std::int32_t lasti) {
  using RC = typename Cfg::RC;
  auto* tb = static_cast<Traceback<RC>*>(alloc_block(ts, sizeof(Traceback<RC>)));
  init_object(ts, &tb->ob, Type::kTraceback);
  if (next != nullptr) incref(ts, &next->ob);
  tb->next = next;
  incref(ts, frame);
  tb->frame = frame;
  tb->lasti = lasti;
  tb->lineno = -1;
  return tb;
}

// BaseException_set_tb with a traceback: Py_XSETREF(self->traceback,
// Py_NewRef(tb)).
template <class Cfg>
inline void exception_set_traceback(ThreadState<Cfg>& ts, Exception<typename Cfg::RC>* e,
                                    Traceback<typename Cfg::RC>* tb) {
  incref(ts, &tb->ob);
  xdecref(ts, std::exchange(e->traceback, &tb->ob));
}

// A new exception class named `name` (borrowed; the class takes its own
// reference) with `base` (borrowed, or null for the root).
template <class Cfg>
ExcClass<typename Cfg::RC>* exc_class_new(ThreadState<Cfg>& ts, Str<typename Cfg::RC>* name,
                                          ExcClass<typename Cfg::RC>* base) {
  using RC = typename Cfg::RC;
  auto* c = static_cast<ExcClass<RC>*>(alloc_block(ts, sizeof(ExcClass<RC>)));
  init_object(ts, &c->ob, Type::kExcClass);
  incref(ts, &name->ob);
  c->name = name;
  if (base != nullptr) incref(ts, &base->ob);
  c->base = base;
  return c;
}

}  // namespace rclab::runtime
