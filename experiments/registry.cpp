#include "experiments/registry.h"

#include <algorithm>

#include "dictlock/optimistic.h"
#include "dictlock/recursive.h"
#include "freelists/global.h"
#include "obmalloc/block_cache.h"
#include "obmalloc/global_lock.h"
#include "obmalloc/per_thread.h"
#include "obmalloc/pymalloc.h"
#include "obmalloc/tbb.h"
#include "obmalloc/two_stage.h"
#include "obmalloc/unlocked.h"
#include "refcount/atomic.h"
#include "refcount/biased.h"
#include "refcount/buffered.h"
#include "refcount/deferred.h"
#include "refcount/immortal.h"
#include "refcount/shared_immortal.h"
#include "refcount/plain.h"
#include "refcount/remote.h"
#include "runtime/gil_interval.h"
#include "runtime/gil_isolated.h"
#include "runtime/gil_none.h"
#include "runtime/gil_ticks.h"
#include "runtime/tstate_explicit.h"
#include "runtime/tstate_pthread_key.h"
#include "runtime/tstate_thread_local.h"

namespace rclab::experiments {

namespace {

using refcount::Atomic;
using refcount::Biased;
using refcount::Deferred;
using refcount::Immortal;
using refcount::Plain;
using runtime::Config;
using runtime::IntervalGil;
using runtime::IsolatedGil;
using runtime::NoGil;
using runtime::TicksGil;
using runtime::PthreadKeyTState;
using Optimistic = dictlock::Optimistic;
using Recursive = dictlock::Recursive;
using System = obmalloc::System;
using Obmalloc = obmalloc::Unlocked<>;            // CPython's own, under its GIL
using ObGlobal = obmalloc::GlobalLock<obmalloc::Pymalloc<>>;
using ObTwoStage = obmalloc::TwoStage<>;
using ObPerThread = obmalloc::PerThread<>;
using FramesPerThread = freelists::PerThread<100>;

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
constexpr EntryInfo kRoot{"gil-models", ""};

const ConfigEntry kConfigs[] = {
    // --- the GIL models -----------------------------------------------------
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
    // --- reference counting without a GIL, on per-thread heaps ---------------
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
    // --- nogil --------------------------------------------------------------
    make_entry<Config<Deferred<Immortal<Biased>>, IntervalGil, ObPerThread>::WithDictLock<Optimistic>>(
        "nogil-gil", "nogil's counting (biased + immortal + deferred) with the GIL on, as PYTHONGIL=1",
        {"nogil", "gil-heaps"}),
    make_entry<Config<Deferred<Immortal<Biased>>, NoGil, ObPerThread>::WithDictLock<Optimistic>>(
        "nogil",
        "Sam Gross' nogil / PEP 703: biased + immortal + deferred counting, a heap per thread, per-thread "
        "freelists, no GIL",
        {"nogil", "nogil-gil", false, "colesbury/nogil 043f29ab2a (counting and heaps only)"}),
    // --- atomic counting over each allocator --------------------------------
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
    // --- the Gilectomy's milestones (several axes at once, read against gil) --
    // Their dicts take the branch's recursive lock (dictlock/recursive.h):
    // "fast internal locks on mutable objects" were the plan from the first
    // talk, and the public branch locks every dict read with it.
    // `gilectomy-2016-10` is the public branch itself, read from its source
    // at de3aebf50a; the others follow the talks and slides.
    make_entry<Config<Atomic, NoGil, ObGlobal, freelists::Global<200>, PthreadKeyTState, Recursive>>(
        "atomic-2016-06",
        "Gilectomy June 2016: atomic counts, one lock around obmalloc and around the frame freelist, "
        "thread state by pthread_getspecific",
        {"gilectomy", "gil", true, "the PyCon 2016 talk and the 2017 slides"}),
    make_entry<Config<Atomic, NoGil, ObTwoStage, FramesPerThread, PthreadKeyTState, Recursive>>(
        "gilectomy-2016-10",
        "the public Gilectomy branch in October 2016, read from its source: atomic counts (__sync_add_and_fetch), "
        "a recursive futex lock taken on every dict read, obmalloc with a lock per size class and an arena lock, "
        "per-thread frame freelists (100), the thread state by pthread_getspecific on every fetch, no GIL",
        {"gilectomy", "gil", true, "larryhastings/gilectomy de3aebf50a (2016-10-13)"}),
    make_entry<Config<refcount::Buffered, NoGil, ObTwoStage, freelists::Global<200>, PthreadKeyTState, Recursive>>(
        "buffered-2016-10",
        "Gilectomy October 2016: buffered counting with a commit thread, two-stage obmalloc locks, "
        "a locked frame freelist, thread state by pthread_getspecific",
        {"gilectomy", "gil", true, "the PyCon 2017 slides (buffered counting is not in the public branch)"}),
    make_entry<Config<refcount::Buffered, NoGil, obmalloc::BlockCache<ObTwoStage>, FramesPerThread, PthreadKeyTState,
                      Recursive>>(
        "obmalloc-2017-04",
        "Gilectomy April 2017: buffered counting, a per-thread per-size-class block cache in front of two-stage "
        "obmalloc, frames cached per thread (100), thread state by pthread_getspecific",
        {"gilectomy", "gil", true, "the PyCon 2017 slides"}),
    make_entry<Config<refcount::Buffered, NoGil, obmalloc::BlockCache<ObTwoStage>, FramesPerThread,
                      runtime::ExplicitTState, Recursive>>(
        "notls-2017-05", "Gilectomy May 2017: as April, with the thread state passed down instead of looked up",
        {"gilectomy", "gil", true, "the PyCon 2017 slides"}),
    make_entry<Config<Plain, NoGil, ObPerThread>::WithDictLock<Optimistic>>(
        "plain-nogil", "plain counts without a GIL (refused: it races)", {"refcount", "atomic"}),
};

}  // namespace

std::span<const ConfigEntry> all_configs() { return kConfigs; }

const char* preload_library(std::string_view allocator) {
  if (allocator == "jemalloc") return RCLAB_JEMALLOC_SO;
  if (allocator == "mimalloc") return RCLAB_MIMALLOC_SO;
  return nullptr;
}

std::vector<SettingSpec> all_settings() {
  std::vector<SettingSpec> v;
  for (const auto& e : kConfigs)
    for (const auto& s : e.settings)
      if (std::none_of(v.begin(), v.end(), [&](const SettingSpec& x) { return x.name == s.name; })) v.push_back(s);
  return v;
}

nlohmann::json settings_json(const RunParams& p) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& spec : all_settings()) j[std::string(spec.name)] = p.settings.get(spec);
  j["trace_capacity"] = p.trace_capacity;
  j["pin"] = p.pin;
  return j;
}

std::vector<std::string_view> differing_axes(const ConfigEntry& a, const ConfigEntry& b) {
  std::vector<std::string_view> out;
  const auto x = a.axes(), y = b.axes();
  for (std::size_t i = 0; i < kAxes.size(); ++i)
    if (x[i] != y[i]) out.push_back(kAxes[i]);
  return out;
}

const ConfigEntry* find_config(std::string_view name) {
  for (const auto& e : kConfigs)
    if (e.name == name) return &e;
  return nullptr;
}

}  // namespace rclab::experiments
