// `deferred`: a modifier (PEP 703's deferred reference counting). The
// interpreter does not count its own stack's references to objects marked
// deferred — functions, code objects and module dicts (globals, builtins) —
// the objects every call of every thread touches and no call frees.
//
// A *stack reference* is one held by a frame: its value stack, its locals,
// and its code/globals/builtins fields (in CPython 3.11+ all of these live
// in the interpreter frame, and 3.14 tags them as _PyStackRef). Heap
// references (a dict's values, a function's code) stay counted, so a
// deferred object's count is exactly its heap references and it is freed,
// like any object, when the last of those goes — at teardown here, since
// rclab has no cycle collector to find dead stack-only objects.
//
// Correctness rule, which runtime/runtime.h's incref_stack/decref_stack
// keep: an object's deferred bit is set when it is created, before any
// other thread can see it, and never changes; every push of a stack
// reference and every pop goes through the stack operations, which skip the
// count exactly when the bit is set, so an uncounted push is always matched
// by an uncounted pop. A stack reference that moved to the heap would have
// to be counted at that moment (3.14's PyStackRef_AsPyObjectSteal); none of
// the opcodes rclab models does that.
//
// The bit lives in the object (runtime/object.h's flags byte, CPython's
// ob_gc_bits), not in the policy's header, so this modifier combines with
// any base policy and changes none of its operations.
#pragma once

#include <string_view>

#include "refcount/policy.h"

namespace rclab::refcount {

template <Policy Base>
struct Deferred : Base {
  using Inner = Base;
  static constexpr std::string_view kModifier = "deferred";
  static constexpr bool kDefersStackRefs = true;
};

}  // namespace rclab::refcount
