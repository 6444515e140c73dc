// `ft314`: a modifier — free-threaded CPython 3.14's deferred reference
// counting (3.14t), a prediction: no 3.14t can be built on this machine kind.
// It replaces 3.13t's immortalisation at the first thread start
// (refcount/ft313.h's rule 2), which 3.14t removed; 3.13t's rule 1 stays:
// code constants are immortal (Objects/codeobject.c: intern_constants).
//
// What 3.14t defers, at creation (_PyObject_SetDeferredRefcount): module-
// level functions (not closures), every code object, heap types, modules'
// dicts, module-level builtin functions and method descriptors. A deferred
// object's count carries a bias (3.14t: _Py_REF_DEFERRED in ob_ref_shared),
// so no decref ever takes it to zero, and the interpreter's stack
// references to it own no count (3.14t tags them: Py_TAG_DEFERRED). Only the
// collector frees a deferred object: a stop-the-world pass that scans every
// thread's frames and frees those with no reference left but the bias and
// no stack reference (runtime/deferred_gc.h).
//
// The modifier changes no count operation: incref and decref are Base's.
// It is a set of flags the runtime reads (refcount/policy.h), and the bias,
// which Base adds from any thread (AddsCounts: `biased` puts it in the
// shared word, as 3.14t does). Where rclab differs from 3.14t: the stack
// slot holds the plain pointer and the deferred bit is tested in the object
// at both ends (runtime/object_ops.h: incref_stack, decref_stack), where
// 3.14t tests the object at the push and a tag bit in the reference at the
// pop; the counts made are the same (docs/design.md §5d).
#pragma once

#include <cstdint>
#include <string_view>

#include "refcount/policy.h"

namespace rclab::refcount {

template <Policy Base>
  requires CanImmortalize<Base> && AddsCounts<Base>
struct Ft314 : Base {
  using Inner = Base;
  static constexpr std::string_view kModifier = "ft314";
  static constexpr bool kImmortalizeConstants = true;
  static constexpr bool kDefersStackRefs = true;
  static constexpr bool kCollectsDeferred = true;
  // 3.14t's bias is PY_SSIZE_T_MAX / 8; rclab's is smaller so that it stays
  // below the immortal marker of every base (2^62 for atomic counts) and so
  // that a bias plus any real count is told apart from an immortal one.
  static constexpr std::int64_t kDeferredBias = std::int64_t(1) << 40;
};

// The bias a policy's deferred objects carry (0: the policy defers nothing).
template <class P>
constexpr std::int64_t deferred_bias() {
  if constexpr (requires { P::kDeferredBias; })
    return P::kDeferredBias;
  else
    return 0;
}

}  // namespace rclab::refcount
