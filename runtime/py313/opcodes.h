// The opcodes the py313 interpreter runs, generated from
// runtime/py313/opcodes.json (runtime/CMakeLists.txt): enum Op with 3.13's
// numbers, base and specialised forms; kCaches (inline cache code units per
// opcode), kDeopt (each specialised form's base), the modelled arguments and
// every 3.13 opcode's name. Code is 3.13's code units: 16 bits, the opcode
// in the low byte and the argument in the high byte, each instruction
// followed by kCaches[op] cache units.
#pragma once

#include <cstdint>
#include <iterator>
#include <string_view>

#include "runtime/py313/opcodes_generated.h"
#include "runtime/richcompare.h"

namespace rclab::runtime::py313 {

constexpr bool is_supported(std::uint8_t op) {
  for (Op s : kSupportedOps)
    if (s == op) return true;
  return false;
}

constexpr std::string_view op_name(std::uint8_t op) {
  for (const OpName& e : kOpNames)
    if (e.op == op) return e.name;
  return {};
}

// COMPARE_OP's argument: the comparison in the bits above 5, bit 4 "convert
// the result to a bool", the low bits the COMPARISON_BIT mask the _INT form
// tests (2 <, 4 >, 8 ==: Python/specialize.c).
constexpr std::uint32_t compare_op(std::uint32_t oparg) { return oparg >> 5; }
inline constexpr std::uint32_t kCompareToBool = 16;
static_assert(kCmpOpNames[kLt] == "<" && kCmpOpNames[kGe] == ">=");

constexpr bool compare_op_modelled(std::uint32_t oparg) {
  if (compare_op(oparg) >= std::size(kCmpOpNames)) return false;
  for (std::string_view m : kCompareOpModelled)
    if (m == kCmpOpNames[compare_op(oparg)]) return true;
  return false;
}

constexpr std::uint32_t binary_op(std::string_view nb) {
  for (const auto& e : kBinaryOpModelled)
    if (e.name == nb) return e.value;
  return ~0u;
}
inline constexpr std::uint32_t kNbAdd = binary_op("NB_ADD");
inline constexpr std::uint32_t kNbSubtract = binary_op("NB_SUBTRACT");
inline constexpr std::uint32_t kNbInplaceAdd = binary_op("NB_INPLACE_ADD");
inline constexpr std::uint32_t kNbMultiply = binary_op("NB_MULTIPLY");
inline constexpr std::uint32_t kNbInplaceMultiply = binary_op("NB_INPLACE_MULTIPLY");
inline constexpr std::uint32_t kNbTrueDivide = binary_op("NB_TRUE_DIVIDE");
inline constexpr std::uint32_t kNbInplaceTrueDivide = binary_op("NB_INPLACE_TRUE_DIVIDE");
static_assert(kNbAdd == 0 && kNbSubtract == 10 && kNbInplaceAdd == 13 && kNbMultiply == 5 && kNbInplaceMultiply == 18 &&
              kNbTrueDivide == 11 && kNbInplaceTrueDivide == 24);

constexpr bool binary_op_modelled(std::uint32_t oparg) {
  for (const auto& e : kBinaryOpModelled)
    if (e.value == oparg) return true;
  return false;
}

constexpr bool set_function_attribute_modelled(std::uint32_t oparg) {
  for (std::uint32_t m : kSetFunctionAttributeModelled)
    if (m == oparg) return true;
  return false;
}
inline constexpr std::uint32_t kFunctionClosure = 0x08;  // SET_FUNCTION_ATTRIBUTE's MAKE_FUNCTION_CLOSURE

// RESUME's argument: where the frame starts or resumes (the low two bits).
inline constexpr std::uint32_t kResumeLocationMask = 3;
inline constexpr std::uint32_t kResumeAfterYieldFrom = 2;

constexpr std::uint16_t unit(Op op, std::uint8_t arg = 0) { return std::uint16_t(op | (arg << 8)); }
constexpr std::uint8_t opcode_of(std::uint16_t u) { return std::uint8_t(u & 0xff); }
constexpr std::uint8_t oparg_of(std::uint16_t u) { return std::uint8_t(u >> 8); }

}  // namespace rclab::runtime::py313
