// The opcodes of CPython 3.6 that rclab's interpreter runs, with 3.6's
// numbers, the COMPARE_OP arguments (PyCmp_*), and every 3.6 opcode's name
// (so that a workload using one rclab does not run is refused by name).
// Code is 3.6 wordcode: one 16-bit word per instruction, opcode in the low
// byte, argument in the high byte (EXTENDED_ARG prefixes widen it); jump
// arguments are byte offsets, as in 3.6.
#pragma once

#include <cstdint>
#include <string_view>

namespace rclab::runtime {

enum Op : std::uint8_t {
  POP_TOP = 1,
  BINARY_ADD = 23,
  BINARY_SUBTRACT = 24,
  BINARY_SUBSCR = 25,
  INPLACE_ADD = 55,
  STORE_SUBSCR = 60,
  GET_ITER = 68,
  LOAD_BUILD_CLASS = 71,
  RETURN_VALUE = 83,
  POP_BLOCK = 87,
  STORE_NAME = 90,
  FOR_ITER = 93,
  STORE_ATTR = 95,
  STORE_GLOBAL = 97,
  LOAD_CONST = 100,
  LOAD_NAME = 101,
  BUILD_TUPLE = 102,
  BUILD_LIST = 103,
  BUILD_MAP = 105,
  LOAD_ATTR = 106,
  COMPARE_OP = 107,
  JUMP_FORWARD = 110,
  JUMP_ABSOLUTE = 113,
  POP_JUMP_IF_FALSE = 114,
  POP_JUMP_IF_TRUE = 115,
  LOAD_GLOBAL = 116,
  SETUP_LOOP = 120,
  LOAD_FAST = 124,
  STORE_FAST = 125,
  CALL_FUNCTION = 131,
  MAKE_FUNCTION = 132,
  LOAD_CLOSURE = 135,
  LOAD_DEREF = 136,
  EXTENDED_ARG = 144,
  BUILD_CONST_KEY_MAP = 156,
};

// The opcodes above: what the loader accepts (runtime/marshal.h).
inline constexpr Op kSupportedOps[] = {
    POP_TOP, BINARY_ADD, BINARY_SUBTRACT, BINARY_SUBSCR, INPLACE_ADD, STORE_SUBSCR, GET_ITER,
    LOAD_BUILD_CLASS, RETURN_VALUE, POP_BLOCK, STORE_NAME, FOR_ITER, STORE_ATTR, STORE_GLOBAL,
    LOAD_CONST, LOAD_NAME, BUILD_TUPLE, BUILD_LIST, BUILD_MAP, LOAD_ATTR, COMPARE_OP, JUMP_FORWARD,
    JUMP_ABSOLUTE, POP_JUMP_IF_FALSE, POP_JUMP_IF_TRUE, LOAD_GLOBAL, SETUP_LOOP, LOAD_FAST, STORE_FAST,
    CALL_FUNCTION, MAKE_FUNCTION, LOAD_CLOSURE, LOAD_DEREF, EXTENDED_ARG, BUILD_CONST_KEY_MAP,
};

constexpr bool is_supported(std::uint8_t op) {
  for (Op s : kSupportedOps)
    if (s == op) return true;
  return false;
}

// HAVE_ARGUMENT: opcodes below it ignore their argument byte.
inline constexpr std::uint8_t kHaveArgument = 90;

// COMPARE_OP's arguments: the rich comparisons, then cmp_outcome's own.
enum Cmp : std::uint8_t { kLt = 0, kLe = 1, kEq = 2, kNe = 3, kGt = 4, kGe = 5, kIn = 6, kNotIn = 7, kIs = 8, kIsNot = 9 };

// MAKE_FUNCTION's flag bits (3.6): the items it pops besides code and name.
enum MakeFunctionFlag : std::uint8_t { kMfDefaults = 0x1, kMfKwDefaults = 0x2, kMfAnnotations = 0x4, kMfClosure = 0x8 };

// dis.opname for CPython 3.6 (Lib/opcode.py), empty for unused numbers.
inline std::string_view op_name(std::uint8_t op) {
  struct Entry {
    std::uint8_t op;
    const char* name;
  };
  static constexpr Entry kNames[] = {
    {1, "POP_TOP"}, {2, "ROT_TWO"}, {3, "ROT_THREE"}, {4, "DUP_TOP"}, {5, "DUP_TOP_TWO"},
    {9, "NOP"}, {10, "UNARY_POSITIVE"}, {11, "UNARY_NEGATIVE"}, {12, "UNARY_NOT"},
    {15, "UNARY_INVERT"}, {16, "BINARY_MATRIX_MULTIPLY"}, {17, "INPLACE_MATRIX_MULTIPLY"},
    {19, "BINARY_POWER"}, {20, "BINARY_MULTIPLY"}, {22, "BINARY_MODULO"}, {23, "BINARY_ADD"},
    {24, "BINARY_SUBTRACT"}, {25, "BINARY_SUBSCR"}, {26, "BINARY_FLOOR_DIVIDE"},
    {27, "BINARY_TRUE_DIVIDE"}, {28, "INPLACE_FLOOR_DIVIDE"}, {29, "INPLACE_TRUE_DIVIDE"},
    {50, "GET_AITER"}, {51, "GET_ANEXT"}, {52, "BEFORE_ASYNC_WITH"}, {55, "INPLACE_ADD"},
    {56, "INPLACE_SUBTRACT"}, {57, "INPLACE_MULTIPLY"}, {59, "INPLACE_MODULO"},
    {60, "STORE_SUBSCR"}, {61, "DELETE_SUBSCR"}, {62, "BINARY_LSHIFT"}, {63, "BINARY_RSHIFT"},
    {64, "BINARY_AND"}, {65, "BINARY_XOR"}, {66, "BINARY_OR"}, {67, "INPLACE_POWER"},
    {68, "GET_ITER"}, {69, "GET_YIELD_FROM_ITER"}, {70, "PRINT_EXPR"}, {71, "LOAD_BUILD_CLASS"},
    {72, "YIELD_FROM"}, {73, "GET_AWAITABLE"}, {75, "INPLACE_LSHIFT"}, {76, "INPLACE_RSHIFT"},
    {77, "INPLACE_AND"}, {78, "INPLACE_XOR"}, {79, "INPLACE_OR"}, {80, "BREAK_LOOP"},
    {81, "WITH_CLEANUP_START"}, {82, "WITH_CLEANUP_FINISH"}, {83, "RETURN_VALUE"},
    {84, "IMPORT_STAR"}, {85, "SETUP_ANNOTATIONS"}, {86, "YIELD_VALUE"}, {87, "POP_BLOCK"},
    {88, "END_FINALLY"}, {89, "POP_EXCEPT"}, {90, "STORE_NAME"}, {91, "DELETE_NAME"},
    {92, "UNPACK_SEQUENCE"}, {93, "FOR_ITER"}, {94, "UNPACK_EX"}, {95, "STORE_ATTR"},
    {96, "DELETE_ATTR"}, {97, "STORE_GLOBAL"}, {98, "DELETE_GLOBAL"}, {100, "LOAD_CONST"},
    {101, "LOAD_NAME"}, {102, "BUILD_TUPLE"}, {103, "BUILD_LIST"}, {104, "BUILD_SET"},
    {105, "BUILD_MAP"}, {106, "LOAD_ATTR"}, {107, "COMPARE_OP"}, {108, "IMPORT_NAME"},
    {109, "IMPORT_FROM"}, {110, "JUMP_FORWARD"}, {111, "JUMP_IF_FALSE_OR_POP"},
    {112, "JUMP_IF_TRUE_OR_POP"}, {113, "JUMP_ABSOLUTE"}, {114, "POP_JUMP_IF_FALSE"},
    {115, "POP_JUMP_IF_TRUE"}, {116, "LOAD_GLOBAL"}, {119, "CONTINUE_LOOP"}, {120, "SETUP_LOOP"},
    {121, "SETUP_EXCEPT"}, {122, "SETUP_FINALLY"}, {124, "LOAD_FAST"}, {125, "STORE_FAST"},
    {126, "DELETE_FAST"}, {127, "STORE_ANNOTATION"}, {130, "RAISE_VARARGS"},
    {131, "CALL_FUNCTION"}, {132, "MAKE_FUNCTION"}, {133, "BUILD_SLICE"}, {135, "LOAD_CLOSURE"},
    {136, "LOAD_DEREF"}, {137, "STORE_DEREF"}, {138, "DELETE_DEREF"}, {141, "CALL_FUNCTION_KW"},
    {142, "CALL_FUNCTION_EX"}, {143, "SETUP_WITH"}, {144, "EXTENDED_ARG"}, {145, "LIST_APPEND"},
    {146, "SET_ADD"}, {147, "MAP_ADD"}, {148, "LOAD_CLASSDEREF"}, {149, "BUILD_LIST_UNPACK"},
    {150, "BUILD_MAP_UNPACK"}, {151, "BUILD_MAP_UNPACK_WITH_CALL"}, {152, "BUILD_TUPLE_UNPACK"},
    {153, "BUILD_SET_UNPACK"}, {154, "SETUP_ASYNC_WITH"}, {155, "FORMAT_VALUE"},
    {156, "BUILD_CONST_KEY_MAP"}, {157, "BUILD_STRING"}, {158, "BUILD_TUPLE_UNPACK_WITH_CALL"},
  };
  for (const Entry& e : kNames)
    if (e.op == op) return e.name;
  return {};
}

constexpr std::uint16_t word(Op op, std::uint8_t arg = 0) {
  return std::uint16_t(op | (arg << 8));
}

}  // namespace rclab::runtime
