// nogil (Sam Gross, colesbury/nogil): its counting with and without the GIL.
// One line per configuration: make_entry<Config<...>>(name, what it models,
// {family, baseline, milestone, follows}). experiments/configs/policies.h
// names the types; tests/registry_test.cpp checks every baseline.
#include "experiments/configs/families.h"
#include "experiments/configs/policies.h"

namespace rclab::experiments::configs {

std::span<const ConfigEntry> nogil_family() {
  static const ConfigEntry kEntries[] = {
    make_entry<Config<Deferred<Immortal<Biased>>, IntervalGil, ObPerThread>::WithDictLock<Optimistic>>(
        "nogil-gil", "nogil's counting (biased + immortal + deferred) with the GIL on, as PYTHONGIL=1",
        {"nogil", "gil-heaps"}),
    make_entry<Config<Deferred<Immortal<Biased>>, NoGil, ObPerThread>::WithDictLock<Optimistic>>(
        "nogil",
        "Sam Gross' nogil / PEP 703: biased + immortal + deferred counting, a heap per thread, per-thread "
        "freelists, no GIL",
        {"nogil", "nogil-gil", false, "colesbury/nogil 043f29ab2a (counting and heaps only)"}),
  };
  return kEntries;
}

}  // namespace rclab::experiments::configs
