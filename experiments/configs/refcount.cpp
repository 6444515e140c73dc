// Reference counting without a GIL, on per-thread heaps: the strategies, each against `atomic`.
// One line per configuration: make_entry<Config<...>>(name, what it models,
// {family, baseline, milestone, follows}). experiments/configs/policies.h
// names the types; tests/registry_test.cpp checks every baseline.
#include "experiments/configs/families.h"
#include "experiments/configs/policies.h"

namespace rclab::experiments::configs {

std::span<const ConfigEntry> refcount_family() {
  static const ConfigEntry kEntries[] = {
    make_entry<Config<Plain, IntervalGil, ObPerThread>::WithDictLock<Optimistic>>(
        "gil-heaps",
        "the GIL on per-thread pymalloc heaps with optimistic dict reads: the allocator and dict lock every no-GIL "
        "strategy below uses",
        {"refcount", "optimistic-gil"}),
    make_entry<Config<Atomic, IntervalGil, ObPerThread>::WithDictLock<Optimistic>>(
        "atomic-gil-heaps", "atomic counts under the GIL, on per-thread heaps", {"refcount", "gil-heaps"}),
    make_entry<Config<Atomic, NoGil, ObPerThread>::WithDictLock<Optimistic>>(
        "atomic", "atomic incref/decref without a GIL (Gilectomy's counting)", {"refcount", "atomic-gil-heaps"}),
    make_entry<Config<Immortal<Atomic>, NoGil, ObPerThread>::WithDictLock<Optimistic>>(
        "atomic-immortal", "atomic counts with PEP 683 immortal None/True/False, small ints and interned names",
        {"refcount", "atomic"}),
    make_entry<Config<refcount::Remote, NoGil, ObPerThread>::WithDictLock<Optimistic>>(
        "remote", "Wouters' remote object headers: atomic counts kept in separate pages of 32768",
        {"refcount", "atomic"}),
    make_entry<Config<refcount::Buffered, NoGil, ObPerThread>::WithDictLock<Optimistic>>(
        "buffered", "Hastings' buffered counting: per-thread incref/decref logs applied by a commit thread in epochs",
        {"refcount", "atomic"}),
    make_entry<Config<Biased, NoGil, ObPerThread>::WithDictLock<Optimistic>>(
        "biased", "biased reference counting alone (PACT 2018): the owner counts plainly, others atomically",
        {"refcount", "atomic"}),
    make_entry<Config<Immortal<Biased>, NoGil, ObPerThread>::WithDictLock<Optimistic>>(
        "biased-immortal", "biased counting with PEP 683 immortal objects", {"refcount", "biased"}),
    make_entry<Config<refcount::SharedImmortal, NoGil, ObPerThread>::WithDictLock<Optimistic>>(
        "shared-immortal",
        "every object made before the threads start is immortal, the rest counted plainly (debug builds check "
        "that no mortal object crosses threads)",
        {"refcount", "atomic"}),
    make_entry<Config<Plain, NoGil, ObPerThread>::WithDictLock<Optimistic>>(
        "plain-nogil", "plain counts without a GIL (refused: it races)", {"refcount", "atomic"}),
  };
  return kEntries;
}

}  // namespace rclab::experiments::configs
