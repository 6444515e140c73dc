// A workload in a runtime: its module (the configuration's interpreter
// generation's marshal, built into the binary: experiments/workloads_embedded.h)
// loaded and run on the runtime's own thread, then `work(n)` called on every
// worker and checked against `expect(n)`, as workloads/README.md's contract
// says. Each generation's interpreter is reached through
// GenerationOps<Cfg::Gen, Cfg> (runtime/generation.h).
//
// Set-up, in order, before any worker exists:
//   1. the module's globals already have `__name__` ("workload"): the
//      runtime made them the dict of its module `workload`, in sys.modules
//      (runtime/modules.h);
//   2. the code is loaded (the generation's marshal.h: refused there, by name
//      and offset, if it uses anything rclab does not run) and executed: its
//      `def`s, `class`es and shared objects are made;
//   3. the module's own functions (and its classes' methods) are marked
//      deferred, as nogil defers functions defined at the top level — not
//      nested ones (closures), which stay counted on every call;
//   4. under a policy that makes everything made before the workers run
//      immortal (kImmortalizeShared), everything step 2 made is.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "experiments/workloads_embedded.h"
#include "runtime/py313/generation.h"
#include "runtime/py36/generation.h"

namespace rclab::experiments {

template <class Cfg>
struct InstalledWorkload {
  runtime::Str<typename Cfg::RC>* work = nullptr;    // the interned name "work" (borrowed)
  runtime::Str<typename Cfg::RC>* expect = nullptr;  // "expect" (borrowed)
  std::int64_t default_n = 0;                        // the module's N
  bool crosses_threads = false;                      // the module's CROSSES_THREADS, if set
};

template <class Cfg>
using Ops = runtime::GenerationOps<typename Cfg::Gen, Cfg>;

// The workload's module as the configuration's generation compiled it;
// std::invalid_argument (one line) when that generation has none.
template <class Cfg>
const EmbeddedCode& workload_code(const EmbeddedWorkload& w) {
  const EmbeddedCode* c = w.code(Cfg::Gen::kBytecode);
  if (c == nullptr)
    throw std::invalid_argument("workload " + std::string(w.name) + " is not compiled for " +
                                std::string(Cfg::Gen::kName) + " (workloads/compiled/" + std::string(Cfg::Gen::kBytecode) +
                                "/)");
  return *c;
}

// Refuses a workload rclab cannot run (std::invalid_argument: one line).
template <runtime::SafeConfig Cfg>
void check_workload(const EmbeddedWorkload& w) {
  const std::string why = Ops<Cfg>::check_module(workload_code<Cfg>(w).bytes(), "workload " + std::string(w.name));
  if (!why.empty()) throw std::invalid_argument(why);
}

namespace detail {
// The module's top-level functions, and its classes' methods (a `__new__`
// inside the staticmethod the class statement wrapped it in), are deferred.
// 3.13t decides this in func_new, for every function that is not nested;
// here it is decided once the module has run, because under nogil-3.9's
// deferral (refcount/deferred.h) a deferred object's stack references are
// uncounted and only the module keeps it alive — a function deferred at
// creation and dropped before it was stored would never be freed (that
// policy has no collector; 3.14t's, which has one, defers at creation).
template <runtime::SafeConfig Cfg>
void defer_module_functions(runtime::Runtime<Cfg>& rt) {
  using namespace runtime;
  // 3.14t's deferral (refcount/ft314.h) happens at creation, with its bias.
  if constexpr (kHasDeferredGc<Cfg>) return;
  auto defer = [](Object<typename Cfg::RC>* v) {
    if (v->type == Type::kStaticMethod) v = as<StaticMethod>(v)->callable;
    if (v->type == Type::kFunction && !(as<Function>(v)->code->flags & kCoNested)) v->flags |= kDeferredFlag;
  };
  auto each_value = [](Dict<typename Cfg::RC>* d, auto f) {
    dict_for_each<Cfg>(d, [&](Str<typename Cfg::RC>*, Object<typename Cfg::RC>* v) { f(v); });
  };
  each_value(rt.globals, [&](Object<typename Cfg::RC>* v) {
    defer(v);
    if (v->type == Type::kClass) each_value(as<Class>(v)->dict, defer);
  });
}
}  // namespace detail

// Loads and runs the workload's module in `rt` (on its own thread state,
// before any worker exists). check_workload must have accepted it.
// The runtime's own thread state runs the interpreter the way a worker
// does: attached (a looking-up thread-state policy finds it) and holding
// the GIL (a ticks GIL counts and releases it).
template <runtime::SafeConfig Cfg, class F>
auto as_interpreter_thread(runtime::Runtime<Cfg>& rt, F f) {
  Cfg::TState::attach(&rt.main);
  Cfg::Gil::take(rt.gil_shared, rt.main.gil);
  auto result = f();
  Cfg::Gil::drop(rt.gil_shared, rt.main.gil);
  Cfg::TState::detach(&rt.main);
  return result;
}

namespace detail {
template <runtime::SafeConfig Cfg>
InstalledWorkload<Cfg> install_workload(runtime::Runtime<Cfg>& rt, const EmbeddedWorkload& w) {
  using namespace runtime;
  using RC = typename Cfg::RC;
  auto& ts = rt.main;
  InstalledWorkload<Cfg> out;
  rt.immortalize_new = Runtime<Cfg>::kImmortalizeShared;
  Ops<Cfg>::run_module(rt, workload_code<Cfg>(w).bytes(), w.name);
  rt.immortalize_new = false;
  detail::defer_module_functions(rt);
  // 3.13t immortalises what it defers when its first non-main thread
  // starts (refcount/ft313.h): the workers start next.
  rt.immortalize_at_thread_start();

  auto lookup = [&](const char* name) {
    Str<RC>* s = rt.intern(ts, name);
    decref(ts, &s->ob);  // the intern table keeps it
    return std::pair{s, Runtime<Cfg>::dict_get(rt.globals, s)};
  };
  auto [work, work_fn] = lookup("work");
  auto [expect, expect_fn] = lookup("expect");
  auto [n_name, n_value] = lookup("N");
  if (work_fn == nullptr || work_fn->type != Type::kFunction || expect_fn == nullptr ||
      expect_fn->type != Type::kFunction || n_value == nullptr || n_value->type != Type::kInt)
    throw std::invalid_argument("workload " + std::string(w.name) + " does not define work(n), expect(n) and N");
  out.work = work;
  out.expect = expect;
  out.default_n = int_value(as<Int>(n_value));
  auto [crosses_name, crosses] = lookup("CROSSES_THREADS");
  out.crosses_threads = crosses == rt.true_;
  return out;
}
}  // namespace detail

template <runtime::SafeConfig Cfg>
InstalledWorkload<Cfg> install_workload(runtime::Runtime<Cfg>& rt, const EmbeddedWorkload& w) {
  return as_interpreter_thread(rt, [&] { return detail::install_workload(rt, w); });
}

// What every thread's work(n) must return: expect(n), run on the runtime's
// own thread before the workers start.
template <class Cfg>
std::int64_t call_expect(runtime::Runtime<Cfg>& rt, const InstalledWorkload<Cfg>& w, std::int64_t n);

// `name(n)` as a caller's bytecode would call it (the generation's own way).
template <class Cfg>
std::int64_t call_global(runtime::ThreadState<Cfg>& ts, runtime::Str<typename Cfg::RC>* name, std::int64_t n) {
  return Ops<Cfg>::call_global(ts, name, n);
}

template <class Cfg>
std::int64_t call_expect(runtime::Runtime<Cfg>& rt, const InstalledWorkload<Cfg>& w, std::int64_t n) {
  return as_interpreter_thread(rt, [&] { return call_global(rt.main, w.expect, n); });
}

}  // namespace rclab::experiments
