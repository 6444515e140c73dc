// Ints: PyLong_FromLong, with CPython's small-int cache. The cache is the
// Runtime's (runtime/runtime.h), so Runtime must be complete where int_from
// is instantiated.
#pragma once

#include <cstdint>

#include "runtime/counters.h"
#include "runtime/object.h"
#include "runtime/object_ops.h"
#include "runtime/thread_state.h"

namespace rclab::runtime {

template <class Cfg>
inline Object<typename Cfg::RC>* int_from(ThreadState<Cfg>& ts, std::int64_t v, Tally& t) {
  using R = Runtime<Cfg>;
  if (v >= R::kSmallIntMin && v <= R::kSmallIntMax) {
    // get_small_int(): shared by every thread, so its count is contended.
    Object<typename Cfg::RC>* o = &ts.rt.small_ints[v - R::kSmallIntMin]->ob;
    incref(ts, o, t);
    return o;
  }
  auto* i = static_cast<Int<typename Cfg::RC>*>(alloc_block(ts, sizeof(Int<typename Cfg::RC>)));
  init_object(ts, &i->ob, Type::kInt);
  i->value = v;
  return &i->ob;
}

template <class Cfg>
inline Object<typename Cfg::RC>* int_from(ThreadState<Cfg>& ts, std::int64_t v) {
  return int_from(ts, v, ts.counters.rc);
}

}  // namespace rclab::runtime
