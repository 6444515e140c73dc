// Deallocation: the object's count has reached zero on this thread. Also the
// thread state's detach(), which returns the blocks a thread has cached.
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/fatal.h"
#include "refcount/policy.h"
#include "runtime/config.h"
#include "runtime/dict.h"
#include "runtime/frames.h"
#include "runtime/ints.h"
#include "runtime/object.h"
#include "runtime/object_ops.h"
#include "runtime/thread_state.h"

namespace rclab::runtime {

// Frees an object's own block, poisoned first in debug builds.
template <class Cfg>
inline void release_object(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o, std::size_t size) {
  poison(o);
  free_block(ts, o, size);
}

template <class Cfg>
void dealloc(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o) {
  using RC = typename Cfg::RC;
  ++ts.counters.objects_destroyed;
  switch (o->type) {
    case Type::kFreed:
      fatal("double free: dealloc of a deallocated object");
    case Type::kInt:
      release_object(ts, o, int_block_size(as<Int>(o)));
      return;
    case Type::kFrame:
      frame_dealloc(ts, as<Frame>(o), ts.counters.rc);
      return;
    case Type::kNone:
    case Type::kBool:
      release_object(ts, o, sizeof(Object<RC>));
      return;
    case Type::kStr: {
      const std::size_t n = as<Str>(o)->size;
      release_object(ts, o, sizeof(Str<RC>) + n + 1);
      return;
    }
    case Type::kTuple: {
      Tuple<RC>* t = as<Tuple>(o);
      for (std::int64_t i = 0; i < t->size; ++i) xdecref(ts, t->items()[i]);
      release_object(ts, o, sizeof(Tuple<RC>) + std::size_t(t->size) * sizeof(Object<RC>*));
      return;
    }
    case Type::kDict: {
      Dict<RC>* d = as<Dict>(o);
      for (std::uint64_t i = 0; i <= d->mask; ++i) {
        auto& e = d->table[i];
        if (e.key == nullptr) continue;
        decref(ts, &e.key->ob);
        decref(ts, e.value);
      }
      free_block(ts, d->table, (d->mask + 1) * sizeof(typename Dict<RC>::Entry));
      dict_reclaim(ts, d);  // nobody else holds the dict: a quiescent point
      release_object(ts, o, dict_block_size<Cfg>());  // with its lock's tail (runtime/dict.h)
      return;
    }
    case Type::kCode: {
      Code<RC>* c = as<Code>(o);
      decref(ts, &c->consts->ob);
      decref(ts, &c->names->ob);
      decref(ts, &c->name->ob);
      free_block(ts, c->code, c->ncode * sizeof(std::uint16_t));
      release_object(ts, o, sizeof(Code<RC>));
      return;
    }
    case Type::kFunction: {
      Function<RC>* fn = as<Function>(o);
      decref(ts, &fn->code->ob);
      decref(ts, &fn->globals->ob);
      decref(ts, &fn->name->ob);
      release_object(ts, o, sizeof(Function<RC>));
      return;
    }
  }
  fatal("dealloc: corrupt type tag");
}

// A freelist's release callback for cached frame blocks: ctx is the thread
// state whose allocator takes them back.
template <class Cfg>
void release_frame_block(void* ctx, void* p) {
  auto& ts = *static_cast<ThreadState<Cfg>*>(ctx);
  free_block(ts, p, frame_block_size<Cfg>(static_cast<Frame<typename Cfg::RC>*>(p)->capacity));
}

template <SafeConfig Cfg>
void ThreadState<Cfg>::detach() {
  // Merges first: a merge may free a frame, which goes to the freelist.
  if constexpr (refcount::HasSafepoint<RC>)
    RC::detach(rc, [this](typename RC::Header& h) { rc_free_header(*this, h); });
  Cfg::Frames::drain(frames, &release_frame_block<Cfg>, this);
}

}  // namespace rclab::runtime
