// `ft313`: a modifier — the immortalisation free-threaded CPython 3.13
// (3.13t) does on top of PEP 683's, to work around scaling bottlenecks it
// had not yet solved (gh-117783). Two rules, both in CPython 3.13.15:
//
//   1. Code constants. The free-threaded build interns every str constant
//      (immortal) and makes ints, floats, complex, bytes, and tuples whose
//      items are all immortal, immortal as code objects are made
//      (Objects/codeobject.c: intern_constants, should_immortalize_constant).
//   2. At the first thread start. Objects that use deferred reference
//      counting — module-level functions (not nested ones), code objects,
//      heap types, method descriptors, modules and their dicts, the builtin
//      functions of C modules — are made immortal when the first thread
//      other than the main one is created (Python/pystate.c:
//      new_threadstate -> Python/gc_free_threading.c:
//      _PyGC_ImmortalizeDeferredObjects, under a stop-the-world).
//
// 3.14t dropped rule 2 in favour of deferred counting and per-thread counts
// (refcount/deferred.h, and the 3.14t models).
//
// The modifier changes no count operation: incref and decref are Base's
// (an `immortal` chain's, so immortal objects are only tested). It is a
// flag the runtime reads: experiments/workload.h runs both rules once the
// workload's module has run, before any worker exists — every rclab run
// starts its workers as threads, as tools/peer/peer_fib.py does on the real
// interpreter, so rule 2 always fires there too, before the timed part.
// Rule 1 runs at that moment rather than at each code object's creation;
// the difference is only in the set-up's own counts, which no figure reads.
//
// Immortal containers here (functions, code, classes, module dicts) hold
// references to mortal objects (a function's defaults, a class's dict): the
// runtime drops those at shutdown before freeing any immortal
// (runtime/runtime.h), as it does for shared_immortal's containers.
#pragma once

#include <string_view>

#include "refcount/policy.h"

namespace rclab::refcount {

template <Policy Base>
  requires CanImmortalize<Base>
struct Ft313 : Base {
  using Inner = Base;
  static constexpr std::string_view kModifier = "ft313";
  static constexpr bool kImmortalizeConstants = true;      // rule 1
  static constexpr bool kImmortalizeAtThreadStart = true;  // rule 2
};

}  // namespace rclab::refcount
