// The py36 loader: a module's code object from CPython 3.6's marshal format.
// The object reader is shared (runtime/marshal_reader.h: two passes, check
// then build); this reads 3.6's code object and checks its wordcode.
//
// Strings are interned (Runtime::intern), as 3.6 interns the names and
// identifier-like constants its compiler makes: every `work` in every code
// object is the same object, and dict lookups find it by identity.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/marshal_reader.h"
#include "runtime/py36/opcodes.h"
#include "runtime/runtime.h"

namespace rclab::runtime {

namespace marshal {

// co_flags rclab refuses: coroutines and async generators, *args and
// **kwargs (plain generators, 0x20, run).
inline constexpr std::int32_t kRefusedFlags = 0x4 | 0x8 | 0x80 | 0x100 | 0x200;

template <SafeConfig Cfg>
class Reader36 : public Reader<Cfg, Reader36<Cfg>> {
  using Base = Reader<Cfg, Reader36<Cfg>>;
  using typename Base::RC;
  using typename Base::V;
  using Base::fail;
  using Base::i32;
  using Base::read;
  using Base::building;
  using Base::ts;
  using Base::drop;
  using Base::rt_;
  friend Base;

 public:
  static constexpr bool kInternAll = true;
  using Base::Base;

 private:
  bool read_code(V& v) {
    std::int32_t argcount, kwonly, nlocals, stacksize, flags, firstlineno;
    if (!i32(argcount) || !i32(kwonly) || !i32(nlocals) || !i32(stacksize) || !i32(flags)) return false;
    V code, consts, names, varnames, freevars, cellvars, filename, name, lnotab;
    if (!read(code) || !read(consts) || !read(names) || !read(varnames) || !read(freevars) || !read(cellvars) ||
        !read(filename) || !read(name) || !i32(firstlineno) || !read(lnotab))
      return false;
    if (code.kind != 's' || consts.kind != '(' || names.kind != '(' || varnames.kind != '(' ||
        freevars.kind != '(' || cellvars.kind != '(' || name.kind != 'u')
      return fail("a malformed code object");
    const std::string where =
        "code object '" + std::string(name.text) + "' (line " + std::to_string(firstlineno) + ")";
    if (kwonly != 0) return fail(where + ": keyword-only parameters are not modelled");
    if (flags & kRefusedFlags) return fail(where + ": coroutines, *args and **kwargs are not modelled");
    if (argcount < 0 || argcount > nlocals || nlocals < 0 || stacksize < 0 || stacksize > 10000)
      return fail(where + ": inconsistent sizes");
    if (std::int64_t(names.strs.size()) != names.size || std::int64_t(varnames.strs.size()) != varnames.size ||
        std::int64_t(freevars.strs.size()) != freevars.size || std::int64_t(cellvars.strs.size()) != cellvars.size)
      return fail(where + ": names must be strs");
    if (varnames.size != nlocals) return fail(where + ": co_varnames does not match co_nlocals");
    if (code.text.size() % 2 != 0 || code.text.empty()) return fail(where + ": wordcode of odd length");
    const std::int64_t ncells = cellvars.size, nfrees = freevars.size;
    if (!check_code(where, code.text, consts.size, names.size, nlocals, ncells + nfrees)) return false;
    v.kind = 'c';
    if (!building()) return true;

    // Build. consts, names and name are kept; the rest are dropped.
    auto& t = ts();
    const std::size_t nwords = code.text.size() / 2;
    auto* words = static_cast<std::uint16_t*>(alloc_block(t, nwords * sizeof(std::uint16_t)));
    for (std::size_t i = 0; i < nwords; ++i)
      words[i] = std::uint16_t(std::uint8_t(code.text[2 * i]) | std::uint8_t(code.text[2 * i + 1]) << 8);
    std::int32_t* cell2arg = nullptr;
    for (std::int64_t c = 0; c < ncells; ++c) {
      for (std::int32_t a = 0; a < argcount; ++a) {
        if (cellvars.strs[std::size_t(c)] != varnames.strs[std::size_t(a)]) continue;
        if (cell2arg == nullptr) {
          cell2arg = static_cast<std::int32_t*>(alloc_block(t, std::size_t(ncells) * sizeof(std::int32_t)));
          for (std::int64_t k = 0; k < ncells; ++k) cell2arg[k] = -1;
        }
        cell2arg[c] = a;
      }
    }
    Code<RC>* co = rt_->new_code(t, words, std::uint32_t(nwords), argcount, nlocals, stacksize, flags,
                                 as<Tuple>(consts.obj), as<Tuple>(names.obj), as<Str>(name.obj));
    co->ncells = std::int32_t(ncells);
    co->nfrees = std::int32_t(nfrees);
    co->cell2arg = cell2arg;
    co->firstlineno = firstlineno;
    co->localsplusnames = as<Tuple>(varnames.obj);  // co_varnames: keyword arguments bind by them
    drop(freevars);
    drop(cellvars);
    drop(filename);
    v.obj = &co->ob;
    return true;
  }

  // Every instruction rclab can run, with arguments in range.
  bool check_code(const std::string& where, std::string_view code, std::int64_t nconsts, std::int64_t nnames,
                  std::int64_t nlocals, std::int64_t nderefs) {
    const std::size_t n = code.size();
    std::uint32_t ext = 0;
    for (std::size_t off = 0; off < n; off += 2) {
      const std::uint8_t op = std::uint8_t(code[off]);
      const std::uint32_t arg = ext << 8 | std::uint8_t(code[off + 1]);
      auto bad = [&](const std::string& why) {
        const std::string_view nm = op_name(op);
        return fail(where + ": " + (nm.empty() ? "opcode " + std::to_string(op) : std::string(nm)) + " at offset " +
                    std::to_string(off) + ": " + why);
      };
      if (!is_supported(op)) return bad("not an opcode rclab runs (runtime/py36/opcodes.json lists them)");
      ext = op == EXTENDED_ARG ? arg : 0;
      switch (op) {
        case LOAD_CONST:
          if (arg >= nconsts) return bad("constant index out of range");
          break;
        case LOAD_NAME: case STORE_NAME: case LOAD_GLOBAL: case STORE_GLOBAL: case LOAD_ATTR: case STORE_ATTR:
          if (arg >= nnames) return bad("name index out of range");
          break;
        case LOAD_FAST: case STORE_FAST:
          if (arg >= nlocals) return bad("local index out of range");
          break;
        case LOAD_CLOSURE: case LOAD_DEREF:
          if (arg >= nderefs) return bad("cell index out of range");
          break;
        case COMPARE_OP:
          if (!compare_op_modelled(arg)) return bad("only <, <=, ==, !=, >, >=, is and is not are modelled");
          break;
        case MAKE_FUNCTION:
          if (!make_function_modelled(arg)) return bad("defaults and annotations are not modelled");
          break;
        case JUMP_ABSOLUTE: case POP_JUMP_IF_FALSE: case POP_JUMP_IF_TRUE:
          if (arg % 2 != 0 || arg >= n) return bad("jump target outside the code");
          break;
        case JUMP_FORWARD: case SETUP_LOOP: case FOR_ITER:
          if (off + 2 + arg >= n + 1 || arg % 2 != 0) return bad("jump target outside the code");
          break;
        case EXTENDED_ARG:
          if (off + 2 >= n) return bad("EXTENDED_ARG at the end of the code");
          break;
        default:
          break;
      }
    }
    return true;
  }

};

}  // namespace marshal

// Checks that `bytes` are a 3.6 module rclab can run: "" if so, else one
// line naming what is not (for an unsupported instruction: the code
// object, the opcode's name and its offset). `what` prefixes the message.
template <SafeConfig Cfg>
std::string check_module(std::string_view bytes, std::string_view what) {
  return marshal::Reader36<Cfg>(nullptr, bytes, what).check();
}

// The module's code object (a new reference), from bytes check_module
// accepted, built on the runtime's own thread state.
template <SafeConfig Cfg>
Code<typename Cfg::RC>* load_module(Runtime<Cfg>& rt, std::string_view bytes, std::string_view what) {
  marshal::Reader36<Cfg> r(&rt, bytes, what);
  return r.build();
}

}  // namespace rclab::runtime
