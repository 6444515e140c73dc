// Every frame freelist a configuration may use, listed once, with the
// capacity it is used with. The conformance suite
// (tests/freelist_conformance_test.cpp) is typed over this list, and
// experiments/entry.h refuses at compile time a configuration whose freelist
// is not in it, so a freelist cannot be registered without passing the
// suite. A new freelist (or a new capacity) joins by adding its type here.
#pragma once

#include "freelists/global.h"
#include "freelists/none.h"
#include "freelists/per_thread.h"

namespace rclab::freelists {

// AllPolicies<std::tuple>, AllPolicies<::testing::Types>, ...
template <template <class...> class List>
using AllPolicies = List<PerThread<100>, Global<200>, None>;

}  // namespace rclab::freelists
