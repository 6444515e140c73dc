// Every thread-state lookup a configuration may use, listed once. The
// conformance suite (tests/tstate_conformance_test.cpp) is typed over this
// list, and experiments/entry.h refuses at compile time a configuration
// whose lookup is not in it, so a lookup cannot be registered without
// passing the suite. A new lookup joins by adding its header and its type
// here.
#pragma once

#include "runtime/tstate_explicit.h"
#include "runtime/tstate_pthread_key.h"
#include "runtime/tstate_thread_local.h"

namespace rclab::runtime::tstates {

// AllPolicies<std::tuple>, AllPolicies<::testing::Types>, ...
template <template <class...> class List>
using AllPolicies = List<ExplicitTState, ThreadLocalTState, PthreadKeyTState>;

}  // namespace rclab::runtime::tstates
