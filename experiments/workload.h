// A workload in a runtime: its module (3.6's marshal, built into the binary:
// experiments/workloads_embedded.h) loaded and run on the runtime's own
// thread, then `work(n)` called on every worker and checked against
// `expect(n)`, as workloads/README.md's contract says.
//
// Set-up, in order, before any worker exists:
//   1. the module's globals get `__name__` ("workload"), as a module's do;
//   2. the code is loaded (runtime/marshal.h: refused there, by name and
//      offset, if it uses anything rclab does not run) and executed: its
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
#include "runtime/interp.h"
#include "runtime/marshal.h"

namespace rclab::experiments {

template <class Cfg>
struct InstalledWorkload {
  runtime::Str<typename Cfg::RC>* work = nullptr;    // the interned name "work" (borrowed)
  runtime::Str<typename Cfg::RC>* expect = nullptr;  // "expect" (borrowed)
  std::int64_t default_n = 0;                        // the module's N
  bool crosses_threads = false;                      // the module's CROSSES_THREADS, if set
};

// Refuses a workload rclab cannot run (std::invalid_argument: one line).
template <runtime::SafeConfig Cfg>
void check_workload(const EmbeddedWorkload& w) {
  const std::string why = runtime::check_module<Cfg>(w.bytes(), "workload " + std::string(w.name));
  if (!why.empty()) throw std::invalid_argument(why);
}

namespace detail {
// The module's top-level functions, and its classes' methods, are deferred.
template <runtime::SafeConfig Cfg>
void defer_module_functions(runtime::Runtime<Cfg>& rt) {
  using namespace runtime;
  auto defer = [](Object<typename Cfg::RC>* v) {
    if (v->type == Type::kFunction && !(as<Function>(v)->code->flags & kCoNested)) v->flags |= kDeferredFlag;
  };
  auto each_value = [](Dict<typename Cfg::RC>* d, auto f) {
    for (std::uint64_t i = 0; i <= d->mask; ++i)
      if (d->table[i].key != nullptr) f(d->table[i].value);
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
  Str<RC>* module_name = rt.intern(ts, "workload");
  rt.dict_set(ts, rt.globals, rt.intern_name, &module_name->ob);
  decref(ts, &module_name->ob);
  Code<RC>* module = load_module(rt, w.bytes(), w.name);
  Interp<Cfg>::exec_module(ts, module);
  decref(ts, &module->ob);
  rt.immortalize_new = false;
  detail::defer_module_functions(rt);

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

// `name(n)` as a caller's bytecode would call it: LOAD_GLOBAL name,
// LOAD_CONST n, CALL_FUNCTION 1, then the int result taken and the
// reference dropped. Costs the caller 2 increfs (n <= 256) and 1 decref on
// top of the call itself.
template <class Cfg>
std::int64_t call_global(runtime::ThreadState<Cfg>& ts, runtime::Str<typename Cfg::RC>* name, std::int64_t n) {
  using namespace runtime;
  using O = Object<typename Cfg::RC>;
  O* stack[2];
  // LOAD_GLOBAL: one read through the dict lock, which takes the stack
  // reference (this array stands for the caller's value stack).
  O* fn = dict_load(ts, ts.rt.globals, name, ts.counters.rc);
  if (fn == nullptr) fatal("call_global: the function is not defined");
  stack[0] = fn;
  stack[1] = int_from(ts, n);
  O** sp = stack + 2;
  O* res = Interp<Cfg>::call_function(ts, sp, 1);
  if (res->type != Type::kInt) fatal("call_global: the function returned a non-int");
  const std::int64_t v = int_value(as<Int>(res));
  decref_stack(ts, res, ts.counters.rc);
  return v;
}

template <class Cfg>
std::int64_t call_expect(runtime::Runtime<Cfg>& rt, const InstalledWorkload<Cfg>& w, std::int64_t n) {
  return as_interpreter_thread(rt, [&] { return call_global(rt.main, w.expect, n); });
}

}  // namespace rclab::experiments
