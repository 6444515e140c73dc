// CPython 3.13's generation (runtime/py313/): its interpreter, frames in a
// per-thread data stack, PEP 683's immortal objects, its object freelists
// (one set for the interpreter, under the GIL). `py313` is the root of its
// own family, as `gil` is of 3.6's: a ratio across generations changes
// several axes at once (interp, frames, refcount), as CPython did, so every
// entry here is read against `py313`, one axis apart.
// One line per configuration: make_entry<Config<...>>(name, what it models,
// {family, baseline, milestone, follows}). experiments/configs/policies.h
// names the types; tests/registry_test.cpp checks every baseline.
#include "experiments/configs/families.h"
#include "experiments/configs/policies.h"

namespace rclab::experiments::configs {

std::span<const ConfigEntry> py313_family() {
  static const ConfigEntry kEntries[] = {
      make_entry<Config313<Immortal<Plain>, IntervalGil, Obmalloc>>(
          "py313",
          "CPython 3.13 with its GIL: 3.13's interpreter (frames in a data stack, the specialising adaptive "
          "interpreter), plain counts with PEP 683 immortals, the interval GIL, obmalloc (3.10+ geometry), "
          "3.13's object freelists (tuples, lists, dicts, dict keys) for the interpreter",
          {"py313", "", false,
           "CPython 3.13.15's Python/bytecodes.c, specialize.c, ceval.c, Include/internal/pycore_freelist.h"}),
      make_entry<Config313<Immortal<Atomic>, IntervalGil, Obmalloc>>(
          "py313-atomic-gil",
          "atomic counts under the GIL on 3.13's interpreter: the price of lock-prefixed operations there",
          {"py313", "py313"}),
      make_entry<Config313<Immortal<Plain>, IntervalGil, Obmalloc, runtime::ExplicitTState, dictlock::None,
                           FreelistsPerInterp, runtime::Py313<false>>>(
          "py313-nospec",
          "3.13 with its GIL and without the specialising interpreter (3.13t's interpreter, gh-116013): what "
          "specialisation is worth on each workload, the first part of 3.13t's single-thread overhead",
          {"py313", "py313"}),
      make_entry<Config313<Immortal<Plain>, IntervalGil, Obmalloc, runtime::ExplicitTState, dictlock::None,
                           NoFreelists>>(
          "py313-nofreelists",
          "3.13 without its object freelists (as built without WITH_FREELISTS): every tuple, list, dict and "
          "dict table from obmalloc and back; what the freelists save on each workload",
          {"py313", "py313"}),
  };
  return kEntries;
}

}  // namespace rclab::experiments::configs
