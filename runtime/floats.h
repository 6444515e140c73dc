// Floats (floatobject.c): PyFloat_FromDouble with its freelist, and the
// slots the workloads reach through float's type object: float_add,
// float_sub, float_mul, float_div (float_binop: nb_add, nb_subtract,
// nb_multiply, nb_true_divide) and float_richcompare; and int's nb_true_divide,
// long_true_divide, whose result is a float. 3.6 and 3.13 do the same
// work here: CONVERT_TO_DOUBLE on each operand (an int converted exactly
// when it fits a double's mantissa), the C operation, a new float.
//
// A float comes from the configuration's object freelists (kind kFloat, 100
// kept as PyFloat_MAXFREELIST) and goes back to them at its deallocation
// (runtime/dealloc.h), as 3.13's _PyFloat_ExactDealloc does. 3.6 kept
// floats too; rclab's py36 configurations keep no objects at all (their
// freelist axis is `none`, for every type alike).
#pragma once

#include <cstdint>

#include "common/fatal.h"
#include "runtime/ints.h"
#include "runtime/object.h"
#include "runtime/object_ops.h"
#include "runtime/richcompare.h"
#include "runtime/thread_state.h"
#include "runtime/types.h"

namespace rclab::runtime {

// PyFloat_FromDouble: a block from the float freelist, else the allocator.
template <class Cfg>
[[gnu::noinline]] Object<typename Cfg::RC>* float_from(ThreadState<Cfg>& ts, double v) {
  using RC = typename Cfg::RC;
  void* block = pop_object_block(ts, freelists::objects::kFloat);
  if (block == nullptr) block = alloc_block(ts, sizeof(Float<RC>));
  auto* f = static_cast<Float<RC>*>(block);
  init_object(ts, &f->ob, Type::kFloat);
  f->fval = v;
  return &f->ob;
}

// The largest int a double holds exactly (2**53): what rclab converts.
inline constexpr std::int64_t kExactInDouble = std::int64_t(1) << 53;

// CONVERT_TO_DOUBLE: a float's value, or an int's (PyLong_AsDouble); false
// for any other type (the slot's NotImplemented).
template <class Cfg>
inline bool as_double(Object<typename Cfg::RC>* o, double& out) {
  if (o->type == Type::kFloat) {
    out = as<Float>(o)->fval;
    return true;
  }
  if (o->type != Type::kInt) return false;
  const std::int64_t v = int_value(as<Int>(o));
  if (v > kExactInDouble || v < -kExactInDouble) [[unlikely]]
    not_modelled("an int beyond 2**53 converted to float (PyLong_AsDouble's rounding is not modelled)");
  out = double(v);
  return true;
}

// float_add, float_sub, float_mul, float_div: float's nb_add,
// nb_subtract, nb_multiply and nb_true_divide (runtime/typeobjects.h).
enum class FloatOp : std::uint8_t { kAdd, kSub, kMul, kDiv };

template <class Cfg, FloatOp kOp>
[[gnu::noinline]] Object<typename Cfg::RC>* float_binop(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* v,
                                                        Object<typename Cfg::RC>* w) {
  double a, b;
  if (!as_double<Cfg>(v, a) || !as_double<Cfg>(w, b)) return nullptr;  // NotImplemented
  double r;
  switch (kOp) {
    case FloatOp::kAdd: r = a + b; break;
    case FloatOp::kSub: r = a - b; break;
    case FloatOp::kMul: r = a * b; break;
    case FloatOp::kDiv:
      if (b == 0.0) [[unlikely]]
        not_modelled("ZeroDivisionError: float division by zero");
      r = a / b;
      break;
  }
  return float_from(ts, r);
}

// long_true_divide: two ints whose values fit a double's mantissa divide as
// doubles, correctly rounded (CPython's a_is_small && b_is_small path);
// larger ones take its integer algorithm, which rclab does not model.
template <class Cfg>
[[gnu::noinline]] Object<typename Cfg::RC>* long_true_divide(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* v,
                                                             Object<typename Cfg::RC>* w) {
  if (!long_check<Cfg>(v) || !long_check<Cfg>(w)) return nullptr;  // CHECK_BINOP
  const std::int64_t a = int_value(as<Int>(v)), b = int_value(as<Int>(w));
  if (b == 0) [[unlikely]]
    not_modelled("ZeroDivisionError: division by zero");
  if (a > kExactInDouble || a < -kExactInDouble || b > kExactInDouble || b < -kExactInDouble) [[unlikely]]
    not_modelled("int / int beyond 2**53 (long_true_divide's integer algorithm is not modelled)");
  return float_from(ts, double(a) / double(b));
}

// float_richcompare: against a float, or an int (whose value a double holds
// exactly here: CPython's nbits <= 48 path, widened to rclab's 2**53).
// A new reference to True or False, or nullptr (NotImplemented).
template <class Cfg>
[[gnu::noinline]] Object<typename Cfg::RC>* float_richcompare(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* v,
                                                              Object<typename Cfg::RC>* w, int op) {
  double a, b;
  if (!as_double<Cfg>(v, a) || !as_double<Cfg>(w, b)) return nullptr;
  bool r;
  switch (op) {
    case kLt: r = a < b; break;
    case kLe: r = a <= b; break;
    case kEq: r = a == b; break;
    case kNe: r = a != b; break;
    case kGt: r = a > b; break;
    case kGe: r = a >= b; break;
    default: fatal("float_richcompare: bad comparison");
  }
  return new_ref_to_immortal(ts, r ? ts.rt.true_ : ts.rt.false_, ts.counters.rc);  // Py_RETURN_RICHCOMPARE
}

}  // namespace rclab::runtime
