// The bytecode interpreter: CPython 3.6's ceval.c for the opcodes fib uses,
// with its increfs and decrefs at the same places, and the same call path:
// the same functions out of line, the same slots called indirectly, the
// same per-instruction and per-frame bookkeeping (f_lasti, the tracing
// test, the recursion guard, the frame's fields, GC tracking, the
// trashcan, _Py_CheckFunctionResult). Where 3.6 calls a function, so does
// this; where 3.6 inlines a macro, this inlines. rclab measures what a
// strategy costs against this work, so it must be 3.6's work: with less,
// every refcount operation would weigh more than it does in CPython
// (tests/README.md says how the instructions per call were compared).
//
// Reference-count operations per instruction, as in 3.6 (i = incref, d = decref):
//   LOAD_FAST, LOAD_CONST, LOAD_GLOBAL     1i   (push a new reference)
//   COMPARE_OP                             1i (the bool result) + 2d (operands)
//   POP_JUMP_IF_FALSE                      1d   (the condition)
//   BINARY_ADD, BINARY_SUBTRACT            2d + 1i when the result is a cached
//                                          small int (else a new allocation)
//   RETURN_VALUE                           0    (the reference moves to the caller)
//   CALL_FUNCTION  call_function:          1i + 1d on the callable, then 1d each
//                                          for the callable and args popped
//                  _PyFunction_FastCall:   1i per argument copied into the frame,
//                                          1d on the frame when it returns
//                  PyFrame_New:            1i each: builtins, back (if any), code, globals
//                  frame_dealloc:          1d each: locals, back (if any), builtins,
//                                          globals, code
// tests/interp_test.cpp derives the totals per fib call from this table and
// checks the interpreter's counters against them exactly.
//
// The call path, as 3.6's: CALL_FUNCTION -> call_function (fast_function
// inlined) -> _PyFunction_FastCall -> PyFrame_New, PyEval_EvalFrameEx (through
// the interpreter's eval_frame pointer) -> _PyEval_EvalFrameDefault (eval
// here), then Py_DECREF(frame) -> tp_dealloc -> frame_dealloc. Calls recurse
// on the C++ stack. The thread state is fetched (tstate_get, 3.6's
// PyThreadState_GET()) at each of 3.6's nine fetches per fib call, so a
// looking-up policy pays what the Gilectomy's pthread_getspecific paid.
//
// The eval breaker is polled where 3.6's DISPATCH() polls it (after
// COMPARE_OP, the binary ops, LOAD_GLOBAL and CALL_FUNCTION), not after the
// FAST_DISPATCH opcodes (LOAD_FAST, LOAD_CONST, the jumps); a ticks GIL
// counts its ticks at the same places and once per frame entry, as 2.7
// decremented _Py_Ticker in DISPATCH and at the loop's top, everywhere but
// after `goto fast_next_opcode`.
#pragma once

#include <cstdint>

#include "common/fatal.h"
#include "runtime/abstract.h"
#include "runtime/opcodes.h"
#include "runtime/runtime.h"

namespace rclab::runtime {

template <SafeConfig Cfg>
struct Interp {
  using RC = typename Cfg::RC;
  using O = Object<RC>;
  using TS = ThreadState<Cfg>;

  // _PyEval_EvalFrameDefault: runs `f` to its RETURN_VALUE and returns a new
  // reference to the result. `f` stays owned by the caller.
  static O* eval(TS& ts, Frame<RC>* f);

  // tstate->interp->eval_frame (PEP 523): PyEval_EvalFrameEx calls eval
  // through it. volatile, so the call stays an indirect call through a
  // loaded pointer, as 3.6's.
  static inline O* (*volatile eval_frame)(TS&, Frame<RC>*) = &eval;

  // _Py_TracingPossible: set while any thread traces; FAST_DISPATCH tests it
  // on every instruction. rclab never traces.
  static inline int tracing_possible = 0;

  // ceval.c's call_function: the callable and `oparg` arguments are the top
  // oparg+1 entries below `sp`; pops and releases them, returns a new
  // reference to the result. Counts into ts.counters.rc.
  [[gnu::noinline]] static O* call_function(TS& ts, O**& sp, int oparg) {
    Tally& t = ts.counters.rc;
    O** pfunc = sp - oparg - 1;
    O* func = *pfunc;
    // PyCFunction_Check and PyMethod_Check come first in 3.6; rclab has
    // neither kind of callable, so both tests fail, as they do for fib.
    if (func->type == Type::kNone) [[unlikely]]
      fatal("TypeError: 'NoneType' object is not callable");
    incref_stack(ts, func, t);
    O** stack = sp - oparg;
    O* x;
    if (func->type == Type::kFunction) [[likely]]
      x = fast_function(ts, func, stack, oparg);
    else
      fatal("TypeError: object is not callable");
    decref_stack(ts, func, t);
    while (sp > pfunc) decref_stack(ts, *--sp, t);
    return x;
  }

 private:
  // fast_function (inlined into call_function, as 3.6's static function):
  // the fast path every fib call takes: no keyword-only arguments, plain
  // optimised code, no defaults, as many arguments as parameters.
  [[gnu::always_inline]] static O* fast_function(TS& ts, O* func, O** stack, int nargs) {
    Function<RC>* fn = as<Function>(func);
    Code<RC>* co = fn->code;
    Dict<RC>* globals = fn->globals;
    Tuple<RC>* argdefs = fn->defaults;
    if (co->kwonlyargcount == 0 && co->flags == (kCoOptimized | kCoNewLocals | kCoNofree)) [[likely]] {
      if (argdefs == nullptr && co->argcount == nargs) [[likely]]
        return function_fast_call(ts, co, stack, nargs, globals);
    }
    fatal("TypeError: only calls with exactly the positional parameters are modelled");
  }

  // _PyFunction_FastCall: a frame, the arguments copied in, the frame
  // evaluated and released with the recursion depth raised around the
  // release (3.6 does, so that deep deallocation chains count).
  [[gnu::noinline]] static O* function_fast_call(TS& passed, Code<RC>* co, O** args, int nargs,
                                                 Dict<RC>* globals) {
    TS& ts = tstate_get(passed);
    Tally& t = ts.counters.rc;
    Frame<RC>* f = frame_new(ts, co, globals, t);
    O** fastlocals = f->localsplus();
    for (int i = 0; i < nargs; ++i) {
      incref_stack(ts, args[i], t);
      fastlocals[i] = args[i];
    }
    O* result = eval_frame_ex(ts, f);
    ++ts.depth;
    // Py_DECREF(f): the frame is private, so this is (almost) always the
    // last reference.
    if constexpr (refcount::HasCommitThread<RC>) {
      // The commit thread applies this decref and frees the frame on its
      // own thread: untrack it here, on the thread whose GC list holds it
      // (untracking twice is a no-op, as in 3.6).
      gc_untrack(&f->gc);
    }
    ++t.decrefs;
    if (RC::decref(f->ob.rc, ts.rc)) [[likely]]
      type_of<Cfg>(&f->ob)->tp_dealloc(ts, &f->ob);
    --ts.depth;
    return result;
  }

  // PyEval_EvalFrameEx: PyThreadState_GET(), then the eval_frame hook.
  [[gnu::noinline]] static O* eval_frame_ex(TS& passed, Frame<RC>* f) {
    TS& ts = tstate_get(passed);
    return eval_frame(ts, f);
  }

  // PyErr_Occurred: the thread state's pending exception.
  [[gnu::noinline]] static void* err_occurred(TS& passed) { return tstate_get(passed).curexc_type; }

  // _Py_CheckFunctionResult: a result and an exception are exclusive.
  [[gnu::noinline]] static O* check_function_result(TS& ts, O* result) {
    const bool err = err_occurred(ts) != nullptr;
    if (result == nullptr) [[unlikely]]
      fatal("SystemError: a function returned NULL without setting an error");
    if (err) [[unlikely]]
      fatal("SystemError: a function returned a result with an error set");
    return result;
  }

  static void handle_eval_breaker(TS& ts) {
    if (ts.rt.breaker.test(EvalBreaker::kGilDropRequest)) Cfg::Gil::yield(ts.rt.gil_shared, ts.gil);
  }

  // _PyDict_LoadGlobal's callers test that both namespaces are exact dicts.
  static bool dict_check_exact(const Dict<RC>* d) { return d->ob.type == Type::kDict; }
};

template <SafeConfig Cfg>
Object<typename Cfg::RC>* Interp<Cfg>::eval(TS& ts_in, Frame<RC>* f) {
  TS& ts = tstate_get(ts_in);  // PyThreadState *tstate = PyThreadState_GET()
  enter_recursive_call(ts);    // Py_EnterRecursiveCall("")
  ++ts.counters.calls;
  ts.frame = f;
  if (ts.use_tracing) [[unlikely]]
    fatal("tracing is not modelled");

  Code<RC>* const co = f->code;
  O** const consts = co->consts->items();
  O** const names = co->names->items();
  O** const fastlocals = f->localsplus();
  const std::uint16_t* const first_instr = co->code;
  const std::uint16_t* ip = first_instr;
  if (f->lasti >= 0) [[unlikely]]  // resuming (generators): never here
    ip += f->lasti / 2 + 1;
  O** sp = f->stacktop;
  O** const stack_bottom = f->valuestack;
  f->stacktop = nullptr;  // remains null unless a yield suspends the frame
  f->executing = 1;
  if (co->flags & (kCoGenerator | kCoCoroutine | kCoAsyncGenerator)) [[unlikely]]
    fatal("generators are not modelled");
  O* retval;
  Tally t;  // in registers; added to ts.counters on return
  const EvalBreaker& breaker = ts.rt.breaker;

  // Threaded dispatch, as CPython's USE_COMPUTED_GOTOS: every opcode ends
  // in its own indirect jump, so the branch predictor learns each opcode's
  // successor instead of sharing one jump for all of them. (Labels as
  // values are a GCC/Clang extension; CPython relies on it the same way.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
  // A full 256-entry table, as CPython's opcode_targets.h, so a dispatch is
  // one load and one jump. Built by macro because label addresses cannot go
  // through a constexpr function.
#define RCLAB_T(i)                                      \
  ((i) == LOAD_FAST           ? &&op_LOAD_FAST          \
   : (i) == LOAD_CONST        ? &&op_LOAD_CONST         \
   : (i) == LOAD_GLOBAL       ? &&op_LOAD_GLOBAL        \
   : (i) == COMPARE_OP        ? &&op_COMPARE_OP         \
   : (i) == POP_JUMP_IF_FALSE ? &&op_POP_JUMP_IF_FALSE  \
   : (i) == BINARY_ADD        ? &&op_BINARY_ADD         \
   : (i) == BINARY_SUBTRACT   ? &&op_BINARY_SUBTRACT    \
   : (i) == CALL_FUNCTION     ? &&op_CALL_FUNCTION      \
   : (i) == RETURN_VALUE      ? &&op_RETURN_VALUE       \
                              : &&op_unknown)
#define RCLAB_T4(i) RCLAB_T(i), RCLAB_T(i + 1), RCLAB_T(i + 2), RCLAB_T(i + 3)
#define RCLAB_T16(i) RCLAB_T4(i), RCLAB_T4(i + 4), RCLAB_T4(i + 8), RCLAB_T4(i + 12)
#define RCLAB_T64(i) RCLAB_T16(i), RCLAB_T16(i + 16), RCLAB_T16(i + 32), RCLAB_T16(i + 48)
  static void* const targets[256] = {RCLAB_T64(0), RCLAB_T64(64), RCLAB_T64(128), RCLAB_T64(192)};
#undef RCLAB_T64
#undef RCLAB_T16
#undef RCLAB_T4
#undef RCLAB_T
  std::uint16_t w;
  std::uint8_t oparg;
  // NEXTOPARG() and the jump to the opcode.
#define RCLAB_NEXT()                \
  do {                              \
    w = *ip++;                      \
    oparg = std::uint8_t(w >> 8);   \
    goto* targets[w & 0xff];        \
  } while (0)
  // FAST_DISPATCH(): f_lasti is stored and _Py_TracingPossible tested on
  // every instruction, as 3.6 does.
#define RCLAB_FAST_DISPATCH()                                 \
  do {                                                        \
    if (!tracing_possible) [[likely]] {                       \
      f->lasti = std::int32_t(2 * (ip - first_instr));        \
      RCLAB_NEXT();                                           \
    }                                                         \
    goto fast_next_opcode;                                    \
  } while (0)
  // DISPATCH(): one relaxed load of the eval breaker; the loop's top takes
  // it when a request is pending. The ticks GIL counts here, and a policy
  // with safepoints polls them here.
#define RCLAB_DISPATCH()                                 \
  do {                                                   \
    Cfg::Gil::tick(ts.rt.gil_shared, ts.gil);            \
    poll_rc_safepoint(ts);                               \
    if (!breaker.any()) [[likely]]                       \
      RCLAB_FAST_DISPATCH();                             \
    goto loop_top;                                       \
  } while (0)

  // Entering a frame passes the loop's top once: 2.7 decremented _Py_Ticker
  // there (a ticks GIL counts it; 3.x's GIL has no ticker).
  Cfg::Gil::tick(ts.rt.gil_shared, ts.gil);
loop_top:
  if (breaker.any()) [[unlikely]]
    handle_eval_breaker(ts);
fast_next_opcode:
  f->lasti = std::int32_t(2 * (ip - first_instr));
  if (tracing_possible && ts.c_tracefunc != nullptr && !ts.tracing) [[unlikely]]
    fatal("line tracing is not modelled");
  RCLAB_NEXT();

op_LOAD_FAST: {
  O* v = fastlocals[oparg];
  if (v == nullptr) [[unlikely]]
    fatal("UnboundLocalError");
  incref_stack(ts, v, t);
  *sp++ = v;
  RCLAB_FAST_DISPATCH();
}
op_LOAD_CONST: {
  O* v = consts[oparg];
  incref_stack(ts, v, t);
  *sp++ = v;
  RCLAB_FAST_DISPATCH();
}
op_LOAD_GLOBAL: {
  Str<RC>* name = as<Str>(names[oparg]);
  if (!dict_check_exact(f->globals) || !dict_check_exact(f->builtins)) [[unlikely]]
    fatal("LOAD_GLOBAL: only exact dicts are modelled");
  // _PyDict_LoadGlobal: globals first, then builtins, each one read through
  // the dict lock, which increfs the value where it knows it alive (under a
  // GIL or a `none` lock: right after the lookup, as 3.6).
  O* v = dict_load_global(ts, f->globals, f->builtins, name);
  if (v == nullptr) [[unlikely]]
    fatal("NameError: global name is not defined");
  *sp++ = v;
  RCLAB_DISPATCH();
}
op_COMPARE_OP: {
  O* right = *--sp;
  O* left = sp[-1];
  // cmp_outcome: `is`, `in` and exception matching are handled inline; the
  // rich comparisons go to PyObject_RichCompare.
  if (oparg > kGe) [[unlikely]]
    fatal("COMPARE_OP: only rich comparisons are modelled");
  O* res = rich_compare(ts, left, right, oparg);
  decref_stack(ts, left, t);
  decref_stack(ts, right, t);
  sp[-1] = res;
  RCLAB_DISPATCH();
}
op_POP_JUMP_IF_FALSE: {
  O* cond = *--sp;
  if (cond == ts.rt.true_) {
    decref_stack(ts, cond, t);
    RCLAB_FAST_DISPATCH();
  }
  if (cond == ts.rt.false_) {
    decref_stack(ts, cond, t);
    ip = first_instr + oparg / 2;  // JUMPTO: 3.6 jump arguments are byte offsets
    RCLAB_FAST_DISPATCH();
  }
  fatal("POP_JUMP_IF_FALSE: only bools are modelled");
}
op_BINARY_ADD: {
  O* right = *--sp;
  O* left = sp[-1];
  // 3.6 tests for two strs first (unicode_concatenate); rclab has no str
  // arithmetic, and the test fails for ints as it does in 3.6.
  O* sum = number_add(ts, left, right);
  decref_stack(ts, left, t);
  decref_stack(ts, right, t);
  sp[-1] = sum;
  RCLAB_DISPATCH();
}
op_BINARY_SUBTRACT: {
  O* right = *--sp;
  O* left = sp[-1];
  O* diff = number_subtract(ts, left, right);
  decref_stack(ts, right, t);
  decref_stack(ts, left, t);
  sp[-1] = diff;
  RCLAB_DISPATCH();
}
op_CALL_FUNCTION: {
  O* res = call_function(ts, sp, oparg);
  *sp++ = res;
  RCLAB_DISPATCH();
}
op_RETURN_VALUE:
  retval = *--sp;
  goto fast_block_end;
op_unknown:
  fatal("unknown opcode");
#undef RCLAB_DISPATCH
#undef RCLAB_FAST_DISPATCH
#undef RCLAB_NEXT
#pragma GCC diagnostic pop

fast_block_end:
  if (f->iblock > 0) [[unlikely]]
    fatal("blocks (loops, try) are not modelled");
  while (sp > stack_bottom) {  // a well-formed return leaves none
    O* v = *--sp;
    if (v != nullptr) decref_stack(ts, v, t);
  }
  if (ts.use_tracing) [[unlikely]]
    fatal("tracing is not modelled");
  ts.counters.rc += t;
  leave_recursive_call(ts);  // Py_LeaveRecursiveCall()
  f->executing = 0;
  ts.frame = f->back;
  return check_function_result(ts, retval);
}

}  // namespace rclab::runtime
