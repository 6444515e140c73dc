// `pthread_key`: the thread state from pthread_getspecific, as the
// Gilectomy's PyThreadState_GET() (de3aebf50a, Include/pystate.h:203):
// PyGILState_GetThisThreadState() tests that the GIL-state machinery is
// initialised, then calls PyThread_get_key_value(autoTLSkey), which calls
// pthread_getspecific (Python/pystate.c:851-856, thread_pthread.h:643-645).
// Three nested out-of-line calls per fetch, nine fetches per fib call.
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
    return *static_cast<TS*>(gilstate_get_this_thread_state());
  }

 private:
  // One process-wide key, created during static initialisation (before any
  // interpreter thread exists), so get() has no once-guard on its path.
  static inline const pthread_key_t key = [] {
    pthread_key_t k;
    if (pthread_key_create(&k, nullptr) != 0) fatal("pthread_key_create failed");
    return k;
  }();
  // autoInterpreterState: set once, before any interpreter thread exists.
  static inline int interpreter_state_marker = 0;
  static inline void* auto_interpreter_state = &interpreter_state_marker;

  // PyThread_get_key_value.
  [[gnu::noinline]] static void* thread_get_key_value() { return pthread_getspecific(key); }
  // PyGILState_GetThisThreadState.
  [[gnu::noinline]] static void* gilstate_get_this_thread_state() {
    if (auto_interpreter_state == nullptr) [[unlikely]]
      return nullptr;
    return thread_get_key_value();
  }
};

}  // namespace rclab::runtime
