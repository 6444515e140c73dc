// The specialising adaptive interpreter's half that is not in the eval loop
// (Python/specialize.c, Include/internal/pycore_backoff.h): quickening,
// the adaptive counters, and the _Py_Specialize_* functions that rewrite an
// instruction into one of its specialised forms or back off.
//
// Counters. Cache unit 0 of every specialisable instruction is a 16-bit
// backoff counter: value in the high 12 bits, backoff exponent in the low 4.
// Quickening writes "warm-up" (value 1, backoff 1) everywhere; the base
// instruction decrements the value each time it runs generically and calls
// the specialiser when it finds it at 0 — on the instruction's second
// execution. A success writes the specialised opcode and "cool-down" (value
// 52, backoff 0); a failure writes the base opcode back and restarts the
// counter at 2^(backoff+1) - 1 with backoff + 1 (up to 4095, 12), so an
// instruction that cannot be specialised is retried exponentially less
// often. A specialised form that misses its guards (DEOPT_IF) runs its
// base's body, whose counter then counts misses down from 52: the 53rd
// re-specialises.
//
// Everything here runs under the GIL (a specialising generation needs an
// exclusive one: runtime/config.h), so the in-place rewrites race with
// nothing; no pointer written into a cache holds a reference (3.13's caches
// borrow: a version tag guards every use). Except the free-threaded
// specialiser at the end (py313-tlbc, 3.14t's), which runs without a GIL on
// a copy of the bytecode only its own thread runs (runtime/py313/tlbc.h).
//
// Specialised forms modelled (runtime/py313/opcodes.json) and when 3.13
// picks them:
//   LOAD_GLOBAL_MODULE / _BUILTIN   the name is in the globals / builtins,
//                                   whose keys get a version (<= 0xffff)
//   BINARY_OP_ADD_INT / _SUBTRACT_INT / _MULTIPLY_INT  both operands exact ints
//   BINARY_OP_ADD_FLOAT / _SUBTRACT_FLOAT / _MULTIPLY_FLOAT  both exact floats
//   COMPARE_OP_INT                  both exact ints, both compact (one digit)
//   COMPARE_OP_FLOAT                both exact floats
//   CALL_PY_EXACT_ARGS              a plain function taking exactly the
//                                   arguments given, with a version
//   CALL_BUILTIN_CLASS              a static type with a vectorcall (range)
//   CALL_LEN, CALL_LIST_APPEND      by identity (list.append only before a POP_TOP)
//   CALL_BUILTIN_FAST_WITH_KEYWORDS a module's METH_FASTCALL|METH_KEYWORDS
//                                   function (round)
//   CALL_BUILTIN_O                  a module's METH_O function, one argument
//                                   (math.floor)
//   LOAD_ATTR_MODULE                a module's attribute, found in its dict,
//                                   whose keys get a version (index <= 0xffff)
//   CALL_METHOD_DESCRIPTOR_FAST(_WITH_KEYWORDS)  by the descriptor's flags
//   CALL_ALLOC_AND_ENTER_INIT       a class with a simple Python __init__
//                                   taking the arguments given after self
//   CALL_NON_PY_GENERAL             any other C callable, and a class
//                                   without a Python __init__ (or one
//                                   whose instances have no inline values)
//   UNPACK_SEQUENCE_TWO_TUPLE / _TUPLE / _LIST  an exact tuple or list of
//                                   the target's length (a list not on
//                                   thread-local bytecode)
//   FOR_ITER_LIST / _TUPLE / _RANGE by the iterator's type
//   LOAD_ATTR_INSTANCE_VALUE        an inline value of a heap class's instance
//   STORE_ATTR_INSTANCE_VALUE       the same, stored, its name already in the
//                                   class's shared keys
//   LOAD_ATTR_METHOD_WITH_VALUES    a function on the class, not shadowed
//   LOAD_ATTR_METHOD_NO_DICT        a method of a builtin type
//   BINARY_SUBSCR_DICT, STORE_SUBSCR_DICT  an exact dict
//   BINARY_SUBSCR_LIST_INT / _TUPLE_INT  a list or tuple by a compact int >= 0
// A case 3.13 would specialise into a form rclab does not have (a str
// concatenation, list.append whose result is used) fails here and backs
// off instead; no counted loop of a workload reaches one.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>

#include "runtime/builtins.h"
#include "runtime/object.h"
#include "runtime/py313/opcodes.h"
#include "runtime/runtime.h"

namespace rclab::runtime::py313 {

// --- the backoff counter ------------------------------------------------------

constexpr std::uint16_t make_counter(std::uint16_t value, std::uint16_t backoff) {
  return std::uint16_t(value << 4 | backoff);
}

struct Counter {
  static constexpr std::uint16_t make(std::uint16_t value, std::uint16_t backoff) { return make_counter(value, backoff); }
  static constexpr std::uint16_t value(std::uint16_t c) { return c >> 4; }
  static constexpr std::uint16_t backoff(std::uint16_t c) { return c & 0xf; }
  static constexpr std::uint16_t kWarmup = make_counter(1, 1);     // ADAPTIVE_WARMUP_VALUE, _BACKOFF
  static constexpr std::uint16_t kCooldown = make_counter(52, 0);  // ADAPTIVE_COOLDOWN_VALUE, _BACKOFF
  static constexpr std::uint16_t kUnreachable = 0xffff;
  static constexpr std::uint16_t kJumpBackward = make_counter(16, 4);  // initial_jump_backoff_counter (tier 2 only)
  static constexpr std::uint16_t kBranchHistory = 0x5555;      // POP_JUMP_IF_*'s initial history bits

  static constexpr bool triggers(std::uint16_t c) { return value(c) == 0; }
  static constexpr std::uint16_t advance(std::uint16_t c) {
    return c == kUnreachable ? c : make(std::uint16_t((value(c) - 1) & 0xfff), backoff(c));
  }
  static constexpr std::uint16_t restart(std::uint16_t c) {  // adaptive_counter_backoff
    return backoff(c) < 12 ? make(std::uint16_t((1u << (backoff(c) + 1)) - 1), std::uint16_t(backoff(c) + 1))
                           : make(0xfff, 12);
  }
};
static_assert(Counter::kWarmup == 0x11 && Counter::kCooldown == 0x340);
static_assert(Counter::restart(Counter::kWarmup) == Counter::make(3, 2));

// Cache fields: 16-bit units after the instruction, multi-unit ones
// little-endian (read_u32, read_obj of pycore_code.h).
inline std::uint32_t read_u32(const std::uint16_t* p) { return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 16; }
inline void write_u32(std::uint16_t* p, std::uint32_t v) {
  p[0] = std::uint16_t(v);
  p[1] = std::uint16_t(v >> 16);
}
inline void* read_ptr(const std::uint16_t* p) {
  void* v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline void write_ptr(std::uint16_t* p, void* v) { std::memcpy(p, &v, sizeof v); }

inline void set_opcode(std::uint16_t* instr, std::uint8_t op) { *instr = std::uint16_t((*instr & 0xff00) | op); }

// _PyCode_Quicken: the initial counters, on a code object's adaptive copy.
inline void quicken(std::uint16_t* code, std::uint32_t n) {
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint8_t op = kDeopt[opcode_of(code[i])];
    const std::uint8_t caches = kCaches[op];
    if (caches != 0) {
      std::uint16_t c = Counter::kWarmup;
      if (op == JUMP_BACKWARD) c = Counter::kJumpBackward;
      if (op == POP_JUMP_IF_FALSE || op == POP_JUMP_IF_TRUE) c = Counter::kBranchHistory;
      code[i + 1] = c;
      i += caches;
    }
  }
}

// --- versions -----------------------------------------------------------------

// The runtime's version counters (runtime/generation.h: Runtime::gen.versions).
using Versions = Versions313;

// _PyDictKeys_GetVersionForCurrentState: the keys' version, assigned now if
// they have none.
template <class RC>
std::uint32_t keys_version(Versions& v, Dict<RC>* d) {
  DictKeys* dk = d->keys;
  if (dk->version == 0) dk->version = v.next_keys++;
  return dk->version;
}

template <class RC>
std::uint32_t type_version(Versions& v, Class<RC>* c) {
  if (c->version_tag == 0) c->version_tag = v.next_type++;
  return c->version_tag;
}

// A builtin type's version: its tag (static types never change). Kept apart
// from heap classes' numbers by the top bit.
inline std::uint32_t builtin_type_version(Type t) { return 0x80000000u | std::uint32_t(t); }

template <class RC>
std::uint32_t shared_keys_version(Versions& v, Class<RC>* c) {
  if (c->shared_keys_version == 0) c->shared_keys_version = v.next_keys++;
  return c->shared_keys_version;
}

// The index of `name` among a class's shared keys (its inline value's
// slot), or -1 (_PyDictKeys_StringLookup on ht_cached_keys).
template <class RC>
int shared_key_index(const Class<RC>* c, const Str<RC>* name) {
  if (c->cached_keys == nullptr) return -1;
  const std::int64_t ix = unicodekeys_lookup_unicode<false>(c->cached_keys, name, name->hash);
  return ix >= 0 ? int(ix) : -1;
}

// --- the specialisers ---------------------------------------------------------

namespace detail {
inline void succeed(std::uint16_t* instr, std::uint8_t op) {
  set_opcode(instr, op);
  instr[1] = Counter::kCooldown;
}
inline void fail(std::uint16_t* instr) {
  set_opcode(instr, kDeopt[opcode_of(*instr)]);
  instr[1] = Counter::restart(instr[1]);
}

// _PyDictKeys_StringLookup: the entry index of `name` in `d`'s keys, or
// kDkixEmpty (the index a LOAD_GLOBAL_* reads: DK_UNICODE_ENTRIES[index]).
template <class RC>
std::int64_t dict_index(Dict<RC>* d, Str<RC>* name) {
  return unicodekeys_lookup_unicode<false>(d->keys, name, name->hash);
}
}  // namespace detail

// _Py_Specialize_LoadGlobal. Cache: [1] globals' keys version, [2] builtins',
// [3] the entry's index.
template <class RC>
void specialize_load_global(Versions& v, Dict<RC>* globals, Dict<RC>* builtins, std::uint16_t* instr, Str<RC>* name) {
  const std::int64_t gi = detail::dict_index(globals, name);
  if (gi >= 0) {
    const std::uint32_t ver = keys_version(v, globals);
    if (gi > 0xffff || ver > 0xffff) return detail::fail(instr);
    instr[2] = std::uint16_t(ver);
    instr[4] = std::uint16_t(gi);
    return detail::succeed(instr, LOAD_GLOBAL_MODULE);
  }
  const std::int64_t bi = detail::dict_index(builtins, name);
  if (bi < 0 || bi > 0xffff) return detail::fail(instr);
  const std::uint32_t gver = keys_version(v, globals), bver = keys_version(v, builtins);
  if (gver > 0xffff || bver > 0xffff) return detail::fail(instr);
  instr[2] = std::uint16_t(gver);
  instr[3] = std::uint16_t(bver);
  instr[4] = std::uint16_t(bi);
  detail::succeed(instr, LOAD_GLOBAL_BUILTIN);
}

template <class RC>
bool compact(const Object<RC>* o) {  // _PyLong_IsCompact: at most one digit
  const Int<RC>* i = reinterpret_cast<const Int<RC>*>(o);
  return i->size >= -1 && i->size <= 1;
}

// _Py_Specialize_BinaryOp.
template <class RC>
void specialize_binary_op(Object<RC>* lhs, Object<RC>* rhs, std::uint16_t* instr, std::uint32_t oparg) {
  if (lhs->type == Type::kInt && rhs->type == Type::kInt) {
    if (oparg == kNbAdd || oparg == kNbInplaceAdd) return detail::succeed(instr, BINARY_OP_ADD_INT);
    if (oparg == kNbSubtract) return detail::succeed(instr, BINARY_OP_SUBTRACT_INT);
    if (oparg == kNbMultiply || oparg == kNbInplaceMultiply) return detail::succeed(instr, BINARY_OP_MULTIPLY_INT);
  }
  if (lhs->type == Type::kFloat && rhs->type == Type::kFloat) {
    if (oparg == kNbAdd || oparg == kNbInplaceAdd) return detail::succeed(instr, BINARY_OP_ADD_FLOAT);
    if (oparg == kNbSubtract) return detail::succeed(instr, BINARY_OP_SUBTRACT_FLOAT);
    if (oparg == kNbMultiply || oparg == kNbInplaceMultiply) return detail::succeed(instr, BINARY_OP_MULTIPLY_FLOAT);
  }
  detail::fail(instr);
}

// _Py_Specialize_CompareOp.
template <class RC>
void specialize_compare_op(Object<RC>* lhs, Object<RC>* rhs, std::uint16_t* instr) {
  if (lhs->type == Type::kInt && rhs->type == Type::kInt && compact(lhs) && compact(rhs))
    return detail::succeed(instr, COMPARE_OP_INT);
  if (lhs->type == Type::kFloat && rhs->type == Type::kFloat) return detail::succeed(instr, COMPARE_OP_FLOAT);
  detail::fail(instr);
}

// _Py_Specialize_ForIter.
template <class RC>
void specialize_for_iter(Object<RC>* iter, std::uint16_t* instr) {
  switch (iter->type) {
    case Type::kListIter: return detail::succeed(instr, FOR_ITER_LIST);
    case Type::kTupleIter: return detail::succeed(instr, FOR_ITER_TUPLE);
    case Type::kRangeIter: return detail::succeed(instr, FOR_ITER_RANGE);
    case Type::kGenerator: return detail::succeed(instr, FOR_ITER_GEN);  // no PEP 523 hook here
    default: return detail::fail(instr);
  }
}

// _Py_Specialize_BinarySubscr: a list or tuple by an exact int that is
// compact and not negative, or an exact dict.
template <class RC>
void specialize_binary_subscr(Object<RC>* container, Object<RC>* sub, std::uint16_t* instr) {
  if (container->type == Type::kList || container->type == Type::kTuple) {
    if (sub->type != Type::kInt || !compact(sub) || reinterpret_cast<const Int<RC>*>(sub)->size < 0)
      return detail::fail(instr);
    return detail::succeed(instr, container->type == Type::kList ? BINARY_SUBSCR_LIST_INT : BINARY_SUBSCR_TUPLE_INT);
  }
  if (container->type == Type::kDict) return detail::succeed(instr, BINARY_SUBSCR_DICT);
  detail::fail(instr);
}

template <class RC>
void specialize_store_subscr(Object<RC>* container, std::uint16_t* instr) {
  if (container->type == Type::kDict) return detail::succeed(instr, STORE_SUBSCR_DICT);
  detail::fail(instr);
}

namespace detail {
// get_init_for_simple_managed_python_class: a class's __init__ when its
// instances have inline values and it is a Python function of
// SIMPLE_FUNCTION kind (optimised; the loader refuses *args, **kwargs and
// keyword-only parameters); else null.
template <class Cfg>
Function<typename Cfg::RC>* simple_init(Class<typename Cfg::RC>* c, Str<typename Cfg::RC>* init_name) {
  Object<typename Cfg::RC>* init = type_lookup<Cfg>(c, init_name);
  if (!c->has_dict || init == nullptr || init->type != Type::kFunction) return nullptr;
  return (as<Function>(init)->code->flags & kCoOptimized) ? as<Function>(init) : nullptr;
}
}  // namespace detail

// _Py_Specialize_UnpackSequence: an exact tuple of the right size (two:
// UNPACK_SEQUENCE_TWO_TUPLE), an exact list of the right size; a wrong size
// or anything else fails. `lists` false on thread-local bytecode: 3.14t's
// UNPACK_SEQUENCE_LIST reads the list in its critical section, which rclab
// does not model, so a list stays with the generic form there.
template <class RC>
void specialize_unpack_sequence(Object<RC>* seq, std::uint16_t* instr, int oparg, bool lists) {
  if (seq->type == Type::kTuple) {
    if (as<Tuple>(seq)->size != oparg) return detail::fail(instr);
    return detail::succeed(instr, oparg == 2 ? UNPACK_SEQUENCE_TWO_TUPLE : UNPACK_SEQUENCE_TUPLE);
  }
  if (lists && seq->type == Type::kList && as<List>(seq)->size == oparg)
    return detail::succeed(instr, UNPACK_SEQUENCE_LIST);
  detail::fail(instr);
}

// _Py_Specialize_Call: by what the callable is (specialize_py_call,
// specialize_c_call, specialize_class_call, specialize_method_descriptor).
// `nargs` counts self. Cache: [1..2] the function's version.
template <class Cfg>
void specialize_call(Versions& v, Str<typename Cfg::RC>* init_name, Object<typename Cfg::RC>* callable,
                     std::uint16_t* instr, int nargs) {
  using RC = typename Cfg::RC;
  switch (callable->type) {
    case Type::kFunction: {
      Function<RC>* f = as<Function>(callable);
      const Code<RC>* co = f->code;
      // function_kind: SIMPLE_FUNCTION needs no *args, **kwargs or
      // keyword-only arguments (the loader refuses them) and optimised
      // code; then the exact form when the arguments match the parameters,
      // else the general one (defaults fill the rest).
      if (f->version == 0 || !(co->flags & kCoOptimized)) return detail::fail(instr);
      write_u32(instr + 2, f->version);
      return detail::succeed(instr, co->argcount == nargs ? CALL_PY_EXACT_ARGS : CALL_PY_GENERAL);
    }
    case Type::kBuiltin: {
      const Builtin<RC>* b = as<Builtin>(callable);
      const BuiltinDef<Cfg>& def = Builtins<Cfg>::table[b->which];
      switch (def.call_kind) {
        case CallKind::kBuiltinClass:
          return detail::succeed(instr, CALL_BUILTIN_CLASS);
        case CallKind::kLen:
          return nargs == 1 ? detail::succeed(instr, CALL_LEN) : detail::fail(instr);
        case CallKind::kListAppend:
          // METH_O: two arguments with self; only when the result is dropped.
          if (nargs != 2) return detail::fail(instr);
          if (oparg_of(*instr) == 1 && opcode_of(instr[1 + kCaches[CALL]]) == POP_TOP)
            return detail::succeed(instr, CALL_LIST_APPEND);
          return detail::succeed(instr, CALL_NON_PY_GENERAL);  // CALL_METHOD_DESCRIPTOR_O: not modelled
        case CallKind::kMethodFastKeywords:
          return detail::succeed(instr, CALL_METHOD_DESCRIPTOR_FAST_WITH_KEYWORDS);
        case CallKind::kMethodFast:
          return detail::succeed(instr, CALL_METHOD_DESCRIPTOR_FAST);
        case CallKind::kBuiltinFastKeywords:
          return detail::succeed(instr, CALL_BUILTIN_FAST_WITH_KEYWORDS);
        case CallKind::kBuiltinO:
          return nargs == 1 ? detail::succeed(instr, CALL_BUILTIN_O) : detail::fail(instr);
        case CallKind::kGeneral:
          // A heap type without a vectorcall (Queue) fails; a builtin
          // function or a METH_METHOD descriptor is a general call.
          return def.is_type ? detail::fail(instr) : detail::succeed(instr, CALL_NON_PY_GENERAL);
      }
      return detail::fail(instr);
    }
    case Type::kClass: {
      // specialize_class_call on a heap class (tp_new is object's): a
      // simple __init__ (detail::simple_init), then the class's version
      // (type_get_version). With such an __init__ taking the arguments
      // given after self, CALL_ALLOC_AND_ENTER_INIT (the __init__ cached in
      // the class, as _spec_cache.init; the cache holds the class version);
      // with one taking another number, a failure; else the generic form.
      Class<RC>* c = as<Class>(callable);
      if (c->slot_new || c->tuple_base) return detail::succeed(instr, CALL_NON_PY_GENERAL);  // tp_new is not object's
      Function<RC>* init = detail::simple_init<Cfg>(c, init_name);
      if (init != nullptr) c->spec_init = init;
      const std::uint32_t version = type_version(v, c);
      if (init == nullptr) return detail::succeed(instr, CALL_NON_PY_GENERAL);
      if (init->code->argcount != nargs + 1) return detail::fail(instr);
      write_u32(instr + 2, version);
      return detail::succeed(instr, CALL_ALLOC_AND_ENTER_INIT);
    }
    case Type::kMethodCaller:  // any other callable: the generic C call
      return detail::succeed(instr, CALL_NON_PY_GENERAL);
    default:
      return detail::fail(instr);
  }
}

// _Py_Specialize_LoadAttr for an instance of a heap class or a builtin
// type. `descr` is the class attribute _PyType_Lookup found (null if none).
// Cache (_PyLoadMethodCache): [1..2] the type version, [3..4] the shared
// keys' version or [3] an inline value's index, [5..8] the descriptor
// (borrowed).
template <class Cfg>
void specialize_load_attr(Versions& v, Object<typename Cfg::RC>* owner, Str<typename Cfg::RC>* name,
                          Object<typename Cfg::RC>* descr, std::uint16_t* instr, bool method) {
  using RC = typename Cfg::RC;
  if (owner->type == Type::kModule) {  // specialize_module_load_attr
    Dict<RC>* d = as<Module>(owner)->dict;
    const std::int64_t index = detail::dict_index(d, name);
    if (index < 0 || index > 0xffff) return detail::fail(instr);
    write_u32(instr + 2, keys_version(v, d));
    instr[4] = std::uint16_t(index);
    return detail::succeed(instr, LOAD_ATTR_MODULE);
  }
  if (owner->type == Type::kInstance) {
    Instance<RC>* obj = as<Instance>(owner);
    Class<RC>* cls = obj->cls;
    if (obj->nvalues == 0) return detail::fail(instr);  // no inline values: a py36 layout
    const int index = shared_key_index(cls, name);
    if (method && descr != nullptr && descr->type == Type::kFunction) {
      if (index >= 0) return detail::fail(instr);  // shadowed by an instance attribute
      write_u32(instr + 2, type_version(v, cls));
      write_u32(instr + 4, shared_keys_version(v, cls));
      write_ptr(instr + 6, descr);
      return detail::succeed(instr, LOAD_ATTR_METHOD_WITH_VALUES);
    }
    if (!method && descr == nullptr && index >= 0) {
      write_u32(instr + 2, type_version(v, cls));
      instr[4] = std::uint16_t(index);
      return detail::succeed(instr, LOAD_ATTR_INSTANCE_VALUE);
    }
    return detail::fail(instr);
  }
  if (method && descr != nullptr && descr->type == Type::kBuiltin) {  // a builtin type's method descriptor
    write_u32(instr + 2, builtin_type_version(owner->type));
    write_ptr(instr + 6, descr);
    return detail::succeed(instr, LOAD_ATTR_METHOD_NO_DICT);
  }
  detail::fail(instr);
}

namespace detail {
// The inline value's index STORE_ATTR_INSTANCE_VALUE would store `name` at
// in `owner`, or -1: both specialisers' checks (under 3.14t's type lock for
// specialize_store_attr_ft).
template <class Cfg>
int store_attr_index(Object<typename Cfg::RC>* owner, Str<typename Cfg::RC>* name) {
  using RC = typename Cfg::RC;
  if (owner->type != Type::kInstance) return -1;
  Instance<RC>* obj = as<Instance>(owner);
  if (obj->nvalues == 0 || type_lookup<Cfg>(obj->cls, name) != nullptr) return -1;
  const int index = shared_key_index(obj->cls, name);
  return index < int(obj->nvalues) ? index : -1;
}

inline void succeed_store_attr(std::uint16_t* instr, std::uint32_t type_version, int index) {
  write_u32(instr + 2, type_version);
  instr[4] = std::uint16_t(index);
  succeed(instr, STORE_ATTR_INSTANCE_VALUE);
}
}  // namespace detail

// _Py_Specialize_StoreAttr for an instance of a heap class whose class has
// no attribute of that name (analyze_descriptor: ABSENT), with inline
// values, and the name already in the class's shared keys
// (specialize_dict_access: SPEC_FAIL_ATTR_NOT_IN_KEYS otherwise, so an
// attribute's first store on a class stays generic). Cache
// (_PyAttrCache): [1..2] the type version, [3] the value's index (3.13
// stores its byte offset from the object; the same guard). Anything else
// fails: a module, a thread-local (their own tp_setattro), a class
// attribute, `__slots__`.
template <class Cfg>
void specialize_store_attr(Versions& v, Object<typename Cfg::RC>* owner, Str<typename Cfg::RC>* name,
                           std::uint16_t* instr) {
  const int index = detail::store_attr_index<Cfg>(owner, name);
  if (index < 0) return detail::fail(instr);
  detail::succeed_store_attr(instr, type_version(v, as<Instance>(owner)->cls), index);
}

// --- the free-threaded specialiser (py313-tlbc) ------------------------------
//
// 3.14t's (Python/specialize.c with Py_GIL_DISABLED: every family under
// ENABLE_SPECIALIZATION_FT). Its rewrites go to the thread's own copy of the
// bytecode (runtime/py313/tlbc.h) with the plain stores above: no other
// thread runs that copy. What it reads and assigns that every thread shares
// is protected as 3.14t protects it, and its refusals are 3.14t's:
//   - a dict's keys version (its keys object's dk_version) is assigned
//     inside the dict's critical section, with the entry's index looked up
//     in the same keys object
//     (3.14t: Py_BEGIN_CRITICAL_SECTION2(globals, builtins); here one dict
//     at a time, rclab's sections taking one object: a globals version is
//     taken in the same section that saw the name absent, so a
//     LOAD_GLOBAL_BUILTIN cache never pairs a globals state with the name
//     in it), stored with a relaxed atomic, and the runtime's counter taken
//     with an atomic add (get_next_dict_keys_version's CAS); the dict is
//     marked shared there when another thread owns it, so that what its
//     writers unlink goes through QSBR while the guarded forms read it
//     unlocked (3.14t leaves that to the generic path's first lookup,
//     which the warm-up always runs first);
//   - a class's version tag and its shared keys' version are assigned under
//     the runtime's type lock (TYPE_LOCK; 3.14t takes the shared keys' own
//     lock for the latter), relaxed atomic stores, the counter an atomic add;
//     an attribute's inline slot is its entry index in the class's split
//     keys (cached_keys), looked up under the same lock, which every
//     insertion into those keys holds (runtime/py313/interp.h: set_attr);
//   - LOAD_ATTR's method forms only for a descriptor with deferred counting
//     (SPEC_FAIL_ATTR_DESCR_NOT_DEFERRED): the class holds it, and its count
//     is never contended. rclab's py313t makes such objects immortal at the
//     first thread start (refcount/ft313.h), so immortal counts as deferred;
//   - CALL_ALLOC_AND_ENTER_INIT likewise only for an __init__ with deferred
//     counting (_PyType_CacheInitForSpecialization), cached in the class
//     under the type lock with a release store (else the generic form);
//   - FOR_ITER's forms only on an iterator this thread alone references
//     (_PyObject_IsUniquelyReferenced): 3.14t asks that of range iterators
//     and generators, and iterates lists and tuples with no iterator object
//     at all (an index on the stack); rclab keeps 3.13's iterator objects,
//     so it asks it of all three, their index being then this thread's; and
//     FOR_ITER_LIST only on a list this thread owns or that is marked shared.
// The guards the specialised forms run are in runtime/py313/interp.h.

// Relaxed atomic loads and stores of the version fields other threads' guards
// read (3.14t's FT_ATOMIC_LOAD/STORE_UINT32_RELAXED).
template <class T>
[[gnu::always_inline]] inline T load_relaxed(const T& x) {
  return std::atomic_ref<T>(const_cast<T&>(x)).load(std::memory_order_relaxed);
}
template <class T>
[[gnu::always_inline]] inline void store_relaxed(T& x, T v) {
  std::atomic_ref<T>(x).store(v, std::memory_order_relaxed);
}

namespace detail {
inline std::uint32_t next_version_ft(std::uint32_t& counter) {
  return std::atomic_ref<std::uint32_t>(counter).fetch_add(1, std::memory_order_relaxed);
}

// _PyDictKeys_GetVersionForCurrentState: the version of d's keys object,
// assigned now if it has none. Inside d's critical section (its writers
// reset the version, or publish a new keys object without one, in theirs).
template <class RC>
std::uint32_t keys_version_ft(Versions& v, Dict<RC>* d) {
  DictKeys* dk = d->keys;
  std::uint32_t ver = dk->version;
  if (ver == 0) {
    ver = next_version_ft(v.next_keys);
    store_relaxed(dk->version, ver);
  }
  return ver;
}

// _PyObject_HasDeferredRefcount, with py313t's immortals (above).
template <class RC>
bool has_deferred_refcount(const Object<RC>* o) {
  return (o->flags & kDeferredFlag) != 0 || RC::is_immortal(o->rc);
}

// The runtime's type lock (runtime/generation.h: Py313::Shared::type_lock,
// the one the type cache and the shared keys' insertions take), held for a
// scope.
class TypeLock {
 public:
  explicit TypeLock(dictlock::PyMutex& m) : m_(m) { m_.lock(); }
  ~TypeLock() { m_.unlock(); }
  TypeLock(const TypeLock&) = delete;
  TypeLock& operator=(const TypeLock&) = delete;

 private:
  dictlock::PyMutex& m_;
};
}  // namespace detail

// _Py_Specialize_LoadGlobal: as specialize_load_global, each dict read in
// its critical section. Cache as there.
template <class Cfg>
void specialize_load_global_ft(ThreadState<Cfg>& ts, Versions& v, Dict<typename Cfg::RC>* globals,
                               Dict<typename Cfg::RC>* builtins, std::uint16_t* instr, Str<typename Cfg::RC>* name) {
  using L = typename Cfg::DictLock;
  // The name's index in d and d's keys version, in d's critical section.
  auto look = [&](Dict<typename Cfg::RC>* d, std::int64_t& index, std::uint32_t& ver) {
    auto& state = dict_lock_state<Cfg>(d);
    L::write(state, [&] {
      if (!L::is_shared(state) && !owned_by_this_thread(ts, &d->ob)) L::set_shared(state);
      index = detail::dict_index(d, name);
      ver = detail::keys_version_ft(v, d);
    });
  };
  std::int64_t gi = -1, bi = -1;
  std::uint32_t gver = 0, bver = 0;
  look(globals, gi, gver);
  if (gver > 0xffff) return detail::fail(instr);
  if (gi >= 0) {
    if (gi > 0xffff) return detail::fail(instr);
    instr[2] = std::uint16_t(gver);
    instr[4] = std::uint16_t(gi);
    return detail::succeed(instr, LOAD_GLOBAL_MODULE);
  }
  look(builtins, bi, bver);
  if (bi < 0 || bi > 0xffff || bver > 0xffff) return detail::fail(instr);
  instr[2] = std::uint16_t(gver);
  instr[3] = std::uint16_t(bver);
  instr[4] = std::uint16_t(bi);
  detail::succeed(instr, LOAD_GLOBAL_BUILTIN);
}

// _Py_Specialize_Call without a GIL: specialize_call's forms; a class's
// version assigned under the type lock, as specialize_load_attr_ft's. A
// class with a simple Python __init__ is CALL_ALLOC_AND_ENTER_INIT's only
// when the __init__ uses deferred counting (3.14t's
// _PyType_CacheInitForSpecialization: the cached reference is borrowed),
// cached under the type lock with release for the instruction's acquire
// load; else the generic form.
template <class Cfg>
void specialize_call_ft(ThreadState<Cfg>& ts, Versions& v, Object<typename Cfg::RC>* callable, std::uint16_t* instr,
                        int nargs) {
  using RC = typename Cfg::RC;
  if (callable->type != Type::kClass) return specialize_call<Cfg>(v, ts.rt.intern_init, callable, instr, nargs);
  Class<RC>* c = as<Class>(callable);
  Function<RC>* init = detail::simple_init<Cfg>(c, ts.rt.intern_init);
  detail::TypeLock lock(ts.rt.gen.type_lock);
  if (c->version_tag == 0) store_relaxed(c->version_tag, detail::next_version_ft(v.next_type));
  if (init == nullptr || !detail::has_deferred_refcount(&init->ob)) return detail::succeed(instr, CALL_NON_PY_GENERAL);
  if (init->code->argcount != nargs + 1) return detail::fail(instr);
  std::atomic_ref<Function<RC>*>(c->spec_init).store(init, std::memory_order_release);
  write_u32(instr + 2, c->version_tag);
  detail::succeed(instr, CALL_ALLOC_AND_ENTER_INIT);
}

// _Py_Specialize_ForIter without a GIL.
template <class Cfg>
void specialize_for_iter_ft(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* iter, std::uint16_t* instr) {
  if (!uniquely_referenced(ts, iter)) return detail::fail(instr);
  if (iter->type == Type::kListIter) {
    Object<typename Cfg::RC>* seq = as<SeqIter>(iter)->seq;
    if (seq != nullptr && !list_readable_unlocked(ts, as<List>(seq))) return detail::fail(instr);
  }
  specialize_for_iter(iter, instr);
}

// _Py_Specialize_LoadAttr without a GIL: specialize_load_attr's forms, the
// versions under the type lock, the method forms only for a deferred
// descriptor. Cache as there.
template <class Cfg>
void specialize_load_attr_ft(ThreadState<Cfg>& ts, Versions& v, Object<typename Cfg::RC>* owner,
                             Str<typename Cfg::RC>* name, Object<typename Cfg::RC>* descr, std::uint16_t* instr,
                             bool method) {
  using RC = typename Cfg::RC;
  if (owner->type == Type::kModule) {  // the index and the keys' version in the dict's critical section
    using L = typename Cfg::DictLock;
    Dict<RC>* d = as<Module>(owner)->dict;
    std::int64_t index = -1;
    std::uint32_t ver = 0;
    auto& state = dict_lock_state<Cfg>(d);
    L::write(state, [&] {
      if (!L::is_shared(state) && !owned_by_this_thread(ts, &d->ob)) L::set_shared(state);
      index = detail::dict_index(d, name);
      ver = detail::keys_version_ft(v, d);
    });
    if (index < 0 || index > 0xffff) return detail::fail(instr);
    write_u32(instr + 2, ver);
    instr[4] = std::uint16_t(index);
    return detail::succeed(instr, LOAD_ATTR_MODULE);
  }
  if (method && descr != nullptr && !detail::has_deferred_refcount(descr)) return detail::fail(instr);
  if (owner->type == Type::kInstance) {
    Instance<RC>* obj = as<Instance>(owner);
    Class<RC>* cls = obj->cls;
    if (obj->nvalues == 0) return detail::fail(instr);
    detail::TypeLock lock(ts.rt.gen.type_lock);
    const int index = shared_key_index(cls, name);
    auto type_version = [&] {
      if (cls->version_tag == 0) store_relaxed(cls->version_tag, detail::next_version_ft(v.next_type));
      return cls->version_tag;
    };
    if (method && descr != nullptr && descr->type == Type::kFunction) {
      if (index >= 0) return detail::fail(instr);  // shadowed by an instance attribute
      write_u32(instr + 2, type_version());
      if (cls->shared_keys_version == 0) store_relaxed(cls->shared_keys_version, detail::next_version_ft(v.next_keys));
      write_u32(instr + 4, cls->shared_keys_version);
      write_ptr(instr + 6, descr);
      return detail::succeed(instr, LOAD_ATTR_METHOD_WITH_VALUES);
    }
    if (!method && descr == nullptr && index >= 0) {
      write_u32(instr + 2, type_version());
      instr[4] = std::uint16_t(index);
      return detail::succeed(instr, LOAD_ATTR_INSTANCE_VALUE);
    }
    return detail::fail(instr);
  }
  // A builtin type's method descriptor: static types never change their version.
  specialize_load_attr<Cfg>(v, owner, name, descr, instr, method);
}

// 3.14t's _Py_Specialize_StoreAttr: as specialize_store_attr, the shared
// key's index and the class's version read and assigned under the type
// lock (3.14t: the keys' lock and TYPE_LOCK), the version stored relaxed.
template <class Cfg>
void specialize_store_attr_ft(ThreadState<Cfg>& ts, Versions& v, Object<typename Cfg::RC>* owner,
                              Str<typename Cfg::RC>* name, std::uint16_t* instr) {
  detail::TypeLock lock(ts.rt.gen.type_lock);
  const int index = detail::store_attr_index<Cfg>(owner, name);
  if (index < 0) return detail::fail(instr);
  Class<typename Cfg::RC>* cls = as<Instance>(owner)->cls;
  if (cls->version_tag == 0) store_relaxed(cls->version_tag, detail::next_version_ft(v.next_type));
  detail::succeed_store_attr(instr, cls->version_tag, index);
}

}  // namespace rclab::runtime::py313
