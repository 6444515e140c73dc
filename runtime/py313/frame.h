// 3.13's interpreter frame (_PyInterpreterFrame, Include/internal/
// pycore_frame.h) and what initialises and clears it (_PyFrame_Initialize,
// _PyFrame_ClearLocals, _PyFrame_ClearExceptCode); the interpreter
// (runtime/py313/interp.h) pushes and pops it.
//
// A frame is not an object: it lives in the thread's frame stack (the
// frames axis: freelists/datastack.h), holds a strong reference to its code
// and its function, borrows its globals and builtins (the function keeps
// them), and has no GC link, no block stack, no f_back and no trashcan.
//
// Under py313-tlbc (3.14t's thread-local bytecode, runtime/py313/tlbc.h) a
// frame also holds the index of the copy of its code's bytecode it runs,
// and starts in its thread's copy (_PyFrame_InitializeTLBC); the other modes
// keep 3.13's frame exactly.
//
// A frame object (FrameObject, runtime/object.h) is made for a frame only
// when an exception's traceback needs one (frame_get_object); the frame
// holds it (frame_obj). When the frame is cleared and something else still
// holds the frame object (a traceback that outlives the frame), the frame
// object takes the frame's references over (take_ownership): its specials
// and slots are copied into the object, which then owns the code, the
// function and the locals, and links to its caller's frame object (f_back,
// made for the caller if it had none). Under a policy that defers stack
// references (3.14t's), the moved slots become counted references
// (from_stack), since no collector scans a frame object's copy.
//
// Reference counts, as 3.13's:
//   init(frame, func, code)   1 incref on the code (f_executable); the
//                             caller's reference to the function moves into
//                             f_funcobj; globals and builtins borrowed
//   clear(frame)              1 decref per non-null local, cell and free
//                             slot, 1 on the function, 1 on the code;
//                             with a frame object: 1d it, and if it is
//                             still held, 1i the code, the rest moves
//                             into it (1i its caller's frame object)
//   a frame object's dealloc  1d f_back; an owned copy: 1d the function,
//                             1d per non-null slot, 1d the code
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <utility>

#include "refcount/policy.h"
#include "runtime/object.h"
#include "runtime/object_ops.h"
#include "runtime/py313/tlbc.h"
#include "runtime/thread_state.h"

namespace rclab::runtime::py313 {

enum FrameOwner : std::uint8_t {
  kOwnedByThread = 0, kOwnedByGenerator = 1, kOwnedByFrameObject = 2, kOwnedByCStack = 3
};

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
  // strong: the caller's stack reference moved in. A function's, but for
  // the __init__ shim's frame (None): typed as 3.13 types it (PyObject*),
  // and cast where a function is known (COPY_FREE_VARS, RETURN_GENERATOR).
  Object<RC>* f_funcobj;
  Dict<RC>* f_globals;      // borrowed from the function
  Dict<RC>* f_builtins;     // borrowed from the function
  Object<RC>* f_locals;     // strong; null for a function's frame (a module's: its globals)
  void* frame_obj;          // the FrameObject (strong), made for a traceback, or null
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
  f->f_funcobj = &func->ob;
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

// _PyFrame_PushTrampolineUnchecked: a frame for `code` that no function
// runs (the __init__ shim's), pushed on the thread's frame stack, which has
// room (the caller checked): f_funcobj None (immortal: no count), the
// code's new reference, no globals, builtins or locals, the first
// instruction next (under py313-tlbc in the thread's copy of the bytecode,
// as _PyFrame_Initialize's), and `stackdepth` value slots in use, which the
// caller fills. The caller links it (previous) when it pushes the next frame.
template <class Cfg>
[[gnu::always_inline]] inline FrameOf<Cfg>* frame_push_trampoline(ThreadState<Cfg>& ts,
                                                                  Code<typename Cfg::RC>* code,
                                                                  int stackdepth, Tally& t) {
  auto* f = reinterpret_cast<FrameOf<Cfg>*>(Cfg::Frames::push(ts.frames, std::size_t(code->framesize)));
  f->f_funcobj = ts.rt.none;
  incref_stack(ts, &code->ob, t);  // Py_NewRef(code): immortal, as 3.13's static _Py_InitCleanup
  f->f_executable = code;
  f->f_globals = nullptr;
  f->f_builtins = nullptr;
  f->f_locals = nullptr;
  f->stacktop = code->nlocalsplus + stackdepth;
  f->frame_obj = nullptr;
  if constexpr (Cfg::Gen::kThreadLocalBytecode)
    tlbc_init_frame(ts, f, code);
  else
    f->instr_ptr = code->code;
  f->owner = kOwnedByThread;
  f->return_offset = 0;
  return f;
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

// frame_dealloc's half for an owned copy (the FrameObject's drop_frame):
// when the frame object owns its frame (take_ownership ran), the function,
// the locals mapping and every slot up to the saved stack top are dropped,
// and the code is returned for the caller to drop last; otherwise nothing
// (null).
template <class Cfg>
Object<typename Cfg::RC>* frame_object_drop(void* tsv, FrameObject<typename Cfg::RC>* fo) {
  using O = Object<typename Cfg::RC>;
  auto* f = static_cast<FrameOf<Cfg>*>(fo->data());
  if (fo->f_frame != f || f->owner != kOwnedByFrameObject) return nullptr;
  auto& ts = *static_cast<ThreadState<Cfg>*>(tsv);
  O* code = &std::exchange(f->f_executable, nullptr)->ob;
  decref(ts, std::exchange(f->f_funcobj, nullptr));
  xdecref(ts, std::exchange(f->f_locals, nullptr));
  for (std::int32_t i = 0; i < f->stacktop; ++i) xdecref(ts, std::exchange(f->localsplus[i], nullptr));
  return code;
}

// _PyFrame_MakeAndSetFrameObject (_PyFrame_New_NoTrack): a frame object
// with room for the code's whole frame (co_nlocalsplus + co_stacksize slots
// after the specials), pointing at `f`, which holds it. Nothing counted but
// its creation.
template <class Cfg>
[[gnu::noinline]] FrameObject<typename Cfg::RC>* frame_make_object(ThreadState<Cfg>& ts, FrameOf<Cfg>* f) {
  using RC = typename Cfg::RC;
  const std::uint32_t words = std::uint32_t(f->f_executable->framesize);
  auto* fo = static_cast<FrameObject<RC>*>(alloc_block(ts, sizeof(FrameObject<RC>) + words * sizeof(void*)));
  new (fo) FrameObject<RC>{};
  init_object(ts, &fo->ob, Type::kFrameObject);
  fo->data_words = words;
  fo->drop_frame = &frame_object_drop<Cfg>;
  fo->f_frame = f;
  f->frame_obj = fo;
  return fo;
}

// _PyFrame_GetFrameObject: the frame's object, made if it has none. Borrowed.
template <class Cfg>
inline FrameObject<typename Cfg::RC>* frame_get_object(ThreadState<Cfg>& ts, FrameOf<Cfg>* f) {
  if (f->frame_obj != nullptr) return static_cast<FrameObject<typename Cfg::RC>*>(f->frame_obj);
  return frame_make_object(ts, f);
}

// Py_REFCNT(f) > 1 for a frame object, which only this thread's objects
// refer to. Under a policy whose counts a commit thread applies later
// (buffered), the count read here may lag behind the references taken, so
// the frame object is taken to outlive the frame: the copy is then always
// made (a cost 3.13 does not have), never skipped while a traceback still
// points at the frame.
template <class Cfg>
inline bool frame_object_shared(FrameObject<typename Cfg::RC>* fo) {
  if constexpr (refcount::HasCommitThread<typename Cfg::RC>)
    return true;
  else
    return Cfg::RC::count(fo->ob.rc) > 1;
}

// _PyFrame_IsIncomplete: a C call's entry frame, or a frame before its
// code's first traceable instruction: only the __init__ shim's, whose
// firsttraceable lies past its end (every loaded code's is 0, so the
// offset is computed for the shim's frames only, in the copy of the
// bytecode the frame runs under py313-tlbc). No traceback entry is made for
// an incomplete frame, and a frame object's f_back skips it.
template <class Cfg>
inline bool frame_is_incomplete(FrameOf<Cfg>* f) {
  if (f->owner == kOwnedByCStack) return true;
  const Code<typename Cfg::RC>* co = f->f_executable;
  if (f->owner == kOwnedByGenerator || co->firsttraceable == 0) return false;
  const std::uint16_t* base;
  if constexpr (Cfg::Gen::kThreadLocalBytecode)
    base = frame_bytecode(f);
  else
    base = co->code;
  return f->instr_ptr < base + co->firsttraceable;
}

// take_ownership (Python/frame.c): the frame's specials and live slots
// copied into the frame object, which now owns them and the code (1i);
// the frame's first complete caller (entry frames and the __init__ shim's
// are incomplete) gets a frame object too, which this one's f_back holds
// (1i).
template <class Cfg>
[[gnu::noinline]] void frame_take_ownership(ThreadState<Cfg>& ts, FrameObject<typename Cfg::RC>* fo, FrameOf<Cfg>* f) {
  using F = FrameOf<Cfg>;
  const std::size_t size = std::size_t(reinterpret_cast<char*>(&f->localsplus[f->stacktop]) - reinterpret_cast<char*>(f));
  incref(ts, &f->f_executable->ob);
  std::memcpy(fo->data(), static_cast<const void*>(f), size);
  F* copy = static_cast<F*>(fo->data());
  fo->f_frame = copy;
  copy->owner = kOwnedByFrameObject;
  from_stack(ts, copy->f_funcobj);
  for (std::int32_t i = 0; i < copy->stacktop; ++i)
    if (Object<typename Cfg::RC>* v = copy->localsplus[i]) from_stack(ts, v);
  F* prev = f->previous;
  while (prev != nullptr && frame_is_incomplete<Cfg>(prev)) prev = prev->previous;  // _PyFrame_GetFirstComplete
  copy->previous = nullptr;
  if (prev != nullptr) {
    FrameObject<typename Cfg::RC>* back = frame_get_object(ts, prev);
    incref(ts, &back->ob);
    fo->back = back;
  }
}

// _PyFrame_ClearExceptCode (Python/frame.c, out of line): the frame object
// if one was made (dropped, or given the frame's references when something
// else still holds it), _PyFrame_ClearLocals, then the function.
template <class Cfg>
[[gnu::noinline]] void frame_clear_except_code(ThreadState<Cfg>& ts, FrameOf<Cfg>* f) {
  if (f->frame_obj != nullptr) [[unlikely]] {
    auto* fo = static_cast<FrameObject<typename Cfg::RC>*>(std::exchange(f->frame_obj, nullptr));
    if (frame_object_shared<Cfg>(fo)) {
      frame_take_ownership(ts, fo, f);
      decref(ts, &fo->ob);
      return;
    }
    decref(ts, &fo->ob);
  }
  frame_clear_locals(ts, f);
  decref_stack(ts, f->f_funcobj, ts.counters.rc);
}

}  // namespace rclab::runtime::py313
