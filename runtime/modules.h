// Modules (moduleobject.c, import.c): module objects, attribute access on
// them, and the import of the modules rclab models.
//
// The runtime builds every module at its construction (runtime/runtime.h:
// install_modules), as CPython has its builtin modules ready before a
// thread runs, and lists them in `sys.modules` (Runtime::sys_modules):
//   - `workload`: the workload's own module, whose dict is the globals its
//     functions run in (sys.modules[__name__] finds it, as ftscalingbench's
//     module_function does);
//   - `sys`: `sys.modules`;
//   - `math`: `floor` and `cos` (runtime/builtins.h; as C functions their
//     module is their m_self in CPython, which no call counts: rclab's hold
//     none, so a module and its functions form no cycle);
//   - `threading`: `local` (runtime/thread_local.h). CPython's threading is
//     a Python module that re-exports _thread._local; its import runs
//     threading.py once, which rclab does not;
//   - `operator`: `methodcaller` (its call is each generation's: 3.6 and
//     3.13t bind the method and call it through a tuple, 3.13 with its GIL
//     calls PyObject_VectorcallMethod; runtime/py36/interp.h,
//     runtime/py313/interp.h). operator.py re-exports _operator's.
// A module and its dict are shared by every thread: PEP 703 defers both,
// 3.13t immortalises them at the first thread start (refcount/ft313.h).
//
// IMPORT_NAME of one of them is a new reference to it. The import
// machinery CPython runs on the way (__import__, importlib's locks, the
// spec's _initializing check) is not modelled: a workload imports at module
// level, once, on one thread, before the timed part.
#pragma once

#include <cstddef>
#include <string_view>

#include "common/fatal.h"
#include "runtime/dict.h"
#include "runtime/ints.h"
#include "runtime/object.h"
#include "runtime/object_ops.h"
#include "runtime/thread_state.h"

namespace rclab::runtime {

// The C modules rclab builds, besides the workload's own. Each generation's
// opcodes.json lists them as IMPORT_NAME's modelled argument, which
// tools/compile_workloads.py checks a workload against; each generation's
// generation.h asserts that its list is this one.
inline constexpr std::string_view kModelledModules[] = {"sys", "math", "threading", "operator"};

template <std::size_t N, std::size_t M>
constexpr bool same_modules(const std::string_view (&a)[N], const std::string_view (&b)[M]) {
  if (N != M) return false;
  for (std::size_t i = 0; i < N; ++i)
    if (a[i] != b[i]) return false;
  return true;
}
inline constexpr std::string_view kWorkloadModule = "workload";

// PyModule_NewObject with its dict given (the workload's globals) or new:
// new references to both, and `__name__` set in the dict.
template <class Cfg>
Module<typename Cfg::RC>* module_new(ThreadState<Cfg>& ts, Str<typename Cfg::RC>* name, Dict<typename Cfg::RC>* dict,
                                     Str<typename Cfg::RC>* dunder_name) {
  using RC = typename Cfg::RC;
  auto* m = static_cast<Module<RC>*>(alloc_block(ts, sizeof(Module<RC>)));
  init_object(ts, &m->ob, Type::kModule);
  incref(ts, &dict->ob);
  m->dict = dict;
  incref(ts, &name->ob);
  m->name = name;
  dict_set(ts, dict, dunder_name, &name->ob);
  return m;
}

// module_getattro -> PyObject_GenericGetAttr (3.6 and 3.13 alike): the name
// increfed around the lookup, the module type's own attributes missed
// (_PyType_Lookup: no workload reads `__dict__` or `__class__`), the dict
// increfed around PyDict_GetItem(Ref), the value a new stack reference
// (dict_load's: uncounted for a deferred object where the policy defers).
template <class Cfg>
[[gnu::noinline]] Object<typename Cfg::RC>* module_getattr(ThreadState<Cfg>& ts, Module<typename Cfg::RC>* m,
                                                           Str<typename Cfg::RC>* name) {
  Dict<typename Cfg::RC>* dict = m->dict;
  incref(ts, &name->ob);
  incref(ts, &dict->ob);
  Object<typename Cfg::RC>* res = dict_load(ts, dict, name, ts.counters.rc);
  decref(ts, &dict->ob);
  decref(ts, &name->ob);
  if (res == nullptr) not_modelled("AttributeError: the module has no such attribute here");
  return res;
}

// IMPORT_NAME's result: a new stack reference to the module `name` (a
// top-level module, level 0) from sys.modules.
template <class Cfg>
Object<typename Cfg::RC>* import_name(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* sys_modules,
                                      Str<typename Cfg::RC>* name, Object<typename Cfg::RC>* level) {
  if (level->type != Type::kInt || int_value(as<Int>(level)) != 0)
    not_modelled("ImportError: relative imports are not modelled");
  Object<typename Cfg::RC>* m = dict_load(ts, sys_modules, name, ts.counters.rc);
  if (m == nullptr) not_modelled("ImportError: rclab models the modules sys, math, threading and operator only");
  return m;
}

}  // namespace rclab::runtime
