// 3.14t's mechanisms (predictions) on the py313 generation: the
// stop-the-world (runtime/stop_the_world.h), the collector of deferred
// objects (runtime/deferred_gc.h: `ft314`) and per-thread counts (`ptrc`).
// Nothing here times anything: each case checks what the mechanism must
// never do (run a thread while the world is stopped, free a deferred object
// a frame still holds, lose a per-thread count).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "dictlock/ft313.h"
#include "experiments/workload.h"
#include "freelists/datastack.h"
#include "obmalloc/per_thread.h"
#include "refcount/biased.h"
#include "refcount/ft314.h"
#include "refcount/immortal.h"
#include "refcount/ptrc.h"
#include "runtime/gil_none.h"
#include "runtime/py313/interp.h"
#include "runtime/runtime.h"

namespace rclab {
namespace {

using namespace runtime;
using RC = refcount::Ptrc<refcount::Ft314<refcount::Immortal<refcount::Biased>>>;
using Cfg = Config<RC, NoGil, obmalloc::PerThread<>, freelists::DataStack, ExplicitTState, dictlock::Ft313, Py313<false>>;
// py314t-model's generation: thread-local bytecode, whose frames hold the
// index of their copy (a longer frame: the collector must read it as one).
using CfgTlbc = Config<RC, NoGil, obmalloc::PerThread<>, freelists::DataStack, ExplicitTState, dictlock::Ft313, Py313Tlbc>;
using O = Object<RC>;
constexpr std::int64_t kBias = refcount::deferred_bias<RC>();

// --- stop-the-world ----------------------------------------------------------

// Attached threads loop, counting and checking the eval breaker as the
// interpreter does; while the world is stopped none of them counts, a
// detached one cannot attach, and all go on after start().
TEST(StopTheWorld, NoOtherThreadRunsWhileTheWorldIsStopped) {
  EvalBreaker breaker;
  StopTheWorld stw(breaker);
  constexpr int kThreads = 4;
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> steps[kThreads] = {};
  std::atomic<int> attached_after_wait{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      StopTheWorld::Thread me;
      stw.add(me);
      while (!done.load()) {
        steps[i].fetch_add(1, std::memory_order_relaxed);
        if (breaker.test(EvalBreaker::kStopTheWorld)) stw.park_if_requested(me);
        if (i == 0 && steps[i].load() % 1000 == 0) {  // thread 0 also blocks now and then
          stw.detach(me);
          std::this_thread::yield();
          stw.attach(me);
          attached_after_wait.fetch_add(1);
        }
      }
      stw.remove(me);
    });
  }
  StopTheWorld::Thread main;
  stw.add(main);
  for (int round = 0; round < 20; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    stw.stop(main);
    std::uint64_t before[kThreads];
    for (int i = 0; i < kThreads; ++i) before[i] = steps[i].load();
    const int attaches = attached_after_wait.load();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    for (int i = 0; i < kThreads; ++i) EXPECT_EQ(steps[i].load(), before[i]) << "thread " << i << " ran while stopped";
    EXPECT_EQ(attached_after_wait.load(), attaches) << "a detached thread attached while the world was stopped";
    stw.start(main);
  }
  done = true;
  for (auto& t : threads) t.join();
  stw.remove(main);
  EXPECT_EQ(stw.stops(), 20u);
  for (int i = 0; i < kThreads; ++i) EXPECT_GT(steps[i].load(), 0u);
}

// Two threads asking at once take turns; neither deadlocks.
TEST(StopTheWorld, TwoRequestersTakeTurns) {
  EvalBreaker breaker;
  StopTheWorld stw(breaker);
  std::atomic<int> inside{0}, max_inside{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) {
    threads.emplace_back([&] {
      StopTheWorld::Thread me;
      stw.add(me);
      for (int k = 0; k < 200; ++k) {
        if (breaker.test(EvalBreaker::kStopTheWorld)) stw.park_if_requested(me);
        stw.stop(me);
        const int n = inside.fetch_add(1) + 1;
        int m = max_inside.load();
        while (n > m && !max_inside.compare_exchange_weak(m, n)) {}
        inside.fetch_sub(1);
        stw.start(me);
      }
      stw.remove(me);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(max_inside.load(), 1) << "two stops were in force at once";
  EXPECT_EQ(stw.stops(), 600u);
}

// --- the collector ----------------------------------------------------------------

// shared_method's module under 3.14t's deferral: its functions, their code,
// its class and the module dicts are deferred (the bit and the bias), and
// its instance is not.
TEST(DeferredGc, WhatThreePointFourteenDefersCarriesTheBias) {
  Runtime<Cfg> rt;
  experiments::install_workload(rt, *experiments::find_workload("shared_method"));
  auto global = [&](const char* name) {
    Str<RC>* s = rt.intern(rt.main, name);
    decref(rt.main, &s->ob);
    O* v = Runtime<Cfg>::dict_get(rt.globals, s);
    EXPECT_NE(v, nullptr) << name;
    return v;
  };
  auto* work = as<Function>(global("work"));
  O* cls = global("Box");
  for (O* o : {&work->ob, &work->code->ob, &rt.globals->ob, &rt.builtins->ob, cls}) {
    EXPECT_TRUE(o->flags & kDeferredFlag) << "type " << int(o->type);
    EXPECT_GE(RC::count(o->rc), kBias) << "type " << int(o->type);
    EXPECT_FALSE(RC::is_immortal(o->rc)) << "3.14t does not immortalise what it defers";
  }
  EXPECT_EQ(heap_count<Cfg>(&work->ob), 1) << "the globals' reference alone";
  EXPECT_FALSE(global("OBJ")->flags & kDeferredFlag) << "instances are not deferred";
  EXPECT_NE(as<Class>(cls)->unique_id, 0u);
  EXPECT_NE(work->code->unique_id, 0u);
  EXPECT_NE(rt.globals->unique_id, 0u);
}

// A deferred object with no heap reference left is freed by a collection,
// unless a frame holds it; a frame whose stack top is not saved makes the
// collection free nothing deferred (3.14t's skip_deferred_objects).
template <class C>
void frees_unless_a_frame_holds_it() {
  Runtime<C> rt;
  experiments::install_workload(rt, *experiments::find_workload("shared_method"));
  auto& ts = rt.main;
  gc_collect_at_shutdown(ts);  // the module's own garbage first (its function and code object)
  EXPECT_GT(rt.gc_shared.freed, 0u) << "the module's function and code, used once, were not collected";
  Str<RC>* name = rt.intern(ts, "Doomed");
  Dict<RC>* ns = rt.new_dict(ts);
  Class<RC>* cls = class_new(ts, name, ns, rt.object_class);  // deferred, one reference: this test's
  decref(ts, &ns->ob);
  decref(ts, &name->ob);
  ASSERT_TRUE(cls->ob.flags & kDeferredFlag);
  decref(ts, &cls->ob);  // the bias keeps it: only a collection frees it
  EXPECT_EQ(heap_count<C>(&cls->ob), 0);

  // A frame of this thread holds it on its value stack.
  Str<RC>* work_name = rt.intern(ts, "work");
  decref(ts, &work_name->ob);  // the intern table keeps it
  auto* work = as<Function>(Runtime<C>::dict_get(rt.globals, work_name));
  std::vector<void*> storage(64);
  auto* f = reinterpret_cast<py313::FrameOf<C>*>(storage.data());
  f->f_executable = work->code;
  f->f_funcobj = &work->ob;
  f->previous = nullptr;
  f->owner = py313::kOwnedByThread;
  f->stacktop = 1;
  f->localsplus[0] = &cls->ob;
  ts.gen.current_frame = f;
  const std::uint64_t freed0 = rt.gc_shared.freed;
  gc_collect_at_shutdown(ts);
  EXPECT_EQ(rt.gc_shared.freed, freed0) << "freed a class a frame still held";
  EXPECT_EQ(cls->ob.type, Type::kClass);

  f->stacktop = -1;  // inside a call: the stack cannot be read
  f->localsplus[0] = nullptr;
  const std::uint64_t skipped0 = rt.gc_shared.skipped;
  gc_collect_at_shutdown(ts);
  EXPECT_EQ(rt.gc_shared.skipped, skipped0 + 1);
  EXPECT_EQ(rt.gc_shared.freed, freed0);

  f->stacktop = 0;  // the frame let go of it
  gc_collect_at_shutdown(ts);
  EXPECT_EQ(rt.gc_shared.freed, freed0 + 1) << "the unreferenced class was not freed";
  ts.gen.current_frame = nullptr;
}

TEST(DeferredGc, FreesAnUnreferencedDeferredObjectUnlessAFrameHoldsIt) { frees_unless_a_frame_holds_it<Cfg>(); }

// The same with thread-local bytecode's frame, whose value stack starts a
// word later: read as 3.13's frame, the collector missed the class there.
TEST(DeferredGc, FreesAnUnreferencedDeferredObjectUnlessAThreadLocalBytecodeFrameHoldsIt) {
  frees_unless_a_frame_holds_it<CfgTlbc>();
}

// Per-thread counts: a worker's references to a class (through instances)
// and to the code and globals (through functions it makes) stay in its array
// and reach the objects when it ends; the objects' counts are exact after.
TEST(DeferredGc, PerThreadCountsAreMergedWhenTheThreadEnds) {
  Runtime<Cfg> rt;
  experiments::install_workload(rt, *experiments::find_workload("shared_method"));
  Str<RC>* box_name = rt.intern(rt.main, "Box");
  decref(rt.main, &box_name->ob);
  auto* cls = as<Class>(Runtime<Cfg>::dict_get(rt.globals, box_name));
  Str<RC>* work_name = rt.intern(rt.main, "work");
  decref(rt.main, &work_name->ob);
  Code<RC>* code = as<Function>(Runtime<Cfg>::dict_get(rt.globals, work_name))->code;
  // The runtime's thread made the module's functions and its instance: its
  // own per-thread counts of the globals and the class merge here first.
  gc_collect_at_shutdown(rt.main);
  const std::int64_t cls_before = heap_count<Cfg>(&cls->ob);
  const std::int64_t globals_before = heap_count<Cfg>(&rt.globals->ob);
  std::vector<O*> kept;
  std::thread([&] {
    ThreadState<Cfg> ts(rt);
    for (int i = 0; i < 10; ++i) {
      auto* obj = ::new (alloc_block(ts, sizeof(Instance<RC>))) Instance<RC>;
      init_object(ts, &obj->ob, Type::kInstance);
      thread_incref(ts, &cls->ob, ts.counters.rc);  // _PyObject_Init's _Py_INCREF_TYPE
      obj->cls = cls;
      obj->dict = nullptr;
      kept.push_back(&obj->ob);
    }
    // PyFunction_New: the code, the globals and the builtins per thread.
    Function<RC>* fn = py313::Interp<Cfg>::function_new(ts, code, rt.globals);
    EXPECT_EQ(heap_count<Cfg>(&cls->ob), cls_before) << "the class's own count moved: not per thread";
    EXPECT_EQ(heap_count<Cfg>(&rt.globals->ob), globals_before) << "the globals' own count moved";
    EXPECT_EQ(ts.counters.rc.per_thread, 10u + 3u);
    kept.push_back(&fn->ob);
    ts.detach();  // merges
  }).join();
  EXPECT_EQ(heap_count<Cfg>(&cls->ob), cls_before + 10);
  EXPECT_EQ(heap_count<Cfg>(&rt.globals->ob), globals_before + 1);
  // Dropped on another thread (the runtime's): per-thread there, merged at
  // the next collection; the counts come back exactly.
  for (O* o : kept) decref(rt.main, o);
  gc_collect_at_shutdown(rt.main);
  EXPECT_EQ(heap_count<Cfg>(&cls->ob), cls_before);
  EXPECT_EQ(heap_count<Cfg>(&rt.globals->ob), globals_before);
}

}  // namespace
}  // namespace rclab
