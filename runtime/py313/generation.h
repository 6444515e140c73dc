// The py313 generation's interpreter as the driver calls it
// (GenerationOps<Py313<S, T>, Cfg>, runtime/generation.h): check a module's
// 3.13 marshal, load and run it, and call one of its functions the way a
// caller's bytecode would.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/fatal.h"
#include "runtime/generation.h"
#include "runtime/py313/interp.h"
#include "runtime/py313/marshal.h"

namespace rclab::runtime {

static_assert(same_modules(py313::kImportNameModelled, kModelledModules),
              "runtime/py313/opcodes.json's import_name_modelled must list runtime/modules.h's modules");

template <bool kSpecialize, bool kThreadLocal, class Cfg>
struct GenerationOps<Py313<kSpecialize, kThreadLocal>, Cfg> {
  using RC = typename Cfg::RC;
  using O = Object<RC>;
  using I = py313::Interp<Cfg>;

  static std::string check_module(std::string_view bytes, std::string_view what) {
    return py313::check_module<Cfg>(bytes, what);
  }

  // PyEval_EvalCode: the module's code as a function of the globals, run
  // with the globals as its locals, on the runtime's own thread state.
  // 3.13's builtin exception classes are made first (static types,
  // immortal), from runtime/py313/opcodes.json's list.
  static void run_module(Runtime<Cfg>& rt, std::string_view bytes, std::string_view what) {
    auto& ts = rt.main;
    rt.install_exception_classes(py313::kExceptionClassesModelled);
    rt.init_cleanup = I::init_cleanup_new(ts);
    rt.immortalize(ts, &rt.init_cleanup->ob);  // a static code object in 3.13
    Code<RC>* module = py313::load_module(rt, bytes, what);
    Function<RC>* fn = I::function_new(ts, module, rt.globals);
    decref(ts, &module->ob);
    O* res = I::call_from_c(ts, fn, &rt.globals->ob, nullptr, 0);
    decref(ts, res);
    decref(ts, &fn->ob);
  }

  static O* build_class(ThreadState<Cfg>& ts, O* self, O** args, int nargs) {
    return I::build_class(ts, self, args, nargs);
  }

  // `name(n)` as a caller's bytecode would call it: LOAD_GLOBAL name (+NULL),
  // LOAD_CONST n, CALL 1 (PyObject_Vectorcall from C: _PyFunction_Vectorcall,
  // _PyEval_Vector), then the int result taken and the reference dropped.
  static std::int64_t call_global(ThreadState<Cfg>& ts, Str<RC>* name, std::int64_t n) {
    Tally& t = ts.counters.rc;
    O* fn = dict_load(ts, ts.rt.globals, name, t);
    if (fn == nullptr || fn->type != Type::kFunction) fatal("call_global: the function is not defined");
    O* arg = int_from(ts, n, t);
    O* res = I::call_from_c(ts, as<Function>(fn), nullptr, &arg, 1);
    decref_stack(ts, arg, t);
    decref_stack(ts, fn, t);
    if (res->type != Type::kInt) not_modelled("call_global: the function returned a non-int");
    const std::int64_t v = int_value(as<Int>(res));
    decref(ts, res, t);  // call_from_c's result is counted
    return v;
  }

  // Every object a thread's frames hold as a stack reference (its code, its
  // function, its locals and value stack up to the saved top), for 3.14t's
  // collector (runtime/deferred_gc.h). False when a frame's stack top is not
  // saved (the thread is inside a call): its stack cannot be read.
  template <class F>
  static bool visit_stack_refs(ThreadState<Cfg>& ts, F&& f) {
    bool known = true;
    for (auto* fr = static_cast<py313::FrameOf<Cfg>*>(ts.gen.current_frame); fr != nullptr; fr = fr->previous) {
      if (fr->owner == py313::kOwnedByCStack) continue;  // a C call's entry frame holds nothing
      f(&fr->f_executable->ob);
      f(fr->f_funcobj);
      if (fr->stacktop < 0) {
        known = false;
        continue;
      }
      for (std::int32_t i = 0; i < fr->stacktop; ++i)
        if (O* v = fr->localsplus[i]) f(v);
    }
    return known;
  }
};

}  // namespace rclab::runtime
