// The opcodes of CPython 3.6 that the py36 interpreter runs, with 3.6's
// numbers, the COMPARE_OP arguments (PyCmp_*), and every 3.6 opcode's name
// (so that a workload using one rclab does not run is refused by name).
// Code is 3.6 wordcode: one 16-bit word per instruction, opcode in the low
// byte, argument in the high byte (EXTENDED_ARG prefixes widen it); jump
// arguments are byte offsets, as in 3.6.
#pragma once

#include <cstdint>
#include <iterator>
#include <string_view>

#include "runtime/py36/opcodes_generated.h"
#include "runtime/richcompare.h"

namespace rclab::runtime {

// The opcodes rclab runs (enum Op, with 3.6's numbers), the loader's
// allow-list (kSupportedOps), HAVE_ARGUMENT and every 3.6 opcode's name:
// generated from runtime/py36/opcodes.json, the one list of them.
constexpr bool is_supported(std::uint8_t op) {
  for (Op s : kSupportedOps)
    if (s == op) return true;
  return false;
}

// COMPARE_OP's arguments: the rich comparisons (runtime/richcompare.h), then
// 3.6's cmp_outcome's own.
// An opcode's number by its name, from every name 3.6 has (opnames):
// block types are opcodes that rclab's list need not run (SETUP_FINALLY).
constexpr std::uint8_t op_number(std::string_view name) {
  for (const OpName& e : kOpNames)
    if (e.name == name) return std::uint8_t(e.op);
  return 0;
}
inline constexpr std::int32_t kSetupFinally = op_number("SETUP_FINALLY");
static_assert(kSetupFinally != 0, "opcodes.json names SETUP_FINALLY");

enum Cmp36 : std::uint8_t { kIn = 6, kNotIn = 7, kIs = 8, kIsNot = 9, kExcMatch = 10 };
static_assert(kCmpOpNames[kLt] == "<" && kCmpOpNames[kGe] == ">=" && kCmpOpNames[kIn] == "in" &&
              kCmpOpNames[kIs] == "is" && kCmpOpNames[kIsNot] == "is not" &&
              kCmpOpNames[kExcMatch] == "exception match");

// ceval.c's why codes that a finally block sees as an int on the stack
// (a return through it, in rclab: no exception ever unwinds).
enum Why36 : std::uint8_t { kWhyReturn = 0x0008 };

// MAKE_FUNCTION's flag bits (3.6): the items it pops besides code and name.
enum MakeFunctionFlag : std::uint8_t { kMfDefaults = 0x1, kMfKwDefaults = 0x2, kMfAnnotations = 0x4, kMfClosure = 0x8 };

// dis.opname for CPython 3.6 (Lib/opcode.py), empty for unused numbers.
constexpr std::string_view op_name(std::uint8_t op) {
  for (const OpName& e : kOpNames)
    if (e.op == op) return e.name;
  return {};
}

// COMPARE_OP arguments the interpreter models (runtime/py36/opcodes.json).
constexpr bool compare_op_modelled(std::uint32_t arg) {
  if (arg >= std::size(kCmpOpNames)) return false;
  for (std::string_view m : kCompareOpModelled)
    if (m == kCmpOpNames[arg]) return true;
  return false;
}

// MAKE_FUNCTION flag sets the interpreter models (runtime/py36/opcodes.json).
constexpr bool make_function_modelled(std::uint32_t arg) {
  for (std::uint32_t m : kMakeFunctionFlagsModelled)
    if (m == arg) return true;
  return false;
}

constexpr std::uint16_t word(Op op, std::uint8_t arg = 0) {
  return std::uint16_t(op | (arg << 8));
}

}  // namespace rclab::runtime
