// The policy types and the short names the family files use for them
// (experiments/configs/*.cpp). Only those files include it.
#pragma once

#include "dictlock/optimistic.h"
#include "dictlock/recursive.h"
#include "freelists/datastack.h"
#include "freelists/global.h"
#include "freelists/objects_none.h"
#include "freelists/objects_per_interp.h"
#include "freelists/objects_per_thread.h"
#include "obmalloc/block_cache.h"
#include "obmalloc/global_lock.h"
#include "obmalloc/mi_heaps.h"
#include "obmalloc/per_thread.h"
#include "obmalloc/pymalloc.h"
#include "obmalloc/tbb.h"
#include "obmalloc/two_stage.h"
#include "obmalloc/unlocked.h"
#include "refcount/atomic.h"
#include "refcount/biased.h"
#include "refcount/buffered.h"
#include "refcount/deferred.h"
#include "refcount/ft313.h"
#include "refcount/ft314.h"
#include "refcount/immortal.h"
#include "refcount/shared_immortal.h"
#include "refcount/plain.h"
#include "refcount/ptrc.h"
#include "refcount/remote.h"
#include "runtime/gil_interval.h"
#include "runtime/gil_isolated.h"
#include "runtime/gil_none.h"
#include "runtime/gil_ticks.h"
#include "runtime/tstate_explicit.h"
#include "runtime/tstate_pthread_key.h"
#include "runtime/tstate_thread_local.h"
#include "experiments/entry.h"

namespace rclab::experiments::configs {

using refcount::Atomic;
using refcount::Biased;
using refcount::Buffered;
using refcount::Deferred;
using refcount::Ft313;
using refcount::Ft314;
using refcount::Immortal;
using refcount::Plain;
using refcount::Ptrc;
using refcount::Remote;
using runtime::Config;
using runtime::IntervalGil;
using runtime::IsolatedGil;
using runtime::NoGil;
using runtime::TicksGil;
using runtime::PthreadKeyTState;
using Optimistic = dictlock::Optimistic;
using ObjectLocks313t = dictlock::Ft313;  // `ft313`: 3.13t's per-object PyMutex and try-incref reads
using Recursive = dictlock::Recursive;
using System = obmalloc::System;
using Obmalloc = obmalloc::Unlocked<>;            // CPython's own, under its GIL
using ObGlobal = obmalloc::GlobalLock<obmalloc::Pymalloc<>>;
using ObTwoStage = obmalloc::TwoStage<>;
using ObPerThread = obmalloc::PerThread<>;
using MiHeaps = obmalloc::MiHeaps;                // 3.13t's: a mimalloc heap per thread
using FramesPerThread = freelists::PerThread<100>;
// Object freelists (tuples, lists, dicts, dict tables: freelists/objects.h).
using NoFreelists = freelists::objects::None;
using FreelistsPerInterp = freelists::objects::PerInterp<>;  // 3.13's, under its GIL
using FreelistsPerThread = freelists::objects::PerThread<>;  // 3.13t's, in the thread state

// A configuration on 3.13's interpreter generation: its frames are a data
// stack (freelists/datastack.h), its dicts are unlocked under the GIL and
// its object freelists are 3.13's (one set for the interpreter).
template <class RC, class Gil, class Alloc, class TState = runtime::ExplicitTState, class DictLock = dictlock::None,
          class Freelists = FreelistsPerInterp, class Gen = runtime::Py313<>>
using Config313 = Config<RC, Gil, Alloc, freelists::DataStack, TState, DictLock, Gen, Freelists>;

constexpr EntryInfo kRoot{"gil-models", ""};

}  // namespace rclab::experiments::configs
