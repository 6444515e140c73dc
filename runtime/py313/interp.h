// The py313 interpreter: CPython 3.13's _PyEval_EvalFrameDefault for the
// instructions in runtime/py313/opcodes.json, base and specialised, with
// 3.13's increfs and decrefs at the same places (Python/bytecodes.c and the
// generated_cases.c.h CPython builds from it).
//
// What 3.13 does differently from 3.6 (runtime/py36/interp.h), and so this:
//   - frames live in the thread's frame stack (runtime/py313/frame.h), and a
//     Python-to-Python call does not recurse on the C stack: CALL pushes the
//     callee's frame and the loop goes on in it; RETURN pops back;
//   - the callable, `self` (or the NULL that LOAD_GLOBAL and PUSH_NULL put
//     there) and the arguments move into the callee's frame uncounted;
//   - LOAD_ATTR's method form pushes the function and the instance: no bound
//     method is made;
//   - globals and builtins are borrowed by the frame, not counted;
//   - small ints, None and the bools are immortal (PEP 683): C code hands
//     them out without a reference (runtime/object_ops.h:
//     new_ref_to_immortal), and Py_INCREF/Py_DECREF on them change nothing;
//   - every specialisable instruction quickens (runtime/py313/specialize.h)
//     into guarded forms that deopt back to their base on a miss;
//   - each instruction stores its address in the frame (frame->instr_ptr)
//     before it runs, as 3.13's do.
//
// Reference counts per instruction, as 3.13's (i = incref, d = decref; on
// an immortal object the operation is a test that changes nothing; "move"
// = a reference transferred without a count):
//   LOAD_FAST, LOAD_CONST              1i
//   LOAD_FAST_LOAD_FAST                2i
//   STORE_FAST                         1d (the old value, when there is one)
//   POP_TOP, END_FOR                   1d
//   LOAD_GLOBAL_MODULE / _BUILTIN      1i (the value); generic LOAD_GLOBAL:
//                                      _PyDict_LoadGlobal's 1i
//   BINARY_OP_ADD_INT / _SUBTRACT_INT  2d (right first; an operand dying is
//                                      freed directly, PyObject_Free); the
//                                      result: a small int uncounted, else new
//   BINARY_OP_MULTIPLY_INT             as _ADD_INT
//   BINARY_OP_ADD/_SUBTRACT/_MULTIPLY_FLOAT  an operand of count 1 reused (1d the
//                                      other), else a new float and 2d
//   COMPARE_OP_FLOAT                   2d; the bool uncounted
//   BINARY_OP                          the number protocol's result, then 2d
//                                      (`list * n`: a NotImplemented, then
//                                      1i per slot, runtime/containers.h)
//   COMPARE_OP_INT                     2d; the bool uncounted
//   COMPARE_OP                         PyObject_RichCompare's result, 2d, and
//                                      with the bool flag 1d on that result
//   POP_JUMP_IF_FALSE / _TRUE          0 (the bool is not decrefed at all)
//   POP_JUMP_IF_NONE / _NOT_NONE       1d unless the value is None
//   IS_OP                              2d; the bool uncounted
//   JUMP_FORWARD                       0
//   STORE_FAST_LOAD_FAST               1d (the old value, if any), 1i
//   STORE_FAST_STORE_FAST              1d per old value
//   LOAD_FAST_AND_CLEAR, LIST_APPEND   0 (moves)
//   LIST_EXTEND                        1i per item, 1d the tuple
//   UNPACK_SEQUENCE_TWO_TUPLE / _TUPLE / _LIST  1i per item, 1d the sequence
//   UNPACK_SEQUENCE                    through an iterator: 1i per item, and
//                                      on a tuple or list 1i and 2d more
//                                      (the iterator's reference, dropped at
//                                      exhaustion, and the iterator), 1d the
//                                      sequence
//   CALL_PY_EXACT_ARGS                 1i on the callee's code; callable,
//                                      self and arguments move into the frame
//   RETURN_VALUE                       frame clear: 1d per non-null local,
//                                      cell and free, 1d the function, 1d the
//                                      code; the value moves to the caller
//   RETURN_CONST                       1i on the constant, then as RETURN_VALUE
//   CALL (a Python function)           as CALL_PY_EXACT_ARGS (the frame
//                                      push takes the references)
//   CALL, CALL_NON_PY_GENERAL, the C-call forms  the callee's own, then 1d
//                                      on the callable and 1d per argument
//                                      (self included)
//   CALL_LEN                           1d the callable, 1d the argument; the
//                                      length: a small int uncounted, else new
//   CALL_LIST_APPEND                   the argument moves into the list; 1d
//                                      self, 1d the callable
//   CALL_BUILTIN_FAST_WITH_KEYWORDS    the function's result; 1d per argument,
//                                      1d the callable
//   CALL_BUILTIN_O                     the function's result; 1d the argument,
//                                      1d the callable
//   LOAD_ATTR_MODULE                   1i the value, 1d the module
//   IMPORT_NAME                        1i the module, 2d (level, fromlist); the
//                                      import machinery's own counts are not
//                                      modelled (runtime/modules.h)
//   LOAD_ATTR_METHOD_WITH_VALUES / _NO_DICT  1i the descriptor; the owner moves
//   LOAD_ATTR_INSTANCE_VALUE           1i the value, 1d the owner
//   LOAD_ATTR                          _PyObject_GetMethod / PyObject_GetAttr's
//                                      own, 1d the owner unless it moves
//   GET_ITER                           the iterator's (1i on a list or
//                                      tuple; none on a range, which dies), 1d
//   FOR_ITER_LIST / _TUPLE             1i the item; exhausted 1d the sequence,
//                                      1d the iterator
//   FOR_ITER_RANGE                     0 (a new int, or a small one uncounted);
//                                      exhausted 1d the iterator
//   BINARY_SUBSCR_DICT                 1i the value, 1d the dict, 1d the key
//   BINARY_SUBSCR_LIST_INT / _TUPLE_INT  1i the item, 1d the index, 1d the container
//   STORE_SUBSCR_DICT                  key and value move in; replacing: 1d
//                                      the old value, 1d the key; then 1d the dict
//   STORE_SUBSCR, STORE_NAME, STORE_ATTR  PyDict_SetItem's 2i (replacing:
//                                      +2d), then 1d per popped item
//   BUILD_TUPLE, BUILD_LIST            0 (the items move in)
//   BUILD_CONST_KEY_MAP n              2i per pair, then n+1 d
//   BUILD_MAP n                        2i per pair, then 2n d
//   COPY n                             1i (SWAP: none)
//   MAKE_FUNCTION                      PyFunction_New's, then 1d the code
//   MAKE_CELL                          1i the initial value (into the cell),
//                                      1d it (out of the slot)
//   COPY_FREE_VARS n                   n i (the cells)
//   LOAD_DEREF                         1i the cell's content
//   PUSH_NULL, JUMP_BACKWARD, RESUME(_CHECK), NOP, SET_FUNCTION_ATTRIBUTE  0
//   CALL_PY_GENERAL                    as CALL (initialize_locals: 1i per
//                                      default it fills in)
//   DELETE_FAST                        1d; LOAD_FAST_CHECK as LOAD_FAST
//   RETURN_GENERATOR                   _Py_MakeCoro's 2i (name, qualname);
//                                      the frame's references move into the
//                                      generator
//   YIELD_VALUE                        0 (the value moves to the caller)
//   FOR_ITER_GEN                       0 (None pushed uncounted); the
//                                      generator's return: its frame cleared
//                                      (as RETURN_VALUE's, but for the code)
//   FOR_ITER on a generator            gen_send_ex2: 1i None, the frame run;
//                                      its return's None 1d
//   GET_ITER on a generator            1i (itself), 1d
//   a generator's dealloc              1d the code, 2d the names
// tests/py313_test.cpp derives fib's per-call and every workload's
// per-iteration totals from this table and checks them exactly.
//
// py313-tlbc (3.14t's specialisation on thread-local bytecode: runtime/
// py313/tlbc.h) runs the same instructions without a GIL, each thread on its
// own copy of the bytecode, so its rewrites are plain stores; what its
// specialised forms read that other threads write is read as 3.14t's
// free-threaded build reads it (Python/bytecodes.c under Py_GIL_DISABLED),
// each under `if constexpr (kTlbc)`, the other modes' code untouched:
//   LOAD_GLOBAL_MODULE/_BUILTIN  the dict's keys object loaded once
//                                (acquire), its dk_version relaxed, the
//                                cached entry of that same keys object
//                                (guarded_keys); the value with a try-incref
//                                and re-check; a miss deopts
//   LOAD_ATTR_INSTANCE_VALUE     type version relaxed; the inline value (the
//                                slot of the name's entry in the class's
//                                split keys) as above
//   LOAD_ATTR_METHOD_WITH_VALUES type and shared keys versions relaxed
//   FOR_ITER_LIST / _TUPLE       the iterator uniquely referenced; a list
//                                this thread owns or marked shared, its item
//                                by _PyList_GetItemRefNoLock; a lost race deopts
//   FOR_ITER_RANGE               the iterator uniquely referenced
//   CALL_LIST_APPEND             one try of the list's PyMutex; held, deopt
//   STORE_ATTR_INSTANCE_VALUE    one try of the instance's PyMutex; held, deopt
//   CALL_ALLOC_AND_ENTER_INIT    class version relaxed, the cached __init__
//                                (deferred) with acquire
// and each takes exactly the references it takes under the GIL (a
// try-incref counts as the incref it replaces). The base instructions are
// 3.13t's, as py313-unspecialized runs them. STORE_ATTR's generic set_attr
// adds a name to its class's split keys under the type lock (3.13t: the
// keys' dk_mutex) and stores the inline value with release in a critical
// section on the instance, as 3.13t does, under the ft313 object locks;
// under the other dict locks a free-threaded configuration has
// (py313t-seqlock's optimistic one, py313t-gilectomy's recursive one) it
// takes no lock, so two threads storing the same attribute of one shared
// instance would both drop the value it replaced. No workload does (their
// instances are filled at set-up, or are private); py313-tlbc makes the
// shared keys' version it resets atomic, for its guards.
//
// The eval breaker is polled where 3.13 polls it: RESUME (RESUME_CHECK
// deopts into RESUME when anything is pending), JUMP_BACKWARD, the generic
// CALL, and the C-call forms that end in _CHECK_PERIODIC (CALL_BUILTIN_CLASS,
// CALL_METHOD_DESCRIPTOR_FAST*, CALL_NON_PY_GENERAL) — not CALL_LEN,
// CALL_LIST_APPEND or CALL_PY_EXACT_ARGS.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <mutex>
#include <new>
#include <thread>
#include <utility>

#include "common/fatal.h"
#include "runtime/abstract.h"
#include "runtime/label_table.h"
#include "runtime/exceptions.h"
#include "runtime/py313/exception_table.h"
#include "runtime/py313/frame.h"
#include "runtime/py313/opcodes.h"
#include "runtime/py313/specialize.h"
#include "runtime/runtime.h"

namespace rclab::runtime::py313 {

template <SafeConfig Cfg>
struct Interp {
  using RC = typename Cfg::RC;
  using O = Object<RC>;
  using TS = ThreadState<Cfg>;
  using F = FrameOf<Cfg>;
  using Stack = typename Cfg::Frames;  // a frame stack (freelists/framestack.h)
  static_assert(refcount::CanImmortalize<RC>,
                "py313 needs immortal objects: 3.13's C code hands out small ints and singletons uncounted (PEP 683)");
  // py313-tlbc: 3.14t's specialisation on thread-local bytecode, with the
  // free-threaded build's specialised forms (`if constexpr (kTlbc)` below);
  // the other modes run exactly what they ran before it existed.
  static constexpr bool kTlbc = Cfg::Gen::kThreadLocalBytecode;
  static_assert(kTlbc || kFrameSpecials<RC> == 9, "3.13's frame: FRAME_SPECIALS_SIZE is 9 words on 64-bit");

  // _PyEval_EvalFrameDefault: runs `frame`, already pushed, until it returns
  // and gives back its result (a new reference).
  static O* eval(TS& ts, F* frame);

  // _PyEval_Vector: calls a Python function from C with borrowed arguments
  // (the call takes its own references) and `locals` for a module's or a
  // class body's code (null for a function).
  static O* call_from_c(TS& ts, Function<RC>* func, O* locals, O** args, int nargs, Tuple<RC>* kwnames = nullptr) {
    Tally& t = ts.counters.rc;
    incref_stack(ts, &func->ob, t);
    if (locals != nullptr) incref(ts, locals, t);
    const int nkw = kwnames == nullptr ? 0 : int(kwnames->size);
    for (int i = 0; i < nargs + nkw; ++i) incref_stack(ts, args[i], t);  // _PyEval_Vector: the keywords' values too
    F* f = push_and_init(ts, func, locals, args, nargs, kwnames);
    return eval(ts, f);
  }

  // _PyEvalFramePushAndInit (Python/ceval.c, out of line): a new frame for
  // `func`, taking the references to func, locals and the arguments: the
  // out-of-line push, _PyFrame_Initialize inlined, then the out-of-line
  // initialize_locals; when that fails, the frame cleared and popped.
  [[gnu::noinline]] static F* push_and_init(TS& ts, Function<RC>* func, O* locals, O** args, int nargs,
                                            Tuple<RC>* kwnames = nullptr) {
    Code<RC>* code = func->code;
    F* f = push_frame(ts, std::size_t(code->framesize));
    if (f == nullptr) [[unlikely]]
      not_modelled("MemoryError: no room for a frame");
    frame_init(ts, f, func, locals, code, 0, ts.counters.rc);
    if (initialize_locals(ts, func, f->localsplus, args, nargs, kwnames) != 0) [[unlikely]] {
      clear_thread_frame(ts, f);
      return nullptr;
    }
    return f;
  }

  // The new frame's f_locals at an inlined call: null for optimised code,
  // else (a class body run as a function) its globals, a new reference —
  // 3.13's `co_flags & CO_OPTIMIZED ? NULL : Py_NewRef(PyFunction_GET_GLOBALS(func))`
  // in CALL, CALL_KW and _PY_FRAME_GENERAL.
  [[gnu::always_inline]] static O* call_locals(TS& ts, Function<RC>* func) {
    if (func->code->flags & kCoOptimized) return nullptr;
    incref(ts, &func->globals->ob, ts.counters.rc);
    return &func->globals->ob;
  }

  // _PyThreadState_PushFrame (Python/pystate.c, out of line): the data
  // stack's room test and bump, or a new chunk (out of line behind it).
  [[gnu::noinline]] static F* push_frame(TS& ts, std::size_t size) {
    return reinterpret_cast<F*>(Stack::push(ts.frames, size));
  }

  // clear_thread_frame: the frame cleared but for its code, the code
  // dropped, the frame popped (_PyThreadState_PopFrame, out of line).
  [[gnu::always_inline]] static void clear_thread_frame(TS& ts, F* f) {
    --ts.gen.c_recursion_remaining;
    frame_clear_except_code(ts, f);
    decref_stack(ts, &f->f_executable->ob, ts.counters.rc);
    ++ts.gen.c_recursion_remaining;
    Stack::pop(ts.frames, reinterpret_cast<void**>(f));
  }

  // _PyEval_FrameClearAndPop (out of line): a thread's frame is cleared and
  // popped; a generator's is cleared in place (clear_gen_frame), its code
  // kept until the generator is freed.
  [[gnu::noinline]] static void clear_and_pop(TS& ts, F* f) {
    if (f->owner == kOwnedByThread) [[likely]]
      clear_thread_frame(ts, f);
    else
      clear_gen_frame(ts, f);
  }

  // --- generators (Objects/genobject.c) ---
  // A generator's frame lives in its block, right after the object
  // (gi_iframe); _PyFrame_GetGenerator finds the generator from it.
  static F* gen_iframe(Generator<RC>* gen) { return static_cast<F*>(gen->iframe()); }
  static Generator<RC>* generator_of(F* f) {
    return reinterpret_cast<Generator<RC>*>(reinterpret_cast<char*>(f) - sizeof(Generator<RC>));
  }
  // clear_gen_frame (Python/ceval.c): the generator has finished; its frame
  // is cleared where it is, the code kept (gen_dealloc drops it).
  static void clear_gen_frame(TS& ts, F* f) {
    Generator<RC>* gen = generator_of(f);
    gen->frame_state = kFrameCleared;
    --ts.gen.c_recursion_remaining;
    f->previous = nullptr;
    frame_clear_except_code(ts, f);
    ++ts.gen.c_recursion_remaining;
  }
  // _Py_MakeCoro -> make_gen (out of line): a new generator for `func`,
  // with room for its frame (co_framesize words) and new references to
  // the function's name and qualified name (interned: immortal in 3.13).
  [[gnu::noinline]] static Generator<RC>* make_gen(TS& ts, Function<RC>* func);
  // gen_iternext -> gen_send_ex2(gen, NULL): None pushed on the frame
  // (Py_NewRef, immortal), the frame run from C (_PyEval_EvalFrame, with an
  // entry frame) to its next yield, whose value is returned; a return
  // (always None here) is dropped and ends the iteration (NULL, no error).
  [[gnu::noinline]] static O* gen_iternext(TS& ts, Generator<RC>* gen);
  // gen_dealloc's frame half, left in every generator as its clear_frame:
  // _PyGen_Finalize (PyObject_CallFinalizerFromDealloc's temporary
  // resurrection is two plain stores of the count, not modelled), whose
  // gen_close clears a frame that never started or that sits at a RESUME
  // after a yield with only the StopIteration handler around it (3.13's
  // shortcut); then gen_clear_frame and the code dropped.
  static void gen_dealloc_frame(void* tsv, Generator<RC>* gen);

  // _PyFunction_Vectorcall's stand-in: what a function's vectorcall is
  // until something replaces it (nothing does), compared by the generic
  // CALL; called only from C (call_from_c).
  static O* function_vectorcall(TS& ts, Function<RC>* func, O** args, int nargs) {
    return call_from_c(ts, func, nullptr, args, nargs);
  }
  static void (*function_vectorcall_ptr())() { return reinterpret_cast<void (*)()>(&function_vectorcall); }

  // PyObject_Vectorcall on anything but a Python function: a builtin, a
  // builtin type's method descriptor (its self is args[0]) or a class.
  // Borrows the arguments; a new reference to the result.
  [[gnu::noinline]] static O* vectorcall(TS& ts, O* callable, O** args, int nargs);

  // CALL's and CALL_KW's prologue: a self in the slot below the arguments
  // counts as the first of them; with that slot NULL, a bound method is
  // unpacked into it (its self and function increfed into the two slots,
  // the method dropped).
  [[gnu::always_inline]] static void unpack_method(TS& ts, O* self_or_null, O*& callable, O**& args, int& total) {
    if (self_or_null != nullptr) {
      --args;
      ++total;
    } else if (callable->type == Type::kMethod) [[unlikely]] {
      Method<RC>* m = as<Method>(callable);
      --args;
      ++total;
      args[0] = m->self;
      incref_stack(ts, m->self, ts.counters.rc);
      args[-1] = m->func;
      incref_stack(ts, m->func, ts.counters.rc);
      decref_stack(ts, callable, ts.counters.rc);
      callable = args[-1];
    }
  }

  // _PyObject_LookupSpecial on an instance: the class's attribute
  // (_PyType_LookupRef: a new reference, through the type cache), a
  // function bound to the instance by its tp_descr_get (PyMethod_New) and
  // the function's reference dropped (Py_SETREF). A new reference.
  static O* lookup_special(TS& ts, O* self, Str<RC>* name);

  // An operator.methodcaller called with one object (its vectorcall in
  // 3.13, its tp_call in 3.13t): a new reference to the method's result.
  [[gnu::noinline]] static O* methodcaller_call(TS& ts, MethodCaller<RC>* mc, O** args, int nargs);

  // __build_class__(func, name, *bases): runs the body in a new namespace,
  // then makes the class (runtime/builtins.h calls this through
  // GenerationOps).
  static O* build_class(TS& ts, O* self, O** args, int nargs);

  // PyFunction_New (MAKE_FUNCTION): a new function for `code` in `globals`.
  [[gnu::noinline]] static Function<RC>* function_new(TS& ts, Code<RC>* code, Dict<RC>* globals);
  // _Py_InitCleanup (Python/specialize.c): the code of the shim frame
  // CALL_ALLOC_AND_ENTER_INIT pushes between its caller and __init__'s
  // frame. EXIT_INIT_CHECK pops __init__'s result (None), RETURN_VALUE
  // returns the instance the shim's stack holds, and the RESUME after them
  // puts its first traceable instruction past the end: the shim's frame is
  // never complete. No locals, a stack of 2, no exception table (an
  // exception unwinds through it to the caller), named __init__.
  static Code<RC>* init_cleanup_new(TS& ts) {
    Runtime<Cfg>& rt = ts.rt;
    incref(ts, &rt.empty_tuple->ob);
    incref(ts, &rt.empty_tuple->ob);
    incref(ts, &rt.intern_init->ob);
    constexpr std::uint16_t kUnits[] = {unit(EXIT_INIT_CHECK), unit(RETURN_VALUE), unit(RESUME)};
    auto* words = static_cast<std::uint16_t*>(alloc_block(ts, sizeof kUnits));
    std::memcpy(words, kUnits, sizeof kUnits);
    Code<RC>* c = rt.new_code(ts, words, std::uint32_t(std::size(kUnits)), 0, 0, 2, kCoOptimized, rt.empty_tuple,
                              rt.empty_tuple, rt.intern_init, /*deferred=*/false);  // static: immortal, not deferred
    c->nlocalsplus = 0;
    c->framesize = kFrameSpecialsOf<Cfg> + c->stacksize;
    c->firsttraceable = std::int32_t(c->ncode) + 1;
    if constexpr (kTlbc) tlbc_init_code(ts, c);  // its frames start in a copy too (frame_push_trampoline)
    return c;
  }

  // --- exceptions (Python/errors.c, Python/ceval.c, Python/traceback.c) ---
  // The thread's raised exception (tstate->current_exception) and the one
  // its handler is handling (exc_info->exc_value) live in ts.gen; the
  // objects are runtime/exceptions.h's. What is modelled: `raise` of a
  // builtin exception class or instance (with `from`), the KeyError of a
  // dict subscript, except clauses (3.13's exception table), finally
  // blocks and `with` blocks an exception runs through, and an exception
  // unwinding through Python frames. What stops the run, one line: an
  // exception in a generator's frame (its own exc_state is not modelled),
  // or one leaving a Python function called from C (__init__, __exit__, a
  // methodcaller, the workload's own entry).
  using Exc = Exception<RC>;
  static Exc* raised(TS& ts) { return static_cast<Exc*>(ts.gen.current_exception); }
  // _PyErr_GetRaisedException: the raised exception moved out (owned),
  // the slot left empty.
  static Exc* take_raised(TS& ts) { return static_cast<Exc*>(std::exchange(ts.gen.current_exception, nullptr)); }
  // _PyErr_SetRaisedException: `e` (owned, or null) becomes the raised
  // exception; the one it replaces is dropped.
  static void set_raised(TS& ts, Exc* e) {
    if (void* old = std::exchange(ts.gen.current_exception, e)) decref(ts, &static_cast<Exc*>(old)->ob);
  }
  // _PyErr_CreateException: the class called with no arguments (value
  // null), with a tuple as its arguments (PyObject_Call: type_call
  // directly), or with one argument (PyObject_CallOneArg: a temporary
  // tuple, _PyObject_MakeTpCall). A new reference.
  static Exc* create_exception(TS& ts, ExcClass<RC>* cls, O* value) {
    if (value != nullptr && value->type == Type::kTuple) return exception_new(ts, cls, as<Tuple>(value));
    return as<Exception>(exc_class_call(ts, cls, value == nullptr ? nullptr : &value, value == nullptr ? 0 : 1));
  }
  // _PyObject_MakeTpCall on an exception class: _PyTuple_FromArray (1i per
  // argument; no arguments: the empty tuple, uncounted), type_call, the
  // tuple dropped. A new reference.
  static O* exc_class_call(TS& ts, ExcClass<RC>* cls, O** args, int nargs) {
    Tuple<RC>* argstuple = tuple_from_array(ts, args, nargs);
    Exc* e = exception_new(ts, cls, argstuple);
    decref(ts, &argstuple->ob);
    return &e->ob;
  }
  // _PyErr_SetObject(type, value), `value` borrowed: an instance of `type`
  // is raised as it is, anything else normalised into one
  // (_PyErr_CreateException); the exception being handled, if any, becomes
  // its __context__ (implicit chaining, with 3.13's cycle check); its
  // traceback kept (_PyErr_Restore).
  [[gnu::noinline]] static void set_object(TS& ts, ExcClass<RC>* type, O* value);
  // _PyErr_SetKeyError: the key packed in a 1-tuple (1i), set as KeyError's
  // value, the tuple dropped.
  [[gnu::noinline]] static void raise_key_error(TS& ts, O* key) {
    Tuple<RC>* tup = tuple_from_array(ts, &key, 1);
    set_object(ts, ts.rt.exc_key_error, &tup->ob);
    decref(ts, &tup->ob);
  }
  // do_raise: `exc` and `cause` (owned, or null) are consumed. True for a
  // bare `raise`, which re-raises the exception being handled (no new
  // traceback entry: RAISE_VARARGS goes straight to exception_unwind).
  [[gnu::noinline]] static bool do_raise(TS& ts, O* exc, O* cause);
  // PyTraceBack_Here(_PyFrame_GetFrameObject(frame)): a traceback entry
  // for the frame, in front of the raised exception's traceback.
  [[gnu::noinline]] static void traceback_here(TS& ts, F* frame);
  // The first code unit of the bytecode the frame runs (its thread's copy
  // under py313-tlbc): what instruction offsets count from.
  static std::uint16_t* bytecode_of(F* f) {
    if constexpr (kTlbc)
      return frame_bytecode(f);
    else
      return f->f_executable->code;
  }
  // The run stops with one line naming the exception's class.
  [[noreturn, gnu::cold]] static void exception_escapes(TS& ts, const char* where);

 private:
  // initialize_locals (Python/ceval.c, out of line): 3.13's general
  // sequence, every test of it run on every call — **kwargs, the
  // positional copy, *args, too many, keywords, too few (the defaults),
  // keyword-only — though the loader refuses *args, **kwargs and
  // keyword-only parameters and compile_workloads.py refuses defaults:
  // those paths end the run. Keywords bind by name, identity first (the
  // names are interned), each value's reference moving into its slot. 0,
  // or -1 after a TypeError (fatal here first).
  [[gnu::noinline]] static int initialize_locals(TS& ts, Function<RC>* func, O** localsplus, O** args,
                                                 std::int64_t argcount, Tuple<RC>* kwnames) {
    Code<RC>* co = func->code;
    const std::int64_t total_args = std::int64_t(co->argcount) + co->kwonlyargcount;
    if (co->flags & kCoVarkeywords) [[unlikely]]
      not_modelled("py313: **kwargs is not modelled");
    const std::int64_t n = argcount > co->argcount ? std::int64_t(co->argcount) : argcount;
    for (std::int64_t j = 0; j < n; ++j) localsplus[j] = args[j];  // the references move in
    if (co->flags & kCoVarargs) [[unlikely]] {
      not_modelled("py313: *args is not modelled");
    } else if (argcount > n) [[unlikely]] {
      for (std::int64_t j = n; j < argcount; ++j) decref_stack(ts, args[j], ts.counters.rc);
    }
    if (kwnames != nullptr) {
      O** varnames = co->localsplusnames->items();
      for (std::int64_t i = 0; i < kwnames->size; ++i) {
        O* keyword = kwnames->items()[i];
        O* value = args[argcount + i];
        std::int64_t j = co->posonlyargcount;
        while (j < total_args && varnames[j] != keyword) ++j;
        if (j == total_args) {  // the slow fallback: PyObject_RichCompareBool on each name
          j = co->posonlyargcount;
          while (j < total_args && as<Str>(varnames[j])->view() != as<Str>(keyword)->view()) ++j;
          if (j == total_args) not_modelled("TypeError: an unexpected keyword argument");
        }
        if (localsplus[j] != nullptr) not_modelled("TypeError: multiple values for an argument");
        localsplus[j] = value;
      }
    }
    if (argcount > co->argcount && !(co->flags & kCoVarargs)) [[unlikely]]
      not_modelled("TypeError: a function called with too many positional arguments");
    if (argcount < co->argcount) [[unlikely]] {
      const std::int64_t defcount = func->defaults == nullptr ? 0 : func->defaults->size;
      const std::int64_t m = co->argcount - defcount;
      std::int64_t missing = 0;
      for (std::int64_t i = argcount; i < m; ++i) missing += localsplus[i] == nullptr;
      if (missing) not_modelled("TypeError: a function called with too few arguments");
      for (std::int64_t i = n > m ? n - m : 0; i < defcount; ++i)
        if (localsplus[m + i] == nullptr) {
          O* def = func->defaults->items()[i];
          incref_stack(ts, def, ts.counters.rc);  // Py_NewRef(def)
          localsplus[m + i] = def;
        }
    }
    if (co->kwonlyargcount > 0) [[unlikely]]
      not_modelled("py313: keyword-only parameters are not modelled");
    return 0;
  }

  // _Py_HandlePending: a GIL drop request, a stop-the-world, a scheduled
  // collection (3.14t's: runtime/deferred_gc.h). The caller has saved the
  // frame's stack top, which a collection scans.
  static void handle_pending(TS& ts) {
    if (ts.rt.breaker.test(EvalBreaker::kGilDropRequest)) gil_yield(ts);
    gc_handle_pending(ts);
  }

  // _Py_DECREF_SPECIALIZED(o, PyObject_Free): an int that dies here is freed
  // directly, not through its type's deallocator.
  [[gnu::always_inline]] static void decref_int(TS& ts, O* o, Tally& t) {
    check_alive(o, "use after free: decref of a deallocated object");
    ++t.decrefs;
    if constexpr (counts_immortal<Cfg>()) t.immortal_decrefs += RC::is_immortal(o->rc);
    if (RC::decref(o->rc, ts.rc)) [[unlikely]] {
      ++ts.counters.objects_destroyed;
      release_object(ts, o, int_block_size(as<Int>(o)));
    }
  }

  static bool dict_exact(const Dict<RC>* d) { return d->ob.type == Type::kDict; }

  // py313-tlbc's keys guard (3.14t's _GUARD_GLOBALS_VERSION and
  // _GUARD_BUILTINS_VERSION under Py_GIL_DISABLED): one acquire load of
  // ma_keys, then that keys object's dk_version with a relaxed load; the
  // keys object when it still has `version`, else null. The caller reads
  // the cached entry from the same keys object (_LOAD_GLOBAL_MODULE's
  // DK_UNICODE_ENTRIES(keys)[index]): the version and the entries live in
  // one block, so the version read describes the entries read, whatever a
  // writer does meanwhile. A resize publishes a new keys object, whole,
  // with no version (runtime/dict.h: dictresize), and leaves the old one's
  // entries as they were, retired to QSBR while another thread may read the
  // dict; a new key ends the version (a relaxed store) but moves no entry.
  // So no ordering between a dict's fields is needed here, and the dict's
  // writers publish a new keys object without ending a version first.
  [[gnu::always_inline]] static const DictKeys* guarded_keys(Dict<RC>* d, std::uint32_t version) {
    const DictKeys* dk = runtime::detail::load<true>(d->keys);  // FT_ATOMIC_LOAD_PTR_ACQUIRE(dict->ma_keys)
    return load_relaxed(dk->version) == version ? dk : nullptr;
  }

  // _PyObject_GetMethod (Objects/object.c, out of line): true and a new
  // reference to an unbound method (the owner becomes self), or false and a
  // new reference to the attribute. The type's attribute through the type
  // cache (type_lookup_ref), an instance's through its class's shared keys
  // (try_get_instance_attribute).
  [[gnu::noinline]] static bool get_method(TS& ts, O* owner, Str<RC>* name, O** out);
  // PyObject_GetAttr: a new reference, through the type's tp_getattro,
  // PyObject_GenericGetAttr -> _PyObject_GenericGetAttrWithDict (out of line).
  [[gnu::noinline]] static O* get_attr(TS& ts, O* owner, Str<RC>* name);
  [[gnu::noinline]] static O* generic_getattr(TS& ts, O* owner, Str<RC>* name);
  // _PyType_LookupRef (Objects/typeobject.c, out of line): the attribute
  // `name` of the owner's type, a new (stack) reference or null, through the
  // runtime's 4096-entry type cache keyed by (tp_version_tag, name):
  // 3.13t reads an entry inside its seqlock (out-of-line begin and end);
  // 3.13 compares it plainly (the GIL). A miss searches the MRO under the
  // type lock, assigning the class a version tag first, and fills the
  // entry. Builtin types have their fixed versions. type_lookup_in names
  // the type itself: a heap class, or (cls null) the builtin type `tp`.
  [[gnu::always_inline]] static O* type_lookup_ref(TS& ts, O* owner, Str<RC>* name) {
    Class<RC>* cls = owner->type == Type::kInstance ? as<Instance>(owner)->cls
                     : owner->type == Type::kTupleSub ? as<Class>(tuple_sub_class(as<Tuple>(owner)))
                                                      : nullptr;
    return type_lookup_in(ts, cls, owner->type, name);
  }
  [[gnu::noinline]] static O* type_lookup_in(TS& ts, Class<RC>* cls, Type tp, Str<RC>* name);
  [[gnu::noinline]] static std::uint32_t seqlock_begin_read(std::uint32_t& sequence);
  [[gnu::noinline]] static bool seqlock_end_read(std::uint32_t& sequence, std::uint32_t previous);
  // _PyObject_TryGetInstanceAttribute (Objects/dictobject.c, out of line):
  // false when the instance's inline values are not valid (never here);
  // else true with *attr a new reference to the inline value of `name`, or
  // null. 3.13t: the value loaded with acquire and try-increfed.
  [[gnu::noinline]] static bool try_get_instance_attribute(TS& ts, Instance<RC>* obj, Str<RC>* name, O** attr);
  // PyObject_SetAttr on an instance: its inline values (the class's shared
  // keys), in a critical section on the instance under 3.13t's object locks
  // (see the header for the other free-threaded dict locks); or a local's.
  [[gnu::noinline]] static void set_attr(TS& ts, O* owner, Str<RC>* name, O* value);
  // type_call on a heap class: a new instance with its inline values, and
  // __init__ run on it.
  [[gnu::noinline]] static O* class_call(TS& ts, Class<RC>* cls, O** args, int nargs);
  // CALL_KW on a class: `nargs` positional arguments, then the values of
  // `kwnames`. A new reference to the instance.
  [[gnu::noinline]] static O* class_call_kw(TS& ts, Class<RC>* cls, O** args, int nargs, Tuple<RC>* kwnames);
  // type_call from _PyObject_MakeTpCall (kwdict null: no keywords): a new
  // reference to what the class's __new__ returns, or to a new instance.
  [[gnu::noinline]] static O* type_call(TS& ts, Class<RC>* cls, Tuple<RC>* argt, Dict<RC>* kwdict);
  // _PyObject_Call_Prepend + _PyObject_FastCallDictTstate: func(first,
  // *argt, **kwdict) from C; a new reference.
  static O* call_prepend(TS& ts, Function<RC>* func, O* first, Tuple<RC>* argt, Dict<RC>* kwdict);
  // type_getattro for `__new__` on a class or the builtin tuple: a new reference.
  [[gnu::noinline]] static O* type_getattr(TS& ts, O* type, Str<RC>* name);
  // object_new's instance of a heap class (its inline values empty).
  static Instance<RC>* instance_alloc(TS& ts, Class<RC>* cls);
  // SETLOCAL: the new value stored, then the old one (if any) dropped.
  [[gnu::always_inline]] static void set_local(TS& ts, F* frame, std::uint32_t i, O* v) {
    if (O* old = std::exchange(frame->localsplus[i], v)) decref_stack(ts, old, ts.counters.rc);
  }
  // PyObject_GetIter: a new reference.
  [[gnu::noinline]] static O* get_iter(TS& ts, O* iterable);
  // Py_TYPE(iter)->tp_iternext: a new reference, or null at the end. The
  // dispatch is inline, one call to the type's own function, as 3.13's
  // indirect call through the type.
  [[gnu::always_inline]] static O* iter_next(TS& ts, O* iter);
  // _PyEval_UnpackIterable without a starred target (UNPACK_SEQUENCE's
  // generic form): the iterator made (get_iter), `n` items taken, written
  // downwards from top[-1] (the first item ends on top of the stack), one
  // more next to see it exhausted, the iterator dropped. A wrong length
  // stops the run (ValueError is not raised here).
  [[gnu::noinline]] static void unpack_iterable(TS& ts, O* seq, int n, O** top);
  // PyObject_GetItem: a dict's mapping slot (runtime/dict.h's
  // dict_subscript, out of line), or a list's or tuple's sequence_subscript:
  // a new reference.
  [[gnu::noinline]] static O* object_get_item(TS& ts, O* container, O* key);
  [[gnu::noinline]] static O* sequence_subscript(TS& ts, O* container, O* key);
  // PyObject_SetItem: a dict's mapping slot, dict_ass_sub, which calls
  // PyDict_SetItem (runtime/dict.h's dict_set); each out of line.
  [[gnu::noinline]] static void object_set_item(TS& ts, O* container, O* key, O* value);
  [[gnu::noinline]] static void dict_ass_sub(TS& ts, O* container, O* key, O* value);
  // _PyDict_FromItems: a new dict of n pairs, each increfed; keys[i *
  // key_step] and values[i * value_step] as CPython's (BUILD_CONST_KEY_MAP:
  // a keys tuple's items, step 1; BUILD_MAP: the stack's pairs, step 2).
  [[gnu::noinline]] static O* dict_from_items(TS& ts, O* const* keys, int key_step, O* const* values,
                                              int value_step, int n);
};

// ---------------------------------------------------------------------------

template <SafeConfig Cfg>
Function<typename Cfg::RC>* Interp<Cfg>::function_new(TS& ts, Code<RC>* code, Dict<RC>* globals) {
  // _PyFunction_FromConstructor: new references to the globals, the code,
  // the name and qualname, the builtins, the module name and the doc.
  Tally& t = ts.counters.rc;
  auto* fn = ::new (alloc_block(ts, sizeof(Function<RC>))) Function<RC>;
  init_object(ts, &fn->ob, Type::kFunction);
  // 3.14t defers a function that is not nested (3.13t's rule, kept), and
  // counts its code and globals per thread (`ptrc`: _Py_INCREF_DICT,
  // _Py_INCREF_CODE).
  if constexpr (kHasDeferredGc<Cfg>)
    if (!(code->flags & kCoNested)) gc_defer(ts, &fn->ob, false);
  thread_incref(ts, &globals->ob, t);
  fn->globals = globals;
  thread_incref(ts, &code->ob, t);
  fn->code = code;
  incref(ts, &code->name->ob, t);
  fn->name = code->name;
  incref(ts, &code->qualname->ob, t);
  fn->qualname = code->qualname;
  Dict<RC>* builtins = ts.rt.builtins;  // _PyEval_BuiltinsFromGlobals: the globals' __builtins__
  thread_incref(ts, &builtins->ob, t);  // _Py_INCREF_BUILTINS
  fn->builtins = builtins;
  fn->module = dict_load(ts, globals, ts.rt.intern_name, t);  // PyDict_GetItemRef(globals, "__name__")
  from_stack(ts, fn->module);  // dict_load gives a stack reference; this one is the function's
  fn->doc = new_ref_to_immortal(ts, ts.rt.none, t);           // a function's doc: None (no docstrings here)
  fn->defaults = nullptr;
  fn->closure = nullptr;
  fn->version = code->version;  // _PyFunction_SetVersion(func, co_version)
  fn->vectorcall = function_vectorcall_ptr();  // _PyFunction_Vectorcall
  return fn;
}

// _PySeqLock_BeginRead and _PySeqLock_EndRead (Python/lock.c, out of
// line): the entry's sequence with acquire, waiting while a writer holds it
// odd; then, after the reads, the sequence again. 3.13's EndRead issues an
// acquire fence first; here the reads themselves are acquire loads (the
// writer's stores release), which orders them before the second load the
// same way — no fence, which ThreadSanitizer cannot follow, and on x86 the
// same plain moves.
template <SafeConfig Cfg>
std::uint32_t Interp<Cfg>::seqlock_begin_read(std::uint32_t& sequence) {
  std::uint32_t seq = std::atomic_ref<std::uint32_t>(sequence).load(std::memory_order_acquire);
  while (seq & 1) [[unlikely]] {
    std::this_thread::yield();
    seq = std::atomic_ref<std::uint32_t>(sequence).load(std::memory_order_acquire);
  }
  return seq;
}
template <SafeConfig Cfg>
bool Interp<Cfg>::seqlock_end_read(std::uint32_t& sequence, std::uint32_t previous) {
  if (std::atomic_ref<std::uint32_t>(sequence).load(std::memory_order_relaxed) == previous) return true;
  std::this_thread::yield();
  return false;
}

template <SafeConfig Cfg>
Object<typename Cfg::RC>* Interp<Cfg>::type_lookup_in(TS& ts, Class<RC>* cls, Type tp, Str<RC>* name) {
  using std::memory_order_acquire, std::memory_order_relaxed, std::memory_order_release;
  Tally& t = ts.counters.rc;
  auto tp_version = [&]() -> std::uint32_t {  // FT_ATOMIC_LOAD_UINT32_RELAXED(type->tp_version_tag)
    return cls != nullptr ? std::atomic_ref<std::uint32_t>(cls->version_tag).load(memory_order_relaxed)
                          : builtin_type_version(tp);
  };
  const std::uint32_t h = (tp_version() ^ std::uint32_t(reinterpret_cast<std::uintptr_t>(name) >> 3)) &
                          std::uint32_t(kTypeCacheSize - 1);  // MCACHE_HASH_METHOD
  TypeCacheEntry& entry = ts.rt.gen.type_cache[h];
  if constexpr (free_threaded_build<Cfg>()) {
    for (;;) {
      const std::uint32_t sequence = seqlock_begin_read(entry.sequence);
      const std::uint32_t entry_version = std::atomic_ref<std::uint32_t>(entry.version).load(memory_order_acquire);
      if (entry_version != tp_version() ||
          std::atomic_ref<const void*>(entry.name).load(memory_order_acquire) != name)
        break;  // a miss
      O* value = static_cast<O*>(std::atomic_ref<void*>(entry.value).load(memory_order_acquire));
      // _Py_TryIncref: a cached value is its class's (or the runtime's),
      // alive while the entry can name it, so the try always succeeds here.
      if (value != nullptr) incref_stack(ts, value, t);
      if (seqlock_end_read(entry.sequence, sequence)) return value;
      if (value != nullptr) decref_stack(ts, value, t);
    }
  } else {
    if (std::atomic_ref<std::uint32_t>(entry.version).load(memory_order_relaxed) == tp_version() &&
        std::atomic_ref<const void*>(entry.name).load(memory_order_relaxed) == name) {
      O* value = static_cast<O*>(std::atomic_ref<void*>(entry.value).load(memory_order_relaxed));
      if (value != nullptr) incref_stack(ts, value, t);  // Py_XINCREF
      return value;
    }
  }
  // The miss (once per type and name): under the type lock, a version tag
  // assigned if the class has none, the MRO searched, the entry filled
  // (update_cache: the version last, with release; 3.13t inside the
  // entry's seqlock write).
  O* value;
  std::uint32_t version;
  {
    std::lock_guard g(ts.rt.gen.type_lock);
    if (cls != nullptr) {
      version = std::atomic_ref<std::uint32_t>(cls->version_tag).load(memory_order_relaxed);
      if (version == 0) {  // assign_version_tag
        version = ts.rt.gen.versions.next_type++;
        std::atomic_ref<std::uint32_t>(cls->version_tag).store(version, memory_order_relaxed);
      }
      value = type_lookup<Cfg>(cls, name);  // find_name_in_mro
    } else {
      version = builtin_type_version(tp);
      const std::uint32_t which = Builtins<Cfg>::find_method(tp, name->view());
      value = which == kBuiltinCount ? nullptr : &ts.rt.method_descrs[which]->ob;
    }
    // _PySeqLock_LockWrite (writers are serialised by the lock): the
    // sequence odd, then every field stored with release, so a reader that
    // loads any new field (acquire) also sees the odd sequence afterwards
    // and retries; _PySeqLock_UnlockWrite: the next even sequence.
    std::atomic_ref<std::uint32_t> seq(entry.sequence);
    const std::uint32_t s0 = seq.load(memory_order_relaxed);
    seq.store(s0 + 1, memory_order_relaxed);
    std::atomic_ref<void*>(entry.value).store(value, memory_order_release);
    std::atomic_ref<const void*>(entry.name).store(name, memory_order_release);
    std::atomic_ref<std::uint32_t>(entry.version).store(version, memory_order_release);
    seq.store(s0 + 2, memory_order_release);
  }
  if (value != nullptr) incref_stack(ts, value, t);
  return value;
}

template <SafeConfig Cfg>
bool Interp<Cfg>::try_get_instance_attribute(TS& ts, Instance<RC>* obj, Str<RC>* name, O** attr) {
  // The values are valid while no dict was materialised (never here: an
  // instance that would need one is refused); the class's shared keys.
  if (obj->nvalues == 0) [[unlikely]]
    return false;
  // CACHED_KEYS(Py_TYPE(obj)), published once with release (set_attr).
  const DictKeys* keys = std::atomic_ref<DictKeys*>(obj->cls->cached_keys).load(std::memory_order_acquire);
  const std::int64_t ix = keys == nullptr ? kDkixEmpty : dict_keys_string_lookup_split(ts, keys, name);
  if (ix == kDkixEmpty) {
    *attr = nullptr;
    return true;
  }
  O** slot = &obj->values()[ix];
  if constexpr (free_threaded_build<Cfg>()) {
    O* value = std::atomic_ref<O*>(*slot).load(std::memory_order_acquire);
    if (value == nullptr) {
      *attr = nullptr;
      return true;
    }
    if (!runtime::detail::try_incref_compare_outlined(ts, slot, value)) [[unlikely]] {
      // 3.13t takes the object's critical section and _Py_XNewRefWithLock;
      // rclab's instances have no lock of their own (no workload stores an
      // attribute while another thread reads it): the reference marked so
      // that the next tries succeed.
      incref_with_lock(ts, value, ts.counters.rc);
    }
    *attr = value;
  } else {
    O* value = *slot;
    if (value != nullptr) incref_stack(ts, value, ts.counters.rc);  // Py_XNewRef
    *attr = value;
  }
  return true;
}

template <SafeConfig Cfg>
bool Interp<Cfg>::get_method(TS& ts, O* owner, Str<RC>* name, O** out) {
  Tally& t = ts.counters.rc;
  if (owner->type == Type::kModule || owner->type == Type::kLocal) {  // a tp_getattro of its own: PyObject_GetAttr, no method
    *out = get_attr(ts, owner, name);
    return false;
  }
  const TypeObject<Cfg>* tp = type_of<Cfg>(owner);
  // _PyType_IsReady; tp_getattro is PyObject_GenericGetAttr for every type
  // here; an exact str name.
  if (!(tp->tp_flags & kTpReady) || name->ob.type != Type::kStr) [[unlikely]]
    not_modelled("py313: PyObject_GetAttr's other paths are not modelled");
  // New stack references (3.14t's _PyObject_GetMethodStackRef: a deferred
  // method is pushed uncounted); 3.13's counted ones otherwise.
  O* descr = type_lookup_ref(ts, owner, name);
  bool meth_found = false;
  if (descr != nullptr && (type_of<Cfg>(descr)->tp_flags & kTpMethodDescriptor)) meth_found = true;
  // (No data descriptors here: no property, no slot members.)
  if ((tp->tp_flags & kTpInlineValues) && as<Instance>(owner)->cls->has_dict) {
    O* attr;
    if (!try_get_instance_attribute(ts, as<Instance>(owner), name, &attr)) [[unlikely]]
      not_modelled("py313: a materialised instance dict (not modelled)");
    if (attr != nullptr) {  // an instance attribute shadows the class's (a function is no data descriptor)
      *out = attr;
      if (descr != nullptr) decref_stack(ts, descr, t);
      return false;
    }
  }
  // No __dict__ to read: instances keep theirs inline, builtin types have none.
  if (descr == nullptr) [[unlikely]]
    not_modelled("AttributeError: the object has no such attribute");
  *out = descr;  // the lookup's reference moves to the result
  return meth_found;
}

template <SafeConfig Cfg>
Object<typename Cfg::RC>* Interp<Cfg>::generic_getattr(TS& ts, O* owner, Str<RC>* name) {
  Tally& t = ts.counters.rc;
  const TypeObject<Cfg>* tp = type_of<Cfg>(owner);
  incref(ts, &name->ob, t);  // Py_INCREF(name): interned, immortal
  if (!(tp->tp_flags & kTpReady)) [[unlikely]]
    fatal("py313: an unready type");
  O* descr = type_lookup_ref(ts, owner, name);
  O* res = nullptr;
  if ((tp->tp_flags & kTpInlineValues) && as<Instance>(owner)->cls->has_dict) {
    if (!try_get_instance_attribute(ts, as<Instance>(owner), name, &res)) [[unlikely]]
      not_modelled("py313: a materialised instance dict (not modelled)");
  }
  if (res == nullptr && descr != nullptr) {
    if (descr->type == Type::kFunction) {
      res = method_new(ts, descr, owner);  // func_descr_get: PyMethod_New (3.13t's methodcaller_call)
    } else {
      if (type_of<Cfg>(descr)->tp_flags & kTpMethodDescriptor) [[unlikely]]
        not_modelled("py313: a builtin method bound by LOAD_ATTR is not modelled");
      res = std::exchange(descr, nullptr);  // a plain class attribute: the lookup's reference moves
    }
  }
  if (descr != nullptr) decref_stack(ts, descr, t);  // Py_XDECREF(descr)
  decref(ts, &name->ob, t);
  if (res == nullptr) [[unlikely]]
    not_modelled("AttributeError: the instance has no such attribute");
  return res;
}

template <SafeConfig Cfg>
Object<typename Cfg::RC>* Interp<Cfg>::get_attr(TS& ts, O* owner, Str<RC>* name) {
  // PyObject_GetAttr: PyUnicode_Check(name), then the type's tp_getattro:
  // module_getattro for a module, PyObject_GenericGetAttr for the rest.
  if (name->ob.type != Type::kStr) [[unlikely]]
    not_modelled("TypeError: attribute name must be a string");
  if (owner->type == Type::kModule) return module_getattr(ts, as<Module>(owner), name);  // module_getattro
  if (owner->type == Type::kLocal) return local_getattr(ts, as<ThreadLocal>(owner), name);  // local_getattro
  if (owner->type == Type::kBuiltin && Builtins<Cfg>::table[as<Builtin>(owner)->which].is_type)
    return type_getattr(ts, owner, name);  // type_getattro
  return generic_getattr(ts, owner, name);
}

template <SafeConfig Cfg>
void Interp<Cfg>::set_attr(TS& ts, O* owner, Str<RC>* name, O* value) {
  Tally& t = ts.counters.rc;
  // PyObject_SetAttr: the name increfed around the type's tp_setattro (and
  // interned in place: it already is, immortal).
  incref(ts, &name->ob, t);
  if (owner->type == Type::kLocal) {
    local_setattr(ts, as<ThreadLocal>(owner), name, value);  // local_setattro
    decref(ts, &name->ob, t);
    return;
  }
  if (owner->type != Type::kInstance) not_modelled("AttributeError: only instances and locals take attributes here");
  Instance<RC>* obj = as<Instance>(owner);
  Class<RC>* cls = obj->cls;
  if (!cls->has_dict) not_modelled("AttributeError: the object has no __dict__ (its class sets __slots__)");
  // _PyObject_GenericSetAttrWithDict: the name and the (heap) type increfed
  // around it, a class attribute of that name looked up with a reference
  // (no data descriptors here: a function or a plain value is overridden by
  // the instance's attribute), all dropped at its end.
  incref(ts, &name->ob, t);
  incref(ts, &cls->ob, t);
  O* descr = type_lookup_ref(ts, owner, name);
  // The class's shared keys: made at the first store here (3.13 makes them
  // with the type), under the type lock, and published whole, for readers
  // load them unlocked.
  DictKeys* dk = std::atomic_ref<DictKeys*>(cls->cached_keys).load(std::memory_order_acquire);
  if (dk == nullptr) {
    std::lock_guard g(ts.rt.gen.type_lock);
    if (cls->cached_keys == nullptr)
      std::atomic_ref<DictKeys*>(cls->cached_keys).store(new_split_keys(ts), std::memory_order_release);
    dk = cls->cached_keys;
  }
  // A new key ends the keys' version, which the class's guards read.
  const std::int64_t index = insert_split_key(ts, dk, name, [&] {
    if constexpr (kTlbc)
      store_relaxed(cls->shared_keys_version, 0u);  // py313-tlbc's guards read it without the lock
    else
      cls->shared_keys_version = 0;
  });
  if (index < 0 || index >= std::int64_t(obj->nvalues))
    not_modelled("py313: more attributes than inline values (an instance dict is not modelled)");
  // _PyObject_StoreInstanceAttribute (store_instance_attr_lock_held): the
  // value increfed in (stored with release under 3.13t), the old one
  // dropped. Under 3.13t's object locks all of it runs in a critical
  // section on the instance (Py_BEGIN_CRITICAL_SECTION(obj)), which keeps
  // the inline values from being detached into a dict meanwhile.
  auto store = [&] {
    incref(ts, value, t);  // a heap reference: counted, deferred or not
    O** slot = &obj->values()[index];
    O* old = *slot;
    if constexpr (free_threaded_build<Cfg>())
      std::atomic_ref<O*>(*slot).store(value, std::memory_order_release);
    else
      *slot = value;
    if (old != nullptr) decref(ts, old, t);
  };
  if constexpr (kLockedContainers<Cfg>) {
    dictlock::Section cs(obj->mutex);
    store();
  } else {
    store();
  }
  if (descr != nullptr) decref_stack(ts, descr, t);  // Py_XDECREF(descr): type_lookup_ref's kind of reference
  decref(ts, &cls->ob, t);
  decref(ts, &name->ob, t);
  decref(ts, &name->ob, t);  // PyObject_SetAttr's
}

template <SafeConfig Cfg>
Instance<typename Cfg::RC>* Interp<Cfg>::instance_alloc(TS& ts, Class<RC>* cls) {
  // object_new: the instance, with room for every shared key inline
  // (none under `__slots__ = ()`), and a reference to its (heap) class.
  const std::uint32_t kSlots = cls->has_dict ? Class<RC>::kMaxSharedKeys : 0;
  auto* obj = ::new (alloc_block(ts, sizeof(Instance<RC>) + kSlots * sizeof(O*))) Instance<RC>;
  init_object(ts, &obj->ob, Type::kInstance);
  thread_incref(ts, &cls->ob, ts.counters.rc);  // _PyObject_Init's _Py_INCREF_TYPE
  obj->cls = cls;
  obj->dict = nullptr;
  obj->nvalues = kSlots;
  for (std::uint32_t i = 0; i < kSlots; ++i) obj->values()[i] = nullptr;
  return obj;
}

// _PyObject_Call_Prepend(func, first, argt, kwdict): a stack with `first`
// before the tuple's items (nothing counted), which
// _PyObject_FastCallDictTstate hands to the function's vectorcall as it is
// without keywords; with them it unpacks it (_PyStack_UnpackDict: a new
// array with every argument increfed, a new tuple of the names), then frees
// it (each dropped).
template <SafeConfig Cfg>
Object<typename Cfg::RC>* Interp<Cfg>::call_prepend(TS& ts, Function<RC>* func, O* first, Tuple<RC>* argt,
                                                    Dict<RC>* kwdict) {
  Tally& t = ts.counters.rc;
  const int nargs = int(argt->size);
  if (kwdict == nullptr) {
    O* argv[8];
    if (nargs + 1 > 8) not_modelled("py313: a call from C with more than 7 arguments is not modelled");
    argv[0] = first;
    for (int i = 0; i < nargs; ++i) argv[1 + i] = argt->items()[i];
    return call_from_c(ts, func, nullptr, argv, 1 + nargs);
  }
  const int nkw = int(kwdict->used);
  const int n = 1 + nargs + nkw;
  auto** stack = static_cast<O**>(alloc_block(ts, std::size_t(n + 1) * sizeof(O*)));  // PyMem_Malloc, one spare first
  O** argv = stack + 1;
  Tuple<RC>* names = tuple_new(ts, nkw);
  argv[0] = first;
  for (int i = 0; i < nargs; ++i) argv[1 + i] = argt->items()[i];
  for (int i = 0; i < 1 + nargs; ++i) incref(ts, argv[i], t);
  int k = 0;
  dict_for_each<Cfg>(kwdict, [&](Str<RC>* key, O* value) {
    incref(ts, &key->ob, t);
    names->items()[k] = &key->ob;
    incref(ts, value, t);
    argv[1 + nargs + k] = value;
    ++k;
  });
  O* res = call_from_c(ts, func, nullptr, argv, 1 + nargs, names);
  for (int i = 0; i < n; ++i) decref(ts, argv[i], t);  // _PyStack_UnpackDict_Free
  free_block(ts, stack, std::size_t(n + 1) * sizeof(O*));
  decref(ts, &names->ob, t);
  return res;
}

// type_call on a heap class (kwdict null: no keywords). With a `__new__`
// of its own, slot_tp_new: the function got from the class (type_getattr:
// the staticmethod's function, a new reference), called with the class
// prepended, dropped; type_call's tp_init is then object_init, which only
// checks the arguments (class_new refuses a class defining __init__ beside
// __new__). Otherwise object_new and slot_tp_init: `__init__` looked up
// (lookup_maybe_method: a new reference, unbound), called with the
// instance prepended, its None and the method dropped.
template <SafeConfig Cfg>
Object<typename Cfg::RC>* Interp<Cfg>::type_call(TS& ts, Class<RC>* cls, Tuple<RC>* argt, Dict<RC>* kwdict) {
  Tally& t = ts.counters.rc;
  if (cls->slot_new) {  // no __init__ beside it (class_new refuses one)
    O* func = type_getattr(ts, &cls->ob, ts.rt.intern_new);
    if (func->type != Type::kFunction) not_modelled("a __new__ other than a Python function is not modelled");
    O* res = call_prepend(ts, as<Function>(func), &cls->ob, argt, kwdict);
    decref(ts, func, t);
    return res;
  }
  if (cls->tuple_base) not_modelled("a subclass of tuple without a __new__ of its own is not modelled");
  Instance<RC>* obj = instance_alloc(ts, cls);
  O* init = type_lookup<Cfg>(cls, ts.rt.intern_init);
  if (init == nullptr || init->type != Type::kFunction)
    not_modelled("keyword arguments to a class without a Python __init__ are not modelled");
  incref(ts, init, t);  // lookup_maybe_method
  O* res = call_prepend(ts, as<Function>(init), &obj->ob, argt, kwdict);
  decref(ts, init, t);
  if (res != ts.rt.none) not_modelled("TypeError: __init__() should return None");
  decref(ts, res, t);
  return &obj->ob;
}

// _PyObject_MakeTpCall (a heap class has no vectorcall in 3.13): the
// positional arguments as a tuple (none: the immortal empty one), the
// keywords as a new dict (_PyStack_AsDict); type_call; the tuple and the
// dict dropped.
template <SafeConfig Cfg>
Object<typename Cfg::RC>* Interp<Cfg>::class_call_kw(TS& ts, Class<RC>* cls, O** args, int nargs,
                                                     Tuple<RC>* kwnames) {
  Tally& t = ts.counters.rc;
  const int nkw = int(kwnames->size);
  Tuple<RC>* argt = tuple_from_array(ts, args, nargs);
  Dict<RC>* kwdict = dict_new_presized(ts, nkw);
  for (int i = 0; i < nkw; ++i) dict_set(ts, kwdict, as<Str>(kwnames->items()[i]), args[nargs + i]);
  O* obj = type_call(ts, cls, argt, kwdict);
  decref(ts, &argt->ob, t);
  decref(ts, &kwdict->ob, t);
  return obj;
}

// type_getattro (_Py_type_getattro_impl) for `__new__` on a class or on the
// builtin tuple: the name looked up on the metatype first (type.__new__, a
// new reference; not a data descriptor, so dropped once the type's own is
// found), then on the type itself (_PyType_LookupRef: a new reference); a
// staticmethod's tp_descr_get gives a new reference to its function and
// the staticmethod is dropped; a builtin function (tuple.__new__) is
// returned as found.
template <SafeConfig Cfg>
Object<typename Cfg::RC>* Interp<Cfg>::type_getattr(TS& ts, O* type, Str<RC>* name) {
  Tally& t = ts.counters.rc;
  Class<RC>* cls = type->type == Type::kClass ? as<Class>(type) : nullptr;
  if (cls == nullptr && !is_builtin(type, kBuiltinTuple))
    not_modelled("py313: attributes of builtin types other than tuple are not modelled");
  if (name != ts.rt.intern_new) not_modelled("py313: type attributes other than __new__ are not modelled");
  O* meta = type_lookup_in(ts, nullptr, Type::kClass, name);
  O* attr = type_lookup_in(ts, cls, Type::kTuple, name);
  if (attr == nullptr) [[unlikely]]
    not_modelled("AttributeError: the type has no such attribute");
  if (meta != nullptr) decref_stack(ts, meta, t);
  if (attr->type != Type::kStaticMethod) return attr;
  O* res = as<StaticMethod>(attr)->callable;
  incref(ts, res, t);  // sm_descr_get
  decref_stack(ts, attr, t);
  return res;
}

template <SafeConfig Cfg>
Object<typename Cfg::RC>* Interp<Cfg>::class_call(TS& ts, Class<RC>* cls, O** args, int nargs) {
  Tally& t = ts.counters.rc;
  if (cls->slot_new || cls->tuple_base) {  // _PyObject_MakeTpCall's tuple, then type_call's slot_tp_new
    Tuple<RC>* argt = tuple_from_array(ts, args, nargs);
    O* obj = type_call(ts, cls, argt, nullptr);
    decref(ts, &argt->ob, t);
    return obj;
  }
  Instance<RC>* obj = instance_alloc(ts, cls);
  // slot_tp_init: __init__(self, *args) called from C, its result (None) dropped.
  if (O* init = type_lookup<Cfg>(cls, ts.rt.intern_init)) {
    if (init->type != Type::kFunction) not_modelled("TypeError: __init__ must be a function here");
    O* argv[8];
    if (nargs + 1 > 8) not_modelled("py313: __init__ with more than 7 arguments is not modelled");
    argv[0] = &obj->ob;
    for (int i = 0; i < nargs; ++i) argv[i + 1] = args[i];
    O* res = call_from_c(ts, as<Function>(init), nullptr, argv, nargs + 1);
    if (res != ts.rt.none) not_modelled("TypeError: __init__() should return None");
    decref(ts, res, t);
  }
  return &obj->ob;
}

template <SafeConfig Cfg>
Object<typename Cfg::RC>* Interp<Cfg>::vectorcall(TS& ts, O* callable, O** args, int nargs) {
  switch (callable->type) {
    case Type::kBuiltin: {
      Builtin<RC>* b = as<Builtin>(callable);
      const BuiltinDef<Cfg>& def = Builtins<Cfg>::table[b->which];
      if (def.self_type != Type::kCount && !def.new_wrapper) {  // a method descriptor: self is the first argument
        if (nargs < 1 || args[0]->type != def.self_type) not_modelled("TypeError: a method descriptor called on the wrong type");
        if (def.nargs >= 0 && nargs - 1 != def.nargs) not_modelled("TypeError: wrong number of arguments to a builtin method");
        return def.fn(ts, args[0], args + 1, nargs - 1);
      }
      if (def.nargs >= 0 && nargs != def.nargs) not_modelled("TypeError: wrong number of arguments to a builtin");
      return def.fn(ts, b->self, args, nargs);
    }
    case Type::kClass:
      return class_call(ts, as<Class>(callable), args, nargs);
    case Type::kMethodCaller:
      return methodcaller_call(ts, as<MethodCaller>(callable), args, nargs);
    case Type::kExcClass:  // no tp_vectorcall: _PyObject_MakeTpCall
      return exc_class_call(ts, as<ExcClass>(callable), args, nargs);
    case Type::kMethod: {  // method_vectorcall: self put first (args[-1] or a small stack: nothing counted)
      Method<RC>* m = as<Method>(callable);
      if (m->func->type != Type::kFunction || nargs + 1 > 8) not_modelled("py313: this bound method call is not modelled");
      O* argv[8];
      argv[0] = m->self;
      for (int i = 0; i < nargs; ++i) argv[i + 1] = args[i];
      return call_from_c(ts, as<Function>(m->func), nullptr, argv, nargs + 1);
    }
    default:
      not_modelled("TypeError: the object is not callable here");
  }
}

template <SafeConfig Cfg>
Object<typename Cfg::RC>* Interp<Cfg>::lookup_special(TS& ts, O* self, Str<RC>* name) {
  if (self->type != Type::kInstance) not_modelled("py313: special methods of builtin types are not modelled here");
  O* res = type_lookup_ref(ts, self, name);
  if (res == nullptr) not_modelled("TypeError: the object does not support the context manager protocol");
  if (res->type == Type::kFunction) {
    O* bound = method_new(ts, res, self);
    decref_stack(ts, res, ts.counters.rc);
    res = bound;
  }
  return res;
}

// 3.13 (methodcaller_vectorcall): PyObject_VectorcallMethod — the method
// looked up as LOAD_ATTR's method form does (_PyObject_GetMethod: a
// function on the class comes back unbound, a new reference), called with
// the object first, the reference dropped. 3.13t leaves that vectorcall
// unset (gh-127065: it writes an array every call shares), so the call is
// _PyObject_MakeTpCall's: the arguments packed into a tuple, then
// methodcaller_call — PyObject_GetAttr, which binds the function in a new
// method object, PyTuple_GetSlice's empty tuple (immortal), and
// PyObject_Call (method_vectorcall puts self first), each dropped after.
template <SafeConfig Cfg>
Object<typename Cfg::RC>* Interp<Cfg>::methodcaller_call(TS& ts, MethodCaller<RC>* mc, O** args, int nargs) {
  Tally& t = ts.counters.rc;
  if (nargs != 1) not_modelled("TypeError: methodcaller expected 1 argument");
  O* obj = args[0];
  if constexpr (!free_threaded_build<Cfg>()) {
    O* callable = nullptr;
    if (!get_method(ts, obj, mc->name, &callable) || callable->type != Type::kFunction)
      not_modelled("operator.methodcaller of what is not a Python method is not modelled");
    O* res = call_from_c(ts, as<Function>(callable), nullptr, &obj, 1);
    decref_stack(ts, callable, t);
    return res;
  } else {
    Tuple<RC>* argt = tuple_from_array(ts, &obj, 1);
    O* method = get_attr(ts, obj, mc->name);
    if (method->type != Type::kMethod) not_modelled("operator.methodcaller of what is not a Python method is not modelled");
    O* cargs = new_ref_to_immortal(ts, &ts.rt.empty_tuple->ob, t);  // PyTuple_GetSlice(xargs, 1, 1)
    O* res = vectorcall(ts, method, nullptr, 0);  // PyObject_Call: method_vectorcall
    decref(ts, cargs, t);
    decref(ts, method, t);
    decref(ts, &argt->ob, t);
    return res;
  }
}

template <SafeConfig Cfg>
Object<typename Cfg::RC>* Interp<Cfg>::build_class(TS& ts, O*, O** args, int nargs) {
  Tally& t = ts.counters.rc;
  if (nargs < 2 || args[0]->type != Type::kFunction || args[1]->type != Type::kStr || nargs > 3)
    not_modelled("TypeError: __build_class__(func, name[, base]) is all rclab models");
  Function<RC>* body = as<Function>(args[0]);
  Str<RC>* name = as<Str>(args[1]);
  Class<RC>* base = ts.rt.object_class;
  const bool tuple_base = nargs == 3 && is_builtin(args[2], kBuiltinTuple);
  if (nargs == 3 && !tuple_base) {
    if (args[2]->type != Type::kClass) not_modelled("TypeError: a base must be a class or tuple");
    base = as<Class>(args[2]);
  }
  // type.__prepare__: a new namespace; the body runs with it as its locals.
  Dict<RC>* ns = dict_new(ts);
  O* cell = call_from_c(ts, body, &ns->ob, nullptr, 0);
  decref(ts, cell, t);  // the body returns None (no __class__ cell here)
  Class<RC>* cls = class_new(ts, name, ns, base, tuple_base);
  decref(ts, &ns->ob, t);
  return &cls->ob;
}

template <SafeConfig Cfg>
Generator<typename Cfg::RC>* Interp<Cfg>::make_gen(TS& ts, Function<RC>* func) {
  Tally& t = ts.counters.rc;
  Code<RC>* code = func->code;
  if ((code->flags & (kCoGenerator | kCoCoroutine | kCoAsyncGenerator)) != kCoGenerator) [[unlikely]]
    not_modelled("py313: coroutines and async generators are not modelled");
  const std::uint32_t words = std::uint32_t(code->framesize);
  auto* gen = ::new (alloc_block(ts, sizeof(Generator<RC>) + words * sizeof(void*))) Generator<RC>;
  init_object(ts, &gen->ob, Type::kGenerator);  // PyObject_GC_NewVar
  gen->frame_words = words;
  gen->frame_state = kFrameCleared;
  gen->clear_frame = &gen_dealloc_frame;
  incref(ts, &func->name->ob, t);
  gen->name = func->name;
  incref(ts, &func->qualname->ob, t);
  gen->qualname = func->qualname;
  return gen;
}

template <SafeConfig Cfg>
Object<typename Cfg::RC>* Interp<Cfg>::gen_iternext(TS& ts, Generator<RC>* gen) {
  if (gen->frame_state == kFrameExecuting) [[unlikely]]
    not_modelled("ValueError: generator already executing");
  if (gen->frame_state >= kFrameCompleted) return nullptr;  // finished: PYGEN_ERROR with no exception
  F* frame = gen_iframe(gen);
  incref_stack(ts, ts.rt.none, ts.counters.rc);  // Py_NewRef(Py_None)
  frame->localsplus[frame->stacktop++] = ts.rt.none;
  gen->frame_state = kFrameExecuting;
  O* result = eval(ts, frame);
  if (gen->frame_state == kFrameSuspended) return result;  // PYGEN_NEXT
  if (result != ts.rt.none) [[unlikely]]
    not_modelled("a generator's return value (StopIteration's) is not modelled");
  decref(ts, result, ts.counters.rc);  // Py_CLEAR(result): NULL to gen_iternext's caller
  return nullptr;
}

template <SafeConfig Cfg>
void Interp<Cfg>::gen_dealloc_frame(void* tsv, Generator<RC>* gen) {
  TS& ts = *static_cast<TS*>(tsv);
  F* frame = gen_iframe(gen);
  if (gen->frame_state == kFrameCreated || gen->frame_state == kFrameSuspended) {
    if (gen->frame_state == kFrameSuspended) {  // gen_close's shortcut after a yield at depth 1, or an exception
      const std::uint16_t w = *frame->instr_ptr;
      constexpr std::uint32_t kResumeDepth1 = 4;  // RESUME_OPARG_DEPTH1_MASK
      if (kDeopt[opcode_of(w)] != RESUME || !(oparg_of(w) & kResumeDepth1)) [[unlikely]]
        not_modelled("closing a suspended generator throws GeneratorExit into it: exceptions in generators are not modelled");
    }
    gen->frame_state = kFrameCompleted;  // gen_close: its frame cleared below, Py_RETURN_NONE
    decref(ts, ts.rt.none, ts.counters.rc);  // _PyGen_Finalize's Py_DECREF(res)
  } else if (gen->frame_state != kFrameCleared) [[unlikely]] {
    fatal("gen_dealloc: a generator freed while it runs");
  }
  if (gen->frame_state != kFrameCleared) {  // gen_clear_frame
    gen->frame_state = kFrameCleared;
    frame->previous = nullptr;
    frame_clear_except_code(ts, frame);
  }
  decref_stack(ts, &frame->f_executable->ob, ts.counters.rc);  // Py_DECREF(_PyGen_GetCode(gen))
}

template <SafeConfig Cfg>
Object<typename Cfg::RC>* Interp<Cfg>::get_iter(TS& ts, O* iterable) {
  switch (iterable->type) {
    case Type::kGenerator:  // PyObject_SelfIter: Py_NewRef(self)
    case Type::kListIter:   // an iterator: 3.13.1+'s compilers put a GET_ITER
    case Type::kTupleIter:  // on a comprehension's iterator too
    case Type::kRangeIter:
      incref(ts, iterable, ts.counters.rc);
      return iterable;
    case Type::kList: return seq_iter_new(ts, iterable, Type::kListIter);    // list_iter: 1i on the list
    case Type::kTuple: return seq_iter_new(ts, iterable, Type::kTupleIter);  // tuple_iter: 1i on the tuple
    case Type::kRange: return range_iter_new(ts, as<Range>(iterable));      // fast_range_iter: no reference kept
    default: not_modelled("TypeError: the object is not iterable here");
  }
}

template <SafeConfig Cfg>
inline Object<typename Cfg::RC>* Interp<Cfg>::iter_next(TS& ts, O* iter) {
  switch (iter->type) {
    case Type::kListIter: return list_iter_next(ts, as<SeqIter>(iter));
    case Type::kTupleIter: return tuple_iter_next(ts, as<SeqIter>(iter));
    case Type::kRangeIter: return range_iter_next(ts, as<RangeIter>(iter));
    case Type::kGenerator: return gen_iternext(ts, as<Generator>(iter));
    default: not_modelled("TypeError: not an iterator");
  }
}

template <SafeConfig Cfg>
void Interp<Cfg>::unpack_iterable(TS& ts, O* seq, int n, O** top) {
  O* it = get_iter(ts, seq);
  for (int i = 0; i < n; ++i) {
    O* w = iter_next(ts, it);
    if (w == nullptr) [[unlikely]]
      not_modelled("ValueError: not enough values to unpack");
    to_stack(ts, w);  // a counted result becomes a stack reference
    *--top = w;
  }
  if (O* w = iter_next(ts, it)) [[unlikely]] {
    (void)w;
    not_modelled("ValueError: too many values to unpack");
  }
  decref(ts, it, ts.counters.rc);
}

// ---------------------------------------------------------------------------
// Exceptions.

template <SafeConfig Cfg>
void Interp<Cfg>::set_object(TS& ts, ExcClass<RC>* type, O* value) {
  bool is_subclass = false;
  if (value != nullptr && value->type == Type::kException)
    is_subclass = exc_class_is_subtype(as<Exception>(value)->cls, type);  // PyObject_IsSubclass: no counts
  if (value != nullptr) incref(ts, value);  // Py_XINCREF(value)
  if (!is_subclass) {
    set_raised(ts, nullptr);  // _PyErr_Clear
    Exc* fixed = create_exception(ts, type, value);
    if (value != nullptr) decref(ts, value);  // Py_XSETREF(value, fixed_value)
    value = &fixed->ob;
  }
  Exc* v = as<Exception>(value);
  if (O* exc_value = static_cast<O*>(ts.gen.exc_value)) {  // _PyErr_GetTopmostException: the base item
    incref(ts, exc_value);
    if (exc_value != value) {
      // Floyd's cycle check along the handled exception's __context__
      // chain; each PyException_GetContext is a new reference, dropped.
      O* o = exc_value;
      O* slow_o = o;
      bool slow_update_toggle = false;
      while (O* context = as<Exception>(o)->context) {
        incref(ts, context);
        decref(ts, context);
        if (context == value) {
          xdecref(ts, std::exchange(as<Exception>(o)->context, nullptr));  // PyException_SetContext(o, NULL)
          break;
        }
        o = context;
        if (o == slow_o) break;
        if (slow_update_toggle) {
          slow_o = as<Exception>(slow_o)->context;
          incref(ts, slow_o);
          decref(ts, slow_o);
        }
        slow_update_toggle = !slow_update_toggle;
      }
      xdecref(ts, std::exchange(v->context, exc_value));  // PyException_SetContext steals exc_value
    } else {
      decref(ts, exc_value);
    }
  }
  O* tb = v->traceback;  // PyException_GetTraceback: Py_XNewRef
  if (tb != nullptr) incref(ts, tb);
  // _PyErr_Restore(Py_NewRef(Py_TYPE(value)), value, tb): already normalised.
  incref(ts, &v->cls->ob);
  xdecref(ts, std::exchange(v->traceback, tb));
  set_raised(ts, v);
  decref(ts, &v->cls->ob);
}

template <SafeConfig Cfg>
bool Interp<Cfg>::do_raise(TS& ts, O* exc, O* cause) {
  if (exc == nullptr) {  // a bare `raise`: the exception being handled, again
    O* handled = static_cast<O*>(ts.gen.exc_value);
    if (handled == nullptr) not_modelled("RuntimeError: No active exception to reraise");
    incref(ts, handled);
    set_raised(ts, as<Exception>(handled));
    return true;
  }
  ExcClass<RC>* type;
  O* value;
  if (exc->type == Type::kExcClass) {  // raise <class>: _PyObject_CallNoArgs(exc)
    type = as<ExcClass>(exc);
    value = exc_class_call(ts, type, nullptr, 0);
  } else if (exc->type == Type::kException) {  // raise <instance>
    value = exc;
    type = as<Exception>(exc)->cls;
    incref(ts, &type->ob);
  } else {
    not_modelled("TypeError: exceptions must derive from BaseException");
  }
  if (cause != nullptr) {
    O* fixed_cause;
    if (cause->type == Type::kExcClass) {
      fixed_cause = exc_class_call(ts, as<ExcClass>(cause), nullptr, 0);
      decref(ts, cause);
    } else if (cause->type == Type::kException) {
      fixed_cause = cause;
    } else if (cause == ts.rt.none) {
      decref(ts, cause);
      fixed_cause = nullptr;
    } else {
      not_modelled("TypeError: exception causes must derive from BaseException");
    }
    Exc* v = as<Exception>(value);  // PyException_SetCause: steals fixed_cause
    v->suppress_context = true;
    xdecref(ts, std::exchange(v->cause, fixed_cause));
  }
  set_object(ts, type, value);
  decref(ts, value);  // _PyErr_SetObject increfed its arguments
  decref(ts, &type->ob);
  return false;
}

template <SafeConfig Cfg>
void Interp<Cfg>::traceback_here(TS& ts, F* frame) {
  FrameObject<RC>* f = frame_get_object(ts, frame);
  Exc* exc = take_raised(ts);  // put back below
  Traceback<RC>* tb = exc->traceback != nullptr ? as<Traceback>(exc->traceback) : nullptr;  // PyException_GetTraceback
  if (tb != nullptr) incref(ts, &tb->ob);
  // _PyTraceBack_FromFrame: tb_lasti in bytes (_PyInterpreterFrame_LASTI * 2).
  const auto lasti = std::int32_t((frame->instr_ptr - bytecode_of(frame)) * std::int32_t(sizeof(std::uint16_t)));
  Traceback<RC>* newtb = traceback_new(ts, tb, &f->ob, lasti);
  if (tb != nullptr) decref(ts, &tb->ob);
  exception_set_traceback(ts, exc, newtb);
  decref(ts, &newtb->ob);
  set_raised(ts, exc);
}

template <SafeConfig Cfg>
void Interp<Cfg>::exception_escapes(TS& ts, const char* where) {
  const Exc* e = raised(ts);
  const std::string what = std::string(e != nullptr ? e->cls->name->view() : std::string_view("?")) + " " + where;
  not_modelled(what.c_str());
}

template <SafeConfig Cfg>
Object<typename Cfg::RC>* Interp<Cfg>::object_get_item(TS& ts, O* container, O* key) {
  if (container == nullptr || key == nullptr) [[unlikely]]
    fatal("SystemError: null argument to PyObject_GetItem");
  if (container->type == Type::kList || container->type == Type::kTuple || container->type == Type::kTupleSub)
    return sequence_subscript(ts, container, key);
  if (container->type != Type::kDict) [[unlikely]]
    not_modelled("TypeError: only dicts, lists and tuples subscript here");
  O* v = runtime::dict_subscript(ts, as<Dict>(container), key);  // tp_as_mapping->mp_subscript
  if (v == nullptr) [[unlikely]]
    raise_key_error(ts, key);
  return v;
}

// list_subscript and tuplesubscript for an int index (3.13's
// Objects/listobject.c, tupleobject.c; the generic path, before the
// specialiser's BINARY_SUBSCR_LIST_INT and _TUPLE_INT). PyNumber_AsSsize_t
// takes and drops a reference to the index (_PyNumber_Index's Py_NewRef; a
// small int is immortal). The item is a new reference: list_get_item_ref
// under 3.13t's locked containers, as list iteration reads it; Py_NewRef
// otherwise.
template <SafeConfig Cfg>
Object<typename Cfg::RC>* Interp<Cfg>::sequence_subscript(TS& ts, O* container, O* key) {
  if (key->type != Type::kInt) [[unlikely]]
    not_modelled("TypeError: indices must be integers");
  incref(ts, key);
  std::int64_t i = int_value(as<Int>(key));
  decref(ts, key);
  if (container->type == Type::kTuple || container->type == Type::kTupleSub) {  // a subclass's: tuplesubscript
    Tuple<RC>* tup = as<Tuple>(container);
    if (i < 0) i += tup->size;
    if (i < 0 || i >= tup->size) [[unlikely]]
      not_modelled("IndexError: tuple index out of range");
    incref(ts, tup->items()[i]);
    return tup->items()[i];
  }
  List<RC>* l = as<List>(container);
  if (i < 0) i += runtime::detail::load<kLockedContainers<Cfg>>(l->size);
  if (i < 0) [[unlikely]]
    not_modelled("IndexError: list index out of range");
  if constexpr (kLockedContainers<Cfg>) {
    O* item = list_get_item_ref(ts, l, i, ts.counters.rc);
    if (item == nullptr) [[unlikely]]
      not_modelled("IndexError: list index out of range");
    from_stack(ts, item);  // a counted reference, deferred or not (as list_iter_next)
    return item;
  } else {
    if (i >= l->size) [[unlikely]]
      not_modelled("IndexError: list index out of range");
    incref(ts, l->items[i]);
    return l->items[i];
  }
}

template <SafeConfig Cfg>
void Interp<Cfg>::object_set_item(TS& ts, O* container, O* key, O* value) {
  if (container == nullptr || key == nullptr || value == nullptr) [[unlikely]]
    fatal("SystemError: null argument to PyObject_SetItem");
  if (container->type != Type::kDict) [[unlikely]]
    not_modelled("TypeError: only dicts are stored into here");
  dict_ass_sub(ts, container, key, value);  // tp_as_mapping->mp_ass_subscript
}

template <SafeConfig Cfg>
void Interp<Cfg>::dict_ass_sub(TS& ts, O* container, O* key, O* value) {
  if (value == nullptr) [[unlikely]]
    not_modelled("py313: deleting a key is not modelled");
  dict_set(ts, as<Dict>(container), key, value);  // PyDict_SetItem
}

template <SafeConfig Cfg>
Object<typename Cfg::RC>* Interp<Cfg>::dict_from_items(TS& ts, O* const* keys, int key_step, O* const* values,
                                                       int value_step, int n) {
  bool unicode = true;  // every key a str: the presized table is a unicode one
  for (int i = 0; i < n && unicode; ++i) unicode = keys[i * key_step]->type == Type::kStr;
  Dict<RC>* d = dict_new_presized(ts, n, unicode);  // dict_new_presized: room for n without a resize
  for (int i = 0; i < n; ++i) dict_set(ts, d, keys[i * key_step], values[i * value_step]);  // insertdict's 2i
  return &d->ob;
}

// ---------------------------------------------------------------------------
// The eval loop.

template <SafeConfig Cfg>
Object<typename Cfg::RC>* Interp<Cfg>::eval(TS& ts_in, F* frame) {
  TS& ts = tstate_get(ts_in);  // the thread state, as _PyEval_EvalFrameDefault gets it
  Tally t;                     // in registers; added to ts.counters on return
  const EvalBreaker& breaker = ts.rt.breaker;
  auto& versions = ts.rt.gen.versions;
  (void)versions;

  // The C stack's entry frame: the callee returns into it, and its one
  // instruction, INTERPRETER_EXIT, leaves the loop.
  // A return resumes it at instr_ptr + 0 (return_offset), a yield at
  // instr_ptr + 2 (YIELD_VALUE's LOAD_IP(1 + INLINE_CACHE_ENTRIES_SEND)):
  // both reach an INTERPRETER_EXIT, as 3.13's trampoline instructions do.
  static std::uint16_t trampoline[3] = {unit(INTERPRETER_EXIT), unit(NOP), unit(INTERPRETER_EXIT)};
  F entry{};
  entry.instr_ptr = trampoline;
  entry.stacktop = 0;
  entry.owner = kOwnedByCStack;
  entry.previous = static_cast<F*>(ts.gen.current_frame);
  frame->previous = &entry;
  ts.gen.c_recursion_remaining -= 2 - 1;  // PY_EVAL_C_STACK_UNITS - 1
  if (--ts.gen.c_recursion_remaining < 0) [[unlikely]]
    not_modelled("RecursionError: maximum C recursion depth exceeded");

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
  // Every opcode's label, by number: a full 256-entry table, as CPython's
  // opcode_targets.h, so that a dispatch is one load and one jump
  // (runtime/label_table.h).
  static void* const targets[256] = RCLAB_LABEL_TABLE(RCLAB_PY313_EVERY_OP);

  std::uint16_t* next_instr;
  std::uint16_t* this_instr;
  O** sp;
  std::uint32_t oparg;
  std::uint8_t opcode;

  // NEXTOPARG and DISPATCH_GOTO.
#define RCLAB_DISPATCH()                  \
  do {                                    \
    const std::uint16_t w_ = *next_instr; \
    opcode = opcode_of(w_);               \
    oparg = oparg_of(w_);                 \
    goto* targets[opcode];                \
  } while (0)
  // The instruction prologue: its address in the frame, then past it and its caches.
// CALL's operands (every form's): the callable, self or NULL, then oparg
// arguments; with a self, `args` starts at it and `total` counts it (3.13's
// total_args).
#define RCLAB_CALL_OPERANDS()               \
  O** args = sp - oparg;                    \
  O* self_or_null = sp[-1 - int(oparg)];    \
  O* callable = sp[-2 - int(oparg)];        \
  int total = int(oparg);                   \
  if (self_or_null != nullptr) {            \
    --args;                                 \
    ++total;                                \
  }                                         \
  static_assert(true)
// DISPATCH_INLINED (CALL, CALL_KW): the caller's stack top and return
// offset saved, the callee's frame linked and run. `sp` already excludes
// what the callee took.
#define RCLAB_DISPATCH_INLINED(callee)                                \
  do {                                                               \
    if ((callee) == nullptr) [[unlikely]]                            \
      fatal("py313: a call failed");                                 \
    frame->stacktop = std::int32_t(sp - frame->localsplus);          \
    frame->return_offset = std::uint16_t(next_instr - this_instr);   \
    (callee)->previous = frame;                                      \
    frame = (callee);                                                \
    goto start_frame;                                                \
  } while (0)
// _PUSH_FRAME (CALL_PY_EXACT_ARGS, CALL_PY_GENERAL, FOR_ITER_GEN): the
// caller's stack top saved, the callee linked and entered without C
// recursion. The caller's return offset is already set.
#define RCLAB_PUSH_FRAME(callee)                                \
  do {                                                          \
    frame->stacktop = std::int32_t(sp - frame->localsplus);     \
    (callee)->previous = frame;                                 \
    frame = (callee);                                           \
    ts.gen.current_frame = frame;                               \
    --ts.gen.py_recursion_remaining;                            \
    sp = frame->localsplus + frame->stacktop;                   \
    frame->stacktop = -1;                                       \
    next_instr = frame->instr_ptr;                              \
    ++ts.counters.calls;                                        \
    RCLAB_DISPATCH();                                           \
  } while (0)
#define RCLAB_INST(units)           \
  frame->instr_ptr = next_instr;    \
  this_instr = next_instr;          \
  next_instr += (units)
  // DEOPT_IF: on a miss the base instruction runs, from just past its prologue.
// LOAD_GLOBAL's push, every form's: the value and, when oparg's low bit
// asks, the NULL that CALL expects beside a callable (3.11+).
#define RCLAB_PUSH_GLOBAL(v)           \
  do {                                 \
    sp[0] = (v);                       \
    if (oparg & 1) sp[1] = nullptr;    \
    sp += 1 + (oparg & 1);             \
  } while (0)
#define RCLAB_DEOPT_IF(cond, base) \
  do {                             \
    if (cond) [[unlikely]]         \
      goto pred_##base;            \
  } while (0)
  // The specialiser rewrote this instruction: run it again, same oparg.
#define RCLAB_DISPATCH_SAME_OPARG()  \
  do {                               \
    next_instr = this_instr;         \
    opcode = opcode_of(*next_instr); \
    goto* targets[opcode];           \
  } while (0)
  // The stack top is saved around handle_pending, as 3.13's escaping calls
  // save it (_PyFrame_SetStackPointer): a collection scans the frame.
#define RCLAB_CHECK_EVAL_BREAKER()                                  \
  do {                                                              \
    poll_rc_safepoint(ts);                                          \
    poll_quiescent(ts);                                             \
    if (breaker.any()) [[unlikely]] {                               \
      frame->stacktop = std::int32_t(sp - frame->localsplus);       \
      handle_pending(ts);                                           \
      frame->stacktop = -1;                                         \
    }                                                               \
  } while (0)
#define RCLAB_CONSTS() (frame->f_executable->consts->items())
#define RCLAB_NAMES() (frame->f_executable->names->items())
#define RCLAB_SPECIALIZE(...)                                       \
  if constexpr (Cfg::Gen::kSpecializes) {                           \
    if (Counter::triggers(this_instr[1])) {                         \
      __VA_ARGS__;                                                  \
      RCLAB_DISPATCH_SAME_OPARG();                                  \
    }                                                               \
    this_instr[1] = Counter::advance(this_instr[1]);                \
  }

  // start_frame: _Py_EnterRecursivePy, then the frame's first instruction.
start_frame:
  if (ts.gen.py_recursion_remaining-- <= 0) [[unlikely]]
    not_modelled("RecursionError: maximum recursion depth exceeded");
  ts.gen.current_frame = frame;
  next_instr = frame->instr_ptr;
  sp = frame->localsplus + frame->stacktop;
  frame->stacktop = -1;
  ++ts.counters.calls;
  RCLAB_DISPATCH();

op_unknown:
  fatal("py313: an opcode the loader should have refused");

op_NOP: {
  RCLAB_INST(1);
  RCLAB_DISPATCH();
}
op_EXTENDED_ARG: {
  RCLAB_INST(1);
  const std::uint16_t w = *next_instr;
  opcode = opcode_of(w);
  oparg = oparg << 8 | oparg_of(w);
  goto* targets[opcode];
}
op_RESUME: {
  RCLAB_INST(1);
pred_RESUME:
  if constexpr (kTlbc) {
    // _LOAD_BYTECODE: a frame that is not in its thread's copy of the
    // bytecode (it started in the main copy, before the thread had one)
    // moves there, the copy made now if need be, and runs this RESUME again
    // in it (runtime/py313/tlbc.h). So no thread quickens or specialises a
    // copy but its own.
    if (frame->tlbc.index != ts.gen.tlbc_index) [[unlikely]] {
      next_instr = tlbc_switch(ts, frame, this_instr);
      RCLAB_DISPATCH();
    }
  }
  // _MAYBE_INSTRUMENT: the code's instrumentation version against the
  // eval-breaker word's (3.13t checks it every time, for thread safety; 3.13
  // unless tracing). Nothing instruments here (sys.monitoring is absent), so
  // they always match; then _QUICKEN_RESUME: the first execution quickens
  // RESUME into RESUME_CHECK (py313-tlbc: in this thread's copy).
  if (ts.tracing == 0 || !Cfg::Gen::kSpecializes) {
    const std::uint32_t global_version = breaker.word() & ~EvalBreaker::kEventsMask;
    const std::uintptr_t code_version =
        std::atomic_ref<std::uintptr_t>(frame->f_executable->instrumentation_version).load(std::memory_order_acquire);
    if (code_version != global_version) [[unlikely]]
      not_modelled("py313: instrumented code (sys.monitoring is not modelled)");
    if (opcode_of(*this_instr) == RESUME) {
      if constexpr (Cfg::Gen::kSpecializes) set_opcode(this_instr, RESUME_CHECK);
    }
  }
  if ((oparg & kResumeLocationMask) < kResumeAfterYieldFrom) RCLAB_CHECK_EVAL_BREAKER();
  RCLAB_DISPATCH();
}
op_RESUME_CHECK: {
  RCLAB_INST(1);
  // The whole eval-breaker word against the code's instrumentation version
  // (0): anything pending runs RESUME, which handles it.
  RCLAB_DEOPT_IF(breaker.any(), RESUME);
  if constexpr (refcount::HasSafepoint<RC>) RCLAB_DEOPT_IF(RC::has_pending(ts.rc), RESUME);
  if constexpr (kTlbc) RCLAB_DEOPT_IF(frame->tlbc.index != ts.gen.tlbc_index, RESUME);  // 3.14t's, too
  RCLAB_DISPATCH();
}

op_LOAD_FAST: {
  RCLAB_INST(1);
  O* v = frame->localsplus[oparg];
  incref_stack(ts, v, t);
  *sp++ = v;
  RCLAB_DISPATCH();
}
op_LOAD_FAST_CHECK: {  // a local the compiler cannot prove bound (after an except clause)
  RCLAB_INST(1);
  O* v = frame->localsplus[oparg];
  if (v == nullptr) [[unlikely]]
    not_modelled("UnboundLocalError");
  incref_stack(ts, v, t);
  *sp++ = v;
  RCLAB_DISPATCH();
}
// An inlined comprehension saves its loop variable's outer value (null if
// unbound) on the stack, the local cleared without a count; a STORE_FAST
// puts it back after the loop.
op_LOAD_FAST_AND_CLEAR: {
  RCLAB_INST(1);
  *sp++ = std::exchange(frame->localsplus[oparg], nullptr);
  RCLAB_DISPATCH();
}
op_LOAD_FAST_LOAD_FAST: {
  RCLAB_INST(1);
  O* v1 = frame->localsplus[oparg >> 4];
  O* v2 = frame->localsplus[oparg & 15];
  incref_stack(ts, v1, t);
  incref_stack(ts, v2, t);
  sp[0] = v1;
  sp[1] = v2;
  sp += 2;
  RCLAB_DISPATCH();
}
op_LOAD_CONST: {
  RCLAB_INST(1);
  O* v = RCLAB_CONSTS()[oparg];
  incref_stack(ts, v, t);
  *sp++ = v;
  RCLAB_DISPATCH();
}
op_DELETE_FAST: {  // SETLOCAL(oparg, NULL): `del x`, and an except clause's `as` name
  RCLAB_INST(1);
  O* v = frame->localsplus[oparg];
  if (v == nullptr) [[unlikely]]
    not_modelled("UnboundLocalError");
  frame->localsplus[oparg] = nullptr;
  decref_stack(ts, v, t);
  RCLAB_DISPATCH();
}
op_STORE_FAST: {
  RCLAB_INST(1);
  set_local(ts, frame, oparg, *--sp);
  RCLAB_DISPATCH();
}
// STORE_FAST then LOAD_FAST, in one instruction: the old value of the
// first local dropped (SETLOCAL), the second's new reference pushed.
op_STORE_FAST_LOAD_FAST: {
  RCLAB_INST(1);
  set_local(ts, frame, oparg >> 4, sp[-1]);
  O* v = frame->localsplus[oparg & 15];
  if (v == nullptr) [[unlikely]]
    not_modelled("UnboundLocalError");
  incref_stack(ts, v, t);
  sp[-1] = v;
  RCLAB_DISPATCH();
}
// Two STORE_FASTs (`a, b = ...` after UNPACK_SEQUENCE): the top into the
// first local, the next into the second, each old value dropped.
op_STORE_FAST_STORE_FAST: {
  RCLAB_INST(1);
  set_local(ts, frame, oparg >> 4, sp[-1]);
  set_local(ts, frame, oparg & 15, sp[-2]);
  sp -= 2;
  RCLAB_DISPATCH();
}
op_POP_TOP: {
  RCLAB_INST(1);
  decref_stack(ts, *--sp, t);
  RCLAB_DISPATCH();
}
op_COPY: {  // (bottom, unused[oparg-1] -- bottom, unused[oparg-1], top): Py_NewRef
  RCLAB_INST(1);
  O* bottom = sp[-int(oparg)];
  incref_stack(ts, bottom, t);
  *sp++ = bottom;
  RCLAB_DISPATCH();
}
op_SWAP: {  // (bottom, unused[oparg-2], top -- top, unused[oparg-2], bottom): no count moves
  RCLAB_INST(1);
  std::swap(sp[-1], sp[-int(oparg)]);
  RCLAB_DISPATCH();
}
op_END_FOR: {  // POP_TOP: FOR_ITER's exhaustion jumps over it; a generator's return (FOR_ITER_GEN) lands on it with None
  RCLAB_INST(1);
  O* v = *--sp;
  decref_stack(ts, v, t);
  RCLAB_DISPATCH();
}
op_PUSH_NULL: {
  RCLAB_INST(1);
  *sp++ = nullptr;
  RCLAB_DISPATCH();
}

// --- globals and names -------------------------------------------------------

op_LOAD_GLOBAL: {
  RCLAB_INST(5);
pred_LOAD_GLOBAL:
  RCLAB_SPECIALIZE(if constexpr (kTlbc) specialize_load_global_ft(ts, versions, frame->f_globals, frame->f_builtins,
                                                                  this_instr, as<Str>(RCLAB_NAMES()[oparg >> 1]));
                   else specialize_load_global(versions, frame->f_globals, frame->f_builtins, this_instr,
                                               as<Str>(RCLAB_NAMES()[oparg >> 1])))
  Str<RC>* name = as<Str>(RCLAB_NAMES()[oparg >> 1]);
  if (!dict_exact(frame->f_globals) || !dict_exact(frame->f_builtins)) [[unlikely]]
    not_modelled("LOAD_GLOBAL: only exact dicts are modelled");
  O* v = dict_load_global(ts, frame->f_globals, frame->f_builtins, name);  // _PyDict_LoadGlobal: a new reference
  if (v == nullptr) [[unlikely]]
    not_modelled("NameError: a global name is not defined");
  RCLAB_PUSH_GLOBAL(v);
  RCLAB_DISPATCH();
}
op_LOAD_GLOBAL_MODULE: {
  RCLAB_INST(5);
  Dict<RC>* g = frame->f_globals;
  RCLAB_DEOPT_IF(!dict_exact(g), LOAD_GLOBAL);
  if constexpr (kTlbc) {
    // _GUARD_GLOBALS_VERSION and _LOAD_GLOBAL_MODULE without a GIL: the
    // keys object once (acquire), its version, and the cached entry of that
    // same keys object; the value loaded and a reference tried on it
    // (_Py_TryIncrefCompareStackRef); any miss deopts.
    const DictKeys* dk = guarded_keys(g, this_instr[2]);
    RCLAB_DEOPT_IF(dk == nullptr, LOAD_GLOBAL);
    O* const* slot = &dk_unicode_entries<RC>(dk)[this_instr[4]].value;
    O* v = runtime::detail::load<true>(*slot);  // 3.14t: relaxed; acquire, a plain move on x86, for TSan
    RCLAB_DEOPT_IF(v == nullptr, LOAD_GLOBAL);
    RCLAB_DEOPT_IF(!try_incref_compare(ts, slot, v, t), LOAD_GLOBAL);
    RCLAB_PUSH_GLOBAL(v);
    RCLAB_DISPATCH();
  }
  RCLAB_DEOPT_IF(g->keys->version != this_instr[2], LOAD_GLOBAL);
  O* v = dk_unicode_entries<RC>(g->keys)[this_instr[4]].value;
  RCLAB_DEOPT_IF(v == nullptr, LOAD_GLOBAL);
  incref_stack(ts, v, t);
  RCLAB_PUSH_GLOBAL(v);
  RCLAB_DISPATCH();
}
op_LOAD_GLOBAL_BUILTIN: {
  RCLAB_INST(5);
  Dict<RC>* g = frame->f_globals;
  RCLAB_DEOPT_IF(!dict_exact(g), LOAD_GLOBAL);
  if constexpr (kTlbc) {
    // The globals' version alone (the name is still not there), then the
    // builtins' entry as LOAD_GLOBAL_MODULE's, from the builtins' keys
    // object that passed the guard.
    RCLAB_DEOPT_IF(guarded_keys(g, this_instr[2]) == nullptr, LOAD_GLOBAL);
    Dict<RC>* b = frame->f_builtins;
    RCLAB_DEOPT_IF(!dict_exact(b), LOAD_GLOBAL);
    const DictKeys* dk = guarded_keys(b, this_instr[3]);
    RCLAB_DEOPT_IF(dk == nullptr, LOAD_GLOBAL);
    O* const* slot = &dk_unicode_entries<RC>(dk)[this_instr[4]].value;
    O* v = runtime::detail::load<true>(*slot);
    RCLAB_DEOPT_IF(v == nullptr, LOAD_GLOBAL);
    RCLAB_DEOPT_IF(!try_incref_compare(ts, slot, v, t), LOAD_GLOBAL);
    RCLAB_PUSH_GLOBAL(v);
    RCLAB_DISPATCH();
  }
  RCLAB_DEOPT_IF(g->keys->version != this_instr[2], LOAD_GLOBAL);
  Dict<RC>* b = frame->f_builtins;
  RCLAB_DEOPT_IF(!dict_exact(b), LOAD_GLOBAL);
  RCLAB_DEOPT_IF(b->keys->version != this_instr[3], LOAD_GLOBAL);
  O* v = dk_unicode_entries<RC>(b->keys)[this_instr[4]].value;
  RCLAB_DEOPT_IF(v == nullptr, LOAD_GLOBAL);
  incref_stack(ts, v, t);
  RCLAB_PUSH_GLOBAL(v);
  RCLAB_DISPATCH();
}
op_LOAD_NAME: {
  RCLAB_INST(1);
  Str<RC>* name = as<Str>(RCLAB_NAMES()[oparg]);
  O* locals = frame->f_locals;
  if (locals == nullptr || locals->type != Type::kDict) [[unlikely]]
    fatal("SystemError: no locals found");
  O* v = dict_load(ts, as<Dict>(locals), name, t);                       // PyMapping_GetOptionalItem
  if (v == nullptr) v = dict_load(ts, frame->f_globals, name, t);        // PyDict_GetItemRef
  if (v == nullptr) v = dict_load(ts, frame->f_builtins, name, t);
  if (v == nullptr) [[unlikely]]
    not_modelled("NameError: a name is not defined");
  *sp++ = v;
  RCLAB_DISPATCH();
}
op_STORE_NAME: {
  RCLAB_INST(1);
  Str<RC>* name = as<Str>(RCLAB_NAMES()[oparg]);
  O* v = *--sp;
  O* ns = frame->f_locals;
  if (ns == nullptr || ns->type != Type::kDict) [[unlikely]]
    fatal("SystemError: no locals found when storing a name");
  dict_set(ts, as<Dict>(ns), name, v);  // PyDict_SetItem
  decref_stack(ts, v, t);
  RCLAB_DISPATCH();
}
op_LOAD_BUILD_CLASS: {
  RCLAB_INST(1);
  O* bc = dict_load(ts, frame->f_builtins, ts.rt.intern_build_class, t);
  if (bc == nullptr) [[unlikely]]
    not_modelled("NameError: __build_class__ not found");
  *sp++ = bc;
  RCLAB_DISPATCH();
}

// --- arithmetic and comparisons ----------------------------------------------

op_BINARY_OP: {
  RCLAB_INST(2);
pred_BINARY_OP:
  RCLAB_SPECIALIZE(specialize_binary_op(sp[-2], sp[-1], this_instr, oparg))
  O* rhs = sp[-1];
  O* lhs = sp[-2];
  O* res;
  switch (oparg) {  // _PyEval_BinaryOps[oparg]: PyNumber_Add, ...
    case kNbAdd: res = number_add(ts, lhs, rhs); break;
    case kNbSubtract: res = number_subtract(ts, lhs, rhs); break;
    case kNbInplaceAdd: res = number_inplace_add(ts, lhs, rhs); break;
    case kNbMultiply: res = number_multiply(ts, lhs, rhs); break;
    case kNbInplaceMultiply: res = number_inplace_multiply(ts, lhs, rhs); break;
    default: res = number_true_divide(ts, lhs, rhs); break;  // NB_(INPLACE_)TRUE_DIVIDE: no in-place slot here
  }
  to_stack(ts, res);
  decref_stack(ts, lhs, t);
  decref_stack(ts, rhs, t);
  sp[-2] = res;
  --sp;
  RCLAB_DISPATCH();
}
op_BINARY_OP_ADD_INT: {
  RCLAB_INST(2);
  O* right = sp[-1];
  O* left = sp[-2];
  RCLAB_DEOPT_IF(left->type != Type::kInt, BINARY_OP);
  RCLAB_DEOPT_IF(right->type != Type::kInt, BINARY_OP);
  O* res = long_arith<Cfg, LongOp::kAdd, false>(ts, left, right);
  decref_int(ts, right, t);
  decref_int(ts, left, t);
  sp[-2] = res;
  --sp;
  RCLAB_DISPATCH();
}
op_BINARY_OP_SUBTRACT_INT: {
  RCLAB_INST(2);
  O* right = sp[-1];
  O* left = sp[-2];
  RCLAB_DEOPT_IF(left->type != Type::kInt, BINARY_OP);
  RCLAB_DEOPT_IF(right->type != Type::kInt, BINARY_OP);
  O* res = long_arith<Cfg, LongOp::kSub, false>(ts, left, right);
  decref_int(ts, right, t);
  decref_int(ts, left, t);
  sp[-2] = res;
  --sp;
  RCLAB_DISPATCH();
}
op_BINARY_OP_MULTIPLY_INT: {
  RCLAB_INST(2);
  O* right = sp[-1];
  O* left = sp[-2];
  RCLAB_DEOPT_IF(left->type != Type::kInt, BINARY_OP);
  RCLAB_DEOPT_IF(right->type != Type::kInt, BINARY_OP);
  O* res = long_arith<Cfg, LongOp::kMul, false>(ts, left, right);
  decref_int(ts, right, t);
  decref_int(ts, left, t);
  sp[-2] = res;
  --sp;
  RCLAB_DISPATCH();
}
// The float forms: DECREF_INPUTS_AND_REUSE_FLOAT. Under the GIL (in-place
// specialising), an operand only the stack refers to (count 1) takes the
// result in place and the other is dropped; otherwise a new float and 2d.
// On thread-local bytecode (3.14t) always the latter: 3.14t's
// _PyFloat_FromDouble_ConsumeInputs also reuses a uniquely referenced
// operand, which the model does not (no 3.14t source here to follow).
op_BINARY_OP_ADD_FLOAT:
op_BINARY_OP_SUBTRACT_FLOAT:
op_BINARY_OP_MULTIPLY_FLOAT: {
  RCLAB_INST(2);
  O* right = sp[-1];
  O* left = sp[-2];
  RCLAB_DEOPT_IF(left->type != Type::kFloat, BINARY_OP);
  RCLAB_DEOPT_IF(right->type != Type::kFloat, BINARY_OP);
  const double a = as<Float>(left)->fval, b = as<Float>(right)->fval;
  const double dres = opcode == BINARY_OP_ADD_FLOAT ? a + b : opcode == BINARY_OP_SUBTRACT_FLOAT ? a - b : a * b;
  O* res;
  if (Cfg::Gen::kNeedsGil && RC::count(left->rc) == 1) {
    as<Float>(left)->fval = dres;
    decref_stack(ts, right, t);  // _Py_DECREF_SPECIALIZED(right, _PyFloat_ExactDealloc)
    res = left;
  } else if (Cfg::Gen::kNeedsGil && RC::count(right->rc) == 1) {
    as<Float>(right)->fval = dres;
    decref_stack(ts, left, t);  // _Py_DECREF_NO_DEALLOC
    res = right;
  } else {
    res = float_from(ts, dres);
    decref_stack(ts, left, t);
    decref_stack(ts, right, t);
  }
  sp[-2] = res;
  --sp;
  RCLAB_DISPATCH();
}
op_COMPARE_OP: {
  RCLAB_INST(2);
pred_COMPARE_OP:
  RCLAB_SPECIALIZE(specialize_compare_op(sp[-2], sp[-1], this_instr))
  O* right = sp[-1];
  O* left = sp[-2];
  O* res = rich_compare(ts, left, right, int(compare_op(oparg)));  // PyObject_RichCompare: counted
  decref_stack(ts, left, t);
  decref_stack(ts, right, t);
  if (oparg & kCompareToBool) {
    // PyObject_IsTrue on the result, dropped; the bool itself uncounted.
    const bool truth = res == ts.rt.true_;
    if (!truth && res != ts.rt.false_) [[unlikely]]
      fatal("py313: a comparison returned a non-bool");
    decref(ts, res, t);
    res = truth ? ts.rt.true_ : ts.rt.false_;
  }
  sp[-2] = res;
  --sp;
  RCLAB_DISPATCH();
}
op_COMPARE_OP_INT: {
  RCLAB_INST(2);
  O* right = sp[-1];
  O* left = sp[-2];
  RCLAB_DEOPT_IF(left->type != Type::kInt, COMPARE_OP);
  RCLAB_DEOPT_IF(right->type != Type::kInt, COMPARE_OP);
  RCLAB_DEOPT_IF(!compact(left), COMPARE_OP);
  RCLAB_DEOPT_IF(!compact(right), COMPARE_OP);
  const std::int64_t l = medium_value(as<Int>(left)), r = medium_value(as<Int>(right));
  // COMPARISON_BIT: 2 if <, 4 if >, 8 if ==, which the oparg's low bits mask.
  const std::uint32_t sign_ish = 1u << (2 * (l >= r) + (l <= r));
  decref_int(ts, left, t);
  decref_int(ts, right, t);
  sp[-2] = (sign_ish & oparg) ? ts.rt.true_ : ts.rt.false_;
  --sp;
  RCLAB_DISPATCH();
}
op_COMPARE_OP_FLOAT: {
  RCLAB_INST(2);
  O* right = sp[-1];
  O* left = sp[-2];
  RCLAB_DEOPT_IF(left->type != Type::kFloat, COMPARE_OP);
  RCLAB_DEOPT_IF(right->type != Type::kFloat, COMPARE_OP);
  const double l = as<Float>(left)->fval, r = as<Float>(right)->fval;
  const std::uint32_t sign_ish = 1u << (2 * (l >= r) + (l <= r));  // COMPARISON_BIT (a NaN sets no bit)
  decref_stack(ts, left, t);  // _Py_DECREF_SPECIALIZED(left, _PyFloat_ExactDealloc)
  decref_stack(ts, right, t);
  sp[-2] = (sign_ish & oparg) ? ts.rt.true_ : ts.rt.false_;
  --sp;
  RCLAB_DISPATCH();
}
op_POP_JUMP_IF_FALSE: {
  RCLAB_INST(2);
  O* cond = *--sp;
  const bool flag = cond == ts.rt.false_;
  if constexpr (Cfg::Gen::kSpecializes) this_instr[1] = std::uint16_t(this_instr[1] << 1 | flag);  // branch history
  next_instr += oparg * flag;
  RCLAB_DISPATCH();
}
op_POP_JUMP_IF_TRUE: {
  RCLAB_INST(2);
  O* cond = *--sp;
  const bool flag = cond == ts.rt.true_;
  if constexpr (Cfg::Gen::kSpecializes) this_instr[1] = std::uint16_t(this_instr[1] << 1 | flag);
  next_instr += oparg * flag;
  RCLAB_DISPATCH();
}
op_JUMP_BACKWARD: {
  RCLAB_INST(2);
  RCLAB_CHECK_EVAL_BREAKER();
  next_instr -= oparg;
  RCLAB_DISPATCH();
}
op_JUMP_FORWARD: {  // no eval-breaker check: only backward jumps poll it
  RCLAB_INST(1);
  next_instr += oparg;
  RCLAB_DISPATCH();
}
// _IS_NONE then _POP_JUMP_IF_TRUE (or _FALSE): None is immortal and not
// dropped; any other value is (1d).
op_POP_JUMP_IF_NONE:
op_POP_JUMP_IF_NOT_NONE: {
  RCLAB_INST(2);
  O* value = *--sp;
  const bool is_none = value == ts.rt.none;
  if (!is_none) decref_stack(ts, value, t);
  const bool flag = is_none == (opcode == POP_JUMP_IF_NONE);
  if constexpr (Cfg::Gen::kSpecializes) this_instr[1] = std::uint16_t(this_instr[1] << 1 | flag);  // branch history
  next_instr += oparg * flag;
  RCLAB_DISPATCH();
}
// `is` / `is not` (oparg 1): both operands dropped (2d), an immortal bool pushed.
op_IS_OP: {
  RCLAB_INST(1);
  O* right = sp[-1];
  O* left = sp[-2];
  const bool res = (left == right) != (oparg != 0);
  decref_stack(ts, left, t);
  decref_stack(ts, right, t);
  sp[-2] = res ? ts.rt.true_ : ts.rt.false_;
  --sp;
  RCLAB_DISPATCH();
}

// --- calls -------------------------------------------------------------------

op_CALL: {
  RCLAB_INST(4);
pred_CALL:
  RCLAB_SPECIALIZE(if constexpr (kTlbc) specialize_call_ft<Cfg>(ts, versions, sp[-2 - int(oparg)], this_instr,
                                                                  int(oparg) + (sp[-1 - int(oparg)] != nullptr));
                   else specialize_call<Cfg>(versions, ts.rt.intern_init, sp[-2 - int(oparg)], this_instr,
                                             int(oparg) + (sp[-1 - int(oparg)] != nullptr)))
  O** args = sp - oparg;
  O* self_or_null = sp[-1 - int(oparg)];
  O* callable = sp[-2 - int(oparg)];
  int total = int(oparg);
  unpack_method(ts, self_or_null, callable, args, total);
  // The call is inlined when the callable is a function, no PEP 523 hook
  // replaces the frame evaluator, and its vectorcall is the function's own.
  if (callable->type == Type::kFunction && ts.rt.gen.eval_frame == nullptr &&
      as<Function>(callable)->vectorcall == function_vectorcall_ptr()) {
    // The callee's frame takes the callable and the arguments.
    Function<RC>* func = as<Function>(callable);
    F* callee = push_and_init(ts, func, call_locals(ts, func), args, total);
    sp -= oparg + 2;
    RCLAB_DISPATCH_INLINED(callee);
  }
  O* res = vectorcall(ts, callable, args, total);
  to_stack(ts, res);  // a C function's counted result (PyStackRef_FromPyObjectSteal)
  decref_stack(ts, callable, t);
  for (int i = 0; i < total; ++i) decref_stack(ts, args[i], t);
  sp[-2 - int(oparg)] = res;
  sp -= oparg + 1;
  RCLAB_CHECK_EVAL_BREAKER();
  RCLAB_DISPATCH();
}
// CALL_KW (no specialised forms in 3.13): the callable, self or NULL,
// oparg arguments whose last len(kwnames) are the keywords' values, and the
// names' tuple (a constant) on top. A bound method is unpacked as CALL
// unpacks it; a Python function's call is inlined, its frame taking the
// callable and the arguments and binding the keywords by name; a class goes
// through class_call_kw; the names are dropped.
op_CALL_KW: {
  RCLAB_INST(1);
  O* kwnames = sp[-1];
  O** args = sp - 1 - oparg;
  O* self_or_null = sp[-2 - int(oparg)];
  O* callable = sp[-3 - int(oparg)];
  int total = int(oparg);
  unpack_method(ts, self_or_null, callable, args, total);
  const int positional = total - int(as<Tuple>(kwnames)->size);
  if (callable->type == Type::kFunction && ts.rt.gen.eval_frame == nullptr &&
      as<Function>(callable)->vectorcall == function_vectorcall_ptr()) {
    Function<RC>* func = as<Function>(callable);
    F* callee = push_and_init(ts, func, call_locals(ts, func), args, positional, as<Tuple>(kwnames));
    decref_stack(ts, kwnames, t);
    sp -= oparg + 3;
    RCLAB_DISPATCH_INLINED(callee);
  }
  if (callable->type != Type::kClass) [[unlikely]]
    not_modelled("keyword arguments to a callable other than a Python function or class are not modelled");
  O* res = class_call_kw(ts, as<Class>(callable), args, positional, as<Tuple>(kwnames));
  to_stack(ts, res);
  decref_stack(ts, kwnames, t);
  decref_stack(ts, callable, t);
  for (int i = 0; i < total; ++i) decref_stack(ts, args[i], t);
  sp[-3 - int(oparg)] = res;
  sp -= oparg + 2;
  RCLAB_CHECK_EVAL_BREAKER();
  RCLAB_DISPATCH();
}
op_CALL_PY_EXACT_ARGS: {
  RCLAB_INST(4);
  O* self_or_null = sp[-1 - int(oparg)];
  O* callable = sp[-2 - int(oparg)];
  // _CHECK_PEP_523: no eval_frame hook here. _CHECK_FUNCTION_EXACT_ARGS:
  RCLAB_DEOPT_IF(callable->type != Type::kFunction, CALL);
  Function<RC>* func = as<Function>(callable);
  RCLAB_DEOPT_IF(func->version != read_u32(this_instr + 2), CALL);
  Code<RC>* code = func->code;
  const int has_self = self_or_null != nullptr;
  RCLAB_DEOPT_IF(code->argcount != int(oparg) + has_self, CALL);
  RCLAB_DEOPT_IF(!Stack::has_room(ts.frames, std::size_t(code->framesize)), CALL);  // _CHECK_STACK_SPACE
  RCLAB_DEOPT_IF(ts.gen.py_recursion_remaining <= 1, CALL);                        // _CHECK_RECURSION_REMAINING
  // _INIT_CALL_PY_EXACT_ARGS: _PyFrame_PushUnchecked, the arguments moved in.
  F* callee = reinterpret_cast<F*>(Stack::push(ts.frames, std::size_t(code->framesize)));
  frame_init(ts, callee, func, nullptr, code, int(oparg) + has_self, t);
  O** args = sp - oparg;
  O** first = callee->localsplus + has_self;
  callee->localsplus[0] = self_or_null;
  for (std::uint32_t i = 0; i < oparg; ++i) first[i] = args[i];
  frame->return_offset = std::uint16_t(next_instr - this_instr);  // _SAVE_RETURN_OFFSET
  sp -= oparg + 2;
  RCLAB_PUSH_FRAME(callee);
}
// A class whose __init__ is a simple Python function, called with as many
// arguments as it takes after self (3.13's CALL_ALLOC_AND_ENTER_INIT): the
// instance made here (_PyType_NewManagedObject: 1i the class), the class's
// stack reference dropped (1d), a shim frame pushed whose stack holds the
// instance (1i), __init__'s frame pushed above it (1i the function, 1i its
// code) with the instance's own reference and the arguments moved in.
// __init__ returns into the shim, whose EXIT_INIT_CHECK drops the None and
// whose RETURN_VALUE returns the instance here. The generic path (type_call,
// slot_tp_init, __init__ called from C) costs 2 increfs and 2 decrefs more.
// 3.14t's form (py313-tlbc) reads the class version relaxed and the cached
// __init__ with acquire (the free-threaded specialiser stores it with
// release, under the type lock), and takes the function's reference as a
// stack reference (PyStackRef_FromPyObjectNew: none under deferred
// counting, which 3.14t requires of a cached __init__).
op_CALL_ALLOC_AND_ENTER_INIT: {
  RCLAB_INST(4);
  O* self_or_null = sp[-1 - int(oparg)];
  O* callable = sp[-2 - int(oparg)];
  RCLAB_DEOPT_IF(self_or_null != nullptr, CALL);
  RCLAB_DEOPT_IF(callable->type != Type::kClass, CALL);
  Class<RC>* cls = as<Class>(callable);
  RCLAB_DEOPT_IF(load_relaxed(cls->version_tag) != read_u32(this_instr + 2), CALL);
  Function<RC>* init;
  if constexpr (kTlbc)
    init = std::atomic_ref<Function<RC>*>(cls->spec_init).load(std::memory_order_acquire);
  else
    init = cls->spec_init;
  Code<RC>* code = init->code;
  RCLAB_DEOPT_IF(code->argcount != int(oparg) + 1, CALL);
  RCLAB_DEOPT_IF((code->flags & kCoOptimized) == 0, CALL);  // no *args, **kwargs or keyword-only here (the loader)
  Code<RC>* shim_code = ts.rt.init_cleanup;
  RCLAB_DEOPT_IF(!Stack::has_room(ts.frames, std::size_t(code->framesize + shim_code->framesize)), CALL);
  Instance<RC>* self = instance_alloc(ts, cls);  // _PyType_NewManagedObject
  decref_stack(ts, callable, t);                 // Py_DECREF(tp)
  incref_stack(ts, &init->ob, t);                // the frame's f_funcobj: Py_NewRef(init)
  F* shim = frame_push_trampoline(ts, shim_code, 1, t);
  incref(ts, &self->ob, t);
  shim->localsplus[0] = &self->ob;
  F* callee = reinterpret_cast<F*>(Stack::push(ts.frames, std::size_t(code->framesize)));
  frame_init(ts, callee, init, nullptr, code, int(oparg) + 1, t);
  callee->localsplus[0] = &self->ob;
  O** args = sp - oparg;
  for (std::uint32_t i = 0; i < oparg; ++i) callee->localsplus[1 + i] = args[i];
  frame->return_offset = std::uint16_t(next_instr - this_instr);
  sp -= oparg + 2;
  // The caller's stack saved and the shim linked above it, as if it had
  // been pushed; then __init__'s frame pushed above the shim (its stack top
  // saved past the instance).
  frame->stacktop = std::int32_t(sp - frame->localsplus);
  shim->previous = frame;
  frame = shim;
  sp = shim->localsplus + shim->stacktop;
  --ts.gen.py_recursion_remaining;  // the shim's frame: not checked here, as 3.13
  RCLAB_PUSH_FRAME(callee);
}
// The shim's first instruction: __init__'s result must be None (immortal:
// popped without a count, as 3.13's generated code does).
op_EXIT_INIT_CHECK: {
  RCLAB_INST(1);
  if (sp[-1] != ts.rt.none) [[unlikely]]
    not_modelled("TypeError: __init__() should return None");
  --sp;
  RCLAB_DISPATCH();
}
// A Python function called with other than as many arguments as it has
// parameters (defaults fill the rest): _PY_FRAME_GENERAL's
// _PyEvalFramePushAndInit, as the generic CALL's, then _PUSH_FRAME.
op_CALL_PY_GENERAL: {
  RCLAB_INST(4);
  O* callable = sp[-2 - int(oparg)];
  RCLAB_DEOPT_IF(callable->type != Type::kFunction, CALL);  // _CHECK_FUNCTION_VERSION
  Function<RC>* func = as<Function>(callable);
  RCLAB_DEOPT_IF(func->version != read_u32(this_instr + 2), CALL);
  RCLAB_DEOPT_IF(ts.gen.py_recursion_remaining <= 1, CALL);  // _CHECK_RECURSION_REMAINING
  O** args = sp - oparg;
  int total = int(oparg);
  if (sp[-1 - int(oparg)] != nullptr) {
    --args;
    ++total;
  }
  F* callee = push_and_init(ts, func, call_locals(ts, func), args, total);
  if (callee == nullptr) [[unlikely]]
    fatal("py313: a call failed");
  frame->return_offset = std::uint16_t(next_instr - this_instr);  // _SAVE_RETURN_OFFSET
  sp -= oparg + 2;
  RCLAB_PUSH_FRAME(callee);
}
op_CALL_BUILTIN_CLASS: {
  RCLAB_INST(4);
  RCLAB_CALL_OPERANDS();
  RCLAB_DEOPT_IF(callable->type != Type::kBuiltin, CALL);
  const BuiltinDef<Cfg>& def = Builtins<Cfg>::table[as<Builtin>(callable)->which];
  RCLAB_DEOPT_IF(def.call_kind != CallKind::kBuiltinClass, CALL);  // a type with tp_vectorcall
  O* res = def.fn(ts, nullptr, args, total);
  to_stack(ts, res);
  for (int i = 0; i < total; ++i) decref_stack(ts, args[i], t);
  decref_stack(ts, callable, t);
  sp[-2 - int(oparg)] = res;
  sp -= oparg + 1;
  RCLAB_CHECK_EVAL_BREAKER();
  RCLAB_DISPATCH();
}
op_CALL_LEN: {
  RCLAB_INST(4);
  RCLAB_CALL_OPERANDS();
  RCLAB_DEOPT_IF(total != 1, CALL);
  RCLAB_DEOPT_IF(!is_builtin(callable, kBuiltinLen), CALL);
  O* arg = args[0];
  O* res = Builtins<Cfg>::table[kBuiltinLen].fn(ts, nullptr, args, 1);  // PyObject_Length, PyLong_FromSsize_t
  to_stack(ts, res);
  decref_stack(ts, callable, t);
  decref_stack(ts, arg, t);
  sp[-2 - int(oparg)] = res;
  sp -= oparg + 1;
  RCLAB_DISPATCH();
}
// A builtin function that is METH_O, called with one argument: its result,
// 1d the argument, 1d the callable, the eval breaker (_CHECK_PERIODIC).
op_CALL_BUILTIN_O: {
  RCLAB_INST(4);
  RCLAB_CALL_OPERANDS();
  RCLAB_DEOPT_IF(total != 1, CALL);
  RCLAB_DEOPT_IF(callable->type != Type::kBuiltin, CALL);
  const BuiltinDef<Cfg>& def = Builtins<Cfg>::table[as<Builtin>(callable)->which];
  RCLAB_DEOPT_IF(def.self_type != Type::kCount || def.call_kind != CallKind::kBuiltinO, CALL);
  O* arg = args[0];
  O* res = def.fn(ts, as<Builtin>(callable)->self, args, 1);
  to_stack(ts, res);
  decref_stack(ts, arg, t);
  decref_stack(ts, callable, t);
  sp[-2 - int(oparg)] = res;
  sp -= oparg + 1;
  RCLAB_CHECK_EVAL_BREAKER();
  RCLAB_DISPATCH();
}
// A builtin function (a PyCFunction, not a method descriptor) that is
// METH_FASTCALL|METH_KEYWORDS, called without keywords: its result, 1d per
// argument, 1d the callable, the eval breaker.
op_CALL_BUILTIN_FAST_WITH_KEYWORDS: {
  RCLAB_INST(4);
  RCLAB_CALL_OPERANDS();
  RCLAB_DEOPT_IF(callable->type != Type::kBuiltin, CALL);
  const BuiltinDef<Cfg>& def = Builtins<Cfg>::table[as<Builtin>(callable)->which];
  RCLAB_DEOPT_IF(def.self_type != Type::kCount || def.call_kind != CallKind::kBuiltinFastKeywords, CALL);
  O* res = def.fn(ts, as<Builtin>(callable)->self, args, total);
  to_stack(ts, res);
  for (int i = 0; i < total; ++i) decref_stack(ts, args[i], t);
  decref_stack(ts, callable, t);
  sp[-2 - int(oparg)] = res;
  sp -= oparg + 1;
  RCLAB_CHECK_EVAL_BREAKER();
  RCLAB_DISPATCH();
}
op_CALL_LIST_APPEND: {
  RCLAB_INST(4);
  O* arg = sp[-1];
  O* self = sp[-2];
  O* callable = sp[-3];
  RCLAB_DEOPT_IF(!is_builtin(callable, kBuiltinListAppend), CALL);
  RCLAB_DEOPT_IF(self == nullptr, CALL);
  RCLAB_DEOPT_IF(self->type != Type::kList, CALL);
  if constexpr (kTlbc) {
    // 3.14t's LOCK_OBJECT: one try of the list's PyMutex, no critical
    // section; held by another thread, the generic CALL appends in one.
    auto& lock = list_lock_state<Cfg>(as<List>(self));
    RCLAB_DEOPT_IF(!Cfg::DictLock::try_lock_object(lock), CALL);
    from_stack(ts, arg);  // PyStackRef_AsPyObjectSteal (after the guard: a deopt keeps the stack reference)
    list_append_take_lock_held(ts, as<List>(self), arg);  // _PyList_AppendTakeRef: the argument moves in
    Cfg::DictLock::unlock_object(lock);
  } else {
    from_stack(ts, arg);  // PyStackRef_AsPyObjectSteal: the list's reference is counted
    list_append_take(ts, as<List>(self), arg);  // _PyList_AppendTakeRef: the argument moves in
  }
  decref_stack(ts, self, t);
  decref_stack(ts, callable, t);
  sp -= 3;
  next_instr += 1;  // SKIP_OVER the POP_TOP: nothing was pushed
  RCLAB_DISPATCH();
}
op_CALL_METHOD_DESCRIPTOR_FAST:
op_CALL_METHOD_DESCRIPTOR_FAST_WITH_KEYWORDS: {
  RCLAB_INST(4);
  RCLAB_CALL_OPERANDS();
  RCLAB_DEOPT_IF(total == 0, CALL);
  RCLAB_DEOPT_IF(callable->type != Type::kBuiltin, CALL);
  const BuiltinDef<Cfg>& def = Builtins<Cfg>::table[as<Builtin>(callable)->which];
  const CallKind want = opcode == CALL_METHOD_DESCRIPTOR_FAST ? CallKind::kMethodFast : CallKind::kMethodFastKeywords;
  RCLAB_DEOPT_IF(def.call_kind != want, CALL);    // the descriptor's flags
  RCLAB_DEOPT_IF(args[0]->type != def.self_type, CALL);  // self of the descriptor's type
  O* res = def.fn(ts, args[0], args + 1, total - 1);
  to_stack(ts, res);
  for (int i = 0; i < total; ++i) decref_stack(ts, args[i], t);
  decref_stack(ts, callable, t);
  sp[-2 - int(oparg)] = res;
  sp -= oparg + 1;
  RCLAB_CHECK_EVAL_BREAKER();
  RCLAB_DISPATCH();
}
op_CALL_NON_PY_GENERAL: {
  RCLAB_INST(4);
  RCLAB_CALL_OPERANDS();
  RCLAB_DEOPT_IF(callable->type == Type::kFunction, CALL);
  RCLAB_DEOPT_IF(callable->type == Type::kMethod, CALL);
  O* res = vectorcall(ts, callable, args, total);
  to_stack(ts, res);  // a C function's counted result (PyStackRef_FromPyObjectSteal)
  decref_stack(ts, callable, t);
  for (int i = 0; i < total; ++i) decref_stack(ts, args[i], t);
  sp[-2 - int(oparg)] = res;
  sp -= oparg + 1;
  RCLAB_CHECK_EVAL_BREAKER();
  RCLAB_DISPATCH();
}

op_RETURN_CONST: {
  RCLAB_INST(1);
  O* v = RCLAB_CONSTS()[oparg];
  incref_stack(ts, v, t);
  *sp++ = v;
  goto pop_frame;
}
op_RETURN_VALUE: {
  RCLAB_INST(1);
pop_frame:
  O* retval = *--sp;
  frame->stacktop = std::int32_t(sp - frame->localsplus);
  ++ts.gen.py_recursion_remaining;  // _Py_LeaveRecursiveCallPy
  F* dying = frame;
  frame = dying->previous;  // unlinked before it is cleared (GH-99729)
  ts.gen.current_frame = frame;
  clear_and_pop(ts, dying);  // out of line: counts into the thread's counters directly
  frame->localsplus[frame->stacktop++] = retval;  // _PyFrame_StackPush
  sp = frame->localsplus + frame->stacktop;
  frame->stacktop = -1;
  next_instr = frame->instr_ptr + frame->return_offset;
  RCLAB_DISPATCH();
}
// --- generators --------------------------------------------------------------------

// A generator function's first instruction: the frame moves into a new
// generator (its references with it), which is returned to the caller in
// place of the frame; the frame resumes after this instruction.
op_RETURN_GENERATOR: {
  RCLAB_INST(1);
  Generator<RC>* gen = make_gen(ts, as<Function>(frame->f_funcobj));  // a generator function's frame
  frame->stacktop = std::int32_t(sp - frame->localsplus);
  F* gen_frame = gen_iframe(gen);
  frame->instr_ptr = next_instr;  // frame->instr_ptr++
  frame_copy<Cfg>(frame, gen_frame);
  gen->frame_state = kFrameCreated;
  gen_frame->owner = kOwnedByGenerator;
  ++ts.gen.py_recursion_remaining;  // _Py_LeaveRecursiveCallPy
  F* prev = frame->previous;
  Stack::pop(ts.frames, reinterpret_cast<void**>(frame));  // _PyThreadState_PopFrame
  frame = prev;
  ts.gen.current_frame = frame;
  next_instr = frame->instr_ptr + frame->return_offset;
  sp = frame->localsplus + frame->stacktop;
  frame->stacktop = -1;
  to_stack(ts, &gen->ob);
  *sp++ = &gen->ob;
  RCLAB_DISPATCH();
}
// The value moves to the caller's stack; the generator's frame is
// suspended after this instruction and unlinked; the caller resumes past
// its FOR_ITER (or, called from C, at the entry frame's exit).
op_YIELD_VALUE: {
  RCLAB_INST(1);
  O* retval = *--sp;
  frame->instr_ptr = next_instr;  // frame->instr_ptr++
  Generator<RC>* gen = generator_of(frame);
  gen->frame_state = std::int8_t(kFrameSuspended + int(oparg));
  frame->stacktop = std::int32_t(sp - frame->localsplus);
  ++ts.gen.py_recursion_remaining;  // _Py_LeaveRecursiveCallPy
  F* gen_frame = frame;
  frame = frame->previous;
  ts.gen.current_frame = frame;
  gen_frame->previous = nullptr;
  next_instr = frame->instr_ptr + 2;  // LOAD_IP(1 + INLINE_CACHE_ENTRIES_SEND)
  sp = frame->localsplus + frame->stacktop;
  frame->stacktop = -1;
  *sp++ = retval;
  RCLAB_DISPATCH();
}
// FOR_ITER over a generator that is not running: None pushed on its frame
// (uncounted), the frame linked and run inline, as a call is
// (_PUSH_FRAME); its yield comes back past this instruction, its return
// to the loop's END_FOR.
op_FOR_ITER_GEN: {
  RCLAB_INST(2);
  O* iter = sp[-1];
  RCLAB_DEOPT_IF(ts.rt.gen.eval_frame != nullptr, FOR_ITER);  // _CHECK_PEP_523
  RCLAB_DEOPT_IF(iter->type != Type::kGenerator, FOR_ITER);
  Generator<RC>* gen = as<Generator>(iter);
  RCLAB_DEOPT_IF(gen->frame_state >= kFrameExecuting, FOR_ITER);
  F* gen_frame = gen_iframe(gen);
  gen_frame->localsplus[gen_frame->stacktop++] = ts.rt.none;  // _PyFrame_StackPush(gen_frame, Py_None)
  gen->frame_state = kFrameExecuting;
  frame->return_offset = std::uint16_t(2 + oparg);  // 1 + INLINE_CACHE_ENTRIES_FOR_ITER + oparg
  RCLAB_PUSH_FRAME(gen_frame);
}

op_INTERPRETER_EXIT: {
  // The entry frame's one instruction: the callee's result leaves the loop.
  O* retval = *--sp;
  from_stack(ts, retval);  // the C caller owns it: a counted reference (PyStackRef_AsPyObjectSteal)
  ts.gen.current_frame = frame->previous;
  ts.gen.c_recursion_remaining += 2;  // PY_EVAL_C_STACK_UNITS
  ts.counters.rc += t;
  return retval;
}

// --- attributes ----------------------------------------------------------------

op_IMPORT_NAME: {  // import_name: a new reference to the module; level and fromlist dropped
  RCLAB_INST(1);
  O* fromlist = sp[-1];
  O* level = sp[-2];
  O* res = import_name(ts, ts.rt.sys_modules, as<Str>(RCLAB_NAMES()[oparg]), level);
  decref_stack(ts, level, t);
  decref_stack(ts, fromlist, t);
  sp[-2] = res;
  --sp;
  RCLAB_DISPATCH();
}
op_LOAD_ATTR: {
  RCLAB_INST(10);
pred_LOAD_ATTR:
  RCLAB_SPECIALIZE({
    O* owner_ = sp[-1];
    Str<RC>* name_ = as<Str>(RCLAB_NAMES()[oparg >> 1]);
    O* descr_ = owner_->type == Type::kInstance ? type_lookup<Cfg>(as<Instance>(owner_)->cls, name_)
                : (Builtins<Cfg>::find_method(owner_->type, name_->view()) != kBuiltinCount
                       ? &ts.rt.method_descrs[Builtins<Cfg>::find_method(owner_->type, name_->view())]->ob
                       : nullptr);
    if constexpr (kTlbc)
      specialize_load_attr_ft<Cfg>(ts, versions, owner_, name_, descr_, this_instr, (oparg & 1) != 0);
    else
      specialize_load_attr<Cfg>(versions, owner_, name_, descr_, this_instr, (oparg & 1) != 0);
  })
  O* owner = sp[-1];
  Str<RC>* name = as<Str>(RCLAB_NAMES()[oparg >> 1]);
  if (oparg & 1) {
    O* attr = nullptr;
    if (get_method(ts, owner, name, &attr)) {
      sp[-1] = attr;
      sp[0] = owner;  // the owner's reference moves into the self slot
    } else {
      decref_stack(ts, owner, t);
      sp[-1] = attr;
      sp[0] = nullptr;
    }
    ++sp;
  } else {
    O* attr = get_attr(ts, owner, name);
    decref_stack(ts, owner, t);
    sp[-1] = attr;
  }
  RCLAB_DISPATCH();
}
// A module's attribute: the module exact, its dict's keys at the cached
// version, the cached entry's value: 1i the value, 1d the module; with the
// method bit, a NULL self. Without a GIL (3.14t) as LOAD_GLOBAL_MODULE: the
// keys loaded once, the value tried and re-checked; a miss deopts.
op_LOAD_ATTR_MODULE: {
  RCLAB_INST(10);
  O* owner = sp[-1];
  RCLAB_DEOPT_IF(owner->type != Type::kModule, LOAD_ATTR);
  Dict<RC>* d = as<Module>(owner)->dict;
  O* attr;
  if constexpr (kTlbc) {
    const DictKeys* dk = guarded_keys(d, read_u32(this_instr + 2));
    RCLAB_DEOPT_IF(dk == nullptr, LOAD_ATTR);
    O* const* slot = &dk_unicode_entries<RC>(dk)[this_instr[4]].value;
    attr = runtime::detail::load<true>(*slot);
    RCLAB_DEOPT_IF(attr == nullptr, LOAD_ATTR);
    RCLAB_DEOPT_IF(!try_incref_compare(ts, slot, attr, t), LOAD_ATTR);
  } else {
    RCLAB_DEOPT_IF(d->keys->version != read_u32(this_instr + 2), LOAD_ATTR);
    attr = dk_unicode_entries<RC>(d->keys)[this_instr[4]].value;
    RCLAB_DEOPT_IF(attr == nullptr, LOAD_ATTR);
    incref_stack(ts, attr, t);
  }
  decref_stack(ts, owner, t);
  sp[-1] = attr;
  if (oparg & 1) *sp++ = nullptr;
  RCLAB_DISPATCH();
}
op_LOAD_ATTR_INSTANCE_VALUE: {
  RCLAB_INST(10);
  O* owner = sp[-1];
  RCLAB_DEOPT_IF(owner->type != Type::kInstance, LOAD_ATTR);  // _GUARD_TYPE_VERSION
  Instance<RC>* obj = as<Instance>(owner);
  if constexpr (kTlbc) {
    // Without a GIL (3.14t): the type version with a relaxed load, the
    // value with an acquire load and a reference tried on it; a miss deopts.
    RCLAB_DEOPT_IF(load_relaxed(obj->cls->version_tag) != read_u32(this_instr + 2), LOAD_ATTR);
    RCLAB_DEOPT_IF(obj->nvalues == 0, LOAD_ATTR);  // fixed when the instance is made
    O** slot = &obj->values()[this_instr[4]];
    O* attr = runtime::detail::load<true>(*slot);
    RCLAB_DEOPT_IF(attr == nullptr, LOAD_ATTR);
    RCLAB_DEOPT_IF(!try_incref_compare(ts, slot, attr, t), LOAD_ATTR);
    decref_stack(ts, owner, t);
    sp[-1] = attr;
    if (oparg & 1) *sp++ = nullptr;
    RCLAB_DISPATCH();
  }
  RCLAB_DEOPT_IF(obj->cls->version_tag != read_u32(this_instr + 2), LOAD_ATTR);
  RCLAB_DEOPT_IF(obj->nvalues == 0, LOAD_ATTR);  // _CHECK_MANAGED_OBJECT_HAS_VALUES
  O* attr = obj->values()[this_instr[4]];
  RCLAB_DEOPT_IF(attr == nullptr, LOAD_ATTR);
  incref_stack(ts, attr, t);
  decref_stack(ts, owner, t);
  sp[-1] = attr;
  if (oparg & 1) *sp++ = nullptr;
  RCLAB_DISPATCH();
}
op_LOAD_ATTR_METHOD_WITH_VALUES: {
  RCLAB_INST(10);
  O* owner = sp[-1];
  RCLAB_DEOPT_IF(owner->type != Type::kInstance, LOAD_ATTR);
  Instance<RC>* obj = as<Instance>(owner);
  Class<RC>* cls = obj->cls;
  if constexpr (kTlbc) {  // the same guards, the versions with relaxed loads (3.14t's)
    RCLAB_DEOPT_IF(load_relaxed(cls->version_tag) != read_u32(this_instr + 2), LOAD_ATTR);
    RCLAB_DEOPT_IF(obj->nvalues == 0, LOAD_ATTR);
    RCLAB_DEOPT_IF(load_relaxed(cls->shared_keys_version) != read_u32(this_instr + 4), LOAD_ATTR);
  } else {
    RCLAB_DEOPT_IF(cls->version_tag != read_u32(this_instr + 2), LOAD_ATTR);  // _GUARD_TYPE_VERSION
    RCLAB_DEOPT_IF(obj->nvalues == 0, LOAD_ATTR);                               // _GUARD_DORV_VALUES_INST_ATTR_FROM_DICT
    RCLAB_DEOPT_IF(cls->shared_keys_version != read_u32(this_instr + 4), LOAD_ATTR);  // _GUARD_KEYS_VERSION
  }
  O* descr = static_cast<O*>(read_ptr(this_instr + 6));
  incref_stack(ts, descr, t);  // Py_NewRef(descr); 3.14t: PyStackRef_FromPyObjectNew
  sp[-1] = descr;
  sp[0] = owner;  // self: the owner's reference moves
  ++sp;
  RCLAB_DISPATCH();
}
op_LOAD_ATTR_METHOD_NO_DICT: {
  RCLAB_INST(10);
  O* owner = sp[-1];
  RCLAB_DEOPT_IF(builtin_type_version(owner->type) != read_u32(this_instr + 2), LOAD_ATTR);
  O* descr = static_cast<O*>(read_ptr(this_instr + 6));
  incref_stack(ts, descr, t);
  sp[-1] = descr;
  sp[0] = owner;
  ++sp;
  RCLAB_DISPATCH();
}
op_STORE_ATTR: {
  RCLAB_INST(5);
pred_STORE_ATTR:
  // STORE_ATTR_INSTANCE_VALUE is modelled; STORE_ATTR_SLOT and _WITH_HINT
  // are not (no `__slots__` store, no instance dict): those fail and back
  // off.
  RCLAB_SPECIALIZE(if constexpr (kTlbc)
                       specialize_store_attr_ft<Cfg>(ts, versions, sp[-1], as<Str>(RCLAB_NAMES()[oparg]), this_instr);
                   else specialize_store_attr<Cfg>(versions, sp[-1], as<Str>(RCLAB_NAMES()[oparg]), this_instr))
  O* owner = sp[-1];
  O* v = sp[-2];
  set_attr(ts, owner, as<Str>(RCLAB_NAMES()[oparg]), v);  // PyObject_SetAttr
  decref_stack(ts, v, t);
  decref_stack(ts, owner, t);
  sp -= 2;
  RCLAB_DISPATCH();
}
// _GUARD_TYPE_VERSION, _GUARD_DORV_NO_DICT, _STORE_ATTR_INSTANCE_VALUE: the
// value's stack reference moves into the inline slot (no incref, where the
// generic path increfs it in and drops the stack's), the old value and the
// owner dropped. 3.13 also appends the index to the values' insertion order
// when the slot was empty: rclab keeps no insertion order (nothing iterates
// an instance's attributes), which changes no count.
op_STORE_ATTR_INSTANCE_VALUE: {
  RCLAB_INST(5);
  O* owner = sp[-1];
  RCLAB_DEOPT_IF(owner->type != Type::kInstance, STORE_ATTR);
  Instance<RC>* obj = as<Instance>(owner);
  // 3.14t's form (_GUARD_TYPE_VERSION_AND_LOCK) first takes one try of the
  // instance's PyMutex (LOCK_OBJECT: PyMutex_LockFast; held by another
  // thread, the instruction deopts to the generic store, which waits in its
  // critical section) and reads the version relaxed; it stores the value
  // with release and unlocks before the owner and the old value are
  // dropped, in that order (3.13 drops the old value first).
  if constexpr (kTlbc) RCLAB_DEOPT_IF(!obj->mutex.try_lock_fast(), STORE_ATTR);
  // no inline values: rclab never makes an instance dict
  if (load_relaxed(obj->cls->version_tag) != read_u32(this_instr + 2) || obj->nvalues == 0) [[unlikely]] {
    if constexpr (kTlbc) obj->mutex.unlock();
    goto pred_STORE_ATTR;
  }
  O* v = sp[-2];
  from_stack(ts, v);
  O** slot = &obj->values()[this_instr[4]];
  O* old = *slot;
  if constexpr (kTlbc) {
    std::atomic_ref<O*>(*slot).store(v, std::memory_order_release);
    obj->mutex.unlock();
    decref_stack(ts, owner, t);
    if (old != nullptr) decref(ts, old, t);
  } else {
    *slot = v;
    if (old != nullptr) decref(ts, old, t);
    decref_stack(ts, owner, t);
  }
  sp -= 2;
  RCLAB_DISPATCH();
}

// --- with ------------------------------------------------------------------------

// The context manager's __enter__ and __exit__, each looked up and bound
// (lookup_special), the manager dropped, __enter__ called with no
// arguments (PyObject_CallNoArgs: method_vectorcall) and dropped; __exit__
// stays on the stack under __enter__'s result. The with block's end is
// ordinary code: __exit__ called as `CALL 2` with None as its self slot and
// two more Nones (method_vectorcall puts the instance first).
op_BEFORE_WITH: {
  RCLAB_INST(1);
  O* mgr = sp[-1];
  O* enter = lookup_special(ts, mgr, ts.rt.intern_enter);
  O* exit = lookup_special(ts, mgr, ts.rt.intern_exit);
  decref_stack(ts, mgr, t);
  O* res = vectorcall(ts, enter, nullptr, 0);
  decref(ts, enter, t);
  to_stack(ts, exit);
  to_stack(ts, res);
  sp[-1] = exit;
  *sp++ = res;
  RCLAB_DISPATCH();
}
// --- exceptions -------------------------------------------------------------------
// The handlers' own opcodes (opcodes.json's handler_opcodes_modelled: the
// loader accepts them only from the first handler the exception table
// names, where 3.12+ places handler code) and the unwinding that reaches
// them, as 3.13's (Python/bytecodes.c, ceval.c's error labels).
//   PUSH_EXC_INFO        1i the new exception (into exc_info); the one it
//                        replaces (or None, uncounted) moves to the stack
//   POP_EXCEPT           exc_info's exception dropped (1d), the popped one
//                        moves in (None: none)
//   CHECK_EXC_MATCH      1d the class (or tuple); the bool uncounted
//   RERAISE              1i the exception (raised again), which the
//                        unwinding pops (1d) with the rest
//   RAISE_VARARGS        do_raise's (above); the operands are consumed
//   WITH_EXCEPT_START    1i and 1d the traceback (PyException_GetTraceback),
//                        then __exit__(type, value, tb)'s call
//   TO_BOOL              PyObject_IsTrue, 1d the value (3.13 specialises it
//                        by type: the same counts, not modelled)
//   an instruction raising: a traceback entry (its frame's frame object
//                        made once, 1i it; 1i, 1d the entry), then per
//                        frame unwound to a handler: 1d per value popped,
//                        the lasti int pushed (a small one uncounted), the
//                        exception moved to the stack; a frame left as a
//                        return leaves it (runtime/py313/frame.h), 1d each
//                        slot, unless a traceback keeps its frame object
op_PUSH_EXC_INFO: {
  RCLAB_INST(1);
  if (frame->owner == kOwnedByGenerator) [[unlikely]]
    not_modelled("py313: an exception handler in a generator (its exc_state is not modelled)");
  O* new_exc = sp[-1];
  O* prev_exc = ts.gen.exc_value != nullptr ? static_cast<O*>(ts.gen.exc_value) : ts.rt.none;
  incref(ts, new_exc, t);  // exc_info->exc_value = Py_NewRef(new_exc)
  ts.gen.exc_value = new_exc;
  sp[-1] = prev_exc;
  *sp++ = new_exc;
  RCLAB_DISPATCH();
}
op_POP_EXCEPT: {
  RCLAB_INST(1);
  O* exc_value = *--sp;
  O* old = static_cast<O*>(std::exchange(ts.gen.exc_value, exc_value == ts.rt.none ? nullptr : exc_value));
  if (old != nullptr) decref(ts, old, t);  // Py_XSETREF
  RCLAB_DISPATCH();
}
op_CHECK_EXC_MATCH: {  // an except clause's test
  RCLAB_INST(1);
  O* right = sp[-1];
  O* left = sp[-2];
  if (!valid_except_type(right)) [[unlikely]]
    not_modelled("TypeError: catching classes that do not inherit from BaseException is not allowed");
  const bool res = exc_matches(as<Exception>(left), right);  // PyErr_GivenExceptionMatches
  decref_stack(ts, right, t);
  sp[-1] = res ? ts.rt.true_ : ts.rt.false_;
  RCLAB_DISPATCH();
}
op_RERAISE: {
  RCLAB_INST(1);
  O* exc = sp[-1];
  if (oparg != 0) {  // the offset the exception was raised at, back in the frame
    O* lasti = sp[-1 - int(oparg)];
    if (lasti->type != Type::kInt) [[unlikely]]
      fatal("py313: RERAISE: lasti is not an int");
    frame->instr_ptr = bytecode_of(frame) + int_value(as<Int>(lasti));
  }
  incref(ts, exc, t);
  set_raised(ts, as<Exception>(exc));
  goto exception_unwind;  // the stack still holds exc: the unwinding pops it
}
op_RAISE_VARARGS: {
  RCLAB_INST(1);
  O* cause = nullptr;
  O* exc = nullptr;
  if (oparg == 2) cause = sp[-1];
  if (oparg >= 1) exc = sp[-int(oparg)];
  sp -= oparg;  // do_raise consumes them
  if (oparg != 0) from_stack(ts, exc);
  if (oparg == 2) from_stack(ts, cause);
  if (do_raise(ts, exc, cause)) goto exception_unwind;
  goto error;
}
op_WITH_EXCEPT_START: {  // __exit__(type, value, traceback) for an exception leaving a with block
  RCLAB_INST(1);
  O* val = sp[-1];
  O* exit_func = sp[-4];
  O* tb = as<Exception>(val)->traceback;  // PyException_GetTraceback: a new reference, dropped at once
  if (tb == nullptr) {
    tb = ts.rt.none;
  } else {
    incref(ts, tb, t);
    decref(ts, tb, t);
  }
  O* stack[3] = {&as<Exception>(val)->cls->ob, val, tb};
  O* res = vectorcall(ts, exit_func, stack, 3);
  to_stack(ts, res);
  *sp++ = res;
  RCLAB_DISPATCH();
}
op_TO_BOOL: {  // PyObject_IsTrue, the value dropped
  RCLAB_INST(4);
  O* value = sp[-1];
  bool truth;
  switch (value->type) {
    case Type::kNone: truth = false; break;
    case Type::kBool: truth = value == ts.rt.true_; break;
    case Type::kInt: truth = as<Int>(value)->size != 0; break;
    default: not_modelled("py313: TO_BOOL of this type is not modelled");
  }
  decref_stack(ts, value, t);
  sp[-1] = truth ? ts.rt.true_ : ts.rt.false_;
  RCLAB_DISPATCH();
}
op_JUMP_BACKWARD_NO_INTERRUPT: {  // an except clause's way back into a loop: no eval-breaker check
  RCLAB_INST(1);
  next_instr -= oparg;
  RCLAB_DISPATCH();
}
op_CALL_INTRINSIC_1:  // a generator's StopIteration handler (INTRINSIC_STOPITERATION_ERROR)
  not_modelled("py313: an exception in a generator is not modelled");

// An instruction raised: the exception is set (ts.gen.current_exception)
// and the instruction's inputs are off the stack.
error:
  // Every raise comes after its frame's RESUME; the __init__ shim's frame
  // is never complete (an exception from __init__ passes through it).
  if (!frame_is_incomplete<Cfg>(frame)) [[likely]]
    traceback_here(ts, frame);
exception_unwind: {
  // The handler covering the instruction (RERAISE may have moved instr_ptr:
  // the lookup uses next_instr, the lasti pushed uses instr_ptr). A
  // generator's frame stops the run here, whichever way it came.
  if (frame->owner == kOwnedByGenerator) [[unlikely]]
    not_modelled("py313: an exception raised in a generator (its exc_state is not modelled)");
  Code<RC>* co = frame->f_executable;
  std::uint16_t* const bytecode = bytecode_of(frame);
  O** const stackbase = frame->localsplus + co->nlocalsplus;
  ExceptionHandler h;
  if (!get_exception_handler(co->exceptiontable, co->nexceptiontable, int(next_instr - bytecode) - 1, &h)) {
    while (sp > stackbase)  // no handler: the stack emptied, the frame left
      if (O* o = *--sp) decref_stack(ts, o, t);
    frame->stacktop = std::int32_t(sp - frame->localsplus);
    goto exit_unwind;
  }
  O** const new_top = stackbase + h.depth;
  while (sp > new_top)
    if (O* v = *--sp) decref_stack(ts, v, t);
  if (h.lasti) *sp++ = int_from(ts, std::int64_t(frame->instr_ptr - bytecode), t);  // PyLong_FromLong
  O* exc = &take_raised(ts)->ob;  // moved to the stack
  to_stack(ts, exc);
  *sp++ = exc;
  next_instr = bytecode + h.target;
  RCLAB_DISPATCH();
}
exit_unwind: {
  // The frame unlinked, then cleared and popped (GH-99729); the caller
  // resumes with the error at its call.
  ++ts.gen.py_recursion_remaining;  // _Py_LeaveRecursiveCallPy
  F* dying = frame;
  frame = dying->previous;
  ts.gen.current_frame = frame;
  clear_and_pop(ts, dying);
  frame->return_offset = 0;
  if (frame->owner == kOwnedByCStack) [[unlikely]]
    exception_escapes(ts, "left a Python function called from C: rclab stops there");
  next_instr = frame->instr_ptr;  // resume_with_error
  sp = frame->localsplus + frame->stacktop;
  frame->stacktop = -1;
  goto error;
}

// --- iteration ------------------------------------------------------------------

op_GET_ITER: {
  RCLAB_INST(1);
  O* iterable = sp[-1];
  O* iter = get_iter(ts, iterable);
  to_stack(ts, iter);
  decref_stack(ts, iterable, t);
  sp[-1] = iter;
  RCLAB_DISPATCH();
}
// A comprehension's item into the list it builds, oparg deep in the stack
// (_PyList_AppendTakeRef: the stack's reference moves in; the list is the
// comprehension's own, so no lock is taken, as in 3.13t).
op_LIST_APPEND: {
  RCLAB_INST(1);
  O* v = *--sp;
  List<RC>* list = as<List>(sp[-int(oparg)]);
  from_stack(ts, v);
  list_append_take_lock_held(ts, list, v);
  RCLAB_DISPATCH();
}
// A list display of three or more constants (`[1, 2, 3]`: BUILD_LIST 0, then
// the constant tuple): _PyList_Extend's list_extend_fast, the list grown
// once and each item's new reference stored (1i each; in the list's
// critical section under locked lists, as 3.13t's), then the tuple dropped
// (1d). Only a tuple or list is extended from here.
op_LIST_EXTEND: {
  RCLAB_INST(1);
  O* iterable = *--sp;
  List<RC>* list = as<List>(sp[-int(oparg)]);
  if (iterable->type != Type::kTuple && iterable->type != Type::kList) [[unlikely]]
    not_modelled("LIST_EXTEND: rclab extends a list from a tuple or list only");
  const bool tuple = iterable->type == Type::kTuple;
  const std::int64_t n = tuple ? as<Tuple>(iterable)->size : as<List>(iterable)->size;
  O** src = tuple ? as<Tuple>(iterable)->items() : as<List>(iterable)->items;
  list_write<Cfg>(list, [&] {
    const std::int64_t m = list->size;
    list_resize(ts, list, m + n);
    for (std::int64_t i = 0; i < n; ++i) {
      incref(ts, src[i], t);
      runtime::detail::store<kLockedContainers<Cfg>>(list->items[m + i], src[i]);
    }
  });
  decref_stack(ts, iterable, t);
  RCLAB_DISPATCH();
}
// --- unpacking ------------------------------------------------------------------
// `a, b = seq`: the items pushed, the first on top; the sequence dropped.
// The generic form goes through an iterator (a tuple of 2: 3i 3d — the
// iterator's reference to the tuple and the two items; the tuple dropped at
// exhaustion, the iterator, then the stack's tuple); the specialised forms
// read the tuple's or list's items directly (2i 1d for two).
op_UNPACK_SEQUENCE: {
  RCLAB_INST(2);
pred_UNPACK_SEQUENCE:
  RCLAB_SPECIALIZE(specialize_unpack_sequence(sp[-1], this_instr, int(oparg), /*lists=*/!kTlbc))
  O* seq = sp[-1];
  unpack_iterable(ts, seq, int(oparg), sp - 1 + oparg);
  decref_stack(ts, seq, t);
  sp += int(oparg) - 1;
  RCLAB_DISPATCH();
}
// A tuple's or (with a GIL: the thread-local-bytecode specialiser leaves
// lists to the generic form) a list's items, last first. _TWO_TUPLE is
// _TUPLE with oparg 2 (3.13 writes it out for the stack effect; the counts
// and the checks are the same).
op_UNPACK_SEQUENCE_TWO_TUPLE:
op_UNPACK_SEQUENCE_TUPLE:
op_UNPACK_SEQUENCE_LIST: {
  RCLAB_INST(2);
  O* seq = sp[-1];
  const bool tuple = opcode != UNPACK_SEQUENCE_LIST;
  RCLAB_DEOPT_IF(seq->type != (tuple ? Type::kTuple : Type::kList), UNPACK_SEQUENCE);
  const std::int64_t size = tuple ? as<Tuple>(seq)->size : as<List>(seq)->size;
  RCLAB_DEOPT_IF(size != std::int64_t(oparg), UNPACK_SEQUENCE);
  O** items = tuple ? as<Tuple>(seq)->items() : as<List>(seq)->items;
  O** values = sp - 1;
  for (int i = int(oparg); --i >= 0;) {
    incref_stack(ts, items[i], t);
    *values++ = items[i];
  }
  decref_stack(ts, seq, t);
  sp += int(oparg) - 1;
  RCLAB_DISPATCH();
}
op_FOR_ITER: {
  RCLAB_INST(2);
pred_FOR_ITER:
  RCLAB_SPECIALIZE(if constexpr (kTlbc) specialize_for_iter_ft(ts, sp[-1], this_instr);
                   else specialize_for_iter(sp[-1], this_instr))
  O* iter = sp[-1];
  O* next = iter_next(ts, iter);  // tp_iternext
  if (next != nullptr) to_stack(ts, next);
  if (next == nullptr) {
    decref_stack(ts, iter, t);
    --sp;
    next_instr += oparg + 2;  // past the END_FOR and the POP_TOP
    RCLAB_DISPATCH();
  }
  *sp++ = next;
  RCLAB_DISPATCH();
}
op_FOR_ITER_LIST:
op_FOR_ITER_TUPLE: {
  RCLAB_INST(2);
  O* iter = sp[-1];
  const Type want = opcode == FOR_ITER_LIST ? Type::kListIter : Type::kTupleIter;
  RCLAB_DEOPT_IF(iter->type != want, FOR_ITER);
  SeqIter<RC>* it = as<SeqIter>(iter);
  O* seq = it->seq;
  if constexpr (kTlbc) {
    // Without a GIL: the iterator this thread's alone (its index is then
    // too), and a list read as 3.14t's _ITER_CHECK_LIST and _ITER_NEXT_LIST
    // do: only one this thread owns or that is marked shared, its item taken
    // with a try-incref (_PyList_GetItemRefNoLock); a lost race deopts, and
    // the generic FOR_ITER takes the list's lock.
    RCLAB_DEOPT_IF(!uniquely_referenced(ts, iter), FOR_ITER);
    if (want == Type::kListIter && seq != nullptr) {
      List<RC>* l = as<List>(seq);
      RCLAB_DEOPT_IF(!list_readable_unlocked(ts, l), FOR_ITER);
      O* item = nullptr;
      const int got = list_get_item_ref_nolock(ts, l, it->index, &item, t);
      RCLAB_DEOPT_IF(got < 0, FOR_ITER);
      if (got > 0) {
        ++it->index;
        *sp++ = item;
        RCLAB_DISPATCH();
      }
      it->index = -1;  // exhausted, as below
      it->seq = nullptr;
      decref(ts, seq, t);
      decref_stack(ts, iter, t);
      --sp;
      next_instr += oparg + 2;
      RCLAB_DISPATCH();
    }
  }
  const std::int64_t size = seq == nullptr ? 0 : want == Type::kListIter ? as<List>(seq)->size : as<Tuple>(seq)->size;
  if (seq == nullptr || it->index >= size) {
    it->index = -1;
    if (seq != nullptr) {
      it->seq = nullptr;
      decref(ts, seq, t);
    }
    decref_stack(ts, iter, t);
    --sp;
    next_instr += oparg + 2;
    RCLAB_DISPATCH();
  }
  O* item = want == Type::kListIter ? as<List>(seq)->items[it->index++] : as<Tuple>(seq)->items()[it->index++];
  incref_stack(ts, item, t);
  *sp++ = item;
  RCLAB_DISPATCH();
}
op_FOR_ITER_RANGE: {
  RCLAB_INST(2);
  O* iter = sp[-1];
  RCLAB_DEOPT_IF(iter->type != Type::kRangeIter, FOR_ITER);
  if constexpr (kTlbc) RCLAB_DEOPT_IF(!uniquely_referenced(ts, iter), FOR_ITER);  // _ITER_CHECK_RANGE, 3.14t's
  RangeIter<RC>* r = as<RangeIter>(iter);
  if (r->index >= r->len) {
    --sp;
    decref_stack(ts, iter, t);
    next_instr += oparg + 2;
    RCLAB_DISPATCH();
  }
  const std::int64_t value = r->start + r->index * r->step;
  ++r->index;
  *sp++ = int_from(ts, value, t);  // PyLong_FromLong: a small int uncounted, else a new one
  RCLAB_DISPATCH();
}

// --- subscripts and containers --------------------------------------------------

op_BINARY_SUBSCR: {
  RCLAB_INST(2);
pred_BINARY_SUBSCR:
  RCLAB_SPECIALIZE(specialize_binary_subscr(sp[-2], sp[-1], this_instr))
  O* sub = sp[-1];
  O* container = sp[-2];
  O* res = object_get_item(ts, container, sub);  // PyObject_GetItem
  decref_stack(ts, container, t);
  decref_stack(ts, sub, t);
  if (res == nullptr) [[unlikely]] {  // ERROR_IF(res == NULL, error): its inputs popped
    sp -= 2;
    goto error;
  }
  sp[-2] = res;
  --sp;
  RCLAB_DISPATCH();
}
op_BINARY_SUBSCR_DICT: {
  RCLAB_INST(2);
  O* sub = sp[-1];
  O* d = sp[-2];
  RCLAB_DEOPT_IF(d->type != Type::kDict, BINARY_SUBSCR);
  O* res = dict_load(ts, as<Dict>(d), sub, ts.counters.rc);  // PyDict_GetItemRef (out of line)
  if (res == nullptr) [[unlikely]]
    raise_key_error(ts, sub);  // _PyErr_SetKeyError, before the inputs go
  decref_stack(ts, d, t);
  decref_stack(ts, sub, t);
  if (res == nullptr) [[unlikely]] {  // ERROR_IF(rc <= 0, error)
    sp -= 2;
    goto error;
  }
  sp[-2] = res;
  --sp;
  RCLAB_DISPATCH();
}
// A list's or tuple's item by a compact int >= 0 within its size: a new
// reference to it (3.14t's _PyList_GetItemRef under locked lists, when the
// specialiser runs on thread-local bytecode), 1d the index (freed directly
// if it dies), 1d the container.
op_BINARY_SUBSCR_LIST_INT:
op_BINARY_SUBSCR_TUPLE_INT: {
  RCLAB_INST(2);
  O* sub = sp[-1];
  O* seq = sp[-2];
  const Type want = opcode == BINARY_SUBSCR_LIST_INT ? Type::kList : Type::kTuple;
  RCLAB_DEOPT_IF(sub->type != Type::kInt, BINARY_SUBSCR);
  RCLAB_DEOPT_IF(seq->type != want, BINARY_SUBSCR);
  const Int<RC>* index_int = as<Int>(sub);
  RCLAB_DEOPT_IF(index_int->size < 0 || index_int->size > 1, BINARY_SUBSCR);  // _PyLong_IsNonNegativeCompact
  const std::int64_t index = medium_value(index_int);
  O* res;
  if (want == Type::kTuple) {
    RCLAB_DEOPT_IF(index >= as<Tuple>(seq)->size, BINARY_SUBSCR);
    res = as<Tuple>(seq)->items()[index];
    incref(ts, res, t);
  } else if constexpr (kLockedContainers<Cfg>) {
    res = list_get_item_ref(ts, as<List>(seq), index, t);
    RCLAB_DEOPT_IF(res == nullptr, BINARY_SUBSCR);
    from_stack(ts, res);
  } else {
    RCLAB_DEOPT_IF(index >= as<List>(seq)->size, BINARY_SUBSCR);
    res = as<List>(seq)->items[index];
    incref(ts, res, t);
  }
  decref_int(ts, sub, t);
  decref_stack(ts, seq, t);
  sp[-2] = res;
  --sp;
  RCLAB_DISPATCH();
}
op_STORE_SUBSCR: {
  RCLAB_INST(2);
pred_STORE_SUBSCR:
  RCLAB_SPECIALIZE(specialize_store_subscr(sp[-2], this_instr))
  O* sub = sp[-1];
  O* container = sp[-2];
  O* v = sp[-3];
  object_set_item(ts, container, sub, v);  // PyObject_SetItem
  decref_stack(ts, v, t);
  decref_stack(ts, container, t);
  decref_stack(ts, sub, t);
  sp -= 3;
  RCLAB_DISPATCH();
}
op_STORE_SUBSCR_DICT: {
  RCLAB_INST(2);
  O* sub = sp[-1];
  O* d = sp[-2];
  O* v = sp[-3];
  RCLAB_DEOPT_IF(d->type != Type::kDict, STORE_SUBSCR);
  from_stack(ts, sub);
  from_stack(ts, v);
  dict_set_take2(ts, as<Dict>(d), sub, v);  // key and value move in
  decref_stack(ts, d, t);
  sp -= 3;
  RCLAB_DISPATCH();
}
op_BUILD_TUPLE: {
  RCLAB_INST(1);
  Tuple<RC>* tup = tuple_new(ts, std::int64_t(oparg));  // _PyTuple_FromArraySteal
  for (std::uint32_t i = 0; i < oparg; ++i) {
    from_stack(ts, sp[int(i) - int(oparg)]);
    tup->items()[i] = sp[int(i) - int(oparg)];
  }
  sp -= oparg;
  *sp++ = &tup->ob;
  RCLAB_DISPATCH();
}
op_BUILD_LIST: {
  RCLAB_INST(1);
  List<RC>* l = list_new(ts, std::int64_t(oparg));  // _PyList_FromArraySteal
  for (std::uint32_t i = 0; i < oparg; ++i) {
    from_stack(ts, sp[int(i) - int(oparg)]);
    l->items[i] = sp[int(i) - int(oparg)];
  }
  sp -= oparg;
  *sp++ = &l->ob;
  RCLAB_DISPATCH();
}
op_BUILD_CONST_KEY_MAP: {
  RCLAB_INST(1);
  O* keys = sp[-1];
  O** values = sp - 1 - oparg;
  O* map = dict_from_items(ts, as<Tuple>(keys)->items(), 1, values, 1, int(oparg));
  for (int i = int(oparg); --i >= 0;) decref_stack(ts, values[i], t);
  decref_stack(ts, keys, t);
  sp[-1 - int(oparg)] = map;
  sp -= oparg;
  RCLAB_DISPATCH();
}
op_BUILD_MAP: {  // (values[oparg*2] -- map): _PyDict_FromItems, then DECREF_INPUTS
  RCLAB_INST(1);
  O** pairs = sp - 2 * int(oparg);
  O* map = dict_from_items(ts, pairs, 2, pairs + 1, 2, int(oparg));
  for (int i = 2 * int(oparg); --i >= 0;) decref_stack(ts, pairs[i], t);
  pairs[0] = map;
  sp = pairs + 1;
  RCLAB_DISPATCH();
}

// --- functions and closures -------------------------------------------------------

op_MAKE_FUNCTION: {
  RCLAB_INST(1);
  O* codeobj = sp[-1];
  Function<RC>* fn = function_new(ts, as<Code>(codeobj), frame->f_globals);
  to_stack(ts, &fn->ob);
  decref_stack(ts, codeobj, t);
  sp[-1] = &fn->ob;
  RCLAB_DISPATCH();
}
op_SET_FUNCTION_ATTRIBUTE: {
  RCLAB_INST(1);
  O* func = sp[-1];
  O* attr = sp[-2];
  // MAKE_FUNCTION_CLOSURE or MAKE_FUNCTION_DEFAULTS (the loader refuses the
  // rest): the tuple moves into the function.
  from_stack(ts, attr);
  if (oparg == kFunctionClosure)
    as<Function>(func)->closure = as<Tuple>(attr);
  else
    as<Function>(func)->defaults = as<Tuple>(attr);
  sp[-2] = func;
  --sp;
  RCLAB_DISPATCH();
}
op_MAKE_CELL: {
  RCLAB_INST(1);
  O* initial = frame->localsplus[oparg];
  Cell<RC>* cell = cell_new(ts, initial);  // PyCell_New: Py_XNewRef(initial)
  O* old = frame->localsplus[oparg];
  frame->localsplus[oparg] = &cell->ob;  // SETLOCAL
  if (old != nullptr) decref_stack(ts, old, t);
  RCLAB_DISPATCH();
}
op_COPY_FREE_VARS: {
  RCLAB_INST(1);
  Code<RC>* co = frame->f_executable;
  Tuple<RC>* closure = as<Function>(frame->f_funcobj)->closure;  // a code with free variables: a function's frame
  const int offset = co->nlocalsplus - int(oparg);
  for (int i = 0; i < int(oparg); ++i) {
    O* cell = closure->items()[i];
    incref_stack(ts, cell, t);
    frame->localsplus[offset + i] = cell;
  }
  RCLAB_DISPATCH();
}
op_LOAD_DEREF: {
  RCLAB_INST(1);
  Cell<RC>* cell = as<Cell>(frame->localsplus[oparg]);
  O* v = cell->ref;  // PyCell_GetRef: Py_XNewRef of the content
  if (v == nullptr) [[unlikely]]
    not_modelled("NameError: free variable referenced before assignment");
  incref_stack(ts, v, t);
  *sp++ = v;
  RCLAB_DISPATCH();
}

#undef RCLAB_SPECIALIZE
#undef RCLAB_NAMES
#undef RCLAB_CONSTS
#undef RCLAB_CHECK_EVAL_BREAKER
#undef RCLAB_DISPATCH_SAME_OPARG
#undef RCLAB_DEOPT_IF
#undef RCLAB_PUSH_GLOBAL
#undef RCLAB_INST
#undef RCLAB_PUSH_FRAME
#undef RCLAB_DISPATCH_INLINED
#undef RCLAB_CALL_OPERANDS
#undef RCLAB_DISPATCH
#pragma GCC diagnostic pop
}

}  // namespace rclab::runtime::py313
