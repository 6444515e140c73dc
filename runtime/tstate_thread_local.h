// `thread_local`: a C++ thread_local pointer. In an executable this is one
// %fs-relative load (the initial-exec / local-exec TLS model); in a shared
// library it can become a __tls_get_addr call.
#pragma once

#include <string_view>

namespace rclab::runtime {

struct ThreadLocalTState {
  static constexpr std::string_view kName = "thread_local";
  static constexpr bool kLooksUp = true;

  template <class TS>
  static void attach(TS* ts) {
    current = ts;
  }
  template <class TS>
  static void detach(TS*) {
    current = nullptr;
  }
  template <class TS>
  static TS& get(TS&) {
    return *static_cast<TS*>(current);
  }

 private:
  static inline thread_local void* current = nullptr;
};

}  // namespace rclab::runtime
