// Thread-local bytecode (TLBC): how free-threaded CPython 3.14 (3.14t)
// specialises without a GIL, for py313-tlbc (runtime/generation.h:
// kThreadLocalBytecode). Objects/codeobject.c's "Thread-local bytecode"
// section (_PyCode_GetTLBC, create_tlbc_lock_held, copy_code),
// Include/internal/pycore_code.h (_PyCode_GetTLBCFast), pycore_interpframe.h
// (_PyFrame_InitializeTLBC, _PyFrame_GetBytecode) and Python/bytecodes.c
// (RESUME's _LOAD_BYTECODE).
//
// Every thread specialises its own copy of each code object's bytecode, so
// the specialiser's rewrites (opcodes, counters, caches: plain stores) race
// with nothing:
//   - per code object: co_tlbc (Code::tlbc), an array of copies by index,
//     16 entries at first (INITIAL_SPECIALIZED_CODE_SIZE); entry 0 is the
//     code's own adaptive copy (Code::code), quickened at load
//     (runtime/py313/marshal.h);
//   - per thread: an index from the runtime's pool, smallest free first
//     (runtime/generation.h, common/index_pool.h): 0 for the first thread —
//     rclab's runtime thread, which runs the module and expect() — so it
//     runs and specialises the main copy; given back when the thread ends,
//     and the next thread given it runs the copies it left;
//   - per frame: the index of the copy its instr_ptr points into
//     (runtime/py313/frame.h: FrameTlbc).
// A frame starts in its thread's copy when there is one, else in the main
// copy with index 0. RESUME (and RESUME_CHECK, which deopts to it) moves a
// frame whose index is not its thread's to the thread's copy, at the same
// offset, making the copy on first use under the code object's critical
// section: each instruction's base opcode with its oparg, caches zeroed,
// then quickened, so every thread warms up (two executions per site) and
// specialises on its own. Nothing before a code's RESUME specialises
// (MAKE_CELL, COPY_FREE_VARS), so a thread never writes a copy but its own.
//
// Threading contract:
//   - Code::tlbc is loaded with acquire by readers without the lock, and
//     replaced, under the code's lock, by a release store of a bigger array
//     filled first; the old array goes through QSBR (_PyMem_FreeDelayed),
//     since a reader may hold it until its next quiescent state.
//   - entries[i] is written under the lock by the thread whose index is i
//     (or copied into a bigger array under the lock), and read unlocked by
//     that thread only (the pool's mutex orders it before the next thread
//     given index i). Entry 0 is written once, before the code is shared.
//   - A copy's units are written by its own thread only. The main copy is
//     read by every thread making its copy, and written by index 0 only:
//     rclab's runtime thread, which never runs while workers do (3.14t's
//     main thread may, so its specialiser writes opcodes and counters with
//     relaxed atomics and copy_code reads them so; here plain accesses,
//     ordered by thread creation).
//   - Copies live as long as their code object (runtime/dealloc.h frees
//     them): a thread's end frees none, as in 3.14t. (3.14t's
//     sys._clear_internal_caches() frees the unused ones with the world
//     stopped; nothing here calls it.)
#pragma once

#include <cstddef>
#include <cstdint>

#include "dictlock/critical_section.h"
#include "runtime/object.h"
#include "runtime/object_ops.h"
#include "runtime/py313/opcodes.h"
#include "runtime/py313/specialize.h"
#include "runtime/runtime.h"

namespace rclab::runtime::py313 {

inline constexpr std::int64_t kInitialTlbcSize = 16;  // INITIAL_SPECIALIZED_CODE_SIZE

template <class Cfg>
CodeArray* tlbc_array_new(ThreadState<Cfg>& ts, std::int64_t size) {
  auto* a = static_cast<CodeArray*>(alloc_block(ts, CodeArray::block_size(size)));
  a->size = size;
  for (std::int64_t i = 0; i < size; ++i) a->entries()[i] = nullptr;
  return a;
}

// init_code's part: co_tlbc, its entry 0 the code's own (quickened) copy.
// Before the code object is shared.
template <class Cfg>
void tlbc_init_code(ThreadState<Cfg>& ts, Code<typename Cfg::RC>* co) {
  CodeArray* a = tlbc_array_new(ts, kInitialTlbcSize);
  a->entries()[0] = co->code;
  co->tlbc = a;
}

// _PyCode_GetTLBCFast: this thread's copy, or null when it has none yet.
template <class Cfg>
[[gnu::always_inline]] inline std::uint16_t* tlbc_get_fast(ThreadState<Cfg>& ts, Code<typename Cfg::RC>* co) {
  CodeArray* a = runtime::detail::load<true>(co->tlbc);
  const std::int32_t i = ts.gen.tlbc_index;
  return i < a->size ? a->entries()[i] : nullptr;
}

// _PyFrame_InitializeTLBC (from _PyFrame_Initialize).
template <class Cfg, class F>
[[gnu::always_inline]] inline void tlbc_init_frame(ThreadState<Cfg>& ts, F* f, Code<typename Cfg::RC>* co) {
  if (std::uint16_t* bc = tlbc_get_fast(ts, co)) [[likely]] {
    f->instr_ptr = bc;
    f->tlbc.index = ts.gen.tlbc_index;
  } else {
    f->instr_ptr = co->code;  // RESUME makes the thread's copy and moves the frame there
    f->tlbc.index = 0;
  }
}

// _PyFrame_GetBytecode: the copy the frame runs.
template <class F>
inline std::uint16_t* frame_bytecode(F* f) {
  return runtime::detail::load<true>(f->f_executable->tlbc)->entries()[f->tlbc.index];
}

namespace detail {
// copy_code: every instruction's base form (_Py_GetBaseCodeUnit) with its
// oparg, its caches zero, then the warm-up counters (_PyCode_Quicken).
template <class RC>
void tlbc_copy_code(std::uint16_t* dst, const Code<RC>* co) {
  const std::uint16_t* src = co->code;
  for (std::uint32_t i = 0; i < co->ncode;) {
    const std::uint8_t op = kDeopt[opcode_of(src[i])];
    dst[i] = std::uint16_t((src[i] & 0xff00) | op);
    const std::uint32_t caches = kCaches[op];
    for (std::uint32_t k = 1; k <= caches; ++k) dst[i + k] = 0;
    i += 1 + caches;
  }
  quicken(dst, co->ncode);
}

// create_tlbc_lock_held: the array grown to the next power of two that
// holds `idx` when it is too small, then the copy. Under the code's lock.
template <class Cfg>
std::uint16_t* tlbc_create_lock_held(ThreadState<Cfg>& ts, Code<typename Cfg::RC>* co, std::int32_t idx) {
  static_assert(kUsesQsbr<Cfg>, "an outgrown array is reclaimed through QSBR (runtime/qsbr.h)");
  CodeArray* a = co->tlbc;
  if (idx >= a->size) {
    std::int64_t size = a->size;
    while (size <= idx) size <<= 1;  // get_pow2_greater
    CodeArray* bigger = tlbc_array_new(ts, size);
    for (std::int64_t i = 0; i < a->size; ++i) bigger->entries()[i] = a->entries()[i];
    runtime::detail::store<true>(co->tlbc, bigger);  // release: a reader that loads it sees it filled
    Qsbr::retire(ts.qsbr, a, CodeArray::block_size(a->size));
    a = bigger;
  }
  auto* bc = static_cast<std::uint16_t*>(alloc_block(ts, co->ncode * sizeof(std::uint16_t)));
  tlbc_copy_code(bc, co);
  a->entries()[idx] = bc;
  return bc;
}
}  // namespace detail

// _PyCode_GetTLBC: this thread's copy, made now if it has none, in a
// critical section on the code object.
template <class Cfg>
[[gnu::noinline]] std::uint16_t* tlbc_get(ThreadState<Cfg>& ts, Code<typename Cfg::RC>* co) {
  dictlock::Section cs(co->mutex);
  CodeArray* a = co->tlbc;
  const std::int32_t idx = ts.gen.tlbc_index;
  if (idx < a->size && a->entries()[idx] != nullptr) return a->entries()[idx];
  return detail::tlbc_create_lock_held(ts, co, idx);
}

// RESUME's _LOAD_BYTECODE, when the frame's index is not its thread's: the
// frame moves to the thread's copy (_PyEval_GetExecutableCode: the fast
// lookup, else _PyCode_GetTLBC), at the same offset. Returns where to
// dispatch: the same RESUME in that copy.
template <class Cfg, class F>
[[gnu::noinline]] std::uint16_t* tlbc_switch(ThreadState<Cfg>& ts, F* frame, std::uint16_t* this_instr) {
  Code<typename Cfg::RC>* co = frame->f_executable;
  std::uint16_t* bc = tlbc_get_fast(ts, co);
  if (bc == nullptr) bc = tlbc_get(ts, co);
  const std::ptrdiff_t offset = this_instr - frame_bytecode(frame);
  frame->tlbc.index = ts.gen.tlbc_index;
  frame->instr_ptr = bc + offset;
  return frame->instr_ptr;
}

}  // namespace rclab::runtime::py313
