// Every interpreter generation (runtime/generation.h), listed once.
// tests/workload_test.cpp is typed over this list (each generation has every
// workload compiled and embedded, and its loader accepts them), every
// configuration runs every workload there, and experiments/entry.h refuses at
// compile time a configuration whose generation is not in it.
#pragma once

#include "runtime/generation.h"

namespace rclab::runtime::generations {

// AllPolicies<std::tuple>, AllPolicies<::testing::Types>, ...
template <template <class...> class List>
using AllPolicies = List<Py36, Py313<true>, Py313<false>, Py313Tlbc>;

}  // namespace rclab::runtime::generations
