// No early free goes unnoticed: in debug builds (the asan, tsan and debug
// presets) a deallocated object is poisoned and any later incref or decref
// of it stops the process. Poisoning and the owner check are compiled into
// debug builds only, so the death tests are too (#ifndef NDEBUG around
// them): a release build does not instantiate them, rather than skip them. The frame is the interesting case: its memory
// stays ours on the freelist, so without poisoning a use-after-free there
// would read valid memory and pass silently, even under ASan.
#include <gtest/gtest.h>

#include <thread>

#include "dictlock/optimistic.h"
#include "experiments/fib_workload.h"
#include "refcount/atomic.h"
#include "refcount/shared_immortal.h"
#include "refcount/plain.h"
#include "runtime/gil_interval.h"
#include "runtime/gil_none.h"

namespace rclab::runtime {
namespace {

template <class Cfg>
Frame<typename Cfg::RC>* freed_frame(Runtime<Cfg>& rt, ThreadState<Cfg>& ts) {
  auto* name = experiments::install_fib(rt);
  auto* fn = as<Function>(Runtime<Cfg>::dict_get(rt.globals, name));
  Object<typename Cfg::RC>* arg = int_from(ts, 3);
  auto* f = frame_new(ts, fn->code, fn->globals, ts.counters.rc);
  f->localsplus()[0] = arg;  // the argument's reference moves into the frame
  decref(ts, &f->ob);  // the only reference: the frame is deallocated (onto the freelist)
  return f;
}

template <class Cfg>
class Poison : public ::testing::Test {};

using Configs = ::testing::Types<Config<refcount::Plain, IntervalGil>,
                                 Config<refcount::Atomic, NoGil>::WithDictLock<dictlock::Optimistic>>;
TYPED_TEST_SUITE(Poison, Configs);

// Frees a frame, then applies `touch` to it: must stop the process.
template <class Cfg, class Touch>
void touch_freed_frame(Touch touch) {
  Runtime<Cfg> rt;
  ThreadState<Cfg> ts(rt);
  auto* f = freed_frame(rt, ts);
  touch(ts, &f->ob);
}

#ifndef NDEBUG  // poisoning is compiled into debug builds only (asan, tsan, debug presets)
TYPED_TEST(Poison, IncrefOfAFreedObjectStopsTheProcess) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(touch_freed_frame<TypeParam>([](auto& ts, auto* o) { incref(ts, o); }), "use after free: incref");
}

TYPED_TEST(Poison, DecrefOfAFreedObjectStopsTheProcess) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(touch_freed_frame<TypeParam>([](auto& ts, auto* o) { decref(ts, o); }), "use after free: decref");
}
#endif

// The same sequence without the bad access runs clean: the death above is
// caused by the use after free, nothing else.
TYPED_TEST(Poison, TheSameSequenceWithoutTheBadAccessIsClean) {
  Runtime<TypeParam> rt;
  {
    ThreadState<TypeParam> ts(rt);
    freed_frame(rt, ts);
  }
  rt.shutdown();
}

// `shared_immortal` counts mortal objects without atomics and relies on them never
// leaving their thread; debug builds check every incref and decref.
#ifndef NDEBUG  // the owner check is compiled into debug builds only
TEST(SharedImmortalOwnership, AMortalObjectTouchedByAnotherThreadStopsTheProcess) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        refcount::SharedImmortal::Shared shared;
        refcount::SharedImmortal::Header h;
        std::thread([&] {
          refcount::SharedImmortal::Local creator(shared);
          refcount::SharedImmortal::init(h, creator);
        }).join();
        refcount::SharedImmortal::Local other(shared);
        refcount::SharedImmortal::incref(h, other);
      },
      "crossed threads");
}
#endif

TEST(SharedImmortalOwnership, ImmortalObjectsMayBeTouchedByAnyThread) {
  refcount::SharedImmortal::Shared shared;
  refcount::SharedImmortal::Header h;
  refcount::SharedImmortal::Local creator(shared);
  refcount::SharedImmortal::init(h, creator);
  refcount::SharedImmortal::make_immortal(h);
  std::thread([&] {
    refcount::SharedImmortal::Local other(shared);
    refcount::SharedImmortal::incref(h, other);
    EXPECT_FALSE(refcount::SharedImmortal::decref(h, other));
  }).join();
  EXPECT_TRUE(refcount::SharedImmortal::is_immortal(h));
}

}  // namespace
}  // namespace rclab::runtime
