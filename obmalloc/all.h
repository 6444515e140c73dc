// Every allocator a configuration may use, listed once, with the template
// arguments it is used with (the default geometry). The conformance suite
// (tests/alloc_conformance_test.cpp) is typed over this list, and
// experiments/entry.h refuses at compile time a configuration whose
// allocator is not in it, so an allocator cannot be registered without
// passing the suite. A new allocator joins by adding its header and its type
// here.
//
// jemalloc and mimalloc are not here: they replace malloc for the whole
// process, so their configurations use `System` with the allocator preloaded
// (experiments/entry.h's with_preload), and the same suite runs over each in
// a binary of its own (tests/alloc_backend_test.cpp). `mi_heaps` is: it opens
// mimalloc locally (obmalloc/mi_heaps.h), so it leaves malloc alone and runs
// in every binary and every preset.
#pragma once

#include "obmalloc/block_cache.h"
#include "obmalloc/global_lock.h"
#include "obmalloc/mi_heaps.h"
#include "obmalloc/per_thread.h"
#include "obmalloc/pymalloc.h"
#include "obmalloc/system.h"
#include "obmalloc/tbb.h"
#include "obmalloc/two_stage.h"
#include "obmalloc/unlocked.h"

namespace rclab::obmalloc {

// AllPolicies<std::tuple>, AllPolicies<::testing::Types>, ...
template <template <class...> class List>
using AllPolicies =
    List<System, Unlocked<>, GlobalLock<Pymalloc<>>, TwoStage<>, PerThread<>, Tbb, BlockCache<TwoStage<>>, MiHeaps>;

}  // namespace rclab::obmalloc
