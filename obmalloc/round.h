// Request rounding shared by the third-party backends.
//
// The allocator contract promises 16-byte alignment. jemalloc, mimalloc and
// TBB serve 8-byte (and 24-, 40-byte...) size classes from 8-aligned slots,
// but every class that is a multiple of 16 from 16-aligned ones, so the
// backends ask for the size rounded up to 16 — what pymalloc's own classes
// do, so every allocator is compared on the same requests.
#pragma once

#include <cstddef>

namespace rclab::obmalloc {

constexpr std::size_t round16(std::size_t n) { return n == 0 ? 16 : (n + 15) & ~std::size_t(15); }

}  // namespace rclab::obmalloc
