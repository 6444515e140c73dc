// Frames (frameobject.c): PyFrame_New and frame_dealloc, both forced inline
// into the eval loop. frame_new reads the Runtime's interned "__builtins__"
// name, so Runtime must be complete where it is instantiated.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/fatal.h"
#include "runtime/counters.h"
#include "runtime/dict.h"
#include "runtime/object.h"
#include "runtime/object_ops.h"
#include "runtime/thread_state.h"

namespace rclab::runtime {

// Frames (frameobject.c). The frame freelist replaces CPython 3.6's global
// free_list and per-code co_zombieframe; a per-code zombie frame would be a
// data race without a GIL, and neither changes the refcount pattern.

template <class Cfg>
inline std::size_t frame_block_size(std::uint32_t capacity) {
  return sizeof(Frame<typename Cfg::RC>) + capacity * sizeof(Object<typename Cfg::RC>*);
}

// PyFrame_New: takes new references to builtins, back, code and globals;
// then, as _PyFunction_FastCall does, a new reference to each of the `nargs`
// arguments as the first locals. The remaining locals start empty.
template <class Cfg>
[[gnu::always_inline]] inline Frame<typename Cfg::RC>* frame_new(ThreadState<Cfg>& ts, Code<typename Cfg::RC>* code,
                                          Dict<typename Cfg::RC>* globals, Object<typename Cfg::RC>** args,
                                          int nargs, Tally& t) {
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

  const std::uint32_t needed = std::uint32_t(code->nlocals + code->stacksize);
  auto* f = static_cast<Frame<RC>*>(Cfg::Frames::pop(ts.frames));
  if (f != nullptr && f->capacity < needed) {
    free_block(ts, f, frame_block_size<Cfg>(f->capacity));
    f = nullptr;
  }
  if (f == nullptr) {
    constexpr std::uint32_t kMinSlots = 8;  // so small frames are interchangeable on the freelist
    const std::uint32_t cap = needed > kMinSlots ? needed : kMinSlots;
    f = static_cast<Frame<RC>*>(alloc_block(ts, frame_block_size<Cfg>(cap)));
    f->capacity = cap;
  }
  init_object(ts, &f->ob, Type::kFrame);
  f->builtins = builtins;
  if (back != nullptr) incref(ts, &back->ob, t);  // Py_XINCREF(back)
  f->back = back;
  incref_stack(ts, &code->ob, t);
  f->code = code;
  incref_stack(ts, &globals->ob, t);
  f->globals = globals;
  Object<RC>** locals = f->localsplus();
  for (int i = 0; i < nargs; ++i) {
    incref_stack(ts, args[i], t);
    locals[i] = args[i];
  }
  for (std::int32_t i = nargs; i < code->nlocals; ++i) locals[i] = nullptr;
  return f;
}

// frame_dealloc: clears the locals, drops back, builtins, globals, then
// caches the block and drops the code last, in 3.6's order. The value stack
// is empty here: eval pops it before returning.
// Runs once per call: forced inline, so that GCC's size heuristics cannot
// turn it into a call the next time the function grows (they did, once:
// +50 instructions per fib call).
template <class Cfg>
[[gnu::always_inline]] inline void frame_dealloc(ThreadState<Cfg>& ts, Frame<typename Cfg::RC>* f, Tally& t) {
  using RC = typename Cfg::RC;
  Code<RC>* co = f->code;
  // Py_CLEAR of each local. A pointer walk: GCC vectorises an indexed loop,
  // and the set-up for that costs more than the one local fib has.
  for (Object<RC>**p = f->localsplus(), **end = p + co->nlocals; p != end; ++p) {
    Object<RC>* v = *p;
    *p = nullptr;
    if (v != nullptr) decref_stack(ts, v, t);
  }
  if (f->back != nullptr) decref(ts, &f->back->ob, t);
  decref_stack(ts, &f->builtins->ob, t);
  decref_stack(ts, &f->globals->ob, t);
  poison(&f->ob);
  if (!Cfg::Frames::push(ts.frames, f)) free_block(ts, f, frame_block_size<Cfg>(f->capacity));
  decref_stack(ts, &co->ob, t);
}

}  // namespace rclab::runtime
