// The thread-state lookup policy concept: how the interpreter finds its
// PyThreadState.
//
// CPython 3.6 called PyThreadState_GET() at eval entry, in call_function and
// in fast_function — three lookups per Python call. Under the Gilectomy that
// became pthread_getspecific: 370 M calls on fib (slide 32), until May 2017
// passed the thread state down instead (slide 33). The interpreter performs
// the lookup at those three places and then works through the thread state
// it got back, so a lookup's cost is real, not a side computation.
//
// Contract:
//   attach(ts) / detach(ts)  bind / unbind the calling thread's state; called
//                            on the owning thread around its interpreter work.
//   get(passed)              the calling thread's state. `passed` is the state
//                            the caller already holds: `explicit` returns it,
//                            the others ignore it and look the state up.
//   kLooksUp                 false when get() is free (nothing is counted).
#pragma once

#include <concepts>
#include <string_view>

namespace rclab::runtime {

struct ProbeTS {};  // a stand-in type for checking the concept

template <class P>
concept ThreadStatePolicy = requires(ProbeTS& ts) {
  { P::kName } -> std::convertible_to<std::string_view>;
  { P::kLooksUp } -> std::convertible_to<bool>;
  { P::attach(&ts) } -> std::same_as<void>;
  { P::detach(&ts) } -> std::same_as<void>;
  { P::get(ts) } -> std::same_as<ProbeTS&>;
};

}  // namespace rclab::runtime
