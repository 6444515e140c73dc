// The opcodes of CPython 3.6 that fib needs, with 3.6's numbers, and the
// COMPARE_OP arguments (PyCmp_*). Code is 3.6 wordcode: one 16-bit word per
// instruction, opcode in the low byte, argument in the high byte; jump
// arguments are byte offsets, as in 3.6.
#pragma once

#include <cstdint>

namespace rclab::runtime {

enum Op : std::uint8_t {
  BINARY_ADD = 23,
  BINARY_SUBTRACT = 24,
  RETURN_VALUE = 83,
  LOAD_CONST = 100,
  COMPARE_OP = 107,
  POP_JUMP_IF_FALSE = 114,
  LOAD_GLOBAL = 116,
  LOAD_FAST = 124,
  CALL_FUNCTION = 131,
};

enum Cmp : std::uint8_t { kLt = 0, kLe = 1, kEq = 2, kNe = 3, kGt = 4, kGe = 5 };

constexpr std::uint16_t word(Op op, std::uint8_t arg = 0) {
  return std::uint16_t(op | (arg << 8));
}

}  // namespace rclab::runtime
