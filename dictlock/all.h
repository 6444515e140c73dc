// Every dict-lock policy, listed once. The conformance suite
// (tests/dictlock_conformance_test.cpp) is typed over this list, so a new
// policy is tested by adding its header and its type here, and cannot be
// listed without passing.
#pragma once

#include "dictlock/ft313.h"
#include "dictlock/none.h"
#include "dictlock/optimistic.h"
#include "dictlock/recursive.h"

namespace rclab::dictlock {

// AllPolicies<std::tuple>, AllPolicies<::testing::Types>, ...
template <template <class...> class List>
using AllPolicies = List<None, Recursive, Optimistic, Ft313>;

}  // namespace rclab::dictlock
