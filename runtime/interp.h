// The bytecode interpreter: CPython 3.6's ceval.c for the opcodes fib uses,
// with its increfs and decrefs at the same places.
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
// Calls recurse on the C++ stack, as 3.6's call_function -> fast_function ->
// PyEval_EvalFrameEx does. The eval breaker is polled where 3.6's DISPATCH()
// polls it (after COMPARE_OP, the binary ops, LOAD_GLOBAL and CALL_FUNCTION),
// not after the FAST_DISPATCH opcodes (LOAD_FAST, LOAD_CONST, the jumps); a
// ticks GIL counts its ticks at the same places, as 2.7 checked _Py_Ticker
// everywhere but after `goto fast_next_opcode`.
#pragma once

#include <cstdint>

#include "common/fatal.h"
#include "runtime/opcodes.h"
#include "runtime/runtime.h"

namespace rclab::runtime {

template <SafeConfig Cfg>
struct Interp {
  using RC = typename Cfg::RC;
  using O = Object<RC>;
  using TS = ThreadState<Cfg>;

  static constexpr int kRecursionLimit = 1000;  // sys.getrecursionlimit()

  // PyEval_EvalFrameEx: runs `f` to its RETURN_VALUE and returns a new
  // reference to the result. `f` stays owned by the caller.
  static O* eval(TS& ts, Frame<RC>* f);

  // ceval.c's call_function: the callable and `oparg` arguments are the top
  // oparg+1 entries below `sp`; pops and releases them, returns a new
  // reference to the result.
  // Operations are tallied into `t` (see Tally in runtime.h).
  [[gnu::always_inline]] static O* call_function(TS& ts_in, O**& sp, int oparg, Tally& t) {
    TS& ts = tstate_get(ts_in);  // 3.6's call_function: PyThreadState_GET()
    O** pfunc = sp - oparg - 1;
    O* func = *pfunc;
    incref_stack(ts, func, t);
    O* x = fast_function(ts, func, pfunc + 1, oparg, t);
    decref_stack(ts, func, t);
    while (sp > pfunc) decref_stack(ts, *--sp, t);
    return x;
  }
  static O* call_function(TS& ts, O**& sp, int oparg) { return call_function(ts, sp, oparg, ts.counters.rc); }

 private:
  // fast_function + _PyFunction_FastCall: positional arguments only, no
  // defaults, no closures — the fast path every fib call takes in 3.6.
  [[gnu::always_inline]] static O* fast_function(TS& ts_in, O* func, O** args, int nargs, Tally& t) {
    TS& ts = tstate_get(ts_in);  // _PyFunction_FastCall: PyThreadState_GET()
    if (func->type != Type::kFunction) fatal("TypeError: object is not callable");
    Function<RC>* fn = as<Function>(func);
    Code<RC>* co = fn->code;
    if (co->argcount != nargs) fatal("TypeError: wrong number of positional arguments");
    Frame<RC>* f = frame_new(ts, co, fn->globals, args, nargs, t);
    O* result = eval(ts, f);
    // Py_DECREF(f): the frame is private, so this is (almost) always the
    // last reference; call its deallocator directly, as tp_dealloc would be.
    ++t.decrefs;
    if (RC::decref(f->ob.rc, ts.rc)) [[likely]] {
      ++ts.counters.objects_destroyed;
      frame_dealloc(ts, f, t);
    }
    return result;
  }

  static void handle_eval_breaker(TS& ts) {
    if (ts.rt.breaker.test(EvalBreaker::kGilDropRequest)) Cfg::Gil::yield(ts.rt.gil_shared, ts.gil);
  }

  static std::int64_t int_value(O* o, const char* op) {
    if (o->type != Type::kInt) fatal(op);
    return as<Int>(o)->value;
  }

  static O* compare(TS& ts, int cmp, O* left, O* right, Tally& t) {
    const std::int64_t a = int_value(left, "COMPARE_OP: only ints are modelled");
    const std::int64_t b = int_value(right, "COMPARE_OP: only ints are modelled");
    bool r;
    if (cmp == kLt) [[likely]]  // fib's only comparison; the switch costs a jump table
      r = a < b;
    else switch (cmp) {
      case kLt: r = a < b; break;
      case kLe: r = a <= b; break;
      case kEq: r = a == b; break;
      case kNe: r = a != b; break;
      case kGt: r = a > b; break;
      case kGe: r = a >= b; break;
      default: fatal("COMPARE_OP: unsupported comparison");
    }
    // long_richcompare returns Py_True/Py_False with a new reference.
    O* v = r ? ts.rt.true_ : ts.rt.false_;
    incref_stack(ts, v, t);  // pushed by the caller
    return v;
  }

  static O* binary(TS& ts, Op op, O* left, O* right, Tally& t) {
    const std::int64_t a = int_value(left, "BINARY_*: only ints are modelled");
    const std::int64_t b = int_value(right, "BINARY_*: only ints are modelled");
    std::int64_t r;
    const bool overflow = op == BINARY_ADD ? __builtin_add_overflow(a, b, &r) : __builtin_sub_overflow(a, b, &r);
    if (overflow) fatal("OverflowError: rclab ints are 64-bit");
    return int_from(ts, r, t);  // PyLong_FromLong: cached small int or a new object
  }
};

template <SafeConfig Cfg>
Object<typename Cfg::RC>* Interp<Cfg>::eval(TS& ts_in, Frame<RC>* f) {
  TS& ts = tstate_get(ts_in);  // PyEval_EvalFrameEx: PyThreadState *tstate = PyThreadState_GET()
  if (++ts.depth > kRecursionLimit) fatal("RecursionError: maximum recursion depth exceeded");
  ++ts.counters.calls;
  ts.frame = f;

  Code<RC>* const co = f->code;
  O** const consts = co->consts->items();
  O** const names = co->names->items();
  O** const fastlocals = f->localsplus();
  O** const stack_bottom = fastlocals + co->nlocals;
  const std::uint16_t* const first_instr = co->code;
  const std::uint16_t* ip = first_instr;
  O** sp = stack_bottom;
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
#define RCLAB_FAST_DISPATCH()   \
  do {                          \
    w = *ip++;                  \
    oparg = std::uint8_t(w >> 8); \
    goto* targets[w & 0xff];      \
  } while (0)
  // DISPATCH(): one relaxed load; the breaker is taken only when a request is pending.
#define RCLAB_DISPATCH()                                 \
  do {                                                   \
    Cfg::Gil::tick(ts.rt.gil_shared, ts.gil);            \
    if (breaker.any()) [[unlikely]]                      \
      handle_eval_breaker(ts);                           \
    poll_rc_safepoint(ts);                               \
    RCLAB_FAST_DISPATCH();                               \
  } while (0)

  RCLAB_FAST_DISPATCH();

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
  // _PyDict_LoadGlobal: globals first, then builtins, each one read through
  // the dict lock, which increfs the value where it knows it alive (under a
  // GIL or a `none` lock: right after the lookup, as 3.6).
  Str<RC>* name = as<Str>(names[oparg]);
  O* v = dict_load(ts, f->globals, name, t);
  if (v == nullptr) v = dict_load(ts, f->builtins, name, t);
  if (v == nullptr) [[unlikely]]
    fatal("NameError: global name is not defined");
  *sp++ = v;
  RCLAB_DISPATCH();
}
op_COMPARE_OP: {
  O* right = *--sp;
  O* left = sp[-1];
  O* res = compare(ts, oparg, left, right, t);
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
    ip = first_instr + oparg / 2;  // 3.6 jump arguments are byte offsets
    RCLAB_FAST_DISPATCH();
  }
  fatal("POP_JUMP_IF_FALSE: only bools are modelled");
}
op_BINARY_ADD: {
  O* right = *--sp;
  O* left = sp[-1];
  O* res = binary(ts, BINARY_ADD, left, right, t);
  decref_stack(ts, left, t);
  decref_stack(ts, right, t);
  sp[-1] = res;
  RCLAB_DISPATCH();
}
op_BINARY_SUBTRACT: {
  O* right = *--sp;
  O* left = sp[-1];
  O* res = binary(ts, BINARY_SUBTRACT, left, right, t);
  decref_stack(ts, left, t);
  decref_stack(ts, right, t);
  sp[-1] = res;
  RCLAB_DISPATCH();
}
op_CALL_FUNCTION: {
  O* res = call_function(ts, sp, oparg, t);
  *sp++ = res;
  RCLAB_DISPATCH();
}
op_RETURN_VALUE:
  retval = *--sp;
  goto exit_eval_frame;
op_unknown:
  fatal("unknown opcode");
#undef RCLAB_DISPATCH
#undef RCLAB_FAST_DISPATCH
#pragma GCC diagnostic pop

exit_eval_frame:
  while (sp > stack_bottom) {  // a well-formed return leaves none
    O* v = *--sp;
    if (v != nullptr) decref_stack(ts, v, t);
  }
  ts.counters.rc += t;
  ts.frame = f->back;
  --ts.depth;
  return retval;
}

}  // namespace rclab::runtime
