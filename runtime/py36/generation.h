// The py36 generation's interpreter as the driver calls it
// (GenerationOps<Py36, Cfg>, runtime/generation.h): check a module's 3.6
// marshal, load and run it, and call one of its functions the way a
// caller's bytecode would.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/fatal.h"
#include "runtime/generation.h"
#include "runtime/py36/interp.h"
#include "runtime/py36/marshal.h"

namespace rclab::runtime {

static_assert(same_modules(kImportNameModelled, kModelledModules),
              "runtime/py36/opcodes.json's import_name_modelled must list runtime/modules.h's modules");

template <class Cfg>
struct GenerationOps<Py36, Cfg> {
  using RC = typename Cfg::RC;
  using O = Object<RC>;

  // "" when `bytes` are a 3.6 module this interpreter runs, else one line.
  static std::string check_module(std::string_view bytes, std::string_view what) {
    return runtime::check_module<Cfg>(bytes, what);
  }

  // Loads the module's code and runs it in the runtime's globals, on the
  // runtime's own thread state (attached and holding the GIL).
  static void run_module(Runtime<Cfg>& rt, std::string_view bytes, std::string_view what) {
    Code<RC>* module = load_module(rt, bytes, what);
    Interp<Cfg>::exec_module(rt.main, module);
    decref(rt.main, &module->ob);
  }

  // __build_class__(func, name, *bases) (runtime/builtins.h).
  static O* build_class(ThreadState<Cfg>& ts, O*, O** args, int nargs) { return Interp<Cfg>::build_class(ts, args, nargs); }

  // `name(n)` as a caller's bytecode would call it: LOAD_GLOBAL name,
  // LOAD_CONST n, CALL_FUNCTION 1, then the int result taken and the
  // reference dropped. Costs the caller 2 increfs (n <= 256) and 1 decref on
  // top of the call itself.
  static std::int64_t call_global(ThreadState<Cfg>& ts, Str<RC>* name, std::int64_t n) {
    O* stack[2];
    // LOAD_GLOBAL: one read through the dict lock, which takes the stack
    // reference (this array stands for the caller's value stack).
    O* fn = dict_load(ts, ts.rt.globals, name, ts.counters.rc);
    if (fn == nullptr) fatal("call_global: the function is not defined");
    stack[0] = fn;
    stack[1] = int_from(ts, n);
    O** sp = stack + 2;
    O* res = Interp<Cfg>::call_function(ts, sp, 1);
    if (res->type != Type::kInt) not_modelled("call_global: the function returned a non-int");
    const std::int64_t v = int_value(as<Int>(res));
    decref_stack(ts, res, ts.counters.rc);
    return v;
  }
};

}  // namespace rclab::runtime
