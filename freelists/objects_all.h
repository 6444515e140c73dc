// Every object-freelist policy a configuration may use (freelists/objects.h),
// listed once, with the sizes it is used with. The conformance suite
// (tests/object_freelist_conformance_test.cpp) is typed over this list, and
// experiments/entry.h refuses at compile time a configuration whose object
// freelists are not in it. A new policy joins by adding its type here.
#pragma once

#include "freelists/objects_none.h"
#include "freelists/objects_per_interp.h"
#include "freelists/objects_per_thread.h"

namespace rclab::freelists::objects {

// AllPolicies<std::tuple>, AllPolicies<::testing::Types>, ...
template <template <class...> class List>
using AllPolicies = List<None, PerInterp<>, PerThread<>>;

}  // namespace rclab::freelists::objects
