// fib(n)'s value and call count, and the largest n the model's ints hold:
// arithmetic the driver checks arguments with, apart from the interpreter
// (experiments/fib_workload.h builds fib itself).
#pragma once

#include <cstdint>

namespace rclab::experiments {

constexpr std::int64_t fib_value(int n) {
  std::int64_t a = 1, b = 1;  // fib(0), fib(1)
  for (int i = 1; i < n; ++i) {
    const std::int64_t c = a + b;
    a = b;
    b = c;
  }
  return b;
}

// Frames evaluated by one fib(n): every call is one frame.
constexpr std::uint64_t fib_calls(int n) { return 2 * std::uint64_t(fib_value(n)) - 1; }

// The largest n whose result fits the model's 64-bit ints: fib(91) does,
// fib(92) = fib(91) + fib(90) would overflow.
inline constexpr int kFibMaxN = 91;
static_assert(fib_value(kFibMaxN) > fib_value(kFibMaxN - 1));
static_assert(fib_value(kFibMaxN) > INT64_MAX - fib_value(kFibMaxN - 1), "fib(kFibMaxN + 1) must overflow");

}  // namespace rclab::experiments
