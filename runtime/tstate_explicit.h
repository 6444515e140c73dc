// `explicit`: the thread state is passed down (Gilectomy, May 2017, "no
// TLS"): get() returns what the caller passed and costs nothing.
#pragma once

#include <string_view>

namespace rclab::runtime {

struct ExplicitTState {
  static constexpr std::string_view kName = "explicit";
  static constexpr bool kLooksUp = false;

  template <class TS>
  static void attach(TS*) {}
  template <class TS>
  static void detach(TS*) {}
  template <class TS>
  static TS& get(TS& passed) {
    return passed;
  }
};

}  // namespace rclab::runtime
