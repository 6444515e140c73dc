// Stopping the world: one thread pauses every other interpreter thread at a
// safe point, does what needs the heap quiet (3.14t's collector:
// runtime/deferred_gc.h), and lets them go. The shape of free-threaded
// CPython's _PyEval_StopTheWorld / _PyEval_StartTheWorld (Python/pystate.c)
// and its thread states: attached (running Python code, may touch any
// object), detached (blocked in a wait that touches nothing: a barrier, a
// join, a lock's sleep) and suspended (paused for a stop).
//
//   stop(me)    marks the request, suspends every detached thread on the
//               spot (it cannot attach again until the world starts), sets
//               the eval breaker's kStopTheWorld bit so that every attached
//               thread suspends itself at its next eval-breaker check
//               (park_if_requested), and returns once none is attached.
//   start(me)   clears the request and the bit and wakes them.
//   attach/detach  around every blocking wait; attach waits while a stop is
//               in force, so a thread leaving a wait cannot run into a
//               stopped world.
//
// Where 3.14t differs: its transitions are atomic compare-exchanges on each
// thread state with a countdown and a per-thread event; here one mutex and
// one condition variable guard every transition. Transitions happen only at
// blocking waits, eval-breaker checks that find the bit set, and thread
// start and end, never on the hot path, so the lock costs nothing measured,
// and it makes every hand-over an edge ThreadSanitizer sees. Two threads
// that ask at once take turns: the later one suspends itself for the
// earlier one's stop first, as 3.14t's requester does when it finds a stop
// in progress.
//
// Invariant: a thread is suspended only at an eval-breaker check (its frame
// stack saved: py313's handle_pending stores the stack top first) or while
// detached; it never holds a critical section or a lock then, since those
// are released within the instruction that took them.
//
// Threading contract: each Thread is touched by its own thread, except its
// state, which the stopping thread also writes, under `mu_`.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

#include "common/eval_breaker.h"
#include "common/fatal.h"

namespace rclab::runtime {

class StopTheWorld {
 public:
  enum class State : std::uint8_t { kAttached, kDetached, kSuspended };
  struct Thread {
    State state = State::kDetached;
    bool registered = false;
  };

  explicit StopTheWorld(EvalBreaker& breaker) : breaker_(breaker) {}
  StopTheWorld(const StopTheWorld&) = delete;
  StopTheWorld& operator=(const StopTheWorld&) = delete;

  // A new thread state joins attached, after any stop in force.
  void add(Thread& t) {
    std::unique_lock g(mu_);
    cv_.wait(g, [&] { return !requested_; });
    t.state = State::kAttached;
    t.registered = true;
    threads_.push_back(&t);
  }
  // Its thread is done with the interpreter. Idempotent.
  void remove(Thread& t) {
    std::lock_guard g(mu_);
    if (!t.registered) return;
    if (requested_ && t.state == State::kAttached) arrived();
    t.registered = false;
    t.state = State::kDetached;
    std::erase(threads_, &t);
  }

  void detach(Thread& t) {
    std::lock_guard g(mu_);
    if (!t.registered) return;
    if (requested_ && t.state == State::kAttached) {
      t.state = State::kSuspended;  // it cannot attach again until start()
      arrived();
    } else {
      t.state = State::kDetached;
    }
  }
  void attach(Thread& t) {
    std::unique_lock g(mu_);
    if (!t.registered) return;
    cv_.wait(g, [&] { return !requested_; });
    t.state = State::kAttached;
  }

  // At an eval-breaker check that found kStopTheWorld: suspends this thread
  // until the world starts. The caller has saved its stack top.
  void park_if_requested(Thread& t) {
    std::unique_lock g(mu_);
    if (!requested_ || requester_ == &t || t.state != State::kAttached) return;
    t.state = State::kSuspended;
    arrived();
    cv_.wait(g, [&] { return !requested_; });
    t.state = State::kAttached;
  }

  // Returns with every other registered thread suspended or detached-and-
  // suspended: none runs until start(). `me` must be attached.
  void stop(Thread& me) {
    std::unique_lock g(mu_);
    while (requested_) {  // another stop first: suspend for it
      me.state = State::kSuspended;
      arrived();
      cv_.wait(g, [&] { return !requested_; });
      me.state = State::kAttached;
    }
    requested_ = true;
    requester_ = &me;
    countdown_ = 0;
    for (Thread* t : threads_) {
      if (t == &me) continue;
      if (t->state == State::kAttached)
        ++countdown_;
      else
        t->state = State::kSuspended;
    }
    ++stops_;
    breaker_.set(EvalBreaker::kStopTheWorld);
    cv_.wait(g, [&] { return countdown_ == 0; });
  }
  void start(Thread& me) {
    std::lock_guard g(mu_);
    if (!requested_ || requester_ != &me) fatal("StopTheWorld::start without its stop");
    breaker_.clear(EvalBreaker::kStopTheWorld);
    for (Thread* t : threads_)
      if (t != &me && t->state == State::kSuspended) t->state = State::kDetached;
    requested_ = false;
    requester_ = nullptr;
    cv_.notify_all();
  }

  std::uint64_t stops() const {
    std::lock_guard g(mu_);
    return stops_;
  }

 private:
  void arrived() {  // under mu_: one attached thread fewer to wait for
    if (--countdown_ == 0) cv_.notify_all();
  }

  EvalBreaker& breaker_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool requested_ = false;
  Thread* requester_ = nullptr;
  int countdown_ = 0;
  std::uint64_t stops_ = 0;
  std::vector<Thread*> threads_;
};

}  // namespace rclab::runtime
