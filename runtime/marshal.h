// The loader: a module's code object from CPython 3.6's marshal format
// (Python/marshal.c, version 4: what marshal.dumps(compile(...)) writes, and
// what tools/dev/compile_workloads.py commits under workloads/compiled/).
//
// Two passes over the bytes. The first only reads and checks: the format,
// the constant types rclab has (None, bools, ints within 64 bits, strs,
// tuples, code), each code object's flags, and every instruction — an
// opcode rclab does not run is refused here, by name and offset, as is an
// argument that indexes past its table or a jump out of the code. It
// creates nothing, so a refusal leaves nothing to free. The second pass,
// which cannot fail, builds the objects. So the interpreter never meets an
// instruction it would execute wrongly.
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

#include "runtime/opcodes.h"
#include "runtime/runtime.h"

namespace rclab::runtime {

namespace marshal {

// Marshal's type codes (Python/marshal.c) that rclab reads.
enum : std::uint8_t {
  kNull = '0', kNone = 'N', kFalse = 'F', kTrue = 'T', kInt = 'i', kLong = 'l', kString = 's',
  kInterned = 't', kRef = 'r', kTuple = '(', kSmallTuple = ')', kCode = 'c', kUnicode = 'u',
  kAscii = 'a', kAsciiInterned = 'A', kShortAscii = 'z', kShortAsciiInterned = 'Z', kFlagRef = 0x80,
};

// co_flags rclab refuses: generators and coroutines, *args and **kwargs.
inline constexpr std::int32_t kRefusedFlags = 0x4 | 0x8 | 0x20 | 0x80 | 0x100 | 0x200;

// What reading one object gave: in the checking pass only its kind and, for
// strings and bytes, its text; in the building pass also the object (a new
// reference).
template <class RC>
struct Value {
  char kind = 0;          // 'N', 'T', 'F', 'i' (any int), 's' (bytes), 'u' (str), '(' (tuple), 'c' (code)
  std::string_view text;  // bytes and str
  std::int64_t ival = 0;
  std::vector<std::string_view> strs;  // a tuple of strs (names, varnames, ...)
  std::int64_t size = 0;               // a tuple's length
  Object<RC>* obj = nullptr;
};

template <SafeConfig Cfg>
class Reader {
 public:
  using RC = typename Cfg::RC;
  using O = Object<RC>;
  using V = Value<RC>;

  Reader(Runtime<Cfg>* rt, std::string_view bytes, std::string_view what) : rt_(rt), what_(what) {
    p_ = reinterpret_cast<const std::uint8_t*>(bytes.data());
    end_ = p_ + bytes.size();
  }

  // The checking pass (rt == nullptr): "" when the bytes are a module rclab
  // can run, else why not, in one line.
  std::string check() {
    V v;
    if (!read(v)) return error_;
    if (v.kind != 'c') return std::string(what_) + ": not a code object";
    if (p_ != end_) return std::string(what_) + ": trailing bytes after the module's code object";
    return "";
  }

  // The building pass, on bytes check() accepted: a new reference to the
  // module's code object.
  Code<RC>* build() {
    V v;
    if (!read(v) || v.kind != 'c') fatal("marshal: building what the check accepted failed");
    for (V& r : refs_) drop(r);
    return as<Code>(v.obj);
  }

 private:
  bool fail(std::string why) {
    if (error_.empty()) error_ = std::string(what_) + ": " + std::move(why);
    return false;
  }
  bool need(std::size_t n) { return std::size_t(end_ - p_) >= n ? true : fail("truncated marshal data"); }
  bool u8(std::uint8_t& x) {
    if (!need(1)) return false;
    x = *p_++;
    return true;
  }
  bool i32(std::int32_t& x) {
    if (!need(4)) return false;
    std::uint32_t u = std::uint32_t(p_[0]) | std::uint32_t(p_[1]) << 8 | std::uint32_t(p_[2]) << 16 |
                      std::uint32_t(p_[3]) << 24;
    p_ += 4;
    x = std::int32_t(u);
    return true;
  }
  bool bytes(std::size_t n, std::string_view& s) {
    if (!need(n)) return false;
    s = {reinterpret_cast<const char*>(p_), n};
    p_ += n;
    return true;
  }
  bool building() const { return rt_ != nullptr; }
  ThreadState<Cfg>& ts() { return rt_->main; }

  // One object. FLAG_REF objects are remembered (borrowed) for later 'r's;
  // their slot is reserved before their contents are read, as marshal.c does.
  bool read(V& v) {
    std::uint8_t code;
    if (!u8(code)) return false;
    const bool flag = code & kFlagRef;
    code &= std::uint8_t(~kFlagRef);
    std::size_t slot = 0;
    if (flag) {
      slot = refs_.size();
      refs_.push_back({});
    }
    if (!read_body(code, v)) return false;
    if (flag) {
      // The table keeps its own reference until build() ends: a later 'r'
      // may name an object (a tuple of varnames) whose first reader dropped it.
      refs_[slot] = v;
      if (v.obj != nullptr) incref(ts(), v.obj);
    }
    return true;
  }

  bool read_str(std::size_t n, V& v) {
    if (!bytes(n, v.text)) return false;
    v.kind = 'u';
    if (building()) v.obj = &rt_->intern(ts(), v.text)->ob;
    return true;
  }

  bool read_body(std::uint8_t code, V& v) {
    switch (code) {
      case kNone:
      case kTrue:
      case kFalse:
        v.kind = char(code);
        if (building()) {
          v.obj = code == kNone ? rt_->none : code == kTrue ? rt_->true_ : rt_->false_;
          incref(ts(), v.obj);
        }
        return true;
      case kInt: {
        std::int32_t x;
        if (!i32(x)) return false;
        return make_int(x, v);
      }
      case kLong: {
        // A signed count of 15-bit digits, least significant first.
        std::int32_t n;
        if (!i32(n)) return false;
        const std::int64_t nd = n < 0 ? -std::int64_t(n) : n;
        if (nd > 4) return fail("an int constant beyond 64 bits (rclab's ints stop there)");
        std::uint64_t x = 0;
        for (std::int64_t i = 0; i < nd; ++i) {
          std::uint8_t lo, hi;
          if (!u8(lo) || !u8(hi)) return false;
          x |= std::uint64_t(lo | hi << 8) << (15 * i);
        }
        if (x > std::uint64_t(INT64_MAX)) return fail("an int constant beyond 64 bits (rclab's ints stop there)");
        return make_int(n < 0 ? -std::int64_t(x) : std::int64_t(x), v);
      }
      case kString: {
        std::int32_t n;
        if (!i32(n) || n < 0) return n < 0 ? fail("negative length") : false;
        v.kind = 's';
        return bytes(std::size_t(n), v.text);  // co_code and co_lnotab: never objects here
      }
      case kUnicode:
      case kInterned:
      case kAscii:
      case kAsciiInterned: {
        std::int32_t n;
        if (!i32(n) || n < 0) return n < 0 ? fail("negative length") : false;
        return read_str(std::size_t(n), v);
      }
      case kShortAscii:
      case kShortAsciiInterned: {
        std::uint8_t n;
        if (!u8(n)) return false;
        return read_str(n, v);
      }
      case kTuple:
      case kSmallTuple: {
        std::int64_t n;
        if (code == kSmallTuple) {
          std::uint8_t b;
          if (!u8(b)) return false;
          n = b;
        } else {
          std::int32_t x;
          if (!i32(x) || x < 0) return x < 0 ? fail("negative length") : false;
          n = x;
        }
        v.kind = '(';
        v.size = n;
        Tuple<RC>* t = building() ? rt_->new_tuple(ts(), std::size_t(n)) : nullptr;
        bool all_strs = true;
        for (std::int64_t i = 0; i < n; ++i) {
          V item;
          if (!read(item)) return false;
          if (item.kind == 's') return fail("a bytes constant (rclab has no bytes type)");
          if (item.kind == 'u') v.strs.push_back(item.text);
          else all_strs = false;
          if (t != nullptr) t->items()[i] = item.obj;
        }
        if (!all_strs) v.strs.clear();
        if (t != nullptr) v.obj = &t->ob;
        return true;
      }
      case kRef: {
        std::int32_t i;
        if (!i32(i)) return false;
        if (i < 0 || std::size_t(i) >= refs_.size() || refs_[std::size_t(i)].kind == 0)
          return fail("a reference to an object not read yet");
        v = refs_[std::size_t(i)];
        if (v.obj != nullptr) incref(ts(), v.obj);
        return true;
      }
      case kCode:
        return read_code(v);
      default: {
        const char c = char(code);
        std::string what = c >= 32 && c < 127 ? std::string("'") + c + "'" : std::to_string(int(code));
        return fail("a constant of marshal type " + what + " (rclab runs ints, strs, tuples, None, bools and code)");
      }
    }
  }

  bool make_int(std::int64_t x, V& v) {
    v.kind = 'i';
    v.ival = x;
    if (building()) v.obj = int_from(ts(), x);
    return true;
  }

  // Drops a reference the building pass took and does not keep.
  void drop(V& v) {
    if (v.obj != nullptr) decref(ts(), v.obj);
    v.obj = nullptr;
  }

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
    if (flags & kRefusedFlags) return fail(where + ": generators, coroutines, *args and **kwargs are not modelled");
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
    drop(varnames);
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
      if (!is_supported(op)) return bad("not an opcode rclab runs (runtime/py36_opcodes.json lists them)");
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

  Runtime<Cfg>* rt_;
  std::string_view what_;
  const std::uint8_t* p_;
  const std::uint8_t* end_;
  std::vector<V> refs_;
  std::string error_;
};

}  // namespace marshal

// Checks that `bytes` are a 3.6 module rclab can run: "" if so, else one
// line naming what is not (for an unsupported instruction: the code
// object, the opcode's name and its offset). `what` prefixes the message.
template <SafeConfig Cfg>
std::string check_module(std::string_view bytes, std::string_view what) {
  return marshal::Reader<Cfg>(nullptr, bytes, what).check();
}

// The module's code object (a new reference), from bytes check_module
// accepted, built on the runtime's own thread state.
template <SafeConfig Cfg>
Code<typename Cfg::RC>* load_module(Runtime<Cfg>& rt, std::string_view bytes, std::string_view what) {
  marshal::Reader<Cfg> r(&rt, bytes, what);
  return r.build();
}

}  // namespace rclab::runtime
