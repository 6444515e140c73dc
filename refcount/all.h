// Every reference-count policy a configuration may use, listed once: the
// bases and the modifier chains the configurations name. The conformance
// suite (tests/refcount_conformance_test.cpp) is typed over this list, and
// experiments/entry.h refuses at compile time a configuration whose policy
// is not in it, so a policy cannot be registered without passing the suite.
// A new policy (or a new modifier chain) joins by adding its header and its
// type here.
#pragma once

#include "refcount/atomic.h"
#include "refcount/biased.h"
#include "refcount/buffered.h"
#include "refcount/deferred.h"
#include "refcount/ft313.h"
#include "refcount/ft314.h"
#include "refcount/immortal.h"
#include "refcount/plain.h"
#include "refcount/ptrc.h"
#include "refcount/remote.h"
#include "refcount/shared_immortal.h"

namespace rclab::refcount {

// AllPolicies<std::tuple>, AllPolicies<::testing::Types>, ...
template <template <class...> class List>
using AllPolicies = List<Plain, Atomic, Immortal<Plain>, Immortal<Atomic>, Remote, Buffered, Biased, Immortal<Biased>,
                         SharedImmortal, Deferred<Immortal<Biased>>, Ft313<Immortal<Biased>>,
                         Ft313<Immortal<Atomic>>, Immortal<Buffered>, Immortal<Remote>,
                         Ft313<Immortal<Buffered>>, Ft313<Immortal<Remote>>, Ft314<Immortal<Biased>>,
                         Ptrc<Ft314<Immortal<Biased>>>>;

}  // namespace rclab::refcount
