// Free-threaded CPython 3.13 (3.13t, PEP 703 as shipped) on the py313
// generation, and its ablations, each one axis from `py313t`; and one
// prediction, `py313t-tlbc`: 3.14t's specialisation on thread-local bytecode
// in place of 3.13t's unspecialised interpreter. `py313t` is a
// milestone read against `py313`, as 3.13t is read against 3.13: it
// changes the counting, the GIL, the allocator, the dict lock, the object
// freelists and the interpreter (no specialiser) at once, as the
// --disable-gil build does.
// One line per configuration: make_entry<Config<...>>(name, what it models,
// {family, baseline, milestone, follows}). experiments/configs/policies.h
// names the types; tests/registry_test.cpp checks every baseline.
#include "experiments/configs/families.h"
#include "experiments/configs/policies.h"

namespace rclab::experiments::configs {

namespace {
// 3.13t's shape: 3.13's frames and thread state, mimalloc heaps per thread
// (obmalloc/mi_heaps.h), 3.13t's object freelists in the thread state,
// 3.13t's object locks (a one-byte PyMutex per dict and list taken in
// critical sections by writers, lock-free reads with try-incref and
// re-check), and 3.13's interpreter without its specialiser (gh-116013).
template <class RC, class Gil = NoGil, class Gen = runtime::Py313<false>, class Lock = ObjectLocks313t,
          class Alloc = MiHeaps>
using Config313t =
    Config<RC, Gil, Alloc, freelists::DataStack, runtime::ExplicitTState, Lock, Gen, FreelistsPerThread>;

}  // namespace

std::span<const ConfigEntry> py313t_family() {
  static const ConfigEntry kEntries[] = {
      make_entry<Config313t<Ft313<Immortal<Biased>>>>(
          "py313t",
          "free-threaded CPython 3.13 (3.13t): biased counting with per-owner merge queues, PEP 683 immortals "
          "and 3.13t's immortalisation of code constants and deferred objects at the first thread start, no GIL, "
          "mimalloc heaps per thread, object freelists per thread, per-object locks with lock-free try-incref "
          "reads of dicts and lists, 3.13's interpreter without the specialiser",
          {"py313t", "py313", true, "CPython 3.13.15 --disable-gil: Include/refcount.h, Objects/object.c, "
                                    "Python/brc.c, Python/gc_free_threading.c, Objects/codeobject.c, "
                                    "Python/lock.c, Python/critical_section.c, Objects/dictobject.c, "
                                    "Objects/listobject.c, Objects/obmalloc.c, Python/pystate.c, "
                                    "Include/internal/pycore_freelist.h"}),
      make_entry<Config313t<Immortal<Biased>>>(
          "py313t-pep683",
          "3.13t without its immortalisation at thread start: PEP 683's immortals only (PYTHON_GIL=0 with "
          "gc.immortalize disabled, as sub-interpreters run)",
          {"py313t", "py313t"}),
      make_entry<Config313t<Ft313<Immortal<Atomic>>>>(
          "py313t-atomic", "3.13t with atomic counts (every incref and decref lock-prefixed) instead of biased ones",
          {"py313t", "py313t"}),
      make_entry<Config313t<Ft313<Immortal<Biased>>, NoGil, runtime::Py313<false>, Optimistic>>(
          "py313t-seqlock",
          "3.13t with nogil-3.9's dict reads in place of its object locks: a version-checked unlocked lookup and "
          "a futex mutex for writers, lists unlocked",
          {"py313t", "py313t"}),
      // The historical strategies on today's interpreter, each one axis from
      // 3.13t (with 3.13t's immortals, which 3.13's C code needs): no real
      // system answers how they would do here.
      make_entry<Config313t<Ft313<Immortal<Buffered>>>>(
          "py313t-buffered",
          "3.13t with Hastings' buffered counting (the Gilectomy, October 2016) instead of biased counts: "
          "per-thread incref/decref logs applied by a commit thread in epochs",
          {"py313t", "py313t"}),
      make_entry<Config313t<Ft313<Immortal<Remote>>>>(
          "py313t-remote",
          "3.13t with Wouters' remote headers (2017) instead of biased counts: atomic counts in separate pages "
          "of 32768, reached through a pointer in the header",
          {"py313t", "py313t"}),
      make_entry<Config313t<Ft313<Immortal<Atomic>>, NoGil, runtime::Py313<false>, Recursive>>(
          "py313t-gilectomy",
          "the Gilectomy's strategy on 3.13t's interpreter: atomic counts (py313t-atomic) with its recursive "
          "lock around every dict lookup and update in place of 3.13t's object locks, lists unlocked",
          {"py313t", "py313t-atomic"}),
      // 3.14t's mechanisms on 3.13's interpreter: predictions, each one axis
      // from the configuration before it.
      make_entry<Config313t<Ft314<Immortal<Biased>>>>(
          "py313t-deferred",
          "3.14t's mechanism, not calibrated here: no 3.14t can be built on this machine kind. 3.13t with 3.14t's "
          "deferred reference counting in place of its immortalisation at thread start: functions, code, classes, "
          "module dicts and builtins carry a bias, stack references to them are uncounted, and a stop-the-world "
          "collection that scans every thread's frames frees them",
          {"py313t", "py313t"}),
      make_entry<Config313t<Ptrc<Ft314<Immortal<Biased>>>>>(
          "py313t-ptrc",
          "3.14t's mechanism, not calibrated here: no 3.14t can be built on this machine kind. py313t-deferred with "
          "3.14t's per-thread reference counts: an instance's reference to its class and a function's to its code, "
          "globals and builtins go to the creating thread's array, merged at collections and thread exit",
          {"py313t", "py313t-deferred"}),
      make_entry<Config313t<Ft313<Immortal<Biased>>, IntervalGil>>(
          "py313t-gil", "3.13t with the GIL on (PYTHON_GIL=1): the free-threaded build's costs without its "
          "parallelism", {"py313t", "py313t"}),
      // A prediction, not a model of anything measured here: 3.14t's
      // mechanism on 3.13t's, the interpreter its only change.
      make_entry<Config313t<Ft313<Immortal<Biased>>, NoGil, runtime::Py313Tlbc>>(
          "py313t-tlbc",
          "3.14t's mechanism, not calibrated here: no 3.14t can be built on this machine kind. 3.13t with "
          "specialisation on thread-local bytecode: each thread specialises its own copy of every code object's "
          "bytecode (made at its first RESUME of it), with 3.14t's free-threaded specialised forms (relaxed "
          "version guards, try-incref reads that deopt, lists owned or shared, uniquely referenced iterators, "
          "deferred method descriptors, CALL_LIST_APPEND's try-lock)",
          {"py313t", "py313t", false, "CPython 3.14t as on main in May 2025 (3.14 beta): Objects/codeobject.c (TLBC), "
                                      "Python/index_pool.c, Python/bytecodes.c, Python/specialize.c"}),
      // The three together: 3.14t's model, a milestone read against 3.13t's
      // as 3.14t would be against 3.13t (refcount and interp change at once).
      make_entry<Config313t<Ptrc<Ft314<Immortal<Biased>>>, NoGil, runtime::Py313Tlbc>>(
          "py314t-model",
          "3.14t's mechanisms, not calibrated here: no 3.14t can be built on this machine kind. 3.13t's model "
          "with all three of 3.14t's: deferred counting with its stop-the-world collector in place of the "
          "immortalisation at thread start, per-thread counts of classes, code and module dicts, and "
          "specialisation on thread-local bytecode; the prediction for 3.14t against 3.13t",
          {"py313t", "py313t", true, "CPython 3.14t as on main in May 2025 (3.14 beta) and the 3.14 issues "
                                     "(gh-124218, gh-117783's follow-ups, gh-115999)"}),
      make_entry<Config313t<Ft313<Immortal<Biased>>, NoGil, runtime::Py313<false>, ObjectLocks313t, ObPerThread>>(
          "py313t-pymalloc",
          "3.13t with per-thread pymalloc heaps (obmalloc's pools, foreign frees to the owner's remote list) "
          "instead of mimalloc's heaps: what the allocator is worth",
          {"py313t", "py313t"}),
  };
  return kEntries;
}

}  // namespace rclab::experiments::configs
