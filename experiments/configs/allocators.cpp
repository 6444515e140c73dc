// Atomic counting over each allocator.
// One line per configuration: make_entry<Config<...>>(name, what it models,
// {family, baseline, milestone, follows}). experiments/configs/policies.h
// names the types; tests/registry_test.cpp checks every baseline.
#include "experiments/configs/families.h"
#include "experiments/configs/policies.h"

namespace rclab::experiments::configs {

std::span<const ConfigEntry> allocators_family() {
  static const ConfigEntry kEntries[] = {
    make_entry<Config<Atomic, NoGil>::WithDictLock<Optimistic>>("atomic-system", "atomic counts over glibc's malloc",
                                                                {"allocators", "atomic"}),
    make_entry<Config<Atomic, NoGil, ObGlobal>::WithDictLock<Optimistic>>(
        "atomic-obmalloc-global", "atomic counts, obmalloc behind one global lock (Gilectomy, April 2016)",
        {"allocators", "atomic"}),
    make_entry<Config<Atomic, NoGil, ObTwoStage>::WithDictLock<Optimistic>>(
        "atomic-obmalloc-two-stage", "atomic counts, obmalloc with a lock per size class and an arena lock",
        {"allocators", "atomic"}),
    make_entry<Config<Atomic, NoGil, obmalloc::Tbb>::WithDictLock<Optimistic>>(
        "atomic-tbb", "atomic counts, TBB's scalable_malloc", {"allocators", "atomic"}),
    with_preload(make_entry<Config<Atomic, NoGil>::WithDictLock<Optimistic>>(
                     "atomic-jemalloc", "atomic counts, jemalloc as malloc (preloaded)", {"allocators", "atomic"}),
                 "jemalloc"),
    with_preload(make_entry<Config<Atomic, NoGil>::WithDictLock<Optimistic>>(
                     "atomic-mimalloc", "atomic counts, mimalloc as malloc (preloaded)", {"allocators", "atomic"}),
                 "mimalloc"),
  };
  return kEntries;
}

}  // namespace rclab::experiments::configs
