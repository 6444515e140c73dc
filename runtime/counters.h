// Reference-count and event counters: what a thread did, summed at the end.
#pragma once

#include <cstdint>

namespace rclab::runtime {

// Reference-count operations performed. The eval loop keeps its own Tally in
// a local (so in registers: it is passed by reference only to helpers that
// inline) and adds it to the thread's Counters when its frame returns. A
// counter in memory bumped on every incref would form a store-to-load
// forwarding chain longer than the work being counted (measured: +12% on
// fib). Everything outside the loop counts straight into Counters::rc.
//
// increfs/decrefs count every operation CPython 3.6 performs; `deferred`
// counts those among them that a deferring policy skipped (stack references
// to deferred objects), so the 3.6 pattern stays checkable under every
// policy.
// immortal_increfs/immortal_decrefs count those among them that met an
// immortal object (PEP 683): the operation tested the count and changed
// nothing. increfs - immortal_increfs is what 3.12+'s own counters (Py_STATS)
// count: the operations that change a count. Counted only by configurations
// that ask (runtime/object_ops.h: counts_immortal), since counting costs.
struct Tally {
  std::uint64_t increfs = 0;
  std::uint64_t decrefs = 0;
  std::uint64_t deferred = 0;
  std::uint64_t per_thread = 0;  // among them, 3.14t's per-thread counts (runtime/deferred_gc.h)
  std::uint64_t immortal_increfs = 0;
  std::uint64_t immortal_decrefs = 0;
  Tally& operator+=(const Tally& o) {
    increfs += o.increfs;
    decrefs += o.decrefs;
    deferred += o.deferred;
    per_thread += o.per_thread;
    immortal_increfs += o.immortal_increfs;
    immortal_decrefs += o.immortal_decrefs;
    return *this;
  }
  Tally& operator-=(const Tally& o) {  // o: an earlier reading of the same tally
    increfs -= o.increfs;
    decrefs -= o.decrefs;
    deferred -= o.deferred;
    per_thread -= o.per_thread;
    immortal_increfs -= o.immortal_increfs;
    immortal_decrefs -= o.immortal_decrefs;
    return *this;
  }
};

// Per-thread event counters. Plain integers written only by their owner
// thread and summed after the threads are joined.
struct Counters {
  Tally rc;
  std::uint64_t calls = 0;  // frames evaluated
  std::uint64_t objects_created = 0;
  std::uint64_t objects_destroyed = 0;
  std::uint64_t blocks_allocated = 0;
  std::uint64_t blocks_freed = 0;
  std::uint64_t tstate_lookups = 0;  // PyThreadState_GET() calls that did a lookup
  // Reads of a dict or list that fell back to its critical section
  // (dictlock `ft313`: 3.13t's read_failed / list_item_impl paths).
  std::uint64_t dict_locked_reads = 0;
  std::uint64_t list_locked_reads = 0;
  // Objects taken from and kept on the object freelists (freelists/objects.h;
  // 3.13's pystats from_freelist / to_freelist). Included in
  // objects_created / objects_destroyed; no block was allocated or freed.
  std::uint64_t from_freelist = 0;
  std::uint64_t to_freelist = 0;

  Counters& operator+=(const Counters& o) {
    rc += o.rc;
    calls += o.calls;
    objects_created += o.objects_created;
    objects_destroyed += o.objects_destroyed;
    blocks_allocated += o.blocks_allocated;
    blocks_freed += o.blocks_freed;
    tstate_lookups += o.tstate_lookups;
    dict_locked_reads += o.dict_locked_reads;
    list_locked_reads += o.list_locked_reads;
    from_freelist += o.from_freelist;
    to_freelist += o.to_freelist;
    return *this;
  }
};

}  // namespace rclab::runtime
