// The bytecode interpreter: CPython 3.6's ceval.c for the opcodes fib uses,
// with its increfs and decrefs at the same places, and the same call path:
// the same functions out of line, the same slots called indirectly, the
// same per-instruction and per-frame bookkeeping (f_lasti, the tracing
// test, the recursion guard, the frame's fields, GC tracking, the
// trashcan, _Py_CheckFunctionResult). Where 3.6 calls a function, so does
// this; where 3.6 inlines a macro, this inlines. rclab measures what a
// strategy costs against this work, so it must be 3.6's work: with less,
// every refcount operation would weigh more than it does in CPython
// (tests/README.md says how the instructions per call were compared).
//
// Reference-count operations per instruction, as in 3.6 (i = incref, d = decref):
//   LOAD_FAST, LOAD_CONST, LOAD_GLOBAL     1i   (push a new reference)
//   COMPARE_OP                             1i (the bool result) + 2d (operands)
//   POP_JUMP_IF_FALSE                      1d   (the condition)
//   BINARY_ADD, BINARY_SUBTRACT            2d + 1i when the result is a cached
//                                          small int (else a new allocation)
//   RETURN_VALUE                           0    (the reference moves to the caller)
//   CALL_FUNCTION  call_function:          1i + 1d on the callable, then 1d each
//                                          for the callable and args popped
//                  _PyFunction_FastCall:   1i per argument copied into the frame,
//                                          1d on the frame when it returns
//                  PyFrame_New:            1i each: builtins, back (if any), code, globals
//                  frame_dealloc:          1d each: locals, back (if any), builtins,
//                                          globals, code
// The workloads' opcodes (workloads/README.md), the same way:
//   POP_TOP, STORE_FAST (of a bound local)  1d
//   DUP_TOP                                 1i (ROT_TWO, ROT_THREE: none)
//   DUP_TOP_TWO                             2i (`d[k] += v`: the dict and the key)
//   STORE_GLOBAL, STORE_NAME, STORE_SUBSCR  insertdict's 2i (key, value), then 1d for the
//                                          popped value (and the container and key for
//                                          STORE_SUBSCR); replacing: +1d old value, +1d key
//   LOAD_NAME, LOAD_DEREF, LOAD_CLOSURE     1i
//   LOAD_ATTR                               see runtime/classes.h (name, descriptor,
//                                          instance dict, result), then 1d (the owner)
//   STORE_ATTR                              see runtime/classes.h, then 2d (value, owner)
//   IMPORT_NAME                             1i (the module), 2d (level, fromlist); the
//                                          import machinery's own counts are not modelled
//                                          (runtime/modules.h)
//   BINARY_SUBSCR                           1i (the item), 2d (container, index)
//   INPLACE_ADD                             as BINARY_ADD (int has no nb_inplace_add)
//   BINARY_MULTIPLY, INPLACE_MULTIPLY,      as BINARY_ADD (a float result is new, from the
//   BINARY_TRUE_DIVIDE, INPLACE_TRUE_DIVIDE float freelist when kept); `list * n`: binary_op1's counted
//                                          NotImplemented (1i 1d), then 1i per slot
//                                          (list_repeat)
//   BUILD_TUPLE, BUILD_LIST                 0    (the stack's references move in)
//   BUILD_MAP n, BUILD_CONST_KEY_MAP n      2i per pair (insertdict), 2d per pair popped
//                                          (CONST_KEY_MAP: 1d each value, 1d the keys tuple)
//   GET_ITER                                1i (the iterator takes its sequence), 1d (it)
//   LIST_APPEND                             1i (PyList_Append), 1d (the popped item)
//   UNPACK_SEQUENCE                         an exact tuple or list of its length: 1i per
//                                          item, 1d (it); else through an iterator, as
//                                          GET_ITER and FOR_ITER count
//   FOR_ITER                                1i (the item); exhausted: 1d (the sequence,
//                                          lists and tuples), 1d (the iterator)
//   SETUP_LOOP, POP_BLOCK, jumps            0
//   COMPARE_OP is / is not                  1i (the bool), 2d
//   MAKE_FUNCTION                           PyFunction_NewWithQualName's 4i (code, globals,
//                                          name, qualname), then 2d (code, qualname); a
//                                          closure's and the defaults' tuples move in
//   SETUP_EXCEPT, SETUP_FINALLY             0; a return through a finally block: 1i (the
//                                          status int), 1d at its END_FINALLY
//   DELETE_FAST                             1d
//   a call of a generator function          the frame's 4i, 1d (f_back), then
//                                          PyGen_NewWithQualName's 3i (code, name, qualname)
//   YIELD_VALUE                             0 (the value moves to the caller)
//   FOR_ITER on a generator                 gen_send_ex: 1i None (after the first
//                                          resumption), 1i 1d f_back; at the return 1d
//                                          None and the frame released
//   a generator's dealloc                   1d the code, 2d the names
// tests/interp_test.cpp derives the totals per fib call from this table and
// checks the interpreter's counters against them exactly; tests/workload_test.cpp
// does the same per iteration of every workload.
//
// The call path, as 3.6's: CALL_FUNCTION -> call_function (fast_function
// inlined) -> _PyFunction_FastCall -> PyFrame_New, PyEval_EvalFrameEx (through
// the interpreter's eval_frame pointer) -> _PyEval_EvalFrameDefault (eval
// here), then Py_DECREF(frame) -> tp_dealloc -> frame_dealloc. Calls recurse
// on the C++ stack. The thread state is fetched (tstate_get, 3.6's
// PyThreadState_GET()) at each of 3.6's nine fetches per fib call, so a
// looking-up policy pays what the Gilectomy's pthread_getspecific paid.
//
// The eval breaker is polled where 3.6's DISPATCH() polls it (after
// COMPARE_OP, the binary ops, LOAD_GLOBAL, CALL_FUNCTION, JUMP_ABSOLUTE and
// the other DISPATCH opcodes), not after the FAST_DISPATCH opcodes
// (LOAD_FAST, LOAD_CONST, STORE_FAST, POP_TOP, the conditional jumps,
// JUMP_FORWARD); a ticks GIL
// counts its ticks at the same places and once per frame entry, as 2.7
// decremented _Py_Ticker in DISPATCH and at the loop's top, everywhere but
// after `goto fast_next_opcode`.
#pragma once

#include <cstdint>
#include <new>

#include "common/fatal.h"
#include "runtime/abstract.h"
#include "runtime/label_table.h"
#include "runtime/py36/opcodes.h"
#include "runtime/runtime.h"

namespace rclab::runtime {

template <SafeConfig Cfg>
struct Interp {
  using RC = typename Cfg::RC;
  using O = Object<RC>;
  using TS = ThreadState<Cfg>;

  // _PyEval_EvalFrameDefault: runs `f` to its RETURN_VALUE and returns a new
  // reference to the result. `f` stays owned by the caller.
  static O* eval(TS& ts, Frame<RC>* f);

  // tstate->interp->eval_frame (PEP 523): PyEval_EvalFrameEx calls eval
  // through it. volatile, so the call stays an indirect call through a
  // loaded pointer, as 3.6's.
  static inline O* (*volatile eval_frame)(TS&, Frame<RC>*) = &eval;

  // _Py_TracingPossible: set while any thread traces; FAST_DISPATCH tests it
  // on every instruction. rclab never traces.
  static inline int tracing_possible = 0;

  // ceval.c's call_function: the callable and `oparg` arguments are the top
  // oparg+1 entries below `sp`; pops and releases them, returns a new
  // (stack) reference to the result. Counts into ts.counters.rc.
  // With CALL_FUNCTION_KW's `kwnames`, the last len(kwnames) arguments are
  // the keywords' values.
  [[gnu::noinline]] static O* call_function(TS& ts, O**& sp, int oparg, Tuple<RC>* kwnames = nullptr) {
    Tally& t = ts.counters.rc;
    O** pfunc = sp - oparg - 1;
    O* func = *pfunc;
    O** stack = sp - oparg;
    int nargs = oparg - (kwnames != nullptr ? int(kwnames->size) : 0);
    O* x;
    if (func->type == Type::kBuiltin && !Builtins<Cfg>::table[as<Builtin>(func)->which].is_type) {
      // PyCFunction_Check: no reference taken to the callable
      if (kwnames != nullptr) [[unlikely]]
        not_modelled("keyword arguments to a builtin are not modelled");
      x = cfunction_call(ts, as<Builtin>(func), stack, nargs);
    } else {
      if (func->type == Type::kMethod) {  // PyMethod_Check with a self: unpack it into the stack
        Method<RC>* m = as<Method>(func);
        O* self = m->self;
        incref(ts, self, t);
        func = m->func;
        incref_stack(ts, func, t);
        *pfunc = self;  // Py_SETREF: the method's stack reference is dropped
        decref_stack(ts, &m->ob, t);
        ++nargs;
        --stack;
      } else {
        if (func->type == Type::kNone) [[unlikely]]
          not_modelled("TypeError: 'NoneType' object is not callable");
        incref_stack(ts, func, t);
      }
      if (func->type == Type::kFunction) [[likely]]
        x = fast_function(ts, func, stack, nargs, kwnames);
      else
        x = object_fast_call(ts, func, stack, nargs, kwnames);
      decref_stack(ts, func, t);
    }
    while (sp > pfunc) decref_stack(ts, *--sp, t);
    return x;
  }

  // _PyEval_EvalCodeWithName: a frame (with `locals` for a class body), the
  // positional arguments copied in, then the keywords — `kwcount` names
  // and values in two arrays strided by `kwstep` (1: a call's kwnames
  // tuple and the stack; 2: _PyFunction_FastCallDict's pairs) — each bound
  // to its parameter by name (identity first, as interned names always
  // match), cells made for the cell variables (an argument that is one
  // moves into its cell), the closure's cells copied in, the frame
  // evaluated and released. The path of every call that is not
  // fast_function's fast path, and of module and class bodies. A
  // parameter still empty after the arguments takes its default from
  // `defs` (the function's __defaults__), increfed.
  // A generator function's frame is not run: it goes to a new generator,
  // named `name` and `qualname` (the function's; null: the code's name).
  [[gnu::noinline]] static O* eval_code_with_name(TS& passed, Code<RC>* co, Dict<RC>* globals, Dict<RC>* locals,
                                                  O** args, int nargs, Tuple<RC>* closure, O** kwnames = nullptr,
                                                  O** kwargs = nullptr, int kwcount = 0, int kwstep = 1,
                                                  Str<RC>* name = nullptr, Str<RC>* qualname = nullptr,
                                                  Tuple<RC>* defs = nullptr) {
    TS& ts = tstate_get(passed);
    Tally& t = ts.counters.rc;
    if (nargs > co->argcount) not_modelled("TypeError: too many positional arguments");
    Frame<RC>* f = frame_new(ts, co, globals, t, locals);
    O** fastlocals = f->localsplus();
    for (int i = 0; i < nargs; ++i) {
      incref_stack(ts, args[i], t);
      fastlocals[i] = args[i];
    }
    if (kwcount > 0 && co->localsplusnames == nullptr) fatal("keywords to code built without co_varnames");
    for (int i = 0; i < kwcount * kwstep; i += kwstep) {
      O* keyword = kwnames[i];
      O* value = kwargs[i];
      int j = 0;
      O** varnames = co->localsplusnames->items();
      while (j < co->argcount && varnames[j] != keyword) ++j;
      if (j == co->argcount) {  // the slow fallback: PyObject_RichCompareBool on each name
        j = 0;
        while (j < co->argcount && as<Str>(varnames[j])->view() != as<Str>(keyword)->view()) ++j;
        if (j == co->argcount) not_modelled("TypeError: an unexpected keyword argument");
      }
      if (fastlocals[j] != nullptr) not_modelled("TypeError: multiple values for an argument");
      incref_stack(ts, value, t);
      fastlocals[j] = value;
    }
    if (nargs < co->argcount) {  // the missing positional arguments, from the defaults
      const int defcount = defs != nullptr ? int(defs->size) : 0;
      const int m = co->argcount - defcount;
      for (int i = nargs; i < m; ++i)
        if (fastlocals[i] == nullptr) not_modelled("TypeError: a missing argument");
      for (int i = nargs > m ? nargs - m : 0; i < defcount; ++i)
        if (fastlocals[m + i] == nullptr) {
          O* def = defs->items()[i];
          incref_stack(ts, def, t);
          fastlocals[m + i] = def;
        }
    }
    O** freevars = fastlocals + co->nlocals;
    for (int i = 0; i < co->ncells; ++i) {
      const int arg = co->cell2arg != nullptr ? co->cell2arg[i] : -1;
      Cell<RC>* c;
      if (arg >= 0) {
        c = cell_new(ts, fastlocals[arg]);
        O* old = fastlocals[arg];  // SETLOCAL(arg, NULL)
        fastlocals[arg] = nullptr;
        if (old != nullptr) decref_stack(ts, old, t);
      } else {
        c = cell_new(ts, static_cast<O*>(nullptr));
      }
      freevars[i] = &c->ob;
    }
    if (co->nfrees > 0) {
      if (closure == nullptr || closure->size != co->nfrees) fatal("SystemError: a closure of the wrong size");
      for (int i = 0; i < co->nfrees; ++i) {
        O* cell = closure->items()[i];
        incref(ts, cell, t);
        freevars[co->ncells + i] = cell;
      }
    }
    if (co->flags & (kCoGenerator | kCoCoroutine | kCoAsyncGenerator)) [[unlikely]] {
      // f_back is set again at each resumption: Py_CLEAR(f->f_back)
      if (Frame<RC>* back = f->back) {
        f->back = nullptr;
        decref(ts, &back->ob, t);
      }
      return &gen_new(ts, f, name, qualname)->ob;
    }
    O* result = eval_frame_ex(ts, f);
    ++ts.depth;
    release_frame(ts, f, t);
    --ts.depth;
    return result;
  }

  // Runs a module's code with the runtime's globals as its namespace (set-up
  // only, on the constructing thread); its result (None) is dropped.
  static void exec_module(TS& ts, Code<RC>* module) {
    O* r = eval_code_with_name(ts, module, ts.rt.globals, nullptr, nullptr, 0, nullptr);
    decref_stack(ts, r, ts.counters.rc);
  }

  // builtin___build_class__(func, name, base): runs the class body with a
  // fresh namespace as its locals, then makes the class (set-up only).
  static O* build_class(TS& ts, O** args, int nargs) {
    Tally& t = ts.counters.rc;
    if (nargs < 2 || nargs > 3 || args[0]->type != Type::kFunction || args[1]->type != Type::kStr)
      not_modelled("TypeError: __build_class__: only `class Name(base):` with at most one base is modelled");
    Class<RC>* base = ts.rt.object_class;
    const bool tuple_base = nargs == 3 && is_builtin(args[2], kBuiltinTuple);
    if (nargs == 3 && !tuple_base) {
      if (args[2]->type != Type::kClass) not_modelled("TypeError: a base that is not a class or tuple");
      base = as<Class>(args[2]);
    }
    Function<RC>* body = as<Function>(args[0]);
    Dict<RC>* ns = dict_new(ts);
    O* cell = eval_code_with_name(ts, body->code, body->globals, ns, nullptr, 0, body->closure);
    decref_stack(ts, cell, t);
    Class<RC>* cls = class_new(ts, as<Str>(args[1]), ns, base, tuple_base);
    decref(ts, &ns->ob, t);
    return &cls->ob;
  }

 private:
  // fast_function (inlined into call_function, as 3.6's static function):
  // the fast path every fib call takes (no keyword-only arguments, plain
  // optimised code without cells, no defaults, as many arguments as
  // parameters) and its twin for a call with no arguments where every
  // parameter has a default; anything else goes to
  // _PyEval_EvalCodeWithName, with the defaults.
  // With keywords (`kwnames`, their values after the positional ones on
  // the stack), always _PyEval_EvalCodeWithName.
  [[gnu::always_inline]] static O* fast_function(TS& ts, O* func, O** stack, int nargs,
                                                 Tuple<RC>* kwnames = nullptr) {
    Function<RC>* fn = as<Function>(func);
    Code<RC>* co = fn->code;
    Dict<RC>* globals = fn->globals;
    Tuple<RC>* argdefs = fn->defaults;
    const int nkwargs = kwnames == nullptr ? 0 : int(kwnames->size);
    if (co->kwonlyargcount == 0 && nkwargs == 0 && co->flags == (kCoOptimized | kCoNewLocals | kCoNofree)) [[likely]] {
      if (argdefs == nullptr && co->argcount == nargs) [[likely]]
        return function_fast_call(ts, co, stack, nargs, globals);
      if (nargs == 0 && argdefs != nullptr && co->argcount == argdefs->size)  // every parameter from its default
        return function_fast_call(ts, co, argdefs->items(), int(argdefs->size), globals);
    }
    return eval_code_with_name(ts, co, globals, nullptr, stack, nargs, fn->closure,
                               nkwargs ? kwnames->items() : nullptr, stack + nargs, nkwargs, 1, fn->name,
                               fn->qualname, argdefs);
  }

  // _PyCFunction_FastCallKeywords: METH_O and METH_NOARGS take the stack as
  // it is; METH_VARARGS (list.pop, round and float.__round__ in 3.6:
  // BuiltinDef::varargs36) packs the arguments into a tuple
  // first (with none: the shared empty tuple). Then _Py_CheckFunctionResult.
  static O* cfunction_call(TS& passed, Builtin<RC>* b, O** stack, int nargs) {
    TS& ts = tstate_get(passed);  // C_TRACE's PyThreadState_GET()
    const BuiltinDef<Cfg>& def = Builtins<Cfg>::table[b->which];
    if (def.nargs >= 0 && nargs != def.nargs) not_modelled("TypeError: a builtin called with the wrong number of arguments");
    O* x;
    if (def.varargs36) {  // METH_VARARGS
      Tuple<RC>* args = pack_args(ts, stack, nargs);
      x = def.fn(ts, b->self, args->items(), nargs);
      decref(ts, &args->ob);
    } else {
      x = def.fn(ts, b->self, stack, nargs);
    }
    to_stack(ts, x);
    return check_function_result(ts, x);
  }

  // _PyObject_FastCallKeywords for a type (range, Queue, a class):
  // _PyObject_FastCallDict packs the arguments into a tuple and calls the
  // type's tp_call (type_call). A class is type_call's object_new and
  // slot_tp_init: the instance, then `__init__` looked up and bound
  // (lookup_method), called with the instance prepended
  // (_PyObject_Call_Prepend -> _PyFunction_FastCallDict), its None dropped;
  // or, for a class with a `__new__` of its own, slot_tp_new.
  // Keywords (a class only) are first made a dict (_PyStack_AsDict).
  static O* object_fast_call(TS& ts, O* func, O** stack, int nargs, Tuple<RC>* kwnames = nullptr) {
    Dict<RC>* kwdict = nullptr;
    if (kwnames != nullptr) {
      if (func->type != Type::kClass) not_modelled("keyword arguments to a type other than a class are not modelled");
      kwdict = dict_new_presized(ts, kwnames->size);
      for (std::int64_t i = 0; i < kwnames->size; ++i) dict_set(ts, kwdict, as<Str>(kwnames->items()[i]), stack[nargs + i]);
    }
    Tuple<RC>* args = pack_args(ts, stack, nargs);
    O* x;
    if (func->type == Type::kBuiltin && Builtins<Cfg>::table[as<Builtin>(func)->which].is_type) {
      Builtin<RC>* b = as<Builtin>(func);
      const BuiltinDef<Cfg>& def = Builtins<Cfg>::table[b->which];
      if (def.nargs >= 0 && nargs != def.nargs) not_modelled("TypeError: a type called with the wrong number of arguments");
      x = def.fn(ts, nullptr, args->items(), nargs);
    } else if (func->type == Type::kClass && as<Class>(func)->slot_new) {
      x = slot_tp_new(ts, as<Class>(func), args, kwdict);
    } else if (func->type == Type::kClass) {
      Class<RC>* cls = as<Class>(func);
      if (cls->tuple_base) not_modelled("a subclass of tuple without a __new__ of its own is not modelled");
      Instance<RC>* obj = instance_new(ts, cls);
      O* init = type_lookup<Cfg>(cls, ts.rt.intern_init);
      if (init != nullptr) {
        if (init->type != Type::kFunction) not_modelled("TypeError: __init__ must be a function");
        O* meth = method_new(ts, init, &obj->ob);
        O* callargs[8];
        if (nargs + 1 > 8) not_modelled("TypeError: too many arguments to __init__");
        callargs[0] = &obj->ob;
        for (int i = 0; i < nargs; ++i) callargs[i + 1] = args->items()[i];
        O* res = function_call_dict(ts, init, callargs, nargs + 1, kwdict);
        decref(ts, meth);
        if (res->type != Type::kNone) not_modelled("TypeError: __init__() should return None");
        decref_stack(ts, res, ts.counters.rc);
      } else if (nargs != 0) {
        not_modelled("TypeError: object() takes no parameters");
      }
      x = &obj->ob;
    } else if (func->type == Type::kMethodCaller) {
      x = methodcaller_call(ts, as<MethodCaller>(func), args->items(), nargs);
      decref(ts, &args->ob);
      return check_function_result(ts, x);  // the Python method's result: a stack reference already
    } else {
      not_modelled("TypeError: object is not callable");
    }
    decref(ts, &args->ob);
    if (kwdict != nullptr) decref(ts, &kwdict->ob);
    to_stack(ts, x);
    return check_function_result(ts, x);
  }

  // _PyFunction_FastCallDict: without keywords, fast_function's paths;
  // with them, the dict's items as a tuple of pairs (each increfed) for
  // _PyEval_EvalCodeWithName. A stack reference.
  static O* function_call_dict(TS& ts, O* func, O** stack, int nargs, Dict<RC>* kwdict) {
    if (kwdict == nullptr) return fast_function(ts, func, stack, nargs);
    Tuple<RC>* kwtuple = tuple_new(ts, 2 * std::int64_t(kwdict->used));
    std::int64_t k = 0;
    dict_for_each<Cfg>(kwdict, [&](Str<RC>* key, O* value) {
      incref(ts, &key->ob);
      incref(ts, value);
      kwtuple->items()[k++] = &key->ob;
      kwtuple->items()[k++] = value;
    });
    Function<RC>* fn = as<Function>(func);
    O* res = eval_code_with_name(ts, fn->code, fn->globals, nullptr, stack, nargs, fn->closure, kwtuple->items(),
                                 kwtuple->items() + 1, int(k / 2), 2, fn->name, fn->qualname, fn->defaults);
    decref(ts, &kwtuple->ob);
    return res;
  }

  // slot_tp_new (3.6): `__new__` got from the class (type_getattro: its
  // lookups borrow; the staticmethod increfed around sm_descr_get, which
  // increfs its function), a new tuple of the class and the arguments
  // (each increfed), PyObject_Call (function_call: _PyFunction_FastCallDict
  // on the tuple's items), the tuple and the function dropped. type_call's
  // tp_init is then object_init, which only checks the arguments (class_new
  // refuses a class defining __init__ beside __new__). A new reference.
  static O* slot_tp_new(TS& ts, Class<RC>* cls, Tuple<RC>* args, Dict<RC>* kwdict) {
    O* sm = type_lookup<Cfg>(cls, ts.rt.intern_new);
    if (sm->type != Type::kStaticMethod || as<StaticMethod>(sm)->callable->type != Type::kFunction)
      not_modelled("a __new__ other than a Python function is not modelled");
    incref(ts, sm);
    O* func = as<StaticMethod>(sm)->callable;
    incref(ts, func);
    decref(ts, sm);
    const std::int64_t n = args->size;
    Tuple<RC>* newargs = tuple_new(ts, n + 1);
    incref(ts, &cls->ob);
    newargs->items()[0] = &cls->ob;
    for (std::int64_t i = 0; i < n; ++i) {
      incref(ts, args->items()[i]);
      newargs->items()[i + 1] = args->items()[i];
    }
    O* x = function_call_dict(ts, func, newargs->items(), int(n + 1), kwdict);
    from_stack(ts, x);  // PyObject_Call's result is a heap reference
    decref(ts, &newargs->ob);
    decref(ts, func);
    return x;
  }

  // methodcaller_call (its tp_call, from object_fast_call's tuple): the
  // method got as an attribute of the object — for a function on its class
  // a new bound method — and called with the methodcaller's extra
  // arguments (PyObject_Call: method_call, _PyObject_Call_Prepend's stack
  // with self first, _PyFunction_FastCallDict's fast path), then dropped.
  static O* methodcaller_call(TS& ts, MethodCaller<RC>* mc, O** args, int nargs) {
    if (nargs != 1) not_modelled("TypeError: methodcaller expected 1 argument");
    O* method = getattr(ts, args[0], mc->name);
    if (method->type != Type::kMethod || as<Method>(method)->func->type != Type::kFunction)
      not_modelled("operator.methodcaller of what is not a Python method is not modelled");
    O* stack[1] = {as<Method>(method)->self};
    O* x = fast_function(ts, as<Method>(method)->func, stack, 1);
    decref(ts, method);
    return x;
  }

  // special_lookup (`with`): _PyObject_LookupSpecial — the class's
  // attribute (_PyType_LookupId: borrowed), a function bound to the
  // instance by its tp_descr_get (PyMethod_New). A new reference.
  static O* special_lookup(TS& ts, O* self, Str<RC>* name) {
    if (self->type != Type::kInstance) not_modelled("special methods of builtin types are not modelled here");
    O* res = type_lookup<Cfg>(as<Instance>(self)->cls, name);
    if (res == nullptr) not_modelled("AttributeError: the object is no context manager");
    if (res->type == Type::kFunction) return method_new(ts, res, self);
    incref(ts, res);
    return res;
  }

  // PyObject_CallFunctionObjArgs on a bound Python method (`with`'s
  // __enter__ and __exit__): _PyObject_FastCallDict's slow path packs the
  // arguments into a tuple (_PyStack_AsTuple) for the method's tp_call,
  // method_call, whose _PyObject_Call_Prepend puts self first on a small
  // stack for _PyFunction_FastCallDict's fast path; the tuple dropped.
  static O* call_method_objargs(TS& ts, O* method, O** args, int nargs) {
    if (method->type != Type::kMethod || as<Method>(method)->func->type != Type::kFunction || nargs > 4)
      not_modelled("this call of a special method is not modelled");
    Tuple<RC>* argt = pack_args(ts, args, nargs);
    O* stack[5];
    stack[0] = as<Method>(method)->self;
    for (int i = 0; i < nargs; ++i) stack[i + 1] = argt->items()[i];
    O* x = fast_function(ts, as<Method>(method)->func, stack, nargs + 1);
    decref(ts, &argt->ob);
    return x;
  }

  // _PyStack_AsTuple: a new tuple with a reference to each argument (no
  // arguments: the runtime's empty tuple, increfed, as PyTuple_New(0)).
  static Tuple<RC>* pack_args(TS& ts, O** stack, int nargs) {
    if (nargs == 0) {
      incref(ts, &ts.rt.empty_tuple->ob);
      return ts.rt.empty_tuple;
    }
    Tuple<RC>* args = tuple_new(ts, nargs);
    for (int i = 0; i < nargs; ++i) {
      incref(ts, stack[i]);  // a counted reference: the stack keeps its own
      args->items()[i] = stack[i];
    }
    return args;
  }

  // _PyFunction_FastCall: a frame, the arguments copied in, the frame
  // evaluated and released with the recursion depth raised around the
  // release (3.6 does, so that deep deallocation chains count).
  [[gnu::noinline]] static O* function_fast_call(TS& passed, Code<RC>* co, O** args, int nargs,
                                                 Dict<RC>* globals) {
    TS& ts = tstate_get(passed);
    Tally& t = ts.counters.rc;
    Frame<RC>* f = frame_new(ts, co, globals, t);
    O** fastlocals = f->localsplus();
    for (int i = 0; i < nargs; ++i) {
      incref_stack(ts, args[i], t);
      fastlocals[i] = args[i];
    }
    O* result = eval_frame_ex(ts, f);
    ++ts.depth;
    release_frame(ts, f, t);
    --ts.depth;
    return result;
  }

  // Py_DECREF(f): the frame is private, so this is (almost) always the last
  // reference.
  [[gnu::always_inline]] static void release_frame(TS& ts, Frame<RC>* f, Tally& t) {
    if constexpr (refcount::HasCommitThread<RC>) {
      // The commit thread applies this decref and frees the frame on its
      // own thread: untrack it here, on the thread whose GC list holds it
      // (untracking twice is a no-op, as in 3.6).
      gc_untrack(&f->gc);
    }
    ++t.decrefs;
    if (RC::decref(f->ob.rc, ts.rc)) [[likely]]
      type_of<Cfg>(&f->ob)->tp_dealloc(ts, &f->ob);
  }

  // PyObject_GetItem: a dict's value for a key (dict_subscript), a list's
  // or tuple's item for an int index; a new (stack) reference.
  static O* subscript(TS& ts, O* container, O* sub) {
    if (container->type == Type::kDict) {
      O* v = dict_load(ts, as<Dict>(container), sub, ts.counters.rc);
      if (v == nullptr) not_modelled("KeyError");
      return v;
    }
    if (sub->type != Type::kInt) not_modelled("TypeError: indices must be integers");
    incref(ts, sub);  // PyNumber_AsSsize_t's PyNumber_Index
    std::int64_t i = int_value(as<Int>(sub));
    decref(ts, sub);
    std::int64_t n;
    O** items;
    if (container->type == Type::kList) {
      n = as<List>(container)->size;
      items = as<List>(container)->items;
    } else if (container->type == Type::kTuple || container->type == Type::kTupleSub) {  // a subclass's: tuple's sq_item
      n = as<Tuple>(container)->size;
      items = as<Tuple>(container)->items();
    } else {
      not_modelled("TypeError: object is not subscriptable");
    }
    if (i < 0) i += n;
    if (i < 0 || i >= n) not_modelled("IndexError: index out of range");
    incref_stack(ts, items[i], ts.counters.rc);
    return items[i];
  }

  // PyFunction_NewWithQualName (MAKE_FUNCTION): references to the code, the
  // globals, the code's name, the docstring (None), the module's name and
  // the qualified name. A nested function
  // (CO_NESTED) is not deferred; the module's functions are deferred once
  // set-up ends (experiments/workload.h).
  static O* make_function(TS& ts, Code<RC>* co, Dict<RC>* globals, Str<RC>* qualname, Tally& t) {
    auto* fn = ::new (alloc_block(ts, sizeof(Function<RC>))) Function<RC>;  // default members: no builtins, no version
    init_object(ts, &fn->ob, Type::kFunction);
    incref(ts, &co->ob, t);
    fn->code = co;
    incref(ts, &globals->ob, t);
    fn->globals = globals;
    incref(ts, &co->name->ob, t);
    fn->name = co->name;
    O* doc = co->consts->size > 0 && co->consts->items()[0]->type == Type::kStr ? co->consts->items()[0] : ts.rt.none;
    incref(ts, doc, t);
    fn->doc = doc;
    O* module = dict_get<Cfg>(globals, ts.rt.intern_name);
    if (module != nullptr) incref(ts, module, t);
    fn->module = module;
    incref(ts, &qualname->ob, t);
    fn->qualname = qualname;
    fn->defaults = nullptr;
    fn->closure = nullptr;
    return &fn->ob;
  }

  // PyObject_GetAttr (LOAD_ATTR): an instance's attribute, a module's
  // (runtime/modules.h), a threading.local's (runtime/thread_local.h), or a builtin
  // type's method bound to the object (method_get: the descriptor increfed
  // around PyCFunction_NewEx, which increfs the object).
  static O* getattr(TS& ts, O* owner, Str<RC>* name) {
    if (owner->type == Type::kInstance) return instance_getattr(ts, as<Instance>(owner), name);
    if (is_builtin(owner, kBuiltinTuple)) {  // type_getattro: tuple.__new__, found borrowed and increfed
      if (name != ts.rt.intern_new) not_modelled("AttributeError: of tuple's attributes only __new__ is modelled");
      O* res = &ts.rt.method_descrs[kBuiltinTupleNew]->ob;
      incref(ts, res);
      return res;
    }
    if (owner->type == Type::kModule) return module_getattr(ts, as<Module>(owner), name);
    if (owner->type == Type::kLocal) return local_getattr(ts, as<ThreadLocal>(owner), name);
    const std::uint32_t which = Builtins<Cfg>::find_method(owner->type, name->view());
    if (which == kBuiltinCount) not_modelled("AttributeError: no such attribute (rclab models instances' and list/Queue methods)");
    incref(ts, &name->ob);  // PyObject_GenericGetAttr's Py_INCREF(name)
    O* descr = &ts.rt.method_descrs[which]->ob;
    incref(ts, descr);
    O* res = &builtin_new(ts, which, owner)->ob;
    decref(ts, descr);
    decref(ts, &name->ob);
    return res;
  }

  // --- generators (Objects/genobject.c) ---

  // PyGen_NewWithQualName: a generator owning the frame (its reference
  // moves in), with new references to the code, the name and the
  // qualified name. 3.6 tracks it in the GC's list; rclab tracks only
  // frames (the list's other objects would never be collected here).
  static Generator<RC>* gen_new(TS& ts, Frame<RC>* f, Str<RC>* name, Str<RC>* qualname) {
    Tally& t = ts.counters.rc;
    auto* gen = ::new (alloc_block(ts, sizeof(Generator<RC>))) Generator<RC>;
    init_object(ts, &gen->ob, Type::kGenerator);
    gen->frame = f;
    f->gen = &gen->ob;
    incref(ts, &f->code->ob, t);
    gen->code = f->code;
    gen->running = 0;
    gen->clear_frame = &gen_dealloc_frame;
    gen->name = name != nullptr ? name : f->code->name;
    incref(ts, &gen->name->ob, t);
    gen->qualname = qualname != nullptr ? qualname : gen->name;
    incref(ts, &gen->qualname->ob, t);
    return gen;
  }

  // PyObject_GetIter: a new iterator over a list or tuple (1i on it), a
  // range (no reference kept), or the generator itself (PyObject_SelfIter,
  // 1i). GET_ITER and unpack_iterable share it.
  [[gnu::noinline]] static O* get_iter(TS& ts, O* iterable) {
    switch (iterable->type) {
      case Type::kList: return seq_iter_new(ts, iterable, Type::kListIter);
      case Type::kTuple: return seq_iter_new(ts, iterable, Type::kTupleIter);
      case Type::kRange: return range_iter_new(ts, as<Range>(iterable));
      case Type::kGenerator:
        incref(ts, iterable, ts.counters.rc);
        return iterable;
      default: not_modelled("TypeError: rclab iterates lists, tuples, ranges and generators only");
    }
  }

  // tp_iternext, as a stack reference, or null when exhausted. 3.6 makes
  // an indirect call here whatever the iterator; rclab's one predicted
  // branch sends generators out of line (their result is the frame's
  // stack reference already). FOR_ITER and unpack_iterable share it.
  [[gnu::always_inline]] static O* iter_next(TS& ts, O* iter) {
    if (iter->type == Type::kGenerator) [[unlikely]]
      return gen_iternext(ts, as<Generator>(iter));
    O* v = iter->type == Type::kRangeIter ? range_iter_next(ts, as<RangeIter>(iter))
                                          : seq_iter_next(ts, as<SeqIter>(iter));
    if (v != nullptr) to_stack(ts, v);
    return v;
  }

  // unpack_iterable (ceval.c) without a starred target: PyObject_GetIter
  // (1i on a list or tuple), `n` items written downwards from top[-1] (the
  // first ends on top), one more PyIter_Next to see it exhausted (which
  // drops a list's or tuple's reference), the iterator dropped. A wrong
  // length stops the run: py36 raises nothing.
  [[gnu::noinline]] static void unpack_iterable(TS& ts, O* seq, int n, O** top) {
    O* it = get_iter(ts, seq);
    for (int i = 0; i < n; ++i) {
      O* w = iter_next(ts, it);
      if (w == nullptr) not_modelled("ValueError: not enough values to unpack");
      *--top = w;
    }
    if (iter_next(ts, it) != nullptr) not_modelled("ValueError: too many values to unpack");
    decref(ts, it, ts.counters.rc);
  }

  // gen_iternext -> gen_send_ex(gen, NULL, 0, 0): after the first
  // resumption None is pushed as the yield's result (increfed); the
  // caller's frame becomes f_back (Py_XINCREF) for the run and is dropped
  // after it; a return ends the iteration (NULL, no exception: the None
  // dropped) and releases the frame, its saved exception state cleared
  // first. A new (stack) reference to the yielded value, or null.
  [[gnu::noinline]] static O* gen_iternext(TS& passed, Generator<RC>* gen) {
    TS& ts = tstate_get(passed);  // PyThreadState_GET()
    Tally& t = ts.counters.rc;
    Frame<RC>* f = static_cast<Frame<RC>*>(gen->frame);
    if (gen->running) [[unlikely]]
      not_modelled("ValueError: generator already executing");
    if (f == nullptr || f->stacktop == nullptr) return nullptr;  // exhausted: no exception from gen_iternext
    if (f->lasti != -1) {
      incref_stack(ts, ts.rt.none, t);
      *f->stacktop++ = ts.rt.none;
    }
    if (ts.frame != nullptr) incref(ts, &ts.frame->ob, t);  // Py_XINCREF(tstate->frame)
    f->back = ts.frame;
    gen->running = 1;
    O* result = eval_frame_ex(ts, f);
    gen->running = 0;
    if (Frame<RC>* back = f->back) {  // Py_CLEAR(f->f_back)
      f->back = nullptr;
      decref(ts, &back->ob, t);
    }
    if (f->stacktop != nullptr) return result;  // yielded
    if (result != ts.rt.none) [[unlikely]]
      not_modelled("a generator's return value (StopIteration's) is not modelled");
    decref_stack(ts, result, t);  // Py_CLEAR(result)
    clear_field(ts, f->exc_type, t);
    clear_field(ts, f->exc_value, t);
    clear_field(ts, f->exc_traceback, t);
    f->gen = nullptr;
    gen->frame = nullptr;
    release_frame(ts, f, t);  // Py_DECREF(f): the generator's was the last reference
    return nullptr;
  }

  // gen_dealloc's frame half, left in every generator as its clear_frame:
  // _PyGen_Finalize returns at once for a generator whose frame is gone
  // (gen_iternext released it at the return); one that still has a frame
  // could run again, and would be closed by throwing GeneratorExit into it
  // — rclab models no exceptions. Then Py_CLEAR(gi_code).
  static void gen_dealloc_frame(void* tsv, Generator<RC>* gen) {
    TS& ts = *static_cast<TS*>(tsv);
    if (gen->frame != nullptr) [[unlikely]]
      not_modelled("closing an unfinished generator throws GeneratorExit into it: exceptions are not modelled");
    decref(ts, &std::exchange(gen->code, nullptr)->ob);
  }

  // A generator's frame saves the thread's handled exception on entry and
  // gives it back when it yields or returns (save_exc_state,
  // restore_and_clear_exc_state, swap_exc_state): each a load and a test
  // of three fields here, where nothing raises, so none is ever set.
  static void gen_exc_state(TS& ts, Frame<RC>* f) {
    if (ts.exc_type != nullptr || f->exc_type != nullptr) [[unlikely]]
      not_modelled("a generator's saved exception state (exceptions are not modelled)");
  }

  // PyEval_EvalFrameEx: PyThreadState_GET(), then the eval_frame hook.
  [[gnu::noinline]] static O* eval_frame_ex(TS& passed, Frame<RC>* f) {
    TS& ts = tstate_get(passed);
    return eval_frame(ts, f);
  }

  // PyErr_Occurred: the thread state's pending exception.
  [[gnu::noinline]] static void* err_occurred(TS& passed) { return tstate_get(passed).curexc_type; }

  // _Py_CheckFunctionResult: a result and an exception are exclusive.
  [[gnu::noinline]] static O* check_function_result(TS& ts, O* result) {
    const bool err = err_occurred(ts) != nullptr;
    if (result == nullptr) [[unlikely]]
      fatal("SystemError: a function returned NULL without setting an error");
    if (err) [[unlikely]]
      fatal("SystemError: a function returned a result with an error set");
    return result;
  }

  static void handle_eval_breaker(TS& ts) {
    if (ts.rt.breaker.test(EvalBreaker::kGilDropRequest)) gil_yield(ts);
  }

  // _PyDict_LoadGlobal's callers test that both namespaces are exact dicts.
  static bool dict_check_exact(const Dict<RC>* d) { return d->ob.type == Type::kDict; }
};

template <SafeConfig Cfg>
Object<typename Cfg::RC>* Interp<Cfg>::eval(TS& ts_in, Frame<RC>* f) {
  TS& ts = tstate_get(ts_in);  // PyThreadState *tstate = PyThreadState_GET()
  enter_recursive_call(ts);    // Py_EnterRecursiveCall("")
  ++ts.counters.calls;
  ts.frame = f;
  if (ts.use_tracing) [[unlikely]]
    not_modelled("tracing is not modelled");

  Code<RC>* const co = f->code;
  O** const consts = co->consts->items();
  O** const names = co->names->items();
  O** const fastlocals = f->localsplus();
  const std::uint16_t* const first_instr = co->code;
  const std::uint16_t* ip = first_instr;
  if (f->lasti >= 0) [[unlikely]]  // a generator resumed after its yield
    ip += f->lasti / 2 + 1;
  O** sp = f->stacktop;
  O** const stack_bottom = f->valuestack;
  f->stacktop = nullptr;  // remains null unless a yield suspends the frame
  f->executing = 1;
  if (co->flags & (kCoGenerator | kCoCoroutine | kCoAsyncGenerator)) [[unlikely]]
    gen_exc_state(ts, f);  // save_exc_state
  O* retval;
  Tally t;  // in registers; added to ts.counters on return
  const EvalBreaker& breaker = ts.rt.breaker;

  // Threaded dispatch, as CPython's USE_COMPUTED_GOTOS: every opcode ends
  // in its own indirect jump, so the branch predictor learns each opcode's
  // successor instead of sharing one jump for all of them. (Labels as
  // values are a GCC/Clang extension; CPython relies on it the same way.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
  // A full 256-entry table, as CPython's opcode_targets.h, so a dispatch is
  // one load and one jump (runtime/label_table.h).
  static void* const targets[256] = RCLAB_LABEL_TABLE(RCLAB_PY36_EVERY_OP);
  std::uint16_t w;
  std::uint32_t oparg;  // EXTENDED_ARG widens it
  // NEXTOPARG() and the jump to the opcode.
#define RCLAB_NEXT()                \
  do {                              \
    w = *ip++;                      \
    oparg = std::uint32_t(w >> 8);  \
    goto* targets[w & 0xff];        \
  } while (0)
  // FAST_DISPATCH(): f_lasti is stored and _Py_TracingPossible tested on
  // every instruction, as 3.6 does.
#define RCLAB_FAST_DISPATCH()                                 \
  do {                                                        \
    if (!tracing_possible) [[likely]] {                       \
      f->lasti = std::int32_t(2 * (ip - first_instr));        \
      RCLAB_NEXT();                                           \
    }                                                         \
    goto fast_next_opcode;                                    \
  } while (0)
  // DISPATCH(): one relaxed load of the eval breaker; the loop's top takes
  // it when a request is pending. The ticks GIL counts here, a policy
  // with safepoints polls them here, and QSBR's quiescent state is here.
#define RCLAB_DISPATCH()                                 \
  do {                                                   \
    Cfg::Gil::tick(ts.rt.gil_shared, ts.gil);            \
    poll_rc_safepoint(ts);                               \
    poll_quiescent(ts);                                  \
    if (!breaker.any()) [[likely]]                       \
      RCLAB_FAST_DISPATCH();                             \
    goto loop_top;                                       \
  } while (0)

  // Entering a frame passes the loop's top once: 2.7 decremented _Py_Ticker
  // there (a ticks GIL counts it; 3.x's GIL has no ticker).
  Cfg::Gil::tick(ts.rt.gil_shared, ts.gil);
loop_top:
  if (breaker.any()) [[unlikely]]
    handle_eval_breaker(ts);
fast_next_opcode:
  f->lasti = std::int32_t(2 * (ip - first_instr));
  if (tracing_possible && ts.c_tracefunc != nullptr && !ts.tracing) [[unlikely]]
    not_modelled("line tracing is not modelled");
  RCLAB_NEXT();

op_LOAD_FAST: {
  O* v = fastlocals[oparg];
  if (v == nullptr) [[unlikely]]
    not_modelled("UnboundLocalError");
  incref_stack(ts, v, t);
  *sp++ = v;
  RCLAB_FAST_DISPATCH();
}
op_LOAD_CONST: {
  O* v = consts[oparg];
  incref_stack(ts, v, t);
  *sp++ = v;
  RCLAB_FAST_DISPATCH();
}
op_LOAD_GLOBAL: {
  Str<RC>* name = as<Str>(names[oparg]);
  if (!dict_check_exact(f->globals) || !dict_check_exact(f->builtins)) [[unlikely]]
    not_modelled("LOAD_GLOBAL: only exact dicts are modelled");
  // _PyDict_LoadGlobal: globals first, then builtins, each one read through
  // the dict lock, which increfs the value where it knows it alive (under a
  // GIL or a `none` lock: right after the lookup, as 3.6).
  O* v = dict_load_global(ts, f->globals, f->builtins, name);
  if (v == nullptr) [[unlikely]]
    not_modelled("NameError: global name is not defined");
  *sp++ = v;
  RCLAB_DISPATCH();
}
op_COMPARE_OP: {
  O* right = *--sp;
  O* left = sp[-1];
  // cmp_outcome: `is` and `is not` are handled inline (a bool, increfed);
  // the rich comparisons go to PyObject_RichCompare. The loader refused the
  // rest.
  O* res;
  if (oparg <= kGe) [[likely]] {
    res = rich_compare(ts, left, right, int(oparg));
  } else if (oparg == kExcMatch) [[unlikely]] {  // only in an except clause, which only an exception reaches
    not_modelled("an exception handler was reached: rclab models no exceptions");
  } else {
    res = ((left == right) == (oparg == kIs)) ? ts.rt.true_ : ts.rt.false_;
    incref(ts, res, t);
  }
  decref_stack(ts, left, t);
  decref_stack(ts, right, t);
  sp[-1] = res;
  RCLAB_DISPATCH();
}
op_POP_JUMP_IF_FALSE: {
  O* cond = *--sp;
  if (cond == ts.rt.true_) {
    decref_stack(ts, cond, t);
    RCLAB_FAST_DISPATCH();
  }
  if (cond == ts.rt.false_) {
    decref_stack(ts, cond, t);
    ip = first_instr + oparg / 2;  // JUMPTO: 3.6 jump arguments are byte offsets
    RCLAB_FAST_DISPATCH();
  }
  not_modelled("POP_JUMP_IF_FALSE: only bools are modelled");
}
op_BINARY_ADD: {
  O* right = *--sp;
  O* left = sp[-1];
  // 3.6 tests for two strs first (unicode_concatenate); rclab has no str
  // arithmetic, and the test fails for ints as it does in 3.6.
  O* sum = number_add(ts, left, right);
  decref_stack(ts, left, t);
  decref_stack(ts, right, t);
  sp[-1] = sum;
  RCLAB_DISPATCH();
}
op_BINARY_SUBTRACT: {
  O* right = *--sp;
  O* left = sp[-1];
  O* diff = number_subtract(ts, left, right);
  decref_stack(ts, right, t);
  decref_stack(ts, left, t);
  sp[-1] = diff;
  RCLAB_DISPATCH();
}
op_BINARY_MULTIPLY: {
  O* right = *--sp;
  O* left = sp[-1];
  O* res = number_multiply(ts, left, right);
  decref_stack(ts, left, t);
  decref_stack(ts, right, t);
  sp[-1] = res;
  RCLAB_DISPATCH();
}
op_BINARY_TRUE_DIVIDE:
op_INPLACE_TRUE_DIVIDE: {  // PyNumber_TrueDivide / PyNumber_InPlaceTrueDivide: the same slot here
  O* right = *--sp;
  O* left = sp[-1];
  O* res = number_true_divide(ts, left, right);
  decref_stack(ts, left, t);
  decref_stack(ts, right, t);
  sp[-1] = res;
  RCLAB_DISPATCH();
}
op_CALL_FUNCTION: {
  O* res = call_function(ts, sp, oparg);
  *sp++ = res;
  RCLAB_DISPATCH();
}
op_CALL_FUNCTION_KW: {  // the keywords' names (a constant tuple) on top, dropped after the call
  O* names = *--sp;
  O* res = call_function(ts, sp, oparg, as<Tuple>(names));
  *sp++ = res;
  decref_stack(ts, names, t);
  RCLAB_DISPATCH();
}
op_RETURN_VALUE:
  retval = *--sp;
  goto fast_block_end;
op_YIELD_VALUE:  // the frame keeps its stack and blocks; f_stacktop marks it suspended
  retval = *--sp;
  f->stacktop = sp;
  goto fast_yield;

// --- the workloads' opcodes --------------------------------------------------
op_POP_TOP: {
  O* v = *--sp;
  decref_stack(ts, v, t);
  RCLAB_FAST_DISPATCH();
}
// A comprehension's item into its list, oparg deep (PyList_Append: 1i),
// then the popped item dropped (1d).
op_LIST_APPEND: {
  O* v = *--sp;
  list_append(ts, as<List>(sp[-int(oparg)]), v);
  decref_stack(ts, v, t);
  RCLAB_DISPATCH();
}
// `a, b = seq`: an exact tuple or list of the target's length pushes its
// items last first (1i each) without an iterator; anything else goes
// through one (unpack_iterable); then the sequence is dropped (1d).
op_UNPACK_SEQUENCE: {
  O* seq = *--sp;
  O** items = nullptr;
  if (seq->type == Type::kTuple && as<Tuple>(seq)->size == std::int64_t(oparg))
    items = as<Tuple>(seq)->items();
  else if (seq->type == Type::kList && as<List>(seq)->size == std::int64_t(oparg))
    items = as<List>(seq)->items;
  if (items != nullptr) {
    for (std::uint32_t i = oparg; i-- > 0;) {
      incref_stack(ts, items[i], t);
      *sp++ = items[i];
    }
  } else {
    unpack_iterable(ts, seq, int(oparg), sp + oparg);
    sp += oparg;
  }
  decref_stack(ts, seq, t);
  RCLAB_DISPATCH();
}
op_DUP_TOP: {  // augmented assignment to an attribute or subscript: 1i
  O* top = sp[-1];
  incref_stack(ts, top, t);
  *sp++ = top;
  RCLAB_FAST_DISPATCH();
}
op_ROT_TWO: {  // no count moves
  std::swap(sp[-1], sp[-2]);
  RCLAB_FAST_DISPATCH();
}
op_DUP_TOP_TWO: {  // augmented assignment to a subscript: the container and the key, 2i
  O* top = sp[-1];
  O* second = sp[-2];
  incref_stack(ts, top, t);
  incref_stack(ts, second, t);
  sp[0] = second;
  sp[1] = top;
  sp += 2;
  RCLAB_FAST_DISPATCH();
}
op_ROT_THREE: {  // the new value under the container and key STORE_SUBSCR pops; no count moves
  O* top = sp[-1];
  sp[-1] = sp[-2];
  sp[-2] = sp[-3];
  sp[-3] = top;
  RCLAB_FAST_DISPATCH();
}
op_STORE_FAST: {  // SETLOCAL: the old value released after the store
  O* v = *--sp;
  O* old = fastlocals[oparg];
  fastlocals[oparg] = v;
  if (old != nullptr) decref_stack(ts, old, t);
  RCLAB_FAST_DISPATCH();
}
op_STORE_GLOBAL: {
  O* v = *--sp;
  dict_set(ts, f->globals, as<Str>(names[oparg]), v);
  decref_stack(ts, v, t);
  RCLAB_DISPATCH();
}
op_LOAD_NAME: {  // f_locals, then globals, then builtins (PyDict_GetItem + Py_INCREF)
  Str<RC>* name = as<Str>(names[oparg]);
  if (f->locals == nullptr || f->locals->type != Type::kDict) fatal("LOAD_NAME: no locals dict");
  O* v = dict_load(ts, as<Dict>(f->locals), name, t);
  if (v == nullptr) v = dict_load(ts, f->globals, name, t);
  if (v == nullptr) v = dict_load(ts, f->builtins, name, t);
  if (v == nullptr) not_modelled("NameError: name is not defined");
  *sp++ = v;
  RCLAB_DISPATCH();
}
op_STORE_NAME: {
  O* v = *--sp;
  if (f->locals == nullptr || f->locals->type != Type::kDict) fatal("STORE_NAME: no locals dict");
  dict_set(ts, as<Dict>(f->locals), as<Str>(names[oparg]), v);
  decref_stack(ts, v, t);
  RCLAB_DISPATCH();
}
op_LOAD_ATTR: {
  O* owner = sp[-1];
  O* res = getattr(ts, owner, as<Str>(names[oparg]));
  decref_stack(ts, owner, t);
  sp[-1] = res;
  RCLAB_DISPATCH();
}
op_IMPORT_NAME: {  // import_name: a new reference to the module; level and fromlist dropped
  O* fromlist = *--sp;
  O* level = sp[-1];
  O* res = import_name(ts, ts.rt.sys_modules, as<Str>(names[oparg]), level);
  decref_stack(ts, level, t);
  decref_stack(ts, fromlist, t);
  sp[-1] = res;
  RCLAB_DISPATCH();
}
op_STORE_ATTR: {
  O* owner = *--sp;
  O* v = *--sp;
  if (owner->type == Type::kLocal)
    local_setattr(ts, as<ThreadLocal>(owner), as<Str>(names[oparg]), v);
  else if (owner->type == Type::kInstance)
    instance_setattr(ts, as<Instance>(owner), as<Str>(names[oparg]), v);
  else
    not_modelled("AttributeError: rclab stores attributes on instances and locals only");
  decref_stack(ts, v, t);
  decref_stack(ts, owner, t);
  RCLAB_DISPATCH();
}
op_BINARY_SUBSCR: {
  O* sub = *--sp;
  O* container = sp[-1];
  O* res = subscript(ts, container, sub);
  decref_stack(ts, container, t);
  decref_stack(ts, sub, t);
  sp[-1] = res;
  RCLAB_DISPATCH();
}
op_STORE_SUBSCR: {
  O* sub = sp[-1];
  O* container = sp[-2];
  O* v = sp[-3];
  sp -= 3;
  if (container->type != Type::kDict) not_modelled("STORE_SUBSCR: rclab stores into dicts only");
  dict_set(ts, as<Dict>(container), sub, v);  // PyObject_SetItem -> dict_ass_sub
  decref_stack(ts, v, t);
  decref_stack(ts, container, t);
  decref_stack(ts, sub, t);
  RCLAB_DISPATCH();
}
op_INPLACE_ADD: {
  O* right = *--sp;
  O* left = sp[-1];
  O* sum = number_inplace_add(ts, left, right);
  decref_stack(ts, left, t);
  decref_stack(ts, right, t);
  sp[-1] = sum;
  RCLAB_DISPATCH();
}
op_INPLACE_MULTIPLY: {
  O* right = *--sp;
  O* left = sp[-1];
  O* res = number_inplace_multiply(ts, left, right);
  decref_stack(ts, left, t);
  decref_stack(ts, right, t);
  sp[-1] = res;
  RCLAB_DISPATCH();
}
op_BUILD_TUPLE: {  // the stack's references move into the tuple
  if (oparg == 0) {  // PyTuple_New(0): the shared empty tuple
    incref(ts, &ts.rt.empty_tuple->ob, t);
    *sp++ = &ts.rt.empty_tuple->ob;
    RCLAB_DISPATCH();
  }
  Tuple<RC>* tup = tuple_new(ts, std::int64_t(oparg));
  for (std::uint32_t i = oparg; i-- > 0;) {
    O* item = *--sp;
    from_stack(ts, item);
    tup->items()[i] = item;
  }
  *sp++ = &tup->ob;
  RCLAB_DISPATCH();
}
op_BUILD_LIST: {
  List<RC>* lst = list_new(ts, std::int64_t(oparg));
  for (std::uint32_t i = oparg; i-- > 0;) {
    O* item = *--sp;
    from_stack(ts, item);
    lst->items[i] = item;
  }
  *sp++ = &lst->ob;
  RCLAB_DISPATCH();
}
op_BUILD_MAP: {  // _PyDict_NewPresized, PyDict_SetItem per pair, then the pairs popped
  Dict<RC>* d = dict_new_presized(ts, std::int64_t(oparg));
  for (std::uint32_t i = oparg; i > 0; --i) {
    O* key = sp[-2 * std::int64_t(i)];
    O* value = sp[-2 * std::int64_t(i) + 1];
    dict_set(ts, d, key, value);
  }
  for (std::uint32_t i = 2 * oparg; i > 0; --i) decref_stack(ts, *--sp, t);
  *sp++ = &d->ob;
  RCLAB_DISPATCH();
}
op_BUILD_CONST_KEY_MAP: {
  O* keys = *--sp;
  if (keys->type != Type::kTuple || as<Tuple>(keys)->size != std::int64_t(oparg))
    fatal("BUILD_CONST_KEY_MAP: bad keys tuple");
  Dict<RC>* d = dict_new_presized(ts, std::int64_t(oparg));  // _PyDict_NewPresized
  for (std::uint32_t i = 0; i < oparg; ++i) {
    O* key = as<Tuple>(keys)->items()[i];
    dict_set(ts, d, key, sp[-std::int64_t(oparg) + i]);
  }
  decref_stack(ts, keys, t);
  for (std::uint32_t i = oparg; i > 0; --i) decref_stack(ts, *--sp, t);
  *sp++ = &d->ob;
  RCLAB_DISPATCH();
}
op_GET_ITER: {  // PyObject_GetIter
  O* iterable = sp[-1];
  O* it = get_iter(ts, iterable);
  decref_stack(ts, iterable, t);
  sp[-1] = it;
  RCLAB_DISPATCH();
}
op_FOR_ITER: {  // tp_iternext; at the end the iterator is popped and released
  O* iter = sp[-1];
  if (O* next = iter_next(ts, iter)) {
    *sp++ = next;
    RCLAB_DISPATCH();
  }
  --sp;
  decref_stack(ts, iter, t);
  ip += oparg / 2;  // JUMPBY
  RCLAB_DISPATCH();
}
op_SETUP_LOOP:     // PyFrame_BlockSetup: the block's end (or handler) and the stack level
op_SETUP_EXCEPT:
op_SETUP_FINALLY: {
  if (f->iblock >= Frame<RC>::kMaxBlocks) fatal("SystemError: block stack overflow");
  f->blockstack[f->iblock++] = {std::int32_t(w & 0xff), std::int32_t(2 * (ip - first_instr) + oparg),
                                std::int32_t(sp - stack_bottom)};
  RCLAB_DISPATCH();
}
op_POP_EXCEPT:  // ends an except clause, which only an exception reaches
  not_modelled("an exception handler was reached: rclab models no exceptions");
op_DELETE_FAST: {
  O* v = fastlocals[oparg];
  if (v == nullptr) [[unlikely]]
    not_modelled("UnboundLocalError");
  fastlocals[oparg] = nullptr;  // SETLOCAL(oparg, NULL)
  decref_stack(ts, v, t);
  RCLAB_DISPATCH();
}
// `with`: SETUP_WITH looks __exit__ and __enter__ up (each a new bound
// method), leaves __exit__ in the manager's place, calls __enter__ and
// pushes a SETUP_FINALLY block under its result. At the block's end (no
// exception, no return: the only end modelled) POP_BLOCK and a None, then
// WITH_CLEANUP_START calls __exit__(None, None, None), WITH_CLEANUP_FINISH
// drops the result, END_FINALLY the None.
op_SETUP_WITH: {
  O* mgr = sp[-1];
  O* enter = special_lookup(ts, mgr, ts.rt.intern_enter);
  O* exit = special_lookup(ts, mgr, ts.rt.intern_exit);
  to_stack(ts, exit);
  sp[-1] = exit;
  decref_stack(ts, mgr, t);
  O* res = call_method_objargs(ts, enter, nullptr, 0);
  decref(ts, enter, t);
  if (f->iblock >= Frame<RC>::kMaxBlocks) fatal("SystemError: block stack overflow");
  f->blockstack[f->iblock++] = {kSetupFinally, std::int32_t(2 * (ip - first_instr) + oparg), std::int32_t(sp - stack_bottom)};
  *sp++ = res;
  RCLAB_DISPATCH();
}
op_WITH_CLEANUP_START: {
  O* exc = sp[-1];
  O* exit;
  if (exc == ts.rt.none) {
    exit = sp[-2];
    sp[-2] = exc;  // POP, then SET_TOP(exc): __exit__ leaves the stack
    --sp;
  } else if (exc->type == Type::kInt && int_value(as<Int>(exc)) == kWhyReturn) {
    // A return through the block: __exit__ (under the result) leaves, the
    // result and the status move down over it, and __exit__ sees None.
    --sp;
    exit = sp[-2];
    sp[-2] = sp[-1];
    sp[-1] = exc;
    exc = ts.rt.none;
  } else {
    not_modelled("leaving `with` by an exception or break is not modelled");
  }
  O* nones[3] = {ts.rt.none, ts.rt.none, ts.rt.none};
  O* res = call_method_objargs(ts, exit, nones, 3);
  decref_stack(ts, exit, t);
  incref_stack(ts, exc, t);  // the exception duplicated on the stack
  *sp++ = exc;
  *sp++ = res;
  RCLAB_DISPATCH();
}
op_WITH_CLEANUP_FINISH: {  // exc is None: the result is not tested
  O* res = *--sp;
  O* exc = *--sp;
  decref_stack(ts, res, t);
  decref_stack(ts, exc, t);
  RCLAB_DISPATCH();
}
op_END_FINALLY: {  // None: the block ended normally; an int: a return went through it and goes on
  O* status = *--sp;
  if (status->type == Type::kInt) {
    if (int_value(as<Int>(status)) != kWhyReturn) not_modelled("END_FINALLY after a break or continue is not modelled");
    retval = *--sp;
    decref_stack(ts, status, t);
    goto fast_block_end;
  }
  if (status != ts.rt.none) not_modelled("END_FINALLY after an exception is not modelled");
  decref_stack(ts, status, t);
  RCLAB_DISPATCH();
}
op_POP_BLOCK: {  // PyFrame_BlockPop, then UNWIND_BLOCK
  if (f->iblock <= 0) fatal("SystemError: block stack underflow");
  const TryBlock b = f->blockstack[--f->iblock];
  while (sp - stack_bottom > b.level) decref_stack(ts, *--sp, t);
  RCLAB_DISPATCH();
}
op_JUMP_ABSOLUTE:  // DISPATCH, not FAST_DISPATCH: 3.6 builds without FAST_LOOPS, so loops poll the breaker
  ip = first_instr + oparg / 2;
  RCLAB_DISPATCH();
op_JUMP_FORWARD:
  ip += oparg / 2;
  RCLAB_FAST_DISPATCH();
op_POP_JUMP_IF_TRUE: {
  O* cond = *--sp;
  if (cond == ts.rt.false_) {
    decref_stack(ts, cond, t);
    RCLAB_FAST_DISPATCH();
  }
  if (cond == ts.rt.true_) {
    decref_stack(ts, cond, t);
    ip = first_instr + oparg / 2;
    RCLAB_FAST_DISPATCH();
  }
  not_modelled("POP_JUMP_IF_TRUE: only bools are modelled");
}
op_MAKE_FUNCTION: {
  O* qualname = *--sp;
  O* codeobj = *--sp;
  if (codeobj->type != Type::kCode || qualname->type != Type::kStr) fatal("MAKE_FUNCTION: bad operands");
  O* func = make_function(ts, as<Code>(codeobj), f->globals, as<Str>(qualname), t);
  decref_stack(ts, codeobj, t);
  decref_stack(ts, qualname, t);
  if (oparg & kMfClosure) {
    O* closure = *--sp;  // its reference moves into the function
    if (closure->type != Type::kTuple) fatal("MAKE_FUNCTION: the closure is not a tuple");
    as<Function>(func)->closure = as<Tuple>(closure);
  }
  if (oparg & kMfDefaults) {
    O* defaults = *--sp;  // its reference moves into the function
    if (defaults->type != Type::kTuple) fatal("MAKE_FUNCTION: the defaults are not a tuple");
    from_stack(ts, defaults);
    as<Function>(func)->defaults = as<Tuple>(defaults);
  }
  *sp++ = func;
  RCLAB_DISPATCH();
}
op_LOAD_CLOSURE: {
  O* cell = fastlocals[co->nlocals + std::int32_t(oparg)];
  incref_stack(ts, cell, t);
  *sp++ = cell;
  RCLAB_DISPATCH();
}
op_LOAD_DEREF: {
  O* value = as<Cell>(fastlocals[co->nlocals + std::int32_t(oparg)])->ref;
  if (value == nullptr) not_modelled("NameError: free variable referenced before assignment");
  incref_stack(ts, value, t);
  *sp++ = value;
  RCLAB_DISPATCH();
}
op_LOAD_BUILD_CLASS: {
  O* bc = dict_load(ts, f->builtins, ts.rt.intern_build_class, t);
  if (bc == nullptr) not_modelled("NameError: __build_class__ not found");
  *sp++ = bc;
  RCLAB_DISPATCH();
}
op_EXTENDED_ARG: {  // the next instruction's argument gets this one's as its high bits
  const std::uint32_t high = oparg;
  w = *ip++;
  oparg = high << 8 | std::uint32_t(w >> 8);
  goto* targets[w & 0xff];
}
op_unknown:
  fatal("unknown opcode");
#undef RCLAB_DISPATCH
#undef RCLAB_FAST_DISPATCH
#undef RCLAB_NEXT
#pragma GCC diagnostic pop

fast_block_end:
  // A return inside blocks: each is popped and the stack unwound to its
  // level (the loops' iterators released), as 3.6's block unwinding; a
  // finally block (try/finally, with) runs first, with the result and the
  // status WHY_RETURN (an int) pushed for its END_FINALLY or
  // WITH_CLEANUP_START, which come back here.
  while (f->iblock > 0) [[unlikely]] {
    const TryBlock b = f->blockstack[--f->iblock];
    while (sp - stack_bottom > b.level) decref_stack(ts, *--sp, t);
    if (b.type == kSetupFinally) {
      *sp++ = retval;
      O* why = int_from(ts, kWhyReturn);  // PyLong_FromLong((long)why)
      to_stack(ts, why);
      *sp++ = why;
      ip = first_instr + b.handler / 2;
      goto loop_top;
    }
  }
  while (sp > stack_bottom) {  // a well-formed return leaves none
    O* v = *--sp;
    if (v != nullptr) decref_stack(ts, v, t);
  }
fast_yield:
  if (co->flags & (kCoGenerator | kCoCoroutine | kCoAsyncGenerator)) [[unlikely]]
    gen_exc_state(ts, f);  // restore_and_clear_exc_state
  if (ts.use_tracing) [[unlikely]]
    not_modelled("tracing is not modelled");
  ts.counters.rc += t;
  leave_recursive_call(ts);  // Py_LeaveRecursiveCall()
  f->executing = 0;
  ts.frame = f->back;
  return check_function_result(ts, retval);
}

}  // namespace rclab::runtime
