// `ptrc`: a modifier — free-threaded CPython 3.14's per-thread reference
// counts (3.14t, gh-124218), a prediction: no 3.14t can be built on this
// machine kind.
//
// Heap types, code objects and modules' dicts get a unique id from an
// interpreter-wide pool (Python/uniqueid.c); each thread keeps a plain array
// of counts indexed by it. The references that every thread makes and drops
// at a high rate on the same few objects go there instead of the object's
// header: an instance's reference to its type (made in object creation,
// dropped in subtype_dealloc: _Py_INCREF_TYPE / _Py_DECREF_TYPE) and a
// function's references to its code, globals and builtins (made in
// PyFunction_New, dropped in func_clear / func_dealloc: _Py_INCREF_CODE,
// _Py_INCREF_DICT, _Py_INCREF_BUILTINS). The arrays are merged into the
// objects' counts when a thread ends and at every collection, with the
// world stopped; an object with an id is always deferred (its bias keeps a
// partial sum from freeing it), so it needs `ft314` below it.
//
// The modifier changes no count operation; the runtime reads its flag
// (runtime/deferred_gc.h: thread_incref, thread_decref).
#pragma once

#include <string_view>

#include "refcount/ft314.h"
#include "refcount/policy.h"

namespace rclab::refcount {

template <Policy Base>
  requires kCollectsDeferred<Base>
struct Ptrc : Base {
  using Inner = Base;
  static constexpr std::string_view kModifier = "ptrc";
  static constexpr bool kPerThreadRefcounts = true;
};

}  // namespace rclab::refcount
