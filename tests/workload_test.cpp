// The workloads (workloads/*.py, compiled by real CPython 3.6 and built into
// the binary): every configuration runs every one right and leaves nothing;
// the reference-count operations per iteration of each work loop are 3.6's,
// exactly; the loader refuses what rclab does not run, by name and offset;
// and fib compiled by 3.6 is the wordcode the unit tests build by hand.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "experiments/fib_workload.h"
#include "experiments/registry.h"
#include "experiments/workload_run.h"
#include "experiments/workload.h"
#include "experiments/workloads_embedded.h"
#include "refcount/plain.h"
#include "runtime/generations.h"
#include "tests/type_lists.h"
#include "runtime/gil_interval.h"
#include "runtime/py36/marshal.h"
#include "tests/config_params.h"

namespace rclab::experiments {

void PrintTo(const ConfigEntry* e, std::ostream* os) { *os << e->name; }

namespace {

using GilCfg = runtime::Config<refcount::Plain, runtime::IntervalGil>;

RunRecord run(const ConfigEntry& e, const std::string& workload, int threads, int n) {
  RunParams p;
  p.threads = threads;
  p.n = n;
  p.workload = workload;
  p.settings.set("switch_interval_us", 20);  // switch often: hand-overs inside these short runs
  return e.run(p);
}

class EveryConfig : public ::testing::TestWithParam<const ConfigEntry*> {};

INSTANTIATE_TEST_SUITE_P(Registry, EveryConfig, ::testing::ValuesIn(runnable_configs()), config_param_name);

// Right result on every thread, every object and block back at teardown
// (run() checks that each runtime-owned count is exactly 1 at shutdown and
// stops the process otherwise), with three threads sharing the module.
// Under ASan and TSan too: this file is built in every preset.
TEST_P(EveryConfig, RunsEveryWorkloadRightAndLeavesNothing) {
  for (const EmbeddedWorkload& w : embedded_workloads()) {
    if (GetParam()->private_only && w.crosses_threads) continue;  // refused: RefusesWhatCrossesThreads
    const int n = std::string(w.name) == "fib" ? 12 : 300;
    const RunRecord r = run(*GetParam(), w.name, 3, n);
    EXPECT_TRUE(r.result_ok()) << w.name << ": " << r.results.front() << " vs " << r.expected;
    EXPECT_EQ(r.live_objects, 0) << w.name;
    EXPECT_EQ(r.live_blocks, 0) << w.name;
    EXPECT_EQ(r.workload, w.name);
    EXPECT_EQ(r.workload_code_sha256, w.code(GetParam()->bytecode)->sha256);
  }
}

// The increfs and decrefs per iteration of each work loop: the difference
// between work(3000) and work(1000) over 2000 iterations (every loop
// variable is above 256 there, so no small int is cached). Derived from
// runtime/interp.h's table, which follows 3.6's source, and each equal to
// what a CPython 3.6.15 built with two counters in Py_INCREF/Py_DECREF
// counted for the same .py (by hand, not committed: for fib the
// per-call pattern, for the rest the same difference; the queue excepted,
// since 3.6 has no C queue). One thread, `gil`: the counts do not depend
// on the policy (tests/interp_test.cpp checks that for fib), but a
// deferred decref or an optimistic dict's retired value would move
// operations out of the loop.
struct PerIteration {
  const char* workload;
  int inc, dec;
  const char* derivation;
};
constexpr PerIteration kPerIteration[] = {
    // Every loop below also pays, per outer iteration, STORE_FAST i's
    // release of the previous i (1d; FOR_ITER's next int is not small: 0i).
    {"shared_list", 302, 404,
     "LOAD_GLOBAL L 1i, GET_ITER 1i 1d; per item x100: FOR_ITER 1i, STORE_FAST x 1d, "
     "LOAD_FAST total+x 2i, INPLACE_ADD 2d, STORE_FAST total 1d; exhausted 2d; i 1d"},
    {"shared_method", 18, 22,
     "LOAD_FAST total, LOAD_GLOBAL OBJ 2i; LOAD_ATTR get 5i 4d (name, descr, dict; method: func, self); "
     "CALL_FUNCTION 0: self 1i, func 1i, the method dropped 1d + its dealloc 2d, frame_new 4i, self copied 1i; "
     "get's LOAD_FAST self 1i, LOAD_ATTR step 3i 3d; frame 1d + frame_dealloc 5d; func 1d, self popped 1d; "
     "INPLACE_ADD 2d; STORE_FAST total 1d; i 1d"},
    {"dict_read", 42, 52,
     "LOAD_GLOBAL KEYS 1i, GET_ITER 1i 1d; per key x8: FOR_ITER 1i, STORE_FAST k 1d, LOAD_FAST total 1i, "
     "LOAD_GLOBAL D 1i, LOAD_FAST k 1i, BINARY_SUBSCR 1i 2d, INPLACE_ADD 2d, STORE_FAST total 1d; exhausted 2d; i 1d"},
    {"dict_write", 28, 31,
     "LOAD_GLOBAL KEYS 1i, GET_ITER 1i 1d; per key x4: FOR_ITER 1i, STORE_FAST k 1d, LOAD_FAST i, "
     "LOAD_GLOBAL D, LOAD_FAST k 3i, STORE_SUBSCR (replacing) 2i 5d; exhausted 2d; total += i 2i 3d; i 1d"},
    {"queue", 15, 20,
     "LOAD_GLOBAL Q 1i, LOAD_ATTR put 3i 3d, LOAD_FAST i 1i, BUILD_LIST 0, CALL_FUNCTION 1 (put: item 1i, None 1i; "
     "pops 2d + the bound method's dealloc 1d), POP_TOP 1d; LOAD_GLOBAL Q 1i, LOAD_ATTR get 3i 3d, CALL_FUNCTION 0 "
     "(the item moves: 0; pop 1d + dealloc 1d); STORE_FAST x 1d + the old list's dealloc 1d; "
     "got += len(x): 3i + len's small int 1i, pops 2d, INPLACE_ADD 2d, STORE_FAST 1d; i 1d"},
    {"churn", 8, 12,
     "LOAD_FAST i x2 2i, BUILD_LIST, STORE_FAST x 1d; LOAD_FAST x, i 2i, BUILD_TUPLE, STORE_FAST t 1d + the old "
     "tuple's dealloc 1d (old list) + 2d (its items) + 1d (old i); total += len(t): 3i + 1i, 2d, 2d, 1d; i 1d"},
    {"closure", 11, 14,
     "LOAD_GLOBAL ADD, LOAD_FAST total 2i; CALL_FUNCTION 1: func 1i, _PyEval_EvalCodeWithName: frame_new 4i, "
     "x copied 1i, cell copied 1i; add: LOAD_FAST x 1i, LOAD_DEREF k 1i, BINARY_ADD 2d; frame 1d + frame_dealloc "
     "6d (x, the cell, back, builtins, globals, code); func 1d, pops 2d; STORE_FAST total 1d; i 1d"},
    {"create_closure", 18, 22,
     "STORE_FAST i 1d, LOAD_CONST foo's code and qualname 2i, MAKE_FUNCTION (PyFunction_NewWithQualName: globals, "
     "code, name, doc None, module name, qualname 6i) 2d (code, qualname), STORE_FAST foo 1d (the old function dies: "
     "func_dealloc 6d), LOAD_FAST total, foo, LOAD_CONST 1 3i; CALL_FUNCTION 1: func 1i, _PyFunction_FastCall: "
     "frame_new 4i, x copied 1i; foo: LOAD_FAST x 1i; frame 1d + frame_dealloc 5d (x, back, builtins, globals, "
     "code); func 1d, pops 2d; INPLACE_ADD 2d, STORE_FAST total 1d"},
    {"create_instance", 6, 9,
     "STORE_FAST i 1d, LOAD_GLOBAL MyObject 1i, CALL_FUNCTION 0: func 1i 1d, _PyObject_FastCallDict's empty args "
     "tuple 1i 1d, type_call -> object_new's PyType_GenericAlloc increfs the class 1i, object_init nothing; pops 1d "
     "(the class); STORE_FAST o 1d (the old instance dies: subtype_dealloc 1d, the class), LOAD_FAST total 1i, "
     "LOAD_CONST 1 1i, INPLACE_ADD 2d, STORE_FAST total 1d"},
};

TEST(Workloads, RefcountOperationsPerIterationAreCPython36s) {
  const ConfigEntry* gil = find_config("gil");
  ASSERT_NE(gil, nullptr);
  for (const PerIteration& w : kPerIteration) {
    const RunRecord a = run(*gil, w.workload, 1, 1000);
    const RunRecord b = run(*gil, w.workload, 1, 3000);
    ASSERT_TRUE(a.clean() && b.clean()) << w.workload;
    EXPECT_EQ(b.increfs - a.increfs, 2000u * unsigned(w.inc)) << w.workload << ": " << w.derivation;
    EXPECT_EQ(b.decrefs - a.decrefs, 2000u * unsigned(w.dec)) << w.workload << ": " << w.derivation;
  }
}

// Dicts keyed by ints (tests/fixtures/dicts/, loaded as `rclab run
// --workload` loads a file, compiled by pyenv's 3.6), per iteration as
// above; derived by hand from 3.6's source (no 3.6 Py_STATS exists, and
// these were not run on a counting 3.6 build). lookdict's comparison of a
// stored key whose hash matches takes a reference to it and gets a counted
// True from long_richcompare (PyObject_RichCompareBool): 2i 2d.
TEST(Workloads, IntKeyedDictsCountAsCPython36s) {
  const struct {
    const char* file;
    int inc, dec;
    const char* derivation;
  } kCases[] = {
      {"int_keys", 33, 41,
       "STORE_FAST i 1d; k = i + 1000: 2i 2d, STORE_FAST k 1d; BUILD_MAP 0, STORE_FAST memo 1d + the old dict's "
       "dealloc 6d (3 keys, 3 values); three STORE_SUBSCRs: 3i + insertdict's 2i, 3d each, k + 1 1i 2d more; "
       "total += memo[k + 0] + memo['s'] + TABLE[2000]: LOAD_FAST total, memo, k, LOAD_CONST 0 4i, BINARY_ADD 2d, "
       "BINARY_SUBSCR (k + 0 compared: 2i 2d; the value 1i; pops 2d), memo and 's' 2i, BINARY_SUBSCR (identity: "
       "1i, 2d), BINARY_ADD 2d, LOAD_GLOBAL TABLE and LOAD_CONST 2000 2i, BINARY_SUBSCR (the module's 2000 is "
       "another object: compared 2i 2d; the value 1i; pops 2d), BINARY_ADD 2d, INPLACE_ADD 2d, STORE_FAST total 1d"},
      {"counter", 38, 44,
       "STORE_FAST i 1d; LOAD_GLOBAL KEYS 1i, GET_ITER 1i 1d; per key x4: FOR_ITER 1i, STORE_FAST k 1d, LOAD_FAST "
       "counts, k 2i, DUP_TOP_TWO 2i, BINARY_SUBSCR (identity) 1i 2d, LOAD_CONST 1 1i, INPLACE_ADD 2d, ROT_THREE, "
       "STORE_SUBSCR (insertdict replacing: 2i, the old value and the key 2d; pops 3d); exhausted 2d"},
      {"get_and_id", 56, 73,
       "STORE_FAST i 1d; BUILD_MAP 0, STORE_FAST memo 1d + the old dict's 2d; id(obj): LOAD_GLOBAL, LOAD_FAST 2i, "
       "METH_O, pops 2d, STORE_FAST d 1d (the old id dies); each d.get(...): the owner 1i, LOAD_ATTR 3i 3d (name, "
       "descriptor, the bound method's self), the arguments 1i each, METH_VARARGS' tuple 1i per item and 1d per "
       "item + 1d, the value or default 1i, pops 1d per argument + 1d, the bound method's dealloc 1d (self); "
       "memo.get(d, NIL) a miss, STORE_FAST y 1d; `if y is NIL`: 3i 3d; memo[d] = i 5i 3d; "
       "total += memo.get(d) + TABLE.get(1000) (the module's 1000 compared: 2i 2d) + TABLE.get('two', 0): "
       "26i 35d; `if memo.get(i) is None: total += 1`: 11i 14d"},
  };
  WorkloadFileOptions options;
  options.tools_dir = RCLAB_SOURCE_DIR "/tools";
  options.cache = ::testing::TempDir() + "rclab-count-fixtures";
  const ConfigEntry* gil = find_config("gil");
  ASSERT_NE(gil, nullptr);
  for (const auto& c : kCases) {
    std::string name;
    ASSERT_EQ(load_workload_file(std::string(RCLAB_SOURCE_DIR "/tests/fixtures/dicts/") + c.file + ".py", {"py36"},
                                 options, name),
              "");
    const RunRecord a = run(*gil, name, 1, 1000), b = run(*gil, name, 1, 3000);
    ASSERT_TRUE(a.clean() && b.clean()) << c.file;
    EXPECT_EQ(b.increfs - a.increfs, 2000u * unsigned(c.inc)) << c.file << ": " << c.derivation;
    EXPECT_EQ(b.decrefs - a.decrefs, 2000u * unsigned(c.dec)) << c.file << ": " << c.derivation;
  }
}

// Every interpreter generation (runtime/generations.h: a new one joins
// there) has every workload compiled and built in, and its loader accepts
// each one.
template <class G>
class EveryGeneration : public ::testing::Test {};
using Generations = tests::ToTypes<runtime::generations::AllPolicies<tests::TypeList>>;
TYPED_TEST_SUITE(EveryGeneration, Generations);

TYPED_TEST(EveryGeneration, HasEveryWorkloadCompiledAndItsLoaderAcceptsThem) {
  const auto gens = embedded_generations();
  EXPECT_TRUE(std::any_of(gens.begin(), gens.end(), [](const char* g) { return TypeParam::kBytecode == g; }))
      << TypeParam::kName << " has no workloads/compiled/" << TypeParam::kBytecode << "/";
  for (const EmbeddedWorkload& w : embedded_workloads()) {
    const EmbeddedCode* c = w.code(TypeParam::kBytecode);
    ASSERT_NE(c, nullptr) << w.name << " is not compiled for " << TypeParam::kName;
    EXPECT_EQ(std::string_view(c->generation), TypeParam::kBytecode);
  }
}

// Every workload but fib has its line above.
TEST(Workloads, EveryWorkloadHasItsPerIterationCounts) {
  for (const EmbeddedWorkload& w : embedded_workloads()) {
    if (std::string(w.name) == "fib") continue;  // per call: tests/interp_test.cpp
    bool found = false;
    for (const PerIteration& p : kPerIteration) found = found || w.name == std::string(p.workload);
    EXPECT_TRUE(found) << w.name << " has no line in kPerIteration";
  }
}

// fib.py as real 3.6 compiles it is the wordcode fib_workload.h builds by hand.
TEST(Workloads, FibCompiledBy36IsTheHandBuiltWordcode) {
  runtime::Runtime<GilCfg> hand;
  auto* name = install_fib(hand);
  auto* fn = runtime::as<runtime::Function>(runtime::Runtime<GilCfg>::dict_get(hand.globals, name));
  runtime::Runtime<GilCfg> loaded;
  const EmbeddedWorkload* w = find_workload("fib");
  ASSERT_NE(w, nullptr);
  install_workload(loaded, *w);
  auto* lname = loaded.intern(loaded.main, "fib");
  runtime::decref(loaded.main, &lname->ob);
  auto* lfn = runtime::as<runtime::Function>(runtime::Runtime<GilCfg>::dict_get(loaded.globals, lname));
  ASSERT_EQ(lfn->code->ncode, fn->code->ncode);
  for (std::uint32_t i = 0; i < fn->code->ncode; ++i) EXPECT_EQ(lfn->code->code[i], fn->code->code[i]) << "word " << i;
  EXPECT_EQ(lfn->code->flags, fn->code->flags);
  EXPECT_EQ(lfn->code->stacksize, fn->code->stacksize);
  EXPECT_EQ(lfn->code->nlocals, fn->code->nlocals);
}

// The marshal bytes of fib.py with one byte changed.
std::string patched_fib(std::size_t at, char to) {
  std::string b(find_workload("fib")->code("py36")->bytes());
  b[at] = to;
  return b;
}

// fib's wordcode starts LOAD_FAST 0, LOAD_CONST 1, COMPARE_OP 0 (<).
std::size_t fib_code_offset() {
  const std::string b(find_workload("fib")->code("py36")->bytes());
  const std::string head("\x7c\x00\x64\x01\x6b\x00", 6);
  const std::size_t at = b.find(head);
  EXPECT_NE(at, std::string::npos);
  return at;
}

TEST(Workloads, AnOpcodeRclabDoesNotRunIsRefusedByNameAndOffset) {
  const std::size_t code = fib_code_offset();
  // COMPARE_OP at offset 4 becomes BINARY_MODULO (22), which rclab does not run.
  const std::string why = runtime::check_module<GilCfg>(patched_fib(code + 4, 22), "workload fib");
  EXPECT_NE(why.find("code object 'fib'"), std::string::npos) << why;
  EXPECT_NE(why.find("BINARY_MODULO at offset 4"), std::string::npos) << why;
  // An opcode number 3.6 does not have at all.
  const std::string why2 = runtime::check_module<GilCfg>(patched_fib(code + 4, char(200)), "workload fib");
  EXPECT_NE(why2.find("opcode 200 at offset 4"), std::string::npos) << why2;
  // A comparison rclab does not model (`in`, 6).
  const std::string why3 = runtime::check_module<GilCfg>(patched_fib(code + 5, 6), "workload fib");
  EXPECT_NE(why3.find("COMPARE_OP at offset 4"), std::string::npos) << why3;
  // The unchanged module passes.
  EXPECT_EQ(runtime::check_module<GilCfg>(find_workload("fib")->code("py36")->bytes(), "workload fib"), "");
}

TEST(Workloads, MalformedMarshalIsRefusedNotCrashed) {
  const std::string good(find_workload("fib")->code("py36")->bytes());
  for (std::size_t cut : {std::size_t(0), std::size_t(1), std::size_t(10), good.size() / 2, good.size() - 1}) {
    const std::string why = runtime::check_module<GilCfg>(good.substr(0, cut), "workload fib");
    EXPECT_FALSE(why.empty()) << "cut at " << cut;
  }
  EXPECT_NE(runtime::check_module<GilCfg>(good + "N", "x").find("trailing bytes"), std::string::npos);
  // A complex constant ('y', two doubles): a type rclab has no object for.
  EXPECT_NE(runtime::check_module<GilCfg>(std::string(17, '\0').replace(0, 1, "y"), "x").find("'y'"),
            std::string::npos);
  // A float ('g') is an object, but not the code object a module must be.
  EXPECT_NE(runtime::check_module<GilCfg>(std::string(9, '\0').replace(0, 1, "g"), "x").find("not a code object"),
            std::string::npos);
}

// Every workload the binary carries passes the loader's check.
TEST(Workloads, EveryEmbeddedWorkloadIsAccepted) {
  for (const EmbeddedWorkload& w : embedded_workloads())
    EXPECT_EQ(runtime::check_module<GilCfg>(w.code("py36")->bytes(), w.name), "") << w.name;
}

// A policy whose mortal objects must stay on their thread refuses the
// workloads that hand objects over (the driver says so; so does `rclab run`).
TEST(Workloads, RefusesWhatCrossesThreads) {
  const ConfigEntry* e = find_config("shared-immortal");
  ASSERT_NE(e, nullptr);
  ASSERT_TRUE(e->private_only);
  for (const EmbeddedWorkload& w : embedded_workloads()) {
    if (!w.crosses_threads) continue;
    EXPECT_THROW(run(*e, w.name, 2, 10), std::invalid_argument) << w.name;
  }
}

// Nested functions are not deferred, the module's own (and its classes'
// methods) are, as in nogil. Per iteration, `nogil` skips the stack
// references to a called function's code, globals and builtins (frame_new's
// 3i, frame_dealloc's 3d) in both workloads; for Box.get also
// call_function's incref and decref of the function (2), which closure's
// ADD, a nested function, still counts.
TEST(Workloads, ClosuresAreNotDeferredTopLevelFunctionsAre) {
  const ConfigEntry* e = find_config("nogil");
  ASSERT_NE(e, nullptr);
  auto per_iteration = [&](const char* w) {
    const RunRecord a = run(*e, w, 1, 1000);
    const RunRecord b = run(*e, w, 1, 3000);
    return double(b.deferred_ops - a.deferred_ops) / 2000;
  };
  EXPECT_EQ(per_iteration("closure"), 6.0);
  EXPECT_EQ(per_iteration("shared_method"), 8.0);
}

}  // namespace
}  // namespace rclab::experiments
