// Larry Hastings' benchmark (x.py): every thread runs
//
//     def fib(n):
//         if n < 2: return 1
//         return fib(n-1) + fib(n-2)
//
// compiled here to the wordcode CPython 3.6 produces for it (`dis.dis(fib)`):
//
//      0 LOAD_FAST          0 (n)        12 LOAD_GLOBAL    0 (fib)   22 LOAD_GLOBAL   0 (fib)
//      2 LOAD_CONST         1 (2)        14 LOAD_FAST      0 (n)     24 LOAD_FAST     0 (n)
//      4 COMPARE_OP         0 (<)        16 LOAD_CONST     2 (1)     26 LOAD_CONST    1 (2)
//      6 POP_JUMP_IF_FALSE 12            18 BINARY_SUBTRACT          28 BINARY_SUBTRACT
//      8 LOAD_CONST         2 (1)        20 CALL_FUNCTION  1         30 CALL_FUNCTION 1
//     10 RETURN_VALUE                                                32 BINARY_ADD
//                                                                    34 RETURN_VALUE
//
// co_consts = (None, 2, 1), co_names = ('fib',), co_nlocals = 1,
// co_stacksize = 4. fib(0) = fib(1) = 1, so fib(n) makes 2*fib(n) - 1 calls.
#pragma once

#include <cstdint>

#include "experiments/fib.h"
#include "runtime/py36/generation.h"
#include "runtime/py36/interp.h"

namespace rclab::experiments {

// Defines `fib` in the runtime's globals, as executing `def fib` does, with
// code built by hand: the unit tests' fib (tests/interp_test.cpp checks that
// workloads/fib.py, compiled by real 3.6, is the same wordcode). Runs load
// workloads/fib.py instead (experiments/workload.h).
// Returns the interned name "fib" (borrowed: the globals dict keeps it alive).
template <class Cfg>
runtime::Str<typename Cfg::RC>* install_fib(runtime::Runtime<Cfg>& rt) {
  using namespace runtime;
  auto& ts = rt.main;
  Str<typename Cfg::RC>* name = rt.new_str(ts, "fib");
  rt.immortalize(ts, &name->ob);  // an interned name
  incref(ts, rt.none);
  auto* consts = rt.new_tuple(ts, {rt.none, int_from(ts, 2), int_from(ts, 1)});
  incref(ts, &name->ob);
  auto* names = rt.new_tuple(ts, {&name->ob});
  incref(ts, &name->ob);
  auto* code = rt.new_code(ts,
                           {word(LOAD_FAST, 0), word(LOAD_CONST, 1), word(COMPARE_OP, kLt),
                            word(POP_JUMP_IF_FALSE, 12), word(LOAD_CONST, 2), word(RETURN_VALUE),
                            word(LOAD_GLOBAL, 0), word(LOAD_FAST, 0), word(LOAD_CONST, 2),
                            word(BINARY_SUBTRACT), word(CALL_FUNCTION, 1), word(LOAD_GLOBAL, 0),
                            word(LOAD_FAST, 0), word(LOAD_CONST, 1), word(BINARY_SUBTRACT),
                            word(CALL_FUNCTION, 1), word(BINARY_ADD), word(RETURN_VALUE)},
                           /*argcount=*/1, /*nlocals=*/1, /*stacksize=*/4, consts, names, name);
  auto* fn = rt.new_function(ts, code, rt.globals, name);
  // Every thread shares these: `shared-immortal` makes them immortal.
  rt.mark_shared(ts, &consts->ob);
  rt.mark_shared(ts, &names->ob);
  rt.mark_shared(ts, &code->ob);
  rt.mark_shared(ts, &fn->ob);
  rt.dict_set(ts, rt.globals, name, &fn->ob);
  decref(ts, &fn->ob);
  decref(ts, &code->ob);
  decref(ts, &name->ob);
  return name;
}

}  // namespace rclab::experiments
