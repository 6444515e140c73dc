// The object protocols (abstract.c, object.c) between the eval loop and the
// types: PyNumber_Add, PyNumber_Subtract and PyNumber_Multiply (with
// sequence repetition) and PyNumber_TrueDivide through binary_op1, and
// PyObject_RichCompare through do_richcompare, each out of line and
// dispatching through the type objects' slots as 3.6 does, with
// PyObject_RichCompareBool and PyObject_Hash over them; and the recursion
// guard (Py_EnterRecursiveCall / Py_LeaveRecursiveCall).
#pragma once

#include <string>

#include "common/fatal.h"
#include "runtime/ints.h"
#include "runtime/object.h"
#include "runtime/richcompare.h"
#include "runtime/thread_state.h"
#include "runtime/types.h"

namespace rclab::runtime {

// _Py_CheckRecursionLimit (sys.getrecursionlimit()).
inline constexpr int kRecursionLimit = 1000;

// Py_EnterRecursiveCall: PyThreadState_GET()->recursion_depth against the
// limit. Returns false where 3.6 raises RecursionError (rclab stops).
template <class Cfg>
[[gnu::always_inline]] inline void enter_recursive_call(ThreadState<Cfg>& passed) {
  ThreadState<Cfg>& ts = tstate_get(passed);
  if (++ts.depth > kRecursionLimit) [[unlikely]]
    not_modelled("RecursionError: maximum recursion depth exceeded");
}

// Py_LeaveRecursiveCall: below the low-water mark, the overflow flag resets.
template <class Cfg>
[[gnu::always_inline]] inline void leave_recursive_call(ThreadState<Cfg>& passed) {
  ThreadState<Cfg>& ts = tstate_get(passed);
  constexpr int kLowWater = kRecursionLimit > 100 ? kRecursionLimit - 50 : 3 * (kRecursionLimit >> 2);
  if (--ts.depth < kLowWater) ts.overflowed = 0;
}

// A slot's NotImplemented (nullptr here): the slot's Py_RETURN_NOTIMPLEMENTED
// (an incref in 3.6, none from 3.12) and the caller's Py_DECREF of it.
template <class Cfg>
inline void count_not_implemented(ThreadState<Cfg>& ts) {
  decref(ts, new_ref_to_immortal(ts, ts.rt.not_implemented, ts.counters.rc));
}

// binary_op1: v's slot, and w's when w's type differs and has its own; the
// first that does not return NotImplemented (nullptr) wins.
template <class Cfg>
[[gnu::always_inline]] inline Object<typename Cfg::RC>* binary_op1(
    ThreadState<Cfg>& ts, Object<typename Cfg::RC>* v, Object<typename Cfg::RC>* w,
    typename TypeObject<Cfg>::binaryfunc TypeObject<Cfg>::NumberMethods::*slot) {
  using F = typename TypeObject<Cfg>::binaryfunc;
  const TypeObject<Cfg>* tv = type_of<Cfg>(v);
  const TypeObject<Cfg>* tw = type_of<Cfg>(w);
  F slotv = tv->tp_as_number != nullptr ? tv->tp_as_number->*slot : nullptr;
  F slotw = nullptr;
  if (tw != tv && tw->tp_as_number != nullptr) {
    slotw = tw->tp_as_number->*slot;
    if (slotw == slotv) slotw = nullptr;
  }
  if (slotv != nullptr) {
    if (Object<typename Cfg::RC>* x = slotv(ts, v, w)) return x;
    count_not_implemented(ts);
  }
  if (slotw != nullptr) {
    if (Object<typename Cfg::RC>* x = slotw(ts, v, w)) return x;
    count_not_implemented(ts);
  }
  return nullptr;  // NotImplemented
}

// PyNumber_Add / PyNumber_Subtract: a new reference.
template <class Cfg>
[[gnu::noinline]] Object<typename Cfg::RC>* number_add(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* v,
                                                       Object<typename Cfg::RC>* w) {
  Object<typename Cfg::RC>* x = binary_op1(ts, v, w, &TypeObject<Cfg>::NumberMethods::nb_add);
  if (x == nullptr) [[unlikely]]  // 3.6 tries sequence concatenation next; rclab has no sequences
    not_modelled("TypeError: unsupported operand type(s) for +");
  return x;
}

// PyNumber_InPlaceAdd: binary_iop1 tries the in-place slot first (int has
// none), then binary_op1's nb_add.
template <class Cfg>
[[gnu::noinline]] Object<typename Cfg::RC>* number_inplace_add(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* v,
                                                               Object<typename Cfg::RC>* w) {
  const TypeObject<Cfg>* tv = type_of<Cfg>(v);
  if (tv->tp_as_number != nullptr && tv->tp_as_number->nb_inplace_add != nullptr) {
    if (Object<typename Cfg::RC>* x = tv->tp_as_number->nb_inplace_add(ts, v, w)) return x;
  }
  Object<typename Cfg::RC>* x = binary_op1(ts, v, w, &TypeObject<Cfg>::NumberMethods::nb_add);
  if (x == nullptr) [[unlikely]]
    not_modelled("TypeError: unsupported operand type(s) for +=");
  return x;
}

template <class Cfg>
[[gnu::noinline]] Object<typename Cfg::RC>* number_subtract(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* v,
                                                            Object<typename Cfg::RC>* w) {
  Object<typename Cfg::RC>* x = binary_op1(ts, v, w, &TypeObject<Cfg>::NumberMethods::nb_subtract);
  if (x == nullptr) [[unlikely]]
    not_modelled("TypeError: unsupported operand type(s) for -");
  return x;
}

// PyNumber_Multiply: binary_op1's nb_multiply, then, when neither number
// answers, sequence repetition: v's sq_repeat with w as the count, else w's
// with v (sequence_repeat: the count through PyNumber_AsSsize_t, no
// reference taken).
template <class Cfg>
[[gnu::noinline]] Object<typename Cfg::RC>* number_multiply(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* v,
                                                            Object<typename Cfg::RC>* w) {
  if (Object<typename Cfg::RC>* x = binary_op1(ts, v, w, &TypeObject<Cfg>::NumberMethods::nb_multiply)) return x;
  const TypeObject<Cfg>* tv = type_of<Cfg>(v);
  const TypeObject<Cfg>* tw = type_of<Cfg>(w);
  if (tv->sq_repeat != nullptr && w->type == Type::kInt) return tv->sq_repeat(ts, v, int_value(as<Int>(w)));
  if (tw->sq_repeat != nullptr && v->type == Type::kInt) return tw->sq_repeat(ts, w, int_value(as<Int>(v)));
  not_modelled("TypeError: unsupported operand type(s) for *");
}

// PyNumber_InPlaceMultiply: binary_iop1 (no type here has an in-place
// multiply), then as PyNumber_Multiply; a list's in-place repeat
// (sq_inplace_repeat) is not modelled.
template <class Cfg>
[[gnu::noinline]] Object<typename Cfg::RC>* number_inplace_multiply(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* v,
                                                                    Object<typename Cfg::RC>* w) {
  if (Object<typename Cfg::RC>* x = binary_op1(ts, v, w, &TypeObject<Cfg>::NumberMethods::nb_multiply)) return x;
  if (v->type == Type::kList) not_modelled("py: list *= n (sq_inplace_repeat) is not modelled");
  return number_multiply(ts, v, w);
}

// PyNumber_TrueDivide, PyNumber_InPlaceTrueDivide (no type here has an
// in-place true divide): binary_op1's nb_true_divide.
template <class Cfg>
[[gnu::noinline]] Object<typename Cfg::RC>* number_true_divide(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* v,
                                                               Object<typename Cfg::RC>* w) {
  Object<typename Cfg::RC>* x = binary_op1(ts, v, w, &TypeObject<Cfg>::NumberMethods::nb_true_divide);
  if (x == nullptr) [[unlikely]]
    not_modelled("TypeError: unsupported operand type(s) for /");
  return x;
}

// PyObject_RichCompare: the recursion guard around do_richcompare, which
// tries the reflected operation first when w's type is a proper subtype of
// v's (never, here: rclab has no subtypes), then v's tp_richcompare.
template <class Cfg>
[[gnu::noinline]] Object<typename Cfg::RC>* rich_compare(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* v,
                                                         Object<typename Cfg::RC>* w, int op) {
  enter_recursive_call(ts);
  const TypeObject<Cfg>* tv = type_of<Cfg>(v);
  Object<typename Cfg::RC>* res = nullptr;
  if (tv->tp_richcompare != nullptr && (res = tv->tp_richcompare(ts, v, w, op)) == nullptr) count_not_implemented(ts);
  if (res == nullptr) {
    const TypeObject<Cfg>* tw = type_of<Cfg>(w);
    constexpr int kSwapped[] = {kGt, kGe, kEq, kNe, kLt, kLe};  // _Py_SwappedOp
    if (tw != tv && tw->tp_richcompare != nullptr && (res = tw->tp_richcompare(ts, w, v, kSwapped[op])) == nullptr)
      count_not_implemented(ts);
  }
  leave_recursive_call(ts);
  if (res == nullptr) {
    // Neither slot answered: identity for == and != (Py_NewRef of a bool,
    // an immortal's incref from 3.12), an error for ordering.
    if (op != kEq && op != kNe) [[unlikely]]
      not_modelled("TypeError: comparison not supported between these types");
    res = ((v == w) == (op == kEq)) ? ts.rt.true_ : ts.rt.false_;
    incref(ts, res);
  }
  return res;
}

// PyObject_RichCompareBool: identity answers == and != without a call;
// otherwise the comparison's new bool, its truth read, the bool dropped
// (3.6's bools are counted, immortal from 3.12).
template <class Cfg>
bool rich_compare_bool(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* v, Object<typename Cfg::RC>* w, int op) {
  if (v == w) {
    if (op == kEq) return true;
    if (op == kNe) return false;
  }
  Object<typename Cfg::RC>* r = rich_compare(ts, v, w, op);
  const bool b = r == ts.rt.true_;
  decref(ts, r);
  return b;
}

// PyObject_Hash: the type's tp_hash; one line and exit 2 for a type without
// one (CPython's TypeError for list and dict; a hash rclab does not model
// for the rest).
template <class Cfg>
[[gnu::noinline]] std::uint64_t object_hash(const Object<typename Cfg::RC>* o) {
  const auto hash = Types<Cfg>::tp_hash[std::size_t(o->type)];
  if (hash == nullptr) [[unlikely]] {
    const std::string what = std::string("TypeError: unhashable type (or a hash rclab does not model): '") +
                             type_of<Cfg>(o)->tp_name + "'";
    not_modelled(what.c_str());
  }
  return hash(o);
}

}  // namespace rclab::runtime
