// Type objects: the slots 3.6's call path dispatches through (tp_as_number's
// nb_add and nb_subtract, tp_richcompare, tp_dealloc) and the flags its type
// checks test. The object header keeps a one-byte tag instead of an ob_type
// pointer; type_of() turns it into the type object with one indexed load, as
// Py_TYPE(o) is one load, and every call through a slot is an indirect call,
// as in 3.6. Only the slots fib reaches are filled; the others are null.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "runtime/config.h"
#include "runtime/object.h"
#include "runtime/thread_state.h"

namespace rclab::runtime {

// tp_flags bits (Py_TPFLAGS_*) that PyLong_Check and PyDict_CheckExact read.
enum TypeFlag : std::uint64_t {
  kTpInlineValues = 1ull << 2,       // Py_TPFLAGS_INLINE_VALUES: instances keep attributes inline (3.13)
  kTpManagedDict = 1ull << 4,        // Py_TPFLAGS_MANAGED_DICT
  kTpReady = 1ull << 12,             // Py_TPFLAGS_READY
  kTpMethodDescriptor = 1ull << 17,  // Py_TPFLAGS_METHOD_DESCRIPTOR: binds like a function (3.7+)
  kTpLongSubclass = 1ull << 24,
  kTpDictSubclass = 1ull << 29,
};

template <class Cfg>
struct TypeObject {
  using O = Object<typename Cfg::RC>;
  using TS = ThreadState<Cfg>;
  // Slots take the thread state: 3.6's fetch it from a global when they need
  // it; passing it is the "no TLS" shape, and a looking-up TState policy
  // still looks it up where 3.6 does (runtime/thread_state.h).
  using binaryfunc = O* (*)(TS&, O*, O*);
  using richcmpfunc = O* (*)(TS&, O*, O*, int);
  using destructor = void (*)(TS&, O*);
  struct NumberMethods {
    binaryfunc nb_add;
    binaryfunc nb_subtract;
    binaryfunc nb_inplace_add;  // null for int: INPLACE_ADD falls back to nb_add
    binaryfunc nb_multiply;
    binaryfunc nb_true_divide;
  };
  using repeatfunc = O* (*)(TS&, O*, std::int64_t);
  // tp_hash: a dict key's hash (Py_hash_t: never -1). Null where CPython's
  // type is unhashable (list, dict) or rclab does not model its hash
  // (tuple, float, an instance whose class might define __hash__). Kept in
  // Types::tp_hash beside the table, not here (below).
  using hashfunc = std::uint64_t (*)(const O*);
  const char* tp_name;
  std::uint64_t tp_flags;
  const NumberMethods* tp_as_number;
  richcmpfunc tp_richcompare;
  destructor tp_dealloc;
  repeatfunc sq_repeat = nullptr;  // tp_as_sequence->sq_repeat: list's, for `list * n`
};

// _Py_HashPointer (object's default tp_hash: type, function, code, module,
// builtin functions): the address rotated right by 4, its low bits being
// alignment; -1 is reserved for errors. 3.12+ hashes None to a constant
// instead (None's probe sequence differs, not the work done).
template <class Cfg>
std::uint64_t pointer_hash(const Object<typename Cfg::RC>* o) {
  const auto y = std::uint64_t(reinterpret_cast<std::uintptr_t>(o));
  const std::uint64_t h = (y >> 4) | (y << 60);
  return h == ~std::uint64_t(0) ? ~std::uint64_t(1) : h;
}

// The table of type objects, indexed by Type; defined in runtime/typeobjects.h
// once every slot function is declared.
template <class Cfg>
struct Types {
  static const TypeObject<Cfg> table[std::size_t(Type::kCount)];
  // Each type's tp_hash, indexed by Type as the table is. A field of
  // TypeObject would take it from 48 bytes to 56, a stride no single lea
  // scales by: every Py_TYPE (type_of) on the hot paths would pay one more
  // instruction for a slot only dict keys read.
  static const std::array<typename TypeObject<Cfg>::hashfunc, std::size_t(Type::kCount)> tp_hash;
};

// Py_TYPE(o).
template <class Cfg>
[[gnu::always_inline]] inline const TypeObject<Cfg>* type_of(const Object<typename Cfg::RC>* o) {
  return &Types<Cfg>::table[std::size_t(o->type)];
}

}  // namespace rclab::runtime
