// The interpreter suite: fib is right under every configuration, objects and
// memory all come back at teardown, and the reference-count operations per
// call are exactly those of CPython 3.6's ceval.c.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "dictlock/optimistic.h"
#include "freelists/datastack.h"
#include "experiments/fib_workload.h"
#include "experiments/registry.h"
#include "experiments/workload.h"
#include "experiments/workload_run.h"
#include "refcount/atomic.h"
#include "refcount/biased.h"
#include "refcount/deferred.h"
#include "refcount/ft313.h"
#include "refcount/immortal.h"
#include "refcount/plain.h"
#include "runtime/gil_interval.h"
#include "runtime/gil_none.h"
#include "runtime/gil_ticks.h"
#include "tests/config_params.h"

namespace rclab::experiments {
namespace {

}  // namespace

// gtest prints a parameter through PrintTo found by ADL: name, not address.
void PrintTo(const ConfigEntry* e, std::ostream* os) { *os << e->name; }

namespace {

// The py36 generation's configurations: this file checks 3.6's interpreter
// (tests/py313_test.cpp checks 3.13's).
std::vector<const ConfigEntry*> runnable() { return runnable_configs("py36"); }

RunRecord run(const ConfigEntry& e, int threads, int n) {
  RunParams p;
  p.threads = threads;
  p.n = n;
  p.settings.set("switch_interval_us", 20);  // switch often, so the GIL hands over inside these short runs
  return e.run(p);
}

// The runnable configurations whose GIL is `ticks` (Python 2's): the cases
// about its ticker run for those only.
std::vector<const ConfigEntry*> runnable_with_ticks_gil() {
  std::vector<const ConfigEntry*> v;
  for (const ConfigEntry* e : runnable())
    if (e->gil == "ticks") v.push_back(e);
  return v;
}

class EveryConfig : public ::testing::TestWithParam<const ConfigEntry*> {};
INSTANTIATE_TEST_SUITE_P(Registry, EveryConfig, ::testing::ValuesIn(runnable()), config_param_name);

class TicksGilConfig : public ::testing::TestWithParam<const ConfigEntry*> {};
INSTANTIATE_TEST_SUITE_P(Registry, TicksGilConfig, ::testing::ValuesIn(runnable_with_ticks_gil()), config_param_name);

TEST_P(EveryConfig, FibIsRightFrom0To25) {
  for (int n = 0; n <= 25; ++n) {
    const RunRecord r = run(*GetParam(), 1, n);
    ASSERT_TRUE(r.result_ok()) << "fib(" << n << ") = " << r.results[0] << ", expected " << fib_value(n);
    EXPECT_EQ(r.calls, fib_calls(n));
  }
}

TEST_P(EveryConfig, NothingLeftAfterTeardownAt1And2And8Threads) {
  for (int threads : {1, 2, 8}) {
    const RunRecord r = run(*GetParam(), threads, 20);
    EXPECT_TRUE(r.result_ok()) << threads << " threads";
    EXPECT_EQ(r.calls, threads * fib_calls(20));
    EXPECT_EQ(r.live_objects, 0) << threads << " threads: objects leaked or freed twice";
    EXPECT_EQ(r.live_blocks, 0) << threads << " threads: memory blocks leaked";
    EXPECT_GT(r.objects_created, threads * fib_calls(20)) << "every call creates a frame object";
    if (GetParam()->gil != "none" && GetParam()->gil != "isolated") {
      EXPECT_GE(r.gil_switches, std::uint64_t(threads)) << "every thread holds the GIL at least once";
    }
  }
}

// The ticks GIL releases (and at once retakes) every check interval inside
// the eval loop, whatever the scheduler does: fib(20) is far more than 100
// instructions. Whether another thread wins a release is the scheduler's
// business; GilHandOver below checks that a hand-over happens.
TEST_P(TicksGilConfig, ReleasesMidRun) {
  const RunRecord r = run(*GetParam(), 8, 20);
  EXPECT_GT(r.gil_tick_releases, 0u);
}

// With a GIL, the holder must hand it over mid-run, from inside the eval
// loop: the interval GIL through a drop request on the eval breaker, the
// ticks GIL through a check-interval release that another thread wins.
// Deterministic by a synchronisation point rather than by the luck of a
// short run: thread A takes the GIL once and keeps calling fib in the
// interpreter, never dropping the GIL outside it, until thread B — which
// asks for the GIL while A holds it — has got it. So B gets the GIL while A
// is still running only if the eval loop hands it over, and A runs as long
// as that takes. A marks its end while still holding the GIL, so B, reading
// the mark under the GIL, cannot mistake a take after A's last drop for a
// mid-run hand-over. The deadline only turns a GIL that never hands over
// into a failure instead of a hang (a working one does within milliseconds).
// gil_test checks the mechanisms themselves, outside the interpreter.
// The ticks GIL runs on each lock 2.7 could have under it (gil_lock): the
// same policy, only the setting differs.
template <int L>
struct TicksGilOn : runtime::TicksGil {
  static constexpr int kGilLock = L;
};
template <class Gil>
class GilHandOver : public ::testing::Test {};
using HandOverGils = ::testing::Types<runtime::IntervalGil, TicksGilOn<0>, TicksGilOn<1>>;
TYPED_TEST_SUITE(GilHandOver, HandOverGils);

TYPED_TEST(GilHandOver, HappensInsideTheEvalLoop) {
  using Gil = TypeParam;
  using Cfg = runtime::Config<refcount::Plain, Gil>;
  using TS = runtime::ThreadState<Cfg>;
  runtime::RuntimeOptions options;
  options.settings.set("switch_interval_us", 20);
  if constexpr (requires { Gil::kGilLock; }) options.settings.set("gil_lock", Gil::kGilLock);
  runtime::Runtime<Cfg> rt(options);
  auto* fib_name = install_fib(rt);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);

  std::atomic<bool> a_holds{false}, b_took{false};
  bool a_done = false;        // written and read under the GIL only
  bool b_took_mid_run = false;
  std::int64_t a_calls = 0;
  bool a_results_ok = true;
  std::thread a([&] {
    TS ts(rt);
    Gil::take(rt.gil_shared, ts.gil);
    a_holds = true;
    // The GIL is released here only inside call_fib, by the eval loop.
    while (!b_took.load() && std::chrono::steady_clock::now() < deadline) {
      a_results_ok &= call_global(ts, fib_name, 15) == fib_value(15);
      ++a_calls;
    }
    a_done = true;
    ts.detach();
    Gil::drop(rt.gil_shared, ts.gil);
  });
  std::thread b([&] {
    TS ts(rt);
    while (!a_holds.load()) std::this_thread::yield();
    Gil::take(rt.gil_shared, ts.gil);
    b_took_mid_run = !a_done;
    b_took = true;
    EXPECT_EQ(call_global(ts, fib_name, 10), fib_value(10));
    ts.detach();
    Gil::drop(rt.gil_shared, ts.gil);
  });
  a.join();
  b.join();

  EXPECT_TRUE(b_took_mid_run) << Gil::kName << ": the GIL was never handed over inside the eval loop ("
                              << a_calls << " calls of fib(15))";
  EXPECT_TRUE(a_results_ok);
  const runtime::GilStats stats = Gil::stats(rt.gil_shared);
  EXPECT_GE(stats.switches, 3u);  // a, b, and back to a at least
  if constexpr (std::is_same_v<Gil, runtime::IntervalGil>) {
    EXPECT_GT(stats.drop_requests, 0u);
  } else {
    EXPECT_GT(stats.tick_releases, 0u);
  }
}

// Reference-count operations of one fib(k) invocation under CPython 3.6,
// charging the call overhead to the callee (i = incref, d = decref):
//
//   call_function         Py_INCREF(func), Py_DECREF(func), then pops and
//                         Py_DECREFs the callable and the argument  1i 3d
//   _PyFunction_FastCall  Py_INCREF of the argument into f_localsplus,
//                         Py_DECREF(f) after PyEval_EvalFrameEx      1i 1d
//   PyFrame_New           Py_INCREF builtins, Py_XINCREF back,
//                         Py_INCREF code, Py_INCREF globals          4i
//   frame_dealloc         Py_CLEAR(n), Py_XDECREF(f_back), Py_DECREF
//                         builtins, globals, code                    5d
//   body, k < 2:   LOAD_FAST 1i, LOAD_CONST 1i, COMPARE_OP 1i 2d,
//                  POP_JUMP_IF_FALSE 1d, LOAD_CONST 1i, RETURN_VALUE  4i 3d
//   body, k >= 2:  the same test (3i 3d), then twice LOAD_GLOBAL 1i,
//                  LOAD_FAST 1i, LOAD_CONST 1i, BINARY_SUBTRACT 1i 2d
//                  (n-1 and n-2 are cached small ints), then BINARY_ADD 2d
//                  plus 1i when fib(k) <= 256 (a cached small int; a larger
//                  result is a new object, which costs no incref)     11i+s 9d
//
//   I(k) = 10,  D(k) = 12                                  for k < 2
//   I(k) = 17 + [fib(k) <= 256] + I(k-1) + I(k-2),  D(k) = 18 + D(k-1) + D(k-2)
//
// The caller (call_fib) adds LOAD_GLOBAL fib 1i, the argument 1i (k <= 256)
// and the final Py_DECREF of the result 1d; the outermost frame has no
// f_back, which saves 1i and 1d. So one thread's fib(k) costs I(k) + 1
// increfs and D(k) decrefs.
struct Ops {
  std::uint64_t inc, dec;
};
Ops cpython36_ops(int k) {
  if (k < 2) return {10, 12};
  const Ops a = cpython36_ops(k - 1), b = cpython36_ops(k - 2);
  return {17 + (fib_value(k) <= 256 ? 1u : 0u) + a.inc + b.inc, 18 + a.dec + b.dec};
}

TEST_P(EveryConfig, RefcountOperationsMatchCPython36PerCall) {
  for (int n : {0, 1, 2, 3, 5, 10, 12, 13, 14, 20}) {  // fib(12) = 233 <= 256 < fib(13) = 377
    const RunRecord r = run(*GetParam(), 1, n);
    const Ops expect = cpython36_ops(n);
    EXPECT_EQ(r.increfs, expect.inc + 1) << "fib(" << n << ")";
    EXPECT_EQ(r.decrefs, expect.dec) << "fib(" << n << ")";
  }
  // Threads do not change the per-thread pattern.
  const RunRecord r = run(*GetParam(), 4, 15);
  EXPECT_EQ(r.increfs, 4 * (cpython36_ops(15).inc + 1));
  EXPECT_EQ(r.decrefs, 4 * cpython36_ops(15).dec);
}

// Deferred counting (PEP 703) skips exactly the stack references to the
// function, its code and the module dicts: per call, LOAD_GLOBAL fib and
// call_function's incref of the callable (2i), its decref and the pop (2d),
// and frame_new's / frame_dealloc's builtins, code and globals (3i 3d).
// Everything else is counted as before (the test above still holds).
TEST_P(EveryConfig, DeferredPoliciesSkipTenStackOperationsPerCall) {
  const bool defers = GetParam()->refcount_name().find("deferred") != std::string::npos;
  const RunRecord r = run(*GetParam(), 2, 15);
  EXPECT_EQ(r.deferred_ops, defers ? 10 * r.calls : 0) << GetParam()->refcount_name();
}

// 3.6 fetches its thread state (PyThreadState_GET()) nine times per fib
// call: PyEval_EvalFrameEx, eval's entry, Py_EnterRecursiveCall and
// Py_LeaveRecursiveCall, PyErr_Occurred in _Py_CheckFunctionResult,
// _PyFunction_FastCall, PyObject_RichCompare's recursion guard (two), and
// frame_dealloc's trashcan. None unless the state is passed down.
TEST_P(EveryConfig, ThreadStateLookupsAreNinePerCallUnlessExplicit) {
  const RunRecord r = run(*GetParam(), 2, 15);
  const std::uint64_t expect = GetParam()->tstate == "explicit" ? 0 : 9 * r.calls;
  EXPECT_EQ(r.tstate_lookups, expect) << GetParam()->tstate;
}

TEST(Registry, GilAndAtomicExistAndPlainWithoutGilIsRefused) {
  ASSERT_NE(find_config("gil"), nullptr);
  ASSERT_NE(find_config("atomic"), nullptr);
  EXPECT_EQ(find_config("gil")->refcount, "plain");
  EXPECT_EQ(find_config("gil")->gil, "interval");
  EXPECT_EQ(find_config("atomic")->refcount, "atomic");
  EXPECT_EQ(find_config("atomic")->gil, "none");
  const ConfigEntry* bad = find_config("plain-nogil");
  ASSERT_NE(bad, nullptr);
  EXPECT_FALSE(bad->refused.empty());
  EXPECT_EQ(bad->run, nullptr);
  EXPECT_EQ(find_config("no-such-config"), nullptr);
}

// The compile-time check behind the refusal.
static_assert(runtime::SafeConfig<runtime::Config<refcount::Plain, runtime::IntervalGil>>);
static_assert(runtime::SafeConfig<runtime::Config<refcount::Atomic, runtime::NoGil>::WithDictLock<dictlock::Optimistic>>);
static_assert(!runtime::SafeConfig<runtime::Config<refcount::Plain, runtime::NoGil>::WithDictLock<dictlock::Optimistic>>);
// Without a GIL, dicts need a lock of their own: `none` (the default) is refused.
static_assert(!runtime::SafeConfig<runtime::Config<refcount::Atomic, runtime::NoGil>>);
static_assert(runtime::SafeConfig<runtime::Config<refcount::Plain, runtime::TicksGil>>);
// Deferred stack references need an interpreter that routes every heap-stack
// move through to_stack/from_stack: both generations do. 3.14t's deferral
// (ft314) also needs its frames scanned by the collector: py313's can be,
// py36's cannot.
using DeferredBiased = refcount::Deferred<refcount::Immortal<refcount::Biased>>;
using Ft314Biased = refcount::Ft314<refcount::Immortal<refcount::Biased>>;
static_assert(runtime::SafeConfig<runtime::Config<DeferredBiased, runtime::NoGil>::WithDictLock<dictlock::Optimistic>>);
static_assert(runtime::SafeConfig<runtime::Config<DeferredBiased, runtime::NoGil>::WithDictLock<
                  dictlock::Optimistic>::WithGeneration<runtime::Py313<false>, freelists::DataStack>>);
static_assert(runtime::SafeConfig<runtime::Config<Ft314Biased, runtime::NoGil>::WithDictLock<
                  dictlock::Optimistic>::WithGeneration<runtime::Py313<false>, freelists::DataStack>>);
static_assert(!runtime::SafeConfig<runtime::Config<Ft314Biased, runtime::NoGil>::WithDictLock<dictlock::Optimistic>>);

// 3.13t's immortalisation (refcount/ft313.h): once shared_method's module
// has run, its module-level functions, their code and constants, its class,
// the module dicts and the builtins are immortal; the class's namespace and
// the instance the module made stay counted. Without the modifier, the same
// objects are mortal. Shutdown frees them all (the runtime checks it).
template <class RC>
using Cfg313t = runtime::Config<RC, runtime::NoGil>::template WithDictLock<dictlock::Optimistic>::template WithGeneration<
    runtime::Py313<false>, freelists::DataStack>;
template <class Cfg>
void expect_immortal_at_thread_start(bool ft313) {
  using namespace runtime;
  using RC = typename Cfg::RC;
  Runtime<Cfg> rt;
  experiments::install_workload(rt, *experiments::find_workload("shared_method"));
  auto global = [&](const char* name) {
    Str<RC>* s = rt.intern(rt.main, name);
    decref(rt.main, &s->ob);
    Object<RC>* v = Runtime<Cfg>::dict_get(rt.globals, s);
    EXPECT_NE(v, nullptr) << name;
    return v;
  };
  auto* work = as<Function>(global("work"));
  Object<RC>* cls = global("Box");
  ASSERT_EQ(cls->type, Type::kClass);
  for (Object<RC>* o : {&work->ob, &work->code->ob, &work->code->consts->ob, &rt.globals->ob, &rt.builtins->ob, cls})
    EXPECT_EQ(RC::is_immortal(o->rc), ft313) << "type " << int(o->type);
  EXPECT_FALSE(RC::is_immortal(as<Class>(cls)->dict->ob.rc)) << "a class's namespace is not deferred in 3.13t";
  EXPECT_FALSE(RC::is_immortal(global("OBJ")->rc)) << "instances stay counted";
  EXPECT_EQ(rt.immortalize_at_thread_start(), 0u) << "once only: a second thread start finds nothing new";
}
TEST(Ft313, ImmortalizesWhat313tDefersAtTheFirstThreadStart) {
  expect_immortal_at_thread_start<Cfg313t<refcount::Ft313<refcount::Immortal<refcount::Biased>>>>(true);
  expect_immortal_at_thread_start<Cfg313t<refcount::Immortal<refcount::Biased>>>(false);
}

// Biased counting inside the runtime: an object the runtime's thread made
// and a worker dropped is queued to its owner and freed at the owner's
// safepoint; an object a worker made and left behind when it detached is
// merged and freed on the spot by whoever drops it last.
TEST(BiasedRuntime, QueuedObjectsAreFreedAtSafepointsAndOrphansOnTheSpot) {
  using Cfg = runtime::Config<refcount::Biased, runtime::NoGil>::WithDictLock<dictlock::Optimistic>;
  runtime::Runtime<Cfg> rt;
  auto* mine = runtime::int_from(rt.main, 100000);  // owned by rt.main
  runtime::Object<refcount::Biased>* orphan = nullptr;
  std::uint64_t destroyed_by_worker = 0;
  std::thread([&] {
    runtime::ThreadState<Cfg> ts(rt);
    runtime::decref(ts, mine);                  // not the owner: queued
    orphan = runtime::int_from(ts, 200000);     // owned by this worker
    runtime::incref(ts, orphan);                // one for the worker, one for main
    runtime::decref(ts, orphan);
    ts.detach();                                // the owner is gone from here on
    destroyed_by_worker = ts.counters.objects_destroyed;
  }).join();
  EXPECT_EQ(destroyed_by_worker, 0u);
  EXPECT_NE(mine->type, runtime::Type::kFreed) << "freed before its owner merged";
  const std::uint64_t before = rt.main.counters.objects_destroyed;
  runtime::rc_safepoint(rt.main);
  EXPECT_EQ(rt.main.counters.objects_destroyed, before + 1) << "the owner frees what was queued to it";
  runtime::decref(rt.main, orphan);  // its owner has exited: merged and freed here
  EXPECT_EQ(rt.main.counters.objects_destroyed, before + 2);
  const auto st = refcount::Biased::stats(rt.rc_shared);
  EXPECT_EQ(st[0].value, 1u) << st[0].name;
  EXPECT_EQ(st[2].value, 1u) << st[2].name;
}

TEST(FibWorkload, NativeValuesAndCallCounts) {
  EXPECT_EQ(fib_value(0), 1);
  EXPECT_EQ(fib_value(1), 1);
  EXPECT_EQ(fib_value(2), 2);
  EXPECT_EQ(fib_value(30), 1346269);
  EXPECT_EQ(fib_calls(30), 2692537u);
  EXPECT_EQ(fib_calls(0), 1u);
}

}  // namespace
}  // namespace rclab::experiments
