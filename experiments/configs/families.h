// The configuration families, one file each: every file instantiates the
// interpreter for its own entries, so the families compile in parallel.
// all_configs() (experiments/registry.cpp) lists them in this order.
//
// Families and baselines. Every entry but a family's root names the entry
// it is read against, which differs from it in exactly one axis, so that a
// ratio between the two measures one thing (tests/registry_test.cpp checks
// it). Strategies that need no GIL run on per-thread pymalloc heaps with
// per-thread frame freelists and nogil's optimistic dict reads; `gil-heaps`
// is the GIL on that allocator and that dict lock, so the chain gil ->
// optimistic-gil -> gil-heaps -> atomic-gil-heaps -> atomic separates the
// dict lock, the allocator, the counting and the GIL.
//
// Dict locks. With a GIL the GIL protects the dicts (`none`); without one a
// dict needs its own lock, and `none` is refused (runtime/config.h). Every
// no-GIL entry has `optimistic`, and so do the GIL-holding entries of the
// chains that lead to them (`gil-heaps`, `atomic-gil-heaps`, `nogil-gil`):
// switching the lock on the step that removes the GIL would change two
// axes at once, so it has its own step, `optimistic-gil` against `gil`.
//
// The Gilectomy's milestones changed several axes at once, as the real
// branch did: they are read against `gil` and `rclab compare` names every
// axis that differs.
#pragma once

#include <span>

#include "experiments/registry.h"

namespace rclab::experiments::configs {

std::span<const ConfigEntry> gil_models_family();
std::span<const ConfigEntry> refcount_family();
std::span<const ConfigEntry> nogil_family();
std::span<const ConfigEntry> allocators_family();
std::span<const ConfigEntry> gilectomy_family();
std::span<const ConfigEntry> py313_family();
std::span<const ConfigEntry> py313t_family();

}  // namespace rclab::experiments::configs
