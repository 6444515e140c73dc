// Ints (longobject.c): PyLong_FromLong with the small-int cache, and the
// slots the workloads reach through int's type object: long_add, long_sub,
// long_mul (nb_add, nb_subtract, nb_multiply) and long_richcompare (tp_richcompare). Each is out of line,
// as in 3.6, and does 3.6's work: the digit representation, the one-digit
// fast paths, CHECK_BINOP's type tests, the comparison on digits.
//
// Multi-digit arithmetic goes through a 64-bit value and back rather than
// 3.6's x_add/x_sub digit loops (fib(n) stays within one 30-bit digit up to
// n = 43, so fib's path never takes it). The small-int cache is the
// Runtime's (runtime/runtime.h), so Runtime must be complete where these are
// instantiated.
#pragma once

#include <cstdint>

#include "common/fatal.h"
#include "runtime/counters.h"
#include "runtime/object.h"
#include "runtime/object_ops.h"
#include "runtime/richcompare.h"
#include "runtime/thread_state.h"
#include "runtime/types.h"

namespace rclab::runtime {

// PyLong_Check: a type-flag test through the type object.
template <class Cfg>
[[gnu::always_inline]] inline bool long_check(const Object<typename Cfg::RC>* o) {
  return (type_of<Cfg>(o)->tp_flags & kTpLongSubclass) != 0;
}

// The value of an int, any size (PyLong_AsLongLong without the error path).
template <class RC>
inline std::int64_t int_value(const Int<RC>* v) {
  const std::int64_t n = v->size < 0 ? -v->size : v->size;
  std::uint64_t x = 0;
  for (std::int64_t i = n; i-- > 0;) x = (x << Int<RC>::kShift) | v->digits()[i];
  return v->size < 0 ? -std::int64_t(x) : std::int64_t(x);
}

// MEDIUM_VALUE: the value of an int of at most one digit.
template <class RC>
[[gnu::always_inline]] inline std::int64_t medium_value(const Int<RC>* x) {
  return x->size < 0 ? -std::int64_t(x->digits()[0]) : (x->size == 0 ? 0 : std::int64_t(x->digits()[0]));
}

// Writes v's digits and sign into a fresh int; the caller allocated
// Int::block_size(ndigits) bytes.
template <class RC>
inline void int_set(Int<RC>* i, std::int64_t v) {
  std::uint64_t t = v < 0 ? 0 - std::uint64_t(v) : std::uint64_t(v);
  std::int64_t n = 0;
  std::uint32_t* p = i->digits();
  p[0] = 0;
  while (t) {
    p[n++] = std::uint32_t(t & Int<RC>::kMask);
    t >>= Int<RC>::kShift;
  }
  i->size = v < 0 ? -n : n;
}

template <class RC>
constexpr std::int64_t int_ndigits(std::int64_t v) {
  std::uint64_t t = v < 0 ? 0 - std::uint64_t(v) : std::uint64_t(v);
  std::int64_t n = 0;
  for (; t; t >>= Int<RC>::kShift) ++n;
  return n;
}

// PyLong_FromLong: a cached small int (a new reference to a shared object,
// so its count is contended) or a new object of one digit or more.
template <class Cfg>
[[gnu::noinline]] Object<typename Cfg::RC>* int_from(ThreadState<Cfg>& ts, std::int64_t v, Tally& t) {
  using RC = typename Cfg::RC;
  using R = Runtime<Cfg>;
  if (v >= R::kSmallIntMin && v <= R::kSmallIntMax) {  // CHECK_SMALL_INT
    return new_ref_to_immortal(ts, &ts.rt.small_ints[v - R::kSmallIntMin]->ob, t);  // get_small_int
  }
  const std::uint64_t abs_v = v < 0 ? 0 - std::uint64_t(v) : std::uint64_t(v);
  if (!(abs_v >> Int<RC>::kShift)) {  // the one-digit fast path (_PyLong_New(1))
    auto* i = static_cast<Int<RC>*>(alloc_block(ts, Int<RC>::block_size(1)));
    init_object(ts, &i->ob, Type::kInt);
    i->size = v < 0 ? -1 : 1;
    i->digits()[0] = std::uint32_t(abs_v);
    return &i->ob;
  }
  const std::int64_t n = int_ndigits<RC>(v);  // larger: count the digits first
  auto* i = static_cast<Int<RC>*>(alloc_block(ts, Int<RC>::block_size(n)));
  init_object(ts, &i->ob, Type::kInt);
  int_set(i, v);
  return &i->ob;
}

template <class Cfg>
inline Object<typename Cfg::RC>* int_from(ThreadState<Cfg>& ts, std::int64_t v) {
  return int_from(ts, v, ts.counters.rc);
}

// The size of an int's block, for its deallocation.
template <class RC>
inline std::size_t int_block_size(const Int<RC>* i) {
  return Int<RC>::block_size(i->size < 0 ? -i->size : i->size);
}

// long_add, long_sub, long_mul (3.13's _PyLong_Multiply). CHECK_BINOP
// returns NotImplemented: nullptr here, which binary_op1
// (runtime/abstract.h) counts as the NotImplemented object; py313's
// BINARY_OP_*_INT call the same arithmetic without it (kCheckBinop false:
// _PyLong_Add, _PyLong_Subtract, _PyLong_Multiply on two exact ints). Two ints of at
// most one digit take the fast path (MEDIUM_VALUE: the result in two
// digits, through PyLong_FromLongLong's small-int cache); larger ones go
// through a 64-bit value here rather than x_add/x_sub/k_mul's digit loops.
enum class LongOp : std::uint8_t { kAdd, kSub, kMul };

template <class Cfg, LongOp kOp, bool kCheckBinop = true>
[[gnu::noinline]] Object<typename Cfg::RC>* long_arith(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* a,
                                                       Object<typename Cfg::RC>* b) {
  using RC = typename Cfg::RC;
  if constexpr (kCheckBinop)
    if (!long_check<Cfg>(a) || !long_check<Cfg>(b)) return nullptr;  // CHECK_BINOP
  const Int<RC>* x = as<Int>(a);
  const Int<RC>* y = as<Int>(b);
  std::int64_t r;
  if ((x->size >= -1 && x->size <= 1) && (y->size >= -1 && y->size <= 1)) [[likely]] {
    const std::int64_t u = medium_value(x), v = medium_value(y);
    r = kOp == LongOp::kAdd ? u + v : kOp == LongOp::kSub ? u - v : u * v;
  } else if (kOp == LongOp::kAdd   ? __builtin_add_overflow(int_value(x), int_value(y), &r)
             : kOp == LongOp::kSub ? __builtin_sub_overflow(int_value(x), int_value(y), &r)
                                   : __builtin_mul_overflow(int_value(x), int_value(y), &r)) {
    not_modelled("OverflowError: rclab ints are 64-bit");
  }
  return int_from(ts, r, ts.counters.rc);
}

template <class Cfg>
Object<typename Cfg::RC>* long_add(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* a, Object<typename Cfg::RC>* b) {
  return long_arith<Cfg, LongOp::kAdd>(ts, a, b);
}
template <class Cfg>
Object<typename Cfg::RC>* long_sub(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* a, Object<typename Cfg::RC>* b) {
  return long_arith<Cfg, LongOp::kSub>(ts, a, b);
}
template <class Cfg>
Object<typename Cfg::RC>* long_mul(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* a, Object<typename Cfg::RC>* b) {
  return long_arith<Cfg, LongOp::kMul>(ts, a, b);
}

// long_compare: by sign and digit count first, then digit by digit from the
// most significant.
template <class RC>
inline int long_compare(const Int<RC>* a, const Int<RC>* b) {
  std::int64_t sign;
  if (a->size != b->size) {
    sign = a->size - b->size;
  } else {
    std::int64_t i = a->size < 0 ? -a->size : a->size;
    while (--i >= 0 && a->digits()[i] == b->digits()[i]) {
    }
    if (i < 0) {
      sign = 0;
    } else {
      sign = std::int64_t(a->digits()[i]) - std::int64_t(b->digits()[i]);
      if (a->size < 0) sign = -sign;
    }
  }
  return sign < 0 ? -1 : sign > 0 ? 1 : 0;
}

// long_hash (tp_hash): the value modulo 2**61 - 1 (_PyHASH_MODULUS), with
// the sign; -1 becomes -2. No reference is taken.
template <class Cfg>
[[gnu::noinline]] std::uint64_t long_hash(const Object<typename Cfg::RC>* o) {
  constexpr std::uint64_t kModulus = (std::uint64_t(1) << 61) - 1;
  const std::int64_t v = int_value(as<Int>(o));
  const std::uint64_t magnitude = v < 0 ? 0 - std::uint64_t(v) : std::uint64_t(v);
  std::int64_t h = std::int64_t(magnitude % kModulus);
  if (v < 0) h = -h;
  return std::uint64_t(h == -1 ? -2 : h);
}

// long_richcompare: a new reference to True or False (nullptr for
// NotImplemented).
template <class Cfg>
[[gnu::noinline]] Object<typename Cfg::RC>* long_richcompare(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* self,
                                                             Object<typename Cfg::RC>* other, int op) {
  if (!long_check<Cfg>(self) || !long_check<Cfg>(other)) return nullptr;  // CHECK_BINOP
  const int result = self == other ? 0 : long_compare(as<Int>(self), as<Int>(other));
  bool r;
  switch (op) {
    case kLt: r = result < 0; break;
    case kLe: r = result <= 0; break;
    case kEq: r = result == 0; break;
    case kNe: r = result != 0; break;
    case kGt: r = result > 0; break;
    case kGe: r = result >= 0; break;
    default: fatal("long_richcompare: bad comparison");
  }
  return new_ref_to_immortal(ts, r ? ts.rt.true_ : ts.rt.false_, ts.counters.rc);  // Py_RETURN_RICHCOMPARE
}

}  // namespace rclab::runtime
