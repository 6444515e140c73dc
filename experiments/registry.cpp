#include "experiments/registry.h"

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
#include "refcount/limit.h"
#include "refcount/plain.h"
#include "refcount/remote.h"
#include "runtime/gil_interval.h"
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
using runtime::NoGil;
using runtime::TicksGil;
using runtime::PthreadKeyTState;
using System = obmalloc::System;
using Obmalloc = obmalloc::Unlocked<>;            // CPython's own, under its GIL
using ObGlobal = obmalloc::GlobalLock<obmalloc::Pymalloc<>>;
using ObTwoStage = obmalloc::TwoStage<>;
using ObPerThread = obmalloc::PerThread<>;
using FramesPerThread = freelists::PerThread<100>;

const ConfigEntry kConfigs[] = {
    make_entry<Config<Plain, IntervalGil, Obmalloc>>(
        "gil", "CPython 3.2+ with its GIL: plain counts, obmalloc unlocked, 5 ms switch interval", /*timeline=*/true),
    make_entry<Config<Plain, TicksGil, Obmalloc>>(
        "gil-ticks", "CPython 2 with its GIL: plain counts, obmalloc unlocked, release and retake every 100 ticks"),
    make_entry<Config<Atomic, NoGil>>("atomic", "Gilectomy, June 2016: atomic incref/decref, no GIL"),
    make_entry<Config<refcount::Immortal<Atomic>, NoGil>>(
        "atomic-immortal", "atomic counts, no GIL, with PEP 683 immortal None/True/False/small ints/interned names"),
    make_entry<Config<Atomic, IntervalGil>>("atomic-gil",
                                            "atomic counts under the GIL: the price of lock-prefixed ops alone"),
    make_entry<Config<Atomic, NoGil, ObGlobal, freelists::Global<200>, PthreadKeyTState>>(
        "atomic-2016-06",
        "Gilectomy June 2016: atomic counts, one lock around obmalloc and around the frame freelist, "
        "thread state by pthread_getspecific",
        /*timeline=*/true),
    // Atomic counting over each allocator: how much of the CPU inflation the
    // allocator accounts for (`atomic` itself uses glibc's malloc).
    make_entry<Config<Atomic, NoGil, ObGlobal>>("atomic-obmalloc-global",
                                                "atomic counts, obmalloc behind one global lock (April 2016)"),
    make_entry<Config<Atomic, NoGil, ObTwoStage>>(
        "atomic-obmalloc-two-stage", "atomic counts, obmalloc with a lock per size class and an arena lock"),
    make_entry<Config<Atomic, NoGil, ObPerThread>>(
        "atomic-obmalloc-per-thread",
        "atomic counts, obmalloc with a heap per thread and remote frees to the owner (mimalloc style)"),
    make_entry<Config<Atomic, NoGil, obmalloc::Tbb>>("atomic-tbb", "atomic counts, TBB's scalable_malloc"),
    with_preload(make_entry<Config<Atomic, NoGil>>("atomic-jemalloc", "atomic counts, jemalloc as malloc (preloaded)"),
                 "jemalloc"),
    with_preload(make_entry<Config<Atomic, NoGil>>("atomic-mimalloc", "atomic counts, mimalloc as malloc (preloaded)"),
                 "mimalloc"),
    make_entry<Config<refcount::Buffered, NoGil, ObTwoStage, freelists::Global<200>, PthreadKeyTState>>(
        "buffered-2016-10",
        "Gilectomy October 2016: buffered counting with a commit thread, two-stage obmalloc locks, "
        "a locked frame freelist, thread state by pthread_getspecific",
        /*timeline=*/true),
    make_entry<Config<refcount::Buffered, NoGil, obmalloc::BlockCache<ObTwoStage>, FramesPerThread, PthreadKeyTState>>(
        "obmalloc-2017-04",
        "Gilectomy April 2017: buffered counting, a per-thread per-size-class block cache in front of two-stage "
        "obmalloc, frames cached per thread (100), thread state by pthread_getspecific",
        /*timeline=*/true),
    make_entry<Config<refcount::Buffered, NoGil, obmalloc::BlockCache<ObTwoStage>, FramesPerThread,
                      runtime::ExplicitTState>>(
        "notls-2017-05",
        "Gilectomy May 2017: as April, with the thread state passed down instead of looked up (no TLS)",
        /*timeline=*/true),
    make_entry<Config<refcount::Remote, NoGil>>(
        "remote", "Wouters' remote object headers: atomic counts in separate pages of 32768, no GIL"),
    make_entry<Config<refcount::Buffered, NoGil>>(
        "buffered",
        "Gilectomy, October 2016: per-thread incref/decref logs applied by a commit thread in epochs, no GIL"),
    make_entry<Config<Biased, NoGil>>(
        "biased", "biased reference counting alone (PACT 2018): owner counts plainly, others atomically, no GIL"),
    make_entry<Config<Immortal<Biased>, NoGil>>("biased-immortal",
                                                "biased counting with PEP 683 immortal objects, no GIL"),
    make_entry<Config<Deferred<Immortal<Biased>>, NoGil, ObPerThread, FramesPerThread>>(
        "nogil",
        "Sam Gross' nogil / PEP 703: biased + immortal + deferred counting, a heap per thread (mimalloc's "
        "shape), per-thread freelists, no GIL"),
    make_entry<Config<refcount::Limit, NoGil, ObPerThread>>(
        "limit",
        "the physical limit: every shared object immortal, private objects counted plainly, no GIL "
        "(debug builds check that no mortal object crosses threads)"),
    make_entry<Config<Plain, NoGil>>("plain-nogil", "plain counts without a GIL (refused: it races)"),
};

}  // namespace

std::span<const ConfigEntry> all_configs() { return kConfigs; }

const char* preload_library(std::string_view allocator) {
  if (allocator == "jemalloc") return RCLAB_JEMALLOC_SO;
  if (allocator == "mimalloc") return RCLAB_MIMALLOC_SO;
  return nullptr;
}

const ConfigEntry* find_config(std::string_view name) {
  for (const auto& e : kConfigs)
    if (e.name == name) return &e;
  return nullptr;
}

}  // namespace rclab::experiments
