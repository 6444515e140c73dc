// Frames (frameobject.c): PyFrame_New and frame_dealloc, out of line as in
// 3.6, with the GC tracking and the trashcan 3.6 does around them. frame_new
// reads the Runtime's interned "__builtins__" name, so Runtime must be
// complete where it is instantiated.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/fatal.h"
#include "runtime/counters.h"
#include "runtime/dict.h"
#include "runtime/object.h"
#include "runtime/object_ops.h"
#include "runtime/thread_state.h"
#include "runtime/types.h"

namespace rclab::runtime {

// The frame freelist policy (freelists/) replaces CPython 3.6's global
// free_list and per-code co_zombieframe; a per-code zombie frame would be a
// data race without a GIL, and neither changes the refcount pattern. Every
// frame here takes 3.6's free_list path (the locals and the optional fields
// are cleared on each reuse); 3.6 takes its cheaper zombie path for about
// half of fib's calls.

template <class Cfg>
inline std::size_t frame_block_size(std::uint32_t capacity) {
  return sizeof(Frame<typename Cfg::RC>) + capacity * sizeof(Object<typename Cfg::RC>*);
}

// _PyObject_GC_TRACK: links the object at the tail of this thread's
// youngest generation.
template <class Cfg>
[[gnu::always_inline]] inline void gc_track(ThreadState<Cfg>& ts, GcHead* g) {
  if (g->refs != GcHead::kUntracked) [[unlikely]]
    fatal("GC object already tracked");
  g->refs = GcHead::kReachable;
  GcHead* gen0 = &ts.gc_generation0;
  g->next = gen0;
  g->prev = gen0->prev;
  g->prev->next = g;
  gen0->prev = g;
}

// PyObject_GC_UnTrack (out of line in 3.6): idempotent, since 3.6's trashcan
// may untrack twice. Only on the thread whose list holds the object.
[[gnu::noinline]] inline void gc_untrack(GcHead* g) {
  if (g->refs != GcHead::kUntracked) {
    g->refs = GcHead::kUntracked;
    g->prev->next = g->next;
    g->next->prev = g->prev;
    g->next = nullptr;
  }
}

// PyFrame_New: takes new references to builtins, back, code and globals.
// The locals start empty; _PyFunction_FastCall fills the arguments in.
// Function bodies (optimised code) have no locals dict; a module's or a
// class's body gets `locals` (the module's globals when null), increfed.
template <class Cfg>
[[gnu::noinline]] Frame<typename Cfg::RC>* frame_new(ThreadState<Cfg>& ts, Code<typename Cfg::RC>* code,
                                                     Dict<typename Cfg::RC>* globals, Tally& t,
                                                     Dict<typename Cfg::RC>* locals = nullptr) {
  using RC = typename Cfg::RC;
  Frame<RC>* back = ts.frame;
  Dict<RC>* builtins;
  if (back == nullptr || back->globals != globals) {
    // One read through the dict lock, borrowed and increfed below, as 3.6's
    // (and the Gilectomy's) PyFrame_New. Safe under every dict lock: the
    // runtime owns a reference to its builtins dict until shutdown.
    Object<RC>* b = dict_get<Cfg>(globals, ts.rt.builtins_name);
    if (b == nullptr || b->type != Type::kDict) fatal("frame_new: globals have no __builtins__ dict");
    builtins = as<Dict>(b);
  } else {
    builtins = back->builtins;  // same globals, same builtins: skip the lookup
  }
  incref_stack(ts, &builtins->ob, t);

  const std::uint32_t extras = std::uint32_t(code->stacksize + code->nlocals + code->ncells + code->nfrees);
  auto* f = static_cast<Frame<RC>*>(Cfg::Frames::pop(ts.frames));
  if (f != nullptr && f->capacity < extras) {  // PyObject_GC_Resize
    free_block(ts, f, frame_block_size<Cfg>(f->capacity));
    f = nullptr;
  }
  if (f == nullptr) {  // PyObject_GC_NewVar
    constexpr std::uint32_t kMinSlots = 8;  // so small frames are interchangeable on the freelist
    const std::uint32_t cap = extras > kMinSlots ? extras : kMinSlots;
    f = static_cast<Frame<RC>*>(alloc_block(ts, frame_block_size<Cfg>(cap)));
    f->capacity = cap;
    f->gc.refs = GcHead::kUntracked;
  }
  init_object(ts, &f->ob, Type::kFrame);  // _Py_NewReference
  f->code = code;
  const std::int32_t nlocals = code->nlocals + code->ncells + code->nfrees;
  Object<RC>** localsplus = f->localsplus();
  f->valuestack = localsplus + nlocals;
  for (std::int32_t i = 0; i < nlocals; ++i) localsplus[i] = nullptr;
  if ((code->flags & (kCoNewLocals | kCoOptimized)) == (kCoNewLocals | kCoOptimized)) [[likely]] {
    f->locals = nullptr;
  } else {
    if (code->flags & kCoNewLocals) not_modelled("frame_new: a fresh locals dict for unoptimised code is not modelled");
    Dict<RC>* l = locals != nullptr ? locals : globals;
    incref_stack(ts, &l->ob, t);
    f->locals = &l->ob;
  }
  f->trace = nullptr;
  f->exc_type = f->exc_value = f->exc_traceback = nullptr;
  f->stacktop = f->valuestack;
  f->builtins = builtins;
  if (back != nullptr) incref(ts, &back->ob, t);  // Py_XINCREF(back)
  f->back = back;
  incref_stack(ts, &code->ob, t);
  incref_stack(ts, &globals->ob, t);
  f->globals = globals;
  f->lasti = -1;
  f->lineno = code->firstlineno;
  f->iblock = 0;
  f->executing = 0;
  f->gen = nullptr;
  gc_track(ts, &f->gc);
  return f;
}

// Py_CLEAR / Py_XDECREF of a field fib never sets: a load and a test, as 3.6.
template <class Cfg>
[[gnu::always_inline]] inline void clear_field(ThreadState<Cfg>& ts, Object<typename Cfg::RC>*& field, Tally& t) {
  if (Object<typename Cfg::RC>* v = field) [[unlikely]] {
    field = nullptr;
    decref(ts, v, t);
  }
}

// frame_dealloc: untracks the frame, then, inside the trashcan's nesting
// guard, clears the locals and the value stack, drops back, builtins,
// globals and the optional fields, caches the block and drops the code
// last, in 3.6's order. The value stack is empty here (stacktop is reset
// when eval returns). Reached through the frame type's tp_dealloc.
template <class Cfg>
[[gnu::noinline]] void frame_dealloc(ThreadState<Cfg>& passed, Frame<typename Cfg::RC>* f, Tally& t) {
  using RC = typename Cfg::RC;
  gc_untrack(&f->gc);
  ThreadState<Cfg>& ts = tstate_get(passed);  // Py_TRASHCAN_SAFE_BEGIN: PyThreadState_GET()
  constexpr int kTrashUnwindLevel = 50;      // PyTrash_UNWIND_LEVEL
  if (ts.trash_delete_nesting >= kTrashUnwindLevel) [[unlikely]]
    not_modelled("frame_dealloc: the trashcan's deferred chain is not modelled (nesting too deep)");
  ++ts.trash_delete_nesting;
  Object<RC>** const valuestack = f->valuestack;
  for (Object<RC>** p = f->localsplus(); p < valuestack; ++p) {  // Py_CLEAR of each local
    Object<RC>* v = *p;
    *p = nullptr;
    if (v != nullptr) decref_stack(ts, v, t);
  }
  if (f->stacktop != nullptr) {
    for (Object<RC>** p = valuestack; p < f->stacktop; ++p)
      if (*p != nullptr) decref_stack(ts, *p, t);
  }
  if (f->back != nullptr) decref(ts, &f->back->ob, t);
  decref_stack(ts, &f->builtins->ob, t);
  decref_stack(ts, &f->globals->ob, t);
  if (Object<RC>* l = f->locals) [[unlikely]] {  // a module's or class body's namespace (a stack reference)
    f->locals = nullptr;
    decref_stack(ts, l, t);
  }
  clear_field(ts, f->trace, t);
  clear_field(ts, f->exc_type, t);
  clear_field(ts, f->exc_value, t);
  clear_field(ts, f->exc_traceback, t);
  Code<RC>* co = f->code;
  poison(&f->ob);
  if (!Cfg::Frames::push(ts.frames, f)) free_block(ts, f, frame_block_size<Cfg>(f->capacity));
  decref_stack(ts, &co->ob, t);
  --ts.trash_delete_nesting;
  if (ts.trash_delete_later != nullptr && ts.trash_delete_nesting <= 0) [[unlikely]]
    not_modelled("frame_dealloc: the trashcan's deferred chain is not modelled");
}

// The frame type's tp_dealloc.
template <class Cfg>
void frame_tp_dealloc(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o) {
  ++ts.counters.objects_destroyed;
  frame_dealloc(ts, as<Frame>(o), ts.counters.rc);
}

}  // namespace rclab::runtime
