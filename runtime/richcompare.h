// The rich comparison operators (Py_LT .. Py_GE in Include/object.h): the
// same numbers in every CPython, so the object model's comparisons
// (runtime/ints.h, runtime/abstract.h) serve both interpreter generations.
#pragma once

#include <cstdint>

namespace rclab::runtime {

enum Cmp : std::uint8_t { kLt = 0, kLe = 1, kEq = 2, kNe = 3, kGt = 4, kGe = 5 };

}  // namespace rclab::runtime
