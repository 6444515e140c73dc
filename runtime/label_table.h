// The computed-goto dispatch table both interpreter generations jump
// through: 256 label addresses, by opcode number, as CPython's
// opcode_targets.h. Built by macro because label addresses cannot go
// through a constexpr function; the list of opcodes is the generation's
// generated RCLAB_GEN_EVERY_OP (runtime/gen_opcodes.py, from its
// opcodes.json), so every opcode the generation names has a label
// `op_NAME` (or the build fails) and no other number reaches one.
//
// Inside the interpreter function, with `op_unknown` defined:
//   static void* const targets[256] = RCLAB_LABEL_TABLE(RCLAB_PY313_EVERY_OP);
// Labels as values are a GCC/Clang extension (-Wpedantic is silenced
// around the use), as CPython's own dispatch relies on.
#pragma once

#define RCLAB_LABEL_CASE(i, op) (i) == op ? &&op_##op:
#define RCLAB_LABEL_AT(EVERY, i) (EVERY(RCLAB_LABEL_CASE, i) &&op_unknown)
#define RCLAB_LABEL4(E, i) RCLAB_LABEL_AT(E, i), RCLAB_LABEL_AT(E, i + 1), RCLAB_LABEL_AT(E, i + 2), RCLAB_LABEL_AT(E, i + 3)
#define RCLAB_LABEL16(E, i) RCLAB_LABEL4(E, i), RCLAB_LABEL4(E, i + 4), RCLAB_LABEL4(E, i + 8), RCLAB_LABEL4(E, i + 12)
#define RCLAB_LABEL64(E, i) RCLAB_LABEL16(E, i), RCLAB_LABEL16(E, i + 16), RCLAB_LABEL16(E, i + 32), RCLAB_LABEL16(E, i + 48)
#define RCLAB_LABEL_TABLE(E) {RCLAB_LABEL64(E, 0), RCLAB_LABEL64(E, 64), RCLAB_LABEL64(E, 128), RCLAB_LABEL64(E, 192)}
