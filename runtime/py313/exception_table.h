// 3.11+'s exception table (co_exceptiontable, Objects/exception_handling_
// notes.txt) and 3.13's lookup in it (get_exception_handler, Python/ceval.c):
// which handler covers an instruction, at what stack depth, and whether the
// handler wants the raising instruction's offset pushed (lasti).
//
// The table is a sequence of entries, each four varints (start, size,
// target, depth << 1 | lasti), all in code units; a varint is 6-bit groups,
// most significant first, bit 6 set on every group but the last, and bit 7
// set on an entry's first byte only. Entries are sorted by start, so a long
// table is bisected down to MAX_LINEAR_SEARCH bytes, then scanned, as 3.13
// does. Pure functions of the code object's bytes: no counts, no threads.
#pragma once

#include <cstdint>

namespace rclab::runtime::py313 {

struct ExceptionHandler {
  int depth;   // the value stack's height the handler runs at
  int target;  // the handler's first instruction, in code units
  bool lasti;  // push the raising instruction's offset first
};

namespace detail {
// parse_varint
inline const std::uint8_t* parse_varint(const std::uint8_t* p, int* result) {
  int val = p[0] & 63;
  while (p[0] & 64) {
    ++p;
    val = (val << 6) | (p[0] & 63);
  }
  *result = val;
  return p + 1;
}
// scan_back_to_entry_start: to the byte with bit 7 set.
inline const std::uint8_t* scan_back_to_entry_start(const std::uint8_t* p) {
  while ((p[0] & 128) == 0) --p;
  return p;
}
inline const std::uint8_t* skip_to_next_entry(const std::uint8_t* p, const std::uint8_t* end) {
  while (p < end && (p[0] & 128) == 0) ++p;
  return p;
}
}  // namespace detail

// get_exception_handler: the handler covering the instruction at `index`
// (in code units), or false when none does.
inline bool get_exception_handler(const std::uint8_t* table, std::uint32_t size, int index, ExceptionHandler* out) {
  constexpr std::ptrdiff_t kMaxLinearSearch = 40;  // MAX_LINEAR_SEARCH
  const std::uint8_t* start = table;
  const std::uint8_t* end = table + size;
  if (end - start > kMaxLinearSearch) {
    int offset;
    detail::parse_varint(start, &offset);
    if (offset > index) return false;
    do {
      const std::uint8_t* mid = detail::scan_back_to_entry_start(start + ((end - start) >> 1));
      detail::parse_varint(mid, &offset);
      if (offset > index)
        end = mid;
      else
        start = mid;
    } while (end - start > kMaxLinearSearch);
  }
  const std::uint8_t* scan = start;
  while (scan < end) {
    int start_offset, length;
    scan = detail::parse_varint(scan, &start_offset);
    if (start_offset > index) break;
    scan = detail::parse_varint(scan, &length);
    if (start_offset + length > index) {
      int target, depth_and_lasti;
      scan = detail::parse_varint(scan, &target);
      detail::parse_varint(scan, &depth_and_lasti);
      *out = {depth_and_lasti >> 1, target, (depth_and_lasti & 1) != 0};
      return true;
    }
    scan = detail::skip_to_next_entry(scan, end);
  }
  return false;
}

}  // namespace rclab::runtime::py313
