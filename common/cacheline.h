// Cache-line geometry and padding.
//
// Per-thread state that sits in an array (thread states, counters) is padded
// to a whole line so that one thread's writes never invalidate another's
// line: false sharing would show up as exactly the kind of cross-core traffic
// rclab is trying to measure, and would be blamed on the wrong policy.
#pragma once

#include <cstddef>

namespace rclab {

// 64 bytes on every x86-64 and most AArch64 parts. (std::hardware_destructive_
// interference_size exists in C++17 but GCC warns that its value is ABI-unstable.)
inline constexpr std::size_t kCacheLine = 64;

template <class T>
struct alignas(kCacheLine) CachePadded {
  T value{};
};

}  // namespace rclab
