// The py313 loader: a module's code object from CPython 3.13's marshal
// format (Python/marshal.c r_object's TYPE_CODE; Objects/codeobject.c's
// _PyCode_Validate and init_code). The object reader is shared with py36
// (runtime/marshal_reader.h: check, then build); this reads 3.13's code
// object and checks its code units.
//
// 3.13's code object, in marshal order: argcount, posonlyargcount,
// kwonlyargcount, stacksize, flags (int32 each); co_code (bytes: two bytes
// per code unit, cache units zero); consts; names; localsplusnames (locals,
// then cells, then frees); localspluskinds (bytes, one LocalKind per name);
// filename, name, qualname; firstlineno (int32); the line table (bytes, never
// read: nothing on the instruction path decodes it); the exception table
// (bytes: read for where its first handler starts — the handlers' own
// opcodes are accepted from there on only — and dropped, as no modelled
// instruction raises).
//
// Interning and immortality as 3.13's: the reader interns (and so makes
// immortal) the strings marshal wrote interned ('t', 'A', 'Z': every name and
// identifier-like constant); other strings are ordinary mortal strs. A
// code object's names must be interned strings (3.13's compiler always
// writes them so).
//
// Building also does init_code's work: the counts of locals, cells and
// frees from the kinds, co_framesize, a version for the functions made from
// it, and, for a specialising generation, quickening (specialize.h); for
// thread-local bytecode, the array of copies (tlbc.h).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "runtime/marshal_reader.h"
#include "runtime/py313/frame.h"
#include "runtime/py313/opcodes.h"
#include "runtime/py313/specialize.h"
#include "runtime/runtime.h"

namespace rclab::runtime::py313 {

namespace marshal {

using runtime::marshal::Reader;
using runtime::marshal::Value;

// co_flags this generation refuses: *args, **kwargs, coroutines and async
// generators (plain generators, 0x20, run).
inline constexpr std::int32_t kRefusedFlags = 0x4 | 0x8 | 0x80 | 0x100 | 0x200;

template <SafeConfig Cfg>
class Reader313 : public Reader<Cfg, Reader313<Cfg>> {
  using Base = Reader<Cfg, Reader313<Cfg>>;
  using typename Base::RC;
  using typename Base::V;
  using Base::building;
  using Base::drop;
  using Base::fail;
  using Base::i32;
  using Base::read;
  using Base::rt_;
  using Base::ts;
  friend Base;

 public:
  static constexpr bool kInternAll = false;
  using Base::Base;

 private:
  bool read_code(V& v) {
    std::int32_t argcount, posonly, kwonly, stacksize, flags, firstlineno;
    if (!i32(argcount) || !i32(posonly) || !i32(kwonly) || !i32(stacksize) || !i32(flags)) return false;
    V code, consts, names, lpnames, lpkinds, filename, name, qualname, linetable, exctable;
    if (!read(code) || !read(consts) || !read(names) || !read(lpnames) || !read(lpkinds) || !read(filename) ||
        !read(name) || !read(qualname) || !i32(firstlineno) || !read(linetable) || !read(exctable))
      return false;
    if (code.kind != 's' || consts.kind != '(' || names.kind != '(' || lpnames.kind != '(' || lpkinds.kind != 's' ||
        filename.kind != 'u' || name.kind != 'u' || qualname.kind != 'u' || linetable.kind != 's' ||
        exctable.kind != 's')
      return fail("a malformed code object");
    const std::string where =
        "code object '" + std::string(qualname.text) + "' (line " + std::to_string(firstlineno) + ")";
    if (kwonly != 0) return fail(where + ": keyword-only parameters are not modelled");
    if (flags & kRefusedFlags) return fail(where + ": coroutines, *args and **kwargs are not modelled");
    const std::int64_t handlers = first_handler(exctable.text, std::int64_t(code.text.size() / 2), stacksize);
    if (handlers < 0) return fail(where + ": a malformed exception table");
    const std::int64_t nlocalsplus = lpnames.size;
    if (std::int64_t(names.strs.size()) != names.size || std::int64_t(lpnames.strs.size()) != lpnames.size)
      return fail(where + ": names must be strs");
    if (std::int64_t(lpkinds.text.size()) != nlocalsplus) return fail(where + ": localspluskinds does not match its names");
    if (argcount < 0 || posonly < 0 || argcount > nlocalsplus || stacksize < 0 || stacksize > 10000)
      return fail(where + ": inconsistent sizes");
    if (code.text.size() % 2 != 0 || code.text.empty()) return fail(where + ": code units of odd length");
    for (char k : lpkinds.text)
      if (std::uint8_t(k) & kFastHidden) return fail(where + ": hidden locals (inlined comprehensions) are not modelled");
    if (!check_code(where, code.text, consts.size, names.size, nlocalsplus, lpkinds.text, handlers)) return false;
    v.kind = 'c';
    if (!building()) return true;

    // Build: consts, names, localsplusnames, name, qualname, filename and
    // the exception table's bytes are kept; the line table is dropped.
    auto& t = ts();
    const std::size_t nunits = code.text.size() / 2;
    auto* units = static_cast<std::uint16_t*>(alloc_block(t, nunits * sizeof(std::uint16_t)));
    for (std::size_t i = 0; i < nunits; ++i)
      units[i] = std::uint16_t(std::uint8_t(code.text[2 * i]) | std::uint8_t(code.text[2 * i + 1]) << 8);
    if constexpr (Cfg::Gen::kSpecializes) quicken(units, std::uint32_t(nunits));
    std::int32_t nlocals = 0, ncells = 0, nfrees = 0;
    auto* kinds = static_cast<std::uint8_t*>(alloc_block(t, localspluskinds_block_size(nlocalsplus)));
    for (std::int64_t i = 0; i < nlocalsplus; ++i) {
      const std::uint8_t k = std::uint8_t(lpkinds.text[std::size_t(i)]);
      kinds[i] = k;
      nlocals += (k & kFastLocal) != 0;  // get_localsplus_counts
      ncells += (k & kFastCell) != 0;
      nfrees += (k & kFastFree) != 0;
    }
    if (stacksize == 0) stacksize = 1;  // init_code
    Code<RC>* co = rt_->new_code(t, units, std::uint32_t(nunits), argcount, nlocals, stacksize, flags,
                                 as<Tuple>(consts.obj), as<Tuple>(names.obj), as<Str>(name.obj));
    co->posonlyargcount = posonly;
    co->ncells = ncells;
    co->nfrees = nfrees;
    co->nlocalsplus = std::int32_t(nlocalsplus);
    co->framesize = std::int32_t(nlocalsplus) + stacksize + kFrameSpecialsOf<Cfg>;
    co->localsplusnames = as<Tuple>(lpnames.obj);
    co->localspluskinds = kinds;
    co->qualname = as<Str>(qualname.obj);
    co->filename = as<Str>(filename.obj);
    co->firstlineno = firstlineno;
    co->version = rt_->gen.versions.next_func++;
    if constexpr (Cfg::Gen::kThreadLocalBytecode) tlbc_init_code(t, co);  // co_tlbc: entry 0 is `units`
    if (!exctable.text.empty()) {
      co->nexceptiontable = std::uint32_t(exctable.text.size());
      co->exceptiontable = static_cast<std::uint8_t*>(alloc_block(t, co->nexceptiontable));
      std::memcpy(co->exceptiontable, exctable.text.data(), co->nexceptiontable);
    }
    drop(linetable);
    drop(exctable);
    v.obj = &co->ob;
    return true;
  }

  // Every instruction this generation runs, followed by its cache units,
  // with arguments in range.
  // The exception table's entries (InternalDocs' exception_handling
  // notes): start, length, target and depth-and-lasti, each a varint of
  // 6-bit groups, most significant first, 0x40 marking another group (0x80
  // marks an entry's first byte, and only that byte: the interpreter's
  // bisection scans back to it, runtime/py313/exception_table.h). The
  // smallest target, in code units: the start of the handler code, which
  // 3.12+ places after everything else; INT64_MAX without entries; -1 if
  // malformed: a byte out of place, a range or target outside the `ncode`
  // units, a depth above `stacksize`.
  static std::int64_t first_handler(std::string_view table, std::int64_t ncode, std::int64_t stacksize) {
    std::size_t i = 0;
    auto varint = [&](std::int64_t& v, bool first) {
      if (i >= table.size()) return false;
      std::uint8_t b = std::uint8_t(table[i++]);
      if (bool(b & 128) != first) return false;
      v = b & 63;
      while (b & 64) {
        if (i >= table.size() || v > (INT32_MAX >> 6)) return false;
        b = std::uint8_t(table[i++]);
        if (b & 128) return false;
        v = (v << 6) | (b & 63);
      }
      return true;
    };
    std::int64_t first = INT64_MAX;
    while (i < table.size()) {
      std::int64_t start, length, target, depth_lasti;
      if (!varint(start, true) || !varint(length, false) || !varint(target, false) || !varint(depth_lasti, false))
        return -1;
      if (start + length > ncode || target >= ncode || (depth_lasti >> 1) > stacksize) return -1;
      first = std::min(first, target);
    }
    return first;
  }

  static bool handler_only(std::uint8_t op) {
    for (std::string_view name : kHandlerOpcodesModelled)
      if (name == op_name(op)) return true;
    return false;
  }

  bool check_code(const std::string& where, std::string_view code, std::int64_t nconsts, std::int64_t nnames,
                  std::int64_t nlocalsplus, std::string_view kinds, std::int64_t handlers) {
    const std::size_t n = code.size() / 2;  // code units
    auto unit_at = [&](std::size_t i) {
      return std::uint16_t(std::uint8_t(code[2 * i]) | std::uint8_t(code[2 * i + 1]) << 8);
    };
    std::uint32_t ext = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::uint16_t u = unit_at(i);
      const std::uint8_t op = opcode_of(u);
      const std::uint32_t arg = ext << 8 | oparg_of(u);
      const std::size_t offset = 2 * i;
      auto bad = [&](const std::string& why) {
        const std::string_view nm = op_name(op);
        return fail(where + ": " + (nm.empty() ? "opcode " + std::to_string(op) : std::string(nm)) + " at offset " +
                    std::to_string(offset) + ": " + why);
      };
      if (!is_supported(op)) return bad("not an opcode rclab runs (runtime/py313/opcodes.json lists them)");
      if (std::int64_t(i) < handlers && handler_only(op))
        return bad("only in exception handlers (from the first one the exception table names)");
      const std::size_t caches = kCaches[op];
      if (caches != 0 && i + caches >= n) return bad("its cache entries run past the code");
      const std::size_t next = i + 1 + caches;  // where a jump counts from
      ext = op == EXTENDED_ARG ? arg : 0;
      auto local_ok = [&](std::uint32_t k) { return std::int64_t(k) < nlocalsplus; };
      switch (op) {
        case LOAD_CONST: case RETURN_CONST:
          if (arg >= nconsts) return bad("constant index out of range");
          break;
        case LOAD_NAME: case STORE_NAME: case STORE_ATTR:
          if (arg >= nnames) return bad("name index out of range");
          break;
        case LOAD_GLOBAL: case LOAD_ATTR:
          if ((arg >> 1) >= nnames) return bad("name index out of range");
          break;
        case LOAD_FAST: case STORE_FAST: case MAKE_CELL:
          if (!local_ok(arg)) return bad("local index out of range");
          if (op == MAKE_CELL && !(std::uint8_t(kinds[arg]) & kFastCell)) return bad("not a cell");
          break;
        case LOAD_DEREF:
          if (!local_ok(arg) || !(std::uint8_t(kinds[arg]) & (kFastCell | kFastFree))) return bad("not a cell or a free variable");
          break;
        case LOAD_FAST_LOAD_FAST:
          if (!local_ok(arg >> 4) || !local_ok(arg & 15)) return bad("local index out of range");
          break;
        case COPY_FREE_VARS: {
          std::int64_t frees = 0;
          for (char k : kinds) frees += (std::uint8_t(k) & kFastFree) != 0;
          if (arg != frees) return bad("does not copy the code's free variables");
          break;
        }
        case COMPARE_OP:
          if (!compare_op_modelled(arg)) return bad("only <, <=, ==, !=, > and >= are modelled");
          break;
        case BINARY_OP:
          if (!binary_op_modelled(arg)) return bad("only +, - and += are modelled");
          break;
        case SET_FUNCTION_ATTRIBUTE:
          if (!set_function_attribute_modelled(arg)) return bad("only closures are modelled (no defaults, annotations)");
          break;
        case JUMP_BACKWARD:
          if (arg > next) return bad("jump target outside the code");
          break;
        case POP_JUMP_IF_FALSE: case POP_JUMP_IF_TRUE:
          if (next + arg >= n) return bad("jump target outside the code");
          break;
        case FOR_ITER:
          // Exhausted, it jumps past the END_FOR and POP_TOP at next + arg.
          if (next + arg + 2 > n || opcode_of(unit_at(next + arg)) != END_FOR) return bad("jump target outside the code");
          break;
        case EXTENDED_ARG:
          if (i + 1 >= n) return bad("EXTENDED_ARG at the end of the code");
          break;
        case RAISE_VARARGS: case RERAISE:
          if (arg > 2) return bad("oparg above 2");
          break;
        default:
          break;
      }
      i += caches;
    }
    return true;
  }
};

}  // namespace marshal

template <SafeConfig Cfg>
std::string check_module(std::string_view bytes, std::string_view what) {
  return marshal::Reader313<Cfg>(nullptr, bytes, what).check();
}

template <SafeConfig Cfg>
Code<typename Cfg::RC>* load_module(Runtime<Cfg>& rt, std::string_view bytes, std::string_view what) {
  marshal::Reader313<Cfg> r(&rt, bytes, what);
  return r.build();
}

}  // namespace rclab::runtime::py313
