// 3.13's interpreter frame (_PyInterpreterFrame, Include/internal/
// pycore_frame.h) and what initialises and clears it (_PyFrame_Initialize,
// _PyFrame_ClearLocals, _PyFrame_ClearExceptCode); the interpreter
// (runtime/py313/interp.h) pushes and pops it.
//
// A frame is not an object: it lives in the thread's frame stack (the
// frames axis: freelists/datastack.h), holds a strong reference to its code
// and its function, borrows its globals and builtins (the function keeps
// them), and has no GC link, no block stack, no f_back and no trashcan. A
// frame object (PyFrameObject) would be made only when something asks for
// one (sys._getframe, a traceback); nothing rclab runs does, so frame_obj
// stays null and is tested where 3.13 tests it.
//
// Under py313-tlbc (3.14t's thread-local bytecode, runtime/py313/tlbc.h) a
// frame also holds the index of the copy of its code's bytecode it runs,
// and starts in its thread's copy (_PyFrame_InitializeTLBC); the other modes
// keep 3.13's frame exactly.
//
// Reference counts, as 3.13's:
//   init(frame, func, code)   1 incref on the code (f_executable); the
//                             caller's reference to the function moves into
//                             f_funcobj; globals and builtins borrowed
//   clear(frame)              1 decref per non-null local, cell and free
//                             slot, 1 on the function, 1 on the code
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "runtime/object.h"
#include "runtime/object_ops.h"
#include "runtime/py313/tlbc.h"
#include "runtime/thread_state.h"

namespace rclab::runtime::py313 {

enum FrameOwner : std::uint8_t { kOwnedByThread = 0, kOwnedByGenerator = 1, kOwnedByCStack = 3 };

// py313-tlbc's field (3.14t's _PyInterpreterFrame.tlbc_index, under
// Py_GIL_DISABLED): which thread-local copy of its code's bytecode instr_ptr
// points into (runtime/py313/tlbc.h). Empty in the other modes, whose frame
// stays 3.13's (the static_assert below).
template <bool kTlbc>
struct FrameTlbc {};
template <>
struct FrameTlbc<true> {
  std::int32_t index;
};

template <class RC, bool kTlbc = false>
struct Frame {
  Code<RC>* f_executable;  // strong
  Frame* previous;
  Function<RC>* f_funcobj;  // strong: the caller's stack reference moved in
  Dict<RC>* f_globals;      // borrowed from the function
  Dict<RC>* f_builtins;     // borrowed from the function
  Object<RC>* f_locals;     // strong; null for a function's frame (a module's: its globals)
  void* frame_obj;          // the PyFrameObject, never made here
  std::uint16_t* instr_ptr;  // the instruction executing, or next to execute
  std::int32_t stacktop;     // top of the value stack, in localsplus slots; -1 while the loop holds it
  std::uint16_t return_offset;  // where the caller resumes, in code units after its CALL
  std::uint8_t owner;
  [[no_unique_address]] FrameTlbc<kTlbc> tlbc;
  Object<RC>* localsplus[1];  // locals, cells, frees, then the value stack
};

// A configuration's frame: with the TLBC index under py313-tlbc.
template <class Cfg>
using FrameOf = Frame<typename Cfg::RC, Cfg::Gen::kThreadLocalBytecode>;

// FRAME_SPECIALS_SIZE: the frame's own words before localsplus. A code's
// co_framesize is this plus its locals and its stack.
template <class RC, bool kTlbc = false>
inline constexpr std::int32_t kFrameSpecials =
    std::int32_t((sizeof(Frame<RC, kTlbc>) - sizeof(Object<RC>*)) / sizeof(void*));
template <class Cfg>
inline constexpr std::int32_t kFrameSpecialsOf = kFrameSpecials<typename Cfg::RC, Cfg::Gen::kThreadLocalBytecode>;

// _PyFrame_Initialize: `func`'s reference moves in; the code is increfed;
// slots from `null_from` up to the locals' end start empty.
template <class Cfg>
[[gnu::always_inline]] inline void frame_init(ThreadState<Cfg>& ts, FrameOf<Cfg>* f,
                                              Function<typename Cfg::RC>* func, Object<typename Cfg::RC>* locals,
                                              Code<typename Cfg::RC>* code, int null_from, Tally& t) {
  f->f_funcobj = func;
  incref_stack(ts, &code->ob, t);  // Py_NewRef(code)
  f->f_executable = code;
  f->f_builtins = func->builtins;
  f->f_globals = func->globals;
  f->f_locals = locals;
  f->stacktop = code->nlocalsplus;
  f->frame_obj = nullptr;
  if constexpr (Cfg::Gen::kThreadLocalBytecode)
    tlbc_init_frame(ts, f, code);  // the thread's copy if it has one, else the main copy until RESUME
  else
    f->instr_ptr = code->code;
  f->return_offset = 0;
  f->owner = kOwnedByThread;
  for (int i = null_from; i < code->nlocalsplus; ++i) f->localsplus[i] = nullptr;
}

// _PyFrame_Copy: a frame's specials and its live slots (locals and stack,
// up to stacktop) into `dest` (a generator's embedded frame); the
// references move with them, and the copy is unlinked.
template <class Cfg>
inline void frame_copy(FrameOf<Cfg>* src, FrameOf<Cfg>* dest) {
  const std::size_t specials = std::size_t(reinterpret_cast<char*>(src->localsplus) - reinterpret_cast<char*>(src));
  std::memcpy(static_cast<void*>(dest), static_cast<const void*>(src),
              specials + std::size_t(src->stacktop) * sizeof(void*));
  dest->previous = nullptr;
}

// _PyFrame_ClearLocals (Python/frame.c): the locals and anything left on
// the stack, then the locals mapping. Inlined into
// _PyFrame_ClearExceptCode in 3.13's build, out of line in 3.13t's
// (runtime/config.h: free_threaded_build).
template <class Cfg>
[[gnu::always_inline]] inline void frame_clear_locals_body(ThreadState<Cfg>& ts, FrameOf<Cfg>* f) {
  Tally& t = ts.counters.rc;
  const std::int32_t stacktop = f->stacktop;
  f->stacktop = 0;
  for (std::int32_t i = 0; i < stacktop; ++i)
    if (Object<typename Cfg::RC>* v = f->localsplus[i]) decref_stack(ts, v, t);
  if (Object<typename Cfg::RC>* l = f->f_locals) {
    f->f_locals = nullptr;
    decref(ts, l, t);
  }
}
template <class Cfg>
[[gnu::noinline]] void frame_clear_locals_outlined(ThreadState<Cfg>& ts, FrameOf<Cfg>* f) {
  frame_clear_locals_body(ts, f);
}
template <class Cfg>
[[gnu::always_inline]] inline void frame_clear_locals(ThreadState<Cfg>& ts, FrameOf<Cfg>* f) {
  if constexpr (free_threaded_build<Cfg>())
    frame_clear_locals_outlined(ts, f);
  else
    frame_clear_locals_body(ts, f);
}

// _PyFrame_ClearExceptCode (Python/frame.c, out of line): the frame object
// if one was made (never here), _PyFrame_ClearLocals, then the function.
template <class Cfg>
[[gnu::noinline]] void frame_clear_except_code(ThreadState<Cfg>& ts, FrameOf<Cfg>* f) {
  if (f->frame_obj != nullptr) [[unlikely]]
    fatal("py313: a frame object was made; rclab never makes one");
  frame_clear_locals(ts, f);
  decref_stack(ts, &f->f_funcobj->ob, ts.counters.rc);
}

}  // namespace rclab::runtime::py313
