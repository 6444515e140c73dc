// The marshal reader both interpreter generations load their modules with
// (Python/marshal.c, version 4: what marshal.dumps(compile(...)) writes, and
// what tools/compile_workloads.py commits under workloads/compiled/).
// Each generation reads its own code object layout (runtime/py36/marshal.h,
// runtime/py313/marshal.h); the rest of the format is the same in 3.6 and 3.13.
//
// Two passes over the bytes. The first only reads and checks: the format,
// the constant types rclab has (None, bools, ints within 64 bits, floats,
// strs, tuples, code), each code object, and every instruction — an opcode the
// generation does not run is refused here, by name and offset, as is an
// argument that indexes past its table or a jump out of the code. It
// creates nothing, so a refusal leaves nothing to free. The second pass,
// which cannot fail, builds the objects. So the interpreter never meets an
// instruction it would execute wrongly.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/runtime.h"

namespace rclab::runtime {

namespace marshal {

// Marshal's type codes (Python/marshal.c) that rclab reads.
enum : std::uint8_t {
  kNull = '0', kNone = 'N', kFalse = 'F', kTrue = 'T', kInt = 'i', kLong = 'l', kString = 's',
  kInterned = 't', kRef = 'r', kTuple = '(', kSmallTuple = ')', kCode = 'c', kUnicode = 'u',
  kAscii = 'a', kAsciiInterned = 'A', kShortAscii = 'z', kShortAsciiInterned = 'Z', kBinaryFloat = 'g',
  kFlagRef = 0x80,
};

// What reading one object gave: in the checking pass only its kind and, for
// strings and bytes, its text; in the building pass also the object (a new
// reference).
template <class RC>
struct Value {
  char kind = 0;          // 'N', 'T', 'F', 'i' (any int), 'g' (float), 's' (bytes), 'u' (str), '(' (tuple), 'c' (code)
  std::string_view text;  // bytes and str
  std::int64_t ival = 0;
  std::vector<std::string_view> strs;  // a tuple of strs (names, varnames, ...)
  std::int64_t size = 0;               // a tuple's length
  Object<RC>* obj = nullptr;
};

// The object reader both generations share; Derived reads a code object
// (read_code(V&), the one part whose layout is the generation's) and says
// which strings are interned (kInternAll: 3.6 interns every str its loader
// reads; 3.13's marshal interns, and makes immortal, only the 't', 'A' and
// 'Z' ones).
template <SafeConfig Cfg, class Derived>
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

 protected:
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

  bool read_str(std::size_t n, V& v, bool interned) {
    if (!bytes(n, v.text)) return false;
    v.kind = 'u';
    if (building())
      v.obj = interned || Derived::kInternAll ? &rt_->intern(ts(), v.text)->ob : &rt_->new_str(ts(), v.text)->ob;
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
        // 63 bits need five digits; the fifth holds bits 60..62 only.
        if (nd > 5) return fail("an int constant beyond 64 bits (rclab's ints stop there)");
        std::uint64_t x = 0;
        for (std::int64_t i = 0; i < nd; ++i) {
          std::uint8_t lo, hi;
          if (!u8(lo) || !u8(hi)) return false;
          const std::uint64_t digit = std::uint64_t(lo | hi << 8);
          if (i == 4 && digit >> 3 != 0) return fail("an int constant beyond 64 bits (rclab's ints stop there)");
          x |= digit << (15 * i);
        }
        if (x > std::uint64_t(INT64_MAX)) return fail("an int constant beyond 64 bits (rclab's ints stop there)");
        return make_int(n < 0 ? -std::int64_t(x) : std::int64_t(x), v);
      }
      case kBinaryFloat: {  // w_float_bin: the double's 8 bytes, little-endian
        std::string_view b;
        if (!bytes(8, b)) return false;
        std::uint64_t bits = 0;
        for (int i = 8; i-- > 0;) bits = bits << 8 | std::uint8_t(b[std::size_t(i)]);
        double d;
        std::memcpy(&d, &bits, sizeof d);
        v.kind = 'g';
        if (building()) v.obj = float_from(ts(), d);
        return true;
      }
      case kString: {
        std::int32_t n = 0;  // i32 leaves it unset when the input ends: then `false`, not a length test
        if (!i32(n) || n < 0) return n < 0 ? fail("negative length") : false;
        v.kind = 's';
        return bytes(std::size_t(n), v.text);  // co_code, line tables, kinds: never objects here
      }
      case kUnicode:
      case kInterned:
      case kAscii:
      case kAsciiInterned: {
        std::int32_t n = 0;  // i32 leaves it unset when the input ends: then `false`, not a length test
        if (!i32(n) || n < 0) return n < 0 ? fail("negative length") : false;
        return read_str(std::size_t(n), v, code == kInterned || code == kAsciiInterned);
      }
      case kShortAscii:
      case kShortAsciiInterned: {
        std::uint8_t n;
        if (!u8(n)) return false;
        return read_str(n, v, code == kShortAsciiInterned);
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
        return static_cast<Derived*>(this)->read_code(v);
      default: {
        const char c = char(code);
        std::string what = c >= 32 && c < 127 ? std::string("'") + c + "'" : std::to_string(int(code));
        return fail("a constant of marshal type " + what +
                    " (rclab runs ints, floats, strs, tuples, None, bools and code)");
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

  Runtime<Cfg>* rt_;
  std::string_view what_;
  const std::uint8_t* p_;
  const std::uint8_t* end_;
  std::vector<V> refs_;
  std::string error_;
};

}  // namespace marshal

}  // namespace rclab::runtime
