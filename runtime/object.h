// Object layouts: the handful of CPython types fib touches.
//
// Every object starts with `Object<RC>`: the reference-count policy's header
// (CPython's ob_refcnt, or whatever the policy needs) and a type tag. Each
// concrete type embeds `Object<RC>` as its first member, so an Object* and a
// pointer to the concrete type are pointer-interconvertible (all types here
// are standard-layout), exactly as PyObject* and PyLongObject* are in C.
//
// The tag replaces CPython's ob_type pointer: deallocation dispatches on it
// with a switch, not a function pointer, so the compiler sees every path.
#pragma once

#include <cstdint>
#include <string_view>
#include <type_traits>

namespace rclab::runtime {

enum class Type : std::uint8_t {
  kNone, kBool, kInt, kStr, kTuple, kDict, kCode, kFunction, kFrame,
  kFreed = 0xdd,  // debug builds poison a deallocated object's tag with this
};

// Object flag bits (CPython 3.13's ob_gc_bits). Set when the object is
// created, before another thread can see it, and never changed after.
enum ObjectFlag : std::uint8_t {
  kDeferredFlag = 1u << 0,  // stack references are not counted (refcount/deferred.h)
};

template <class RC>
struct Object {
  typename RC::Header rc;  // first: a policy may treat &rc as the object's address
  Type type;
  std::uint8_t flags;  // ObjectFlag bits
};

// A boxed 64-bit int (CPython's are arbitrary precision; fib(90) still fits).
template <class RC>
struct Int {
  Object<RC> ob;
  std::int64_t value;
};

// An immutable string with its hash cached, as CPython's str. The bytes follow
// the struct in the same block.
template <class RC>
struct Str {
  Object<RC> ob;
  std::uint64_t hash;
  std::uint32_t size;
  const char* chars() const { return reinterpret_cast<const char*>(this + 1); }
  std::string_view view() const { return {chars(), size}; }
};

// A fixed-size tuple; the item pointers follow the struct in the same block.
// Items are owned references.
template <class RC>
struct Tuple {
  Object<RC> ob;
  std::int64_t size;
  Object<RC>** items() { return reinterpret_cast<Object<RC>**>(this + 1); }
};

// A str-keyed hash table with open addressing (CPython's perturbed probe).
// Keys and values are owned references. Only Str keys: all fib needs.
template <class RC>
struct Dict {
  struct Entry {
    std::uint64_t hash;
    Str<RC>* key;  // nullptr: empty slot (no deletions, so no dummies)
    Object<RC>* value;
  };
  Object<RC> ob;
  Entry* table;
  std::uint64_t mask;  // capacity - 1; capacity is a power of two
  std::uint64_t used;
};

// A code object: CPython 3.6 wordcode (opcode in the low byte, argument in
// the high byte), its constants and names. Owns consts, names and name.
template <class RC>
struct Code {
  Object<RC> ob;
  std::uint16_t* code;
  std::uint32_t ncode;  // words
  std::int32_t argcount;
  std::int32_t nlocals;
  std::int32_t stacksize;
  Tuple<RC>* consts;
  Tuple<RC>* names;  // of Str
  Str<RC>* name;
};

template <class RC>
struct Function {
  Object<RC> ob;
  Code<RC>* code;
  Dict<RC>* globals;
  Str<RC>* name;
};

// An execution frame. Owns back, code, builtins, globals and its locals.
// `capacity` slots (locals, then the value stack) follow the struct; the
// capacity survives a trip through a freelist, which reuses only the first
// word (the refcount header) as its link.
template <class RC>
struct Frame {
  Object<RC> ob;
  Frame* back;
  Code<RC>* code;
  Dict<RC>* builtins;
  Dict<RC>* globals;
  std::uint32_t capacity;
  Object<RC>** localsplus() { return reinterpret_cast<Object<RC>**>(this + 1); }
};

// The checked downcast of CPython's `(PyLongObject *)op`.
template <template <class> class T, class RC>
T<RC>* as(Object<RC>* o) {
  static_assert(std::is_standard_layout_v<T<RC>>);
  return reinterpret_cast<T<RC>*>(o);
}

template <template <class> class T, class RC>
Object<RC>* ob(T<RC>* p) {
  return &p->ob;
}

}  // namespace rclab::runtime
