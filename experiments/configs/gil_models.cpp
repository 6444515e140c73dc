// The GIL models: CPython with its GIL, and what one axis at a time costs under it.
// One line per configuration: make_entry<Config<...>>(name, what it models,
// {family, baseline, milestone, follows}). experiments/configs/policies.h
// names the types; tests/registry_test.cpp checks every baseline.
#include "experiments/configs/families.h"
#include "experiments/configs/policies.h"

namespace rclab::experiments::configs {

std::span<const ConfigEntry> gil_models_family() {
  static const ConfigEntry kEntries[] = {
    make_entry<Config<Plain, IntervalGil, Obmalloc>>(
        "gil", "CPython 3.2+ with its GIL: plain counts, obmalloc unlocked, 5 ms switch interval", kRoot),
    make_entry<Config<Plain, TicksGil, Obmalloc>>(
        "gil-ticks", "CPython 2.7 with its GIL: one global ticker, release and retake every 100 ticks, semaphore lock",
        {"gil-models", "gil"}),
    make_entry<Config<Atomic, IntervalGil, Obmalloc>>(
        "atomic-gil", "atomic counts under the GIL: the price of lock-prefixed operations alone",
        {"gil-models", "gil"}),
    make_entry<Config<Plain, IntervalGil, Obmalloc>::WithDictLock<Optimistic>>(
        "optimistic-gil",
        "nogil's optimistic dict reads under the GIL: the price of the dict lock every no-GIL configuration has, "
        "alone",
        {"gil-models", "gil"}),
    make_entry<Config<Plain, IsolatedGil, Obmalloc>>(
        "limit",
        "the physical limit: gil's work with one runtime per thread, so nothing is shared and nothing is "
        "locked (PEP 684's shape)",
        {"gil-models", "gil"}),
  };
  return kEntries;
}

}  // namespace rclab::experiments::configs
