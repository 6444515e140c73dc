// Critical sections: free-threaded CPython 3.13's way of locking an object
// (Include/internal/pycore_critical_section.h, Python/critical_section.c).
// A section locks one PyMutex (dictlock/pymutex.h) and is pushed on the
// thread's stack of sections; when the thread would block — it parks on a
// contended PyMutex — every active section is suspended (its mutex
// released), and the top one is resumed (relocked) when the thread runs
// again; a suspended section further down is resumed when the sections
// above it end. So a thread never sleeps holding an object's lock, and two
// threads locking two objects in opposite orders cannot deadlock: one of
// them releases its first lock while it waits for the second.
//
// The stack is 3.13's: a tagged pointer per thread (tstate->critical_section
// there, tls_top here) to the top section, each section pointing to the one
// below; the low bit of a tag marks the section it points to inactive.
// Sections live on the C++ stack of the code that begins them (Section);
// lock()/unlock() callers without a scope use a small per-thread pool.
//
// Not modelled: the two-object section (PyCriticalSection2), which no rclab
// operation needs yet (no operation locks two containers).
//
// Threading contract: a section is begun and ended by one thread, in LIFO
// order; only its thread reads or writes its stack.
#pragma once

#include <cstdint>

#include "common/fatal.h"
#include "dictlock/pymutex.h"

namespace rclab::dictlock {

struct CriticalSection {
  PyMutex* mutex = nullptr;  // null while being begun, and while suspended
  std::uintptr_t prev = 0;   // the section below, tagged
};

namespace critical_section_detail {
inline constexpr std::uintptr_t kInactive = 1;
inline thread_local std::uintptr_t tls_top = 0;

inline CriticalSection* untag(std::uintptr_t t) { return reinterpret_cast<CriticalSection*>(t & ~kInactive); }
inline bool is_active(std::uintptr_t t) { return t != 0 && (t & kInactive) == 0; }

// _PyCriticalSection_SuspendAll: release the mutex of every active section.
inline bool suspend_all() {
  std::uintptr_t* tag = &tls_top;
  bool any = false;
  while (is_active(*tag)) {
    CriticalSection* c = untag(*tag);
    if (c->mutex != nullptr) c->mutex->unlock();
    *tag |= kInactive;
    tag = &c->prev;
    any = true;
  }
  return any;
}

// _PyCriticalSection_Resume: relock the top section.
inline void resume() {
  CriticalSection* c = untag(tls_top);
  PyMutex* m = c->mutex;
  c->mutex = nullptr;  // so a park inside this lock() suspends nothing twice
  if (m != nullptr) m->lock();
  c->mutex = m;
  tls_top &= ~kInactive;
}

inline const bool kHooksSet = [] {
  park_hooks = {&suspend_all, &resume};
  return true;
}();

[[gnu::noinline]] inline void begin_slow(CriticalSection& c, PyMutex& m) {
  c.mutex = nullptr;
  c.prev = tls_top;
  tls_top = reinterpret_cast<std::uintptr_t>(&c);
  m.lock();
  c.mutex = &m;
}
}  // namespace critical_section_detail

// _PyCriticalSection_BeginMutex: uncontended, one CAS and a push.
[[gnu::always_inline]] inline void begin(CriticalSection& c, PyMutex& m) {
  using namespace critical_section_detail;
  if (m.try_lock_fast()) [[likely]] {
    c.mutex = &m;
    c.prev = tls_top;
    tls_top = reinterpret_cast<std::uintptr_t>(&c);
  } else {
    begin_slow(c, m);
  }
}

// _PyCriticalSection_End: unlock, pop, resume the section below if it was
// suspended.
[[gnu::always_inline]] inline void end(CriticalSection& c) {
  using namespace critical_section_detail;
  c.mutex->unlock();
  tls_top = c.prev;
  if ((c.prev & kInactive) != 0) [[unlikely]]
    resume();
}

// Py_BEGIN_CRITICAL_SECTION ... Py_END_CRITICAL_SECTION as a scope.
class Section {
 public:
  [[gnu::always_inline]] explicit Section(PyMutex& m) { begin(c_, m); }
  [[gnu::always_inline]] ~Section() { end(c_); }
  Section(const Section&) = delete;
  Section& operator=(const Section&) = delete;

 private:
  CriticalSection c_;
};

// For lock()/unlock() pairs without a scope (dict-lock policies' lock(s)):
// sections from a per-thread pool, ended in LIFO order.
namespace critical_section_detail {
inline constexpr int kPool = 8;
inline thread_local CriticalSection tls_pool[kPool];
inline thread_local int tls_pool_used = 0;
}  // namespace critical_section_detail

inline void lock_unscoped(PyMutex& m) {
  using namespace critical_section_detail;
  if (tls_pool_used == kPool) fatal("critical sections: more than 8 unscoped sections held at once");
  begin(tls_pool[tls_pool_used++], m);
}
inline void unlock_unscoped(PyMutex& m) {
  using namespace critical_section_detail;
  if (tls_pool_used == 0 || untag(tls_top) != &tls_pool[tls_pool_used - 1] || tls_pool[tls_pool_used - 1].mutex != &m)
    fatal("critical sections: unlock of a section that is not the thread's top one");
  end(tls_pool[--tls_pool_used]);
}

}  // namespace rclab::dictlock
