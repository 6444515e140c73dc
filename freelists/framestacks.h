// Every frame stack a configuration may use (freelists/framestack.h), listed
// once. tests/framestack_conformance_test.cpp is typed over this list, and
// experiments/entry.h refuses at compile time a configuration whose frame
// stack is not in it. A new frame stack joins by adding its type here.
#pragma once

#include "freelists/datastack.h"

namespace rclab::freelists::framestacks {

// AllPolicies<std::tuple>, AllPolicies<::testing::Types>, ...
template <template <class...> class List>
using AllPolicies = List<DataStack>;

}  // namespace rclab::freelists::framestacks
