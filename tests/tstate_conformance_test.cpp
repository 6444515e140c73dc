// The thread-state lookup conformance suite, typed over every policy
// (tstates::AllPolicies, runtime/tstates.h: a new lookup joins there): each
// thread gets back exactly the state it attached, whatever other threads do.
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <thread>
#include <vector>

#include "runtime/tstate.h"
#include "runtime/tstates.h"

namespace rclab::runtime {
namespace {

struct FakeTS {
  int id = 0;
};

template <class P>
class TStateConformance : public ::testing::Test {};

using Policies = tstates::AllPolicies<::testing::Types>;
TYPED_TEST_SUITE(TStateConformance, Policies);

TYPED_TEST(TStateConformance, SatisfiesConcept) { static_assert(ThreadStatePolicy<TypeParam>); }

TYPED_TEST(TStateConformance, EachThreadGetsItsOwnState) {
  constexpr int kThreads = 8, kLookups = 100000;
  std::vector<FakeTS> states(kThreads);
  std::atomic<int> wrong{0};
  std::barrier sync(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      states[i].id = i;
      TypeParam::attach(&states[i]);
      sync.arrive_and_wait();  // every thread attached before anyone looks
      for (int k = 0; k < kLookups; ++k)
        if (&TypeParam::get(states[i]) != &states[i]) ++wrong;
      TypeParam::detach(&states[i]);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

// A looking-up policy must not just echo what it is passed.
TYPED_TEST(TStateConformance, LookingUpPoliciesIgnoreThePassedState) {
  if constexpr (TypeParam::kLooksUp) {
    FakeTS mine{1}, other{2};
    TypeParam::attach(&mine);
    EXPECT_EQ(&TypeParam::get(other), &mine);
    TypeParam::detach(&mine);
  } else {
    FakeTS passed{3};
    EXPECT_EQ(&TypeParam::get(passed), &passed);
  }
}

}  // namespace
}  // namespace rclab::runtime
