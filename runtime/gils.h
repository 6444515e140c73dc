// Every GIL policy a configuration may use, listed once. The GIL suite
// (tests/gil_test.cpp) is typed over this list, and experiments/entry.h
// refuses at compile time a configuration whose GIL is not in it, so a GIL
// cannot be registered without passing the suite. A new GIL joins by adding
// its header and its type here.
#pragma once

#include "runtime/gil_interval.h"
#include "runtime/gil_isolated.h"
#include "runtime/gil_none.h"
#include "runtime/gil_ticks.h"

namespace rclab::runtime::gils {

// AllPolicies<std::tuple>, AllPolicies<::testing::Types>, ...
template <template <class...> class List>
using AllPolicies = List<IntervalGil, TicksGil, NoGil, IsolatedGil>;

}  // namespace rclab::runtime::gils
