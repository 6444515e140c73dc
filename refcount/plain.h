// `plain`: CPython's own counting, `ob_refcnt++` / `--ob_refcnt`.
//
// Correct only while a GIL serialises every access: two threads doing a
// read-modify-write on the same count without it lose updates, and a lost
// decrement is a leak while a lost increment is a use-after-free.
#pragma once

#include <cstdint>
#include <string_view>

namespace rclab::refcount {

struct Plain {
  static constexpr std::string_view kName = "plain";
  static constexpr bool kNeedsGil = true;

  struct Header {
    std::int64_t refcnt;  // Py_ssize_t ob_refcnt
  };
  struct Shared {};
  struct Local {
    explicit Local(Shared&) noexcept {}
  };

  static void init(Header& h, Local&) { h.refcnt = 1; }
  static void incref(Header& h, Local&) { ++h.refcnt; }
  static bool decref(Header& h, Local&) { return --h.refcnt == 0; }
  static std::int64_t count(const Header& h) { return h.refcnt; }
};

}  // namespace rclab::refcount
