// The type objects themselves (runtime/types.h declares the table): int's
// number methods and rich comparison, the frame's deallocator, and the
// generic deallocator (runtime/dealloc.h) for the rest.
#pragma once

#include "runtime/dealloc.h"
#include "runtime/frames.h"
#include "runtime/ints.h"
#include "runtime/types.h"

namespace rclab::runtime {

template <class Cfg>
inline constexpr typename TypeObject<Cfg>::NumberMethods kLongAsNumber{&long_add<Cfg>, &long_sub<Cfg>};

template <class Cfg>
const TypeObject<Cfg> Types<Cfg>::table[std::size_t(Type::kFrame) + 1] = {
    // Indexed by Type: kNone, kBool, kInt, kStr, kTuple, kDict, kCode, kFunction, kFrame.
    {"NoneType", 0, nullptr, nullptr, &dealloc<Cfg>},
    {"bool", 0, nullptr, nullptr, &dealloc<Cfg>},  // not an int subclass here: rclab's bools carry no digits
    {"int", kTpLongSubclass, &kLongAsNumber<Cfg>, &long_richcompare<Cfg>, &dealloc<Cfg>},
    {"str", 0, nullptr, nullptr, &dealloc<Cfg>},
    {"tuple", 0, nullptr, nullptr, &dealloc<Cfg>},
    {"dict", kTpDictSubclass, nullptr, nullptr, &dealloc<Cfg>},
    {"code", 0, nullptr, nullptr, &dealloc<Cfg>},
    {"function", 0, nullptr, nullptr, &dealloc<Cfg>},
    {"frame", 0, nullptr, nullptr, &frame_tp_dealloc<Cfg>},
};

}  // namespace rclab::runtime
