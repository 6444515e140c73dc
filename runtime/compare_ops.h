// str's and tuple's tp_richcompare (PyUnicode_RichCompare,
// tuplerichcompare): what a comparison of an int with a str or tuple
// constant reaches (ftscalingbench's load_string_const, load_tuple_const),
// through do_richcompare (runtime/abstract.h); and str's tp_hash. Each returns a new reference
// to True or False, or nullptr for NotImplemented — whose count
// do_richcompare settles. Out of line, as in CPython.
#pragma once

#include "common/fatal.h"
#include "runtime/object.h"
#include "runtime/object_ops.h"
#include "runtime/richcompare.h"
#include "runtime/thread_state.h"

namespace rclab::runtime {

// unicode_hash (tp_hash): the hash rclab caches in every str when it makes
// it, as CPython caches it after the first use.
template <class Cfg>
std::uint64_t str_hash(const Object<typename Cfg::RC>* o) {
  return as<Str>(o)->hash;
}

// PyUnicode_RichCompare: NotImplemented unless both are strs; the same
// object answers without looking; == and != compare the text
// (unicode_compare_eq). Ordering strs is not modelled.
template <class Cfg>
[[gnu::noinline]] Object<typename Cfg::RC>* str_richcompare(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* self,
                                                            Object<typename Cfg::RC>* other, int op) {
  if (self->type != Type::kStr || other->type != Type::kStr) return nullptr;
  if (op != kEq && op != kNe) not_modelled("TypeError: ordering strs is not modelled");
  const bool equal = self == other || as<Str>(self)->view() == as<Str>(other)->view();
  const bool r = equal == (op == kEq);
  return new_ref_to_immortal(ts, r ? ts.rt.true_ : ts.rt.false_, ts.counters.rc);  // PyBool_FromLong / Py_RETURN_*
}

// tuplerichcompare: NotImplemented unless both are tuples; comparing two
// tuples item by item is not modelled.
template <class Cfg>
[[gnu::noinline]] Object<typename Cfg::RC>* tuple_richcompare(ThreadState<Cfg>&, Object<typename Cfg::RC>* self,
                                                              Object<typename Cfg::RC>* other, int) {
  if (self->type != Type::kTuple || other->type != Type::kTuple) return nullptr;
  not_modelled("TypeError: comparing two tuples is not modelled");
}

}  // namespace rclab::runtime
