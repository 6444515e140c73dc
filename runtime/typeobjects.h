// The type objects themselves (runtime/types.h declares the table): int's
// and float's number methods and rich comparisons, list's repeat, the frame's
// deallocator, and the generic deallocator (runtime/dealloc.h) for the rest;
// and the types' hashes, in their own table.
#pragma once

#include <array>

#include "runtime/compare_ops.h"
#include "runtime/containers.h"
#include "runtime/dealloc.h"
#include "runtime/floats.h"
#include "runtime/frames.h"
#include "runtime/ints.h"
#include "runtime/types.h"

namespace rclab::runtime {

// py36's frames are objects with their own deallocator; py313's frames are
// not objects at all (runtime/py313/frame.h), so its frame type has none.
template <class Cfg>
constexpr typename TypeObject<Cfg>::destructor frame_tp_dealloc_of() {
  if constexpr (freelists::Freelist<typename Cfg::Frames>)
    return &frame_tp_dealloc<Cfg>;
  else
    return nullptr;
}

template <class Cfg>
inline constexpr typename TypeObject<Cfg>::NumberMethods kLongAsNumber{
    &long_add<Cfg>, &long_sub<Cfg>, nullptr, &long_mul<Cfg>, &long_true_divide<Cfg>};
template <class Cfg>
inline constexpr typename TypeObject<Cfg>::NumberMethods kFloatAsNumber{
    &float_binop<Cfg, FloatOp::kAdd>, &float_binop<Cfg, FloatOp::kSub>, nullptr, &float_binop<Cfg, FloatOp::kMul>,
    &float_binop<Cfg, FloatOp::kDiv>};

// list's sq_repeat (list_repeat, runtime/containers.h).
template <class Cfg>
Object<typename Cfg::RC>* list_sq_repeat(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* a, std::int64_t n) {
  return &list_repeat(ts, as<List>(a), n)->ob;
}

template <class Cfg>
const TypeObject<Cfg> Types<Cfg>::table[std::size_t(Type::kCount)] = {
    // Indexed by Type: kNone, kBool, kInt, kStr, kTuple, kDict, kCode, kFunction, kFrame, then the workloads' types.
    {"NoneType", kTpReady, nullptr, nullptr, &dealloc<Cfg>},
    {"bool", kTpReady, nullptr, nullptr, &dealloc<Cfg>},  // not an int subclass here: rclab's bools carry no digits
    {"int", kTpLongSubclass | kTpReady, &kLongAsNumber<Cfg>, &long_richcompare<Cfg>, &dealloc<Cfg>},
    {"str", kTpReady, nullptr, &str_richcompare<Cfg>, &dealloc<Cfg>},
    {"tuple", kTpReady, nullptr, &tuple_richcompare<Cfg>, &dealloc<Cfg>},
    {"dict", kTpDictSubclass | kTpReady, nullptr, nullptr, &dealloc<Cfg>},
    {"code", kTpReady, nullptr, nullptr, &dealloc<Cfg>},
    {"function", kTpReady | kTpMethodDescriptor, nullptr, nullptr, &dealloc<Cfg>},
    {"frame", kTpReady, nullptr, nullptr, frame_tp_dealloc_of<Cfg>()},
    // kList, kListIter, kTupleIter, kRange, kRangeIter, kCell, kClass, kInstance, kMethod, kBuiltin, kQueue,
    // kNotImplemented, kFloat, kModule, kLocal, kMethodCaller, kGenerator, then the exceptions' types.
    {"list", kTpReady, nullptr, nullptr, &dealloc<Cfg>, &list_sq_repeat<Cfg>},
    {"list_iterator", kTpReady, nullptr, nullptr, &dealloc<Cfg>},
    {"tuple_iterator", kTpReady, nullptr, nullptr, &dealloc<Cfg>},
    {"range", kTpReady, nullptr, nullptr, &dealloc<Cfg>},
    {"range_iterator", kTpReady, nullptr, nullptr, &dealloc<Cfg>},
    {"cell", kTpReady, nullptr, nullptr, &dealloc<Cfg>},
    {"type", kTpReady, nullptr, nullptr, &dealloc<Cfg>},
    {"object", kTpReady | kTpInlineValues | kTpManagedDict, nullptr, nullptr, &dealloc<Cfg>},
    {"method", kTpReady, nullptr, nullptr, &dealloc<Cfg>},
    {"builtin_function_or_method", kTpReady | kTpMethodDescriptor, nullptr, nullptr, &dealloc<Cfg>},
    {"Queue", kTpReady, nullptr, nullptr, &dealloc<Cfg>},
    {"NotImplementedType", kTpReady, nullptr, nullptr, &dealloc<Cfg>},
    {"float", kTpReady, &kFloatAsNumber<Cfg>, &float_richcompare<Cfg>, &dealloc<Cfg>},
    {"module", kTpReady, nullptr, nullptr, &dealloc<Cfg>},
    {"_thread._local", kTpReady, nullptr, nullptr, &dealloc<Cfg>},
    {"operator.methodcaller", kTpReady, nullptr, nullptr, &dealloc<Cfg>},
    {"generator", kTpReady, nullptr, nullptr, &dealloc<Cfg>},
    // kExcClass, kException, kTraceback, kFrameObject, kStaticMethod, kTupleSub.
    {"type", kTpReady, nullptr, nullptr, &dealloc<Cfg>},
    {"BaseException", kTpReady, nullptr, nullptr, &dealloc<Cfg>},
    {"traceback", kTpReady, nullptr, nullptr, &dealloc<Cfg>},
    {"frame", kTpReady, nullptr, nullptr, &dealloc<Cfg>},
    {"staticmethod", kTpReady, nullptr, nullptr, &dealloc<Cfg>},
    {"tuple subclass", kTpReady, nullptr, nullptr, &dealloc<Cfg>},  // a heap class's: its name is the class's
};

// The hashes a dict key needs: int's, str's, and the address for the types
// CPython hashes by identity (None, code, function, class, builtin, module,
// exception class); null for the rest (runtime/types.h: hashfunc).
template <class Cfg>
constexpr std::array<typename TypeObject<Cfg>::hashfunc, std::size_t(Type::kCount)> make_tp_hash() {
  std::array<typename TypeObject<Cfg>::hashfunc, std::size_t(Type::kCount)> h{};
  for (Type t : {Type::kNone, Type::kCode, Type::kFunction, Type::kClass, Type::kBuiltin, Type::kModule,
                 Type::kExcClass})
    h[std::size_t(t)] = &pointer_hash<Cfg>;
  h[std::size_t(Type::kInt)] = &long_hash<Cfg>;
  h[std::size_t(Type::kStr)] = &str_hash<Cfg>;
  return h;
}
template <class Cfg>
const std::array<typename TypeObject<Cfg>::hashfunc, std::size_t(Type::kCount)> Types<Cfg>::tp_hash =
    make_tp_hash<Cfg>();

}  // namespace rclab::runtime
