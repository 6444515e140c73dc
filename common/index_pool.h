// A pool of small non-negative indices, handed out smallest-free-first, as
// free-threaded CPython 3.14's _PyIndexPool (Python/index_pool.c, behind
// _Py_ReserveTLBCIndex and _Py_ClearTLBCIndex): the thread-local bytecode
// index every thread state reserves when it is made and gives back when it
// ends (runtime/py313/tlbc.h). The first index handed out is 0; a freed
// index goes on a min-heap and is the next one handed out, before any index
// never used, so indices stay dense and a new thread inherits the copies an
// ended thread of the same index left behind.
//
// As 3.14t's, alloc() grows the heap's capacity to hold every index handed
// out so far, so that free() — called while a thread state is torn down —
// never allocates. `generation` counts allocations and frees (3.14t's
// tlbc_generation, which tells remote debuggers the indices moved).
//
// Threading contract: alloc() and free() from any thread, under the pool's
// mutex (3.14t's PyMutex; a std::mutex here, since no thread holds it while
// it waits for anything else). Not on any hot path: once per thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "common/fatal.h"

namespace rclab {

class IndexPool {
 public:
  std::int32_t alloc() {
    std::lock_guard g(mutex_);
    ++generation_;
    if (!free_.empty()) {
      std::pop_heap(free_.begin(), free_.end(), std::greater<>{});
      const std::int32_t i = free_.back();
      free_.pop_back();
      return i;
    }
    if (next_ == INT32_MAX) fatal("index pool: out of indices");
    free_.reserve(std::size_t(next_) + 1);  // so that free() never allocates
    return next_++;
  }

  void free(std::int32_t i) {
    std::lock_guard g(mutex_);
    if (i < 0 || i >= next_) fatal("index pool: freeing an index it never handed out");
    ++generation_;
    free_.push_back(i);
    std::push_heap(free_.begin(), free_.end(), std::greater<>{});
  }

  // Indices handed out and not freed (the tests read it).
  std::int32_t in_use() {
    std::lock_guard g(mutex_);
    return next_ - std::int32_t(free_.size());
  }
  std::uint64_t generation() {
    std::lock_guard g(mutex_);
    return generation_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::int32_t> free_;  // a min-heap of freed indices
  std::int32_t next_ = 0;           // the smallest index never handed out
  std::uint64_t generation_ = 0;
};

}  // namespace rclab
