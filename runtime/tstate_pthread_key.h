// `pthread_key`: pthread_getspecific, as CPython 3.6 under the Gilectomy
// (PyThread_get_key_value). An out-of-line libc call per lookup.
#pragma once

#include <pthread.h>

#include <string_view>

#include "common/fatal.h"

namespace rclab::runtime {

struct PthreadKeyTState {
  static constexpr std::string_view kName = "pthread_key";
  static constexpr bool kLooksUp = true;

  template <class TS>
  static void attach(TS* ts) {
    if (pthread_setspecific(key, ts) != 0) fatal("pthread_setspecific failed");
  }
  template <class TS>
  static void detach(TS*) {
    pthread_setspecific(key, nullptr);
  }
  template <class TS>
  static TS& get(TS&) {
    return *static_cast<TS*>(pthread_getspecific(key));
  }

 private:
  // One process-wide key, created during static initialisation (before any
  // interpreter thread exists), so get() has no once-guard on its path.
  static inline const pthread_key_t key = [] {
    pthread_key_t k;
    if (pthread_key_create(&k, nullptr) != 0) fatal("pthread_key_create failed");
    return k;
  }();
};

}  // namespace rclab::runtime
