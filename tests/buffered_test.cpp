// Buffered reference counting: the cases that break a naive commit thread.
//
// Buffered also runs the typed conformance suite
// (refcount_conformance_test.cpp), whose harness runs its commit thread and
// settles (quiesces) before reading counts; these are the hard cases beyond
// it, the interleavings that only buffered counting has. Buffered counts are
// not real time (slide 25), so every check here reads counts after
// quiesce() only.
//
// Objects are freed for real: under AddressSanitizer the commit thread
// deletes them at once, so a use after free is reported; elsewhere they are
// poisoned and kept until the end, and every use checks the poison.
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "refcount/buffered.h"
#include "refcount/immortal.h"

namespace rclab::refcount {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kDeleteAtOnce = true;
#else
constexpr bool kDeleteAtOnce = false;
#endif

constexpr std::uint32_t kAlive = 0x600d, kFreed = 0xdead;

struct Obj {
  Buffered::Header h;
  std::atomic<std::uint32_t> state{kAlive};
  Obj* child = nullptr;  // an owned reference, dropped by the deallocator
  std::uint64_t payload = 0;
};
static_assert(std::is_standard_layout_v<Obj>);

// A commit thread and the bookkeeping of what it freed.
class Rig {
 public:
  explicit Rig(BufferedOptions o = small()) : shared_(o) {
    commit_ = std::thread([this] {
      Buffered::Local me(shared_);
      commit_local_ = &me;
      Buffered::commit_loop(shared_, me, [this](Buffered::Header& h) { free_obj(h); });
    });
    Buffered::wait_started(shared_);
  }
  ~Rig() {
    Buffered::stop(shared_);
    commit_.join();
    for (Obj* o : quarantine_) delete o;
  }
  static BufferedOptions small() {
    BufferedOptions o;
    o.log_capacity = 7;  // tiny: many rotations
    o.epoch_interval = std::chrono::microseconds(100);
    return o;
  }

  Buffered::Shared& shared() { return shared_; }
  Obj* make(Buffered::Local& l, std::uint64_t payload = 0) {
    auto* o = new Obj;
    Buffered::init(o->h, l);
    o->payload = payload;
    created_.fetch_add(1, std::memory_order_relaxed);
    return o;
  }
  long created() const { return created_.load(); }
  long freed() const { return freed_.load(); }
  long double_frees() const { return double_frees_.load(); }

 private:
  void free_obj(Buffered::Header& h) {
    Obj* o = reinterpret_cast<Obj*>(&h);
    if (o->state.exchange(kFreed, std::memory_order_relaxed) != kAlive) ++double_frees_;
    if (o->child != nullptr) Buffered::decref(o->child->h, *commit_local_);  // through the same rules
    ++freed_;
    if (kDeleteAtOnce)
      delete o;
    else
      quarantine_.push_back(o);  // only this thread touches it while the rig runs
  }

  Buffered::Shared shared_;
  std::thread commit_;
  Buffered::Local* commit_local_ = nullptr;
  std::atomic<long> created_{0}, freed_{0}, double_frees_{0};
  std::vector<Obj*> quarantine_;
};

// What a thread of the interpreter does between operations: acknowledge an
// epoch when one is pending.
void safepoint(Buffered::Local& l) {
  if (Buffered::has_pending(l)) Buffered::safepoint(l, [](Buffered::Header&) {});
}

bool alive(const Obj* o) { return o->state.load(std::memory_order_relaxed) == kAlive; }

// Slides 15-19: one thread iterates a shared list (incref an item, use it,
// decref it) while another clears the list, dropping the list's references.
// An item whose list reference is applied as a decrement before the
// iterator's increment would be freed while in use.
TEST(Buffered, IteratingWhileAnotherThreadClearsNeverTouchesFreedObjects) {
  for (std::size_t cap : {1u, 3u, 64u}) {
    for (int seed = 0; seed < 20; ++seed) {
      BufferedOptions opt = Rig::small();
      opt.log_capacity = cap;
      Rig rig(opt);
      constexpr int kItems = 200;
      std::mutex list_lock;  // the list's own lock (Gilectomy locked lists)
      std::vector<Obj*> list;
      std::atomic<int> used_freed{0};
      std::barrier go(2);
      {
        Buffered::Local setup(rig.shared());
        for (int i = 0; i < kItems; ++i) list.push_back(rig.make(setup, std::uint64_t(i)));  // the list's references
        Buffered::detach(setup, [](Buffered::Header&) {});
      }
      std::thread iterator([&] {
        Buffered::Local l(rig.shared());
        std::mt19937 rng(seed);
        Buffered::park(l);
        go.arrive_and_wait();
        Buffered::unpark(l);
        for (int round = 0; round < 4; ++round) {
          for (int i = 0;; ++i) {
            Obj* item;
            {
              std::lock_guard g(list_lock);
              if (i >= int(list.size())) break;
              item = list[std::size_t(i)];
              Buffered::incref(item->h, l);  // PyList_GET_ITEM + Py_INCREF, under the list's lock
            }
            for (unsigned spin = rng() % 50; spin > 0; --spin) safepoint(l);  // use it for a while
            if (!alive(item) || item->payload >= std::uint64_t(kItems)) ++used_freed;
            Buffered::decref(item->h, l);
            safepoint(l);
          }
        }
        Buffered::detach(l, [](Buffered::Header&) {});
      });
      std::thread clearer([&] {
        Buffered::Local l(rig.shared());
        std::mt19937 rng(seed + 1000);
        Buffered::park(l);
        go.arrive_and_wait();
        Buffered::unpark(l);
        for (unsigned spin = rng() % 200; spin > 0; --spin) safepoint(l);
        std::vector<Obj*> taken;
        {
          std::lock_guard g(list_lock);
          taken.swap(list);  // list.clear(), then drop the references outside the lock
        }
        for (Obj* o : taken) {
          Buffered::decref(o->h, l);
          safepoint(l);
        }
        Buffered::detach(l, [](Buffered::Header&) {});
      });
      iterator.join();
      clearer.join();
      Buffered::Local main(rig.shared());
      Buffered::quiesce(main);
      EXPECT_EQ(used_freed.load(), 0) << "capacity " << cap << " seed " << seed;
      EXPECT_EQ(rig.freed(), kItems) << "capacity " << cap << " seed " << seed;
      EXPECT_EQ(rig.double_frees(), 0);
      Buffered::detach(main, [](Buffered::Header&) {});
    }
  }
}

// Objects made on one thread, passed through a queue and dropped by the
// receiver; the receiver blocks on the queue, parked.
TEST(Buffered, ObjectsPassedThroughAQueueAreFreedOnceByTheCommitThread) {
  Rig rig;
  constexpr int kObjects = 20000;
  std::mutex m;
  std::condition_variable cv;
  std::deque<Obj*> q;
  bool done = false;
  std::thread producer([&] {
    Buffered::Local l(rig.shared());
    for (int i = 0; i < kObjects; ++i) {
      Obj* o = rig.make(l);
      Buffered::incref(o->h, l);  // one for the receiver
      {
        std::lock_guard g(m);
        q.push_back(o);
      }
      cv.notify_one();
      Buffered::decref(o->h, l);  // the producer's own
      safepoint(l);
    }
    {
      std::lock_guard g(m);
      done = true;
    }
    cv.notify_one();
    Buffered::detach(l, [](Buffered::Header&) {});
  });
  std::atomic<int> saw_freed{0};
  std::thread receiver([&] {
    Buffered::Local l(rig.shared());
    for (;;) {
      std::unique_lock g(m);
      Buffered::park(l);  // blocking: epochs go on without us
      cv.wait(g, [&] { return !q.empty() || done; });
      Buffered::unpark(l);
      if (q.empty()) break;
      Obj* o = q.front();
      q.pop_front();
      g.unlock();
      if (!alive(o)) ++saw_freed;
      Buffered::decref(o->h, l);
      safepoint(l);
    }
    Buffered::detach(l, [](Buffered::Header&) {});
  });
  producer.join();
  receiver.join();
  Buffered::Local main(rig.shared());
  Buffered::quiesce(main);
  EXPECT_EQ(saw_freed.load(), 0);
  EXPECT_EQ(rig.freed(), kObjects);
  EXPECT_EQ(rig.double_frees(), 0);
  Buffered::detach(main, [](Buffered::Header&) {});
}

// 8 and 32 threads (32 oversubscribe this machine) hammer a few shared
// objects; after a quiesce every count is exactly 1 + what the threads still
// hold; after they drop it all, every object is freed exactly once.
TEST(Buffered, ManyThreadsHammeringSharedObjectsGiveExactCountsAfterQuiesce) {
  for (int threads : {8, 32}) {
    Rig rig;
    constexpr int kObjects = 5, kOps = 20000;
    std::vector<Obj*> objs;
    Buffered::Local main(rig.shared());
    for (int i = 0; i < kObjects; ++i) objs.push_back(rig.make(main));
    std::vector<std::vector<std::int64_t>> held(threads, std::vector<std::int64_t>(kObjects, 0));
    std::barrier phase(threads + 1);
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
      ts.emplace_back([&, t] {
        Buffered::Local l(rig.shared());
        std::mt19937 rng(t);
        auto& mine = held[std::size_t(t)];
        for (int i = 0; i < kOps; ++i) {
          const int k = int(rng() % kObjects);
          if (mine[k] > 0 && rng() % 3 == 0) {
            Buffered::decref(objs[k]->h, l);
            --mine[k];
          } else {
            Buffered::incref(objs[k]->h, l);
            ++mine[k];
          }
          safepoint(l);
        }
        Buffered::park(l);
        phase.arrive_and_wait();  // main quiesces and checks
        phase.arrive_and_wait();
        Buffered::unpark(l);
        for (int k = 0; k < kObjects; ++k)
          for (; mine[k] > 0; --mine[k]) Buffered::decref(objs[k]->h, l);
        Buffered::detach(l, [](Buffered::Header&) {});
      });
    Buffered::park(main);
    phase.arrive_and_wait();
    Buffered::unpark(main);
    Buffered::quiesce(main);
    for (int k = 0; k < kObjects; ++k) {
      std::int64_t expect = 1;
      for (int t = 0; t < threads; ++t) expect += held[std::size_t(t)][k];
      EXPECT_EQ(Buffered::count(objs[k]->h), expect) << threads << " threads, object " << k;
    }
    EXPECT_EQ(rig.freed(), 0);
    Buffered::park(main);
    phase.arrive_and_wait();
    for (auto& th : ts) th.join();
    Buffered::unpark(main);
    Buffered::quiesce(main);
    for (Obj* o : objs) EXPECT_EQ(Buffered::count(o->h), 1);
    for (Obj* o : objs) Buffered::decref(o->h, main);
    Buffered::quiesce(main);
    EXPECT_EQ(rig.freed(), kObjects) << threads << " threads";
    EXPECT_EQ(rig.double_frees(), 0);
    Buffered::detach(main, [](Buffered::Header&) {});
  }
}

// A deallocator's own decrements (a frame dropping its locals) go through
// the same rules: a chain freed from its head is freed link by link, each
// link a later epoch, and nothing is left after a quiesce.
TEST(Buffered, DeallocatorDecrementsFeedBackThroughTheSameRules) {
  Rig rig;
  constexpr int kLinks = 300;
  Buffered::Local l(rig.shared());
  Obj* head = nullptr;
  for (int i = 0; i < kLinks; ++i) {
    Obj* o = rig.make(l);
    o->child = head;  // steals the reference to the previous head
    head = o;
  }
  Buffered::decref(head->h, l);
  Buffered::quiesce(l);
  EXPECT_EQ(rig.freed(), kLinks);
  EXPECT_EQ(rig.double_frees(), 0);
  Buffered::detach(l, [](Buffered::Header&) {});
}

// Back-pressure: with a cap that leaves producers two logs, four producers
// (eight logs' worth) must wait for the commit thread, and log memory never
// exceeds the cap.
TEST(Buffered, ProducersWaitAtTheLogMemoryCap) {
  BufferedOptions opt = Rig::small();
  opt.log_capacity = 64;
  opt.log_memory_cap = (2 + Buffered::kCollectorReserve) * 64 * sizeof(void*);
  Rig rig(opt);
  Buffered::Local main(rig.shared());
  Obj* shared_obj = rig.make(main);
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      Buffered::Local l(rig.shared());
      for (int i = 0; i < 20000; ++i) {
        Buffered::incref(shared_obj->h, l);
        Buffered::decref(shared_obj->h, l);
        safepoint(l);
      }
      Buffered::detach(l, [](Buffered::Header&) {});
    });
  Buffered::park(main);
  for (auto& th : ts) th.join();
  Buffered::unpark(main);
  Buffered::quiesce(main);
  EXPECT_EQ(Buffered::count(shared_obj->h), 1);
  std::uint64_t waits = 0, high = 0, cap = 0;
  for (const auto& st : Buffered::stats(rig.shared())) {
    if (st.name == "buffered_producer_waits") waits = st.value;
    if (st.name == "buffered_log_bytes_high_water") high = st.value;
    if (st.name == "buffered_log_memory_cap") cap = st.value;
  }
  EXPECT_GT(waits, 0u) << "the cap never made a producer wait";
  EXPECT_LE(high, cap) << "log memory went over its cap";
  Buffered::decref(shared_obj->h, main);
  Buffered::quiesce(main);
  EXPECT_EQ(rig.freed(), 1);
  Buffered::detach(main, [](Buffered::Header&) {});
}

// The immortal modifier over buffered counting: immortal objects are never
// logged, so their counts never move and they are never freed.
TEST(Buffered, ImmortalObjectsAreNeverLoggedNorFreed) {
  using P = Immortal<Buffered>;
  Rig rig;
  Buffered::Local main(rig.shared());
  Obj* o = rig.make(main);
  P::make_immortal(o->h);
  const std::int64_t marker = P::count(o->h);
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      Buffered::Local l(rig.shared());
      for (int i = 0; i < 10000; ++i) {
        P::incref(o->h, l);
        P::decref(o->h, l);
        P::decref(o->h, l);
        safepoint(l);
      }
      Buffered::detach(l, [](Buffered::Header&) {});
    });
  Buffered::park(main);
  for (auto& th : ts) th.join();
  Buffered::unpark(main);
  Buffered::quiesce(main);
  EXPECT_EQ(P::count(o->h), marker);
  EXPECT_EQ(rig.freed(), 0);
  Buffered::detach(main, [](Buffered::Header&) {});
  delete o;  // immortal: never freed by the commit thread
}

}  // namespace
}  // namespace rclab::refcount
