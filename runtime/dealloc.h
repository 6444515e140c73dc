// Deallocation: the object's count has reached zero on this thread. Also the
// thread state's detach(), which returns the blocks a thread has cached.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

#include "common/fatal.h"
#include "freelists/objects.h"
#include "refcount/policy.h"
#include "runtime/builtins.h"
#include "runtime/config.h"
#include "runtime/containers.h"
#include "runtime/deferred_gc_ops.h"
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

// Keeps a dead object's block on the object freelist of `kind`, poisoned
// first in debug builds (the link takes its first word, the header; the
// poisoned type tag stays, so a later incref of it still stops); false
// when that list is full.
template <class Cfg>
inline bool keep_object(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o, std::size_t kind) {
  poison(o);
  return keep_object_block(ts, kind, o);
}

// The size of a block the object freelists keep, by kind.
template <class Cfg>
std::size_t object_block_size(std::size_t kind) {
  namespace fo = freelists::objects;
  if (kind < fo::kList) return tuple_block_size<Cfg>(std::int64_t(kind) + 1);
  if (kind == fo::kList) return list_block_size<Cfg>();
  if (kind == fo::kDict) return dict_block_size<Cfg>();
  if (kind == fo::kFloat) return sizeof(Float<typename Cfg::RC>);
  return detail::keys_block_size<Cfg>(detail::kDictLogMinSize);
}

// The object freelists' release callback (drain, drain_shared): ctx is the
// thread state whose allocator takes the blocks back.
template <class Cfg>
void release_object_block(void* ctx, std::size_t kind, void* p) {
  free_block(*static_cast<ThreadState<Cfg>*>(ctx), p, object_block_size<Cfg>(kind));
}

// An object's two halves of deallocation. drop_refs releases every
// reference the object holds; free_storage returns its blocks. dealloc does
// both, in that order. Shutdown calls them separately for immortal objects
// (runtime/runtime.h): first every immortal drops its references, then
// every one is freed, so no container is freed before something it refers
// to has let go of it, whatever the order they were made in.
template <class Cfg>
void drop_refs(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o) {
  using RC = typename Cfg::RC;
  switch (o->type) {
    case Type::kNone: case Type::kBool: case Type::kNotImplemented: case Type::kInt: case Type::kStr: case Type::kFloat:
    case Type::kRangeIter:
      return;
    case Type::kTuple: {
      Tuple<RC>* t = as<Tuple>(o);
      for (std::int64_t i = 0; i < t->size; ++i) xdecref(ts, std::exchange(t->items()[i], nullptr));
      return;
    }
    case Type::kTupleSub: {  // subtype_dealloc: tupledealloc's items, then the (heap) class
      Tuple<RC>* t = as<Tuple>(o);
      for (std::int64_t i = 0; i < t->size; ++i) xdecref(ts, std::exchange(t->items()[i], nullptr));
      thread_decref(ts, std::exchange(tuple_sub_class(t), nullptr), ts.counters.rc);  // _Py_DECREF_TYPE
      return;
    }
    case Type::kStaticMethod:  // sm_dealloc
      decref(ts, std::exchange(as<StaticMethod>(o)->callable, nullptr));
      return;
    case Type::kList: {  // list_dealloc: the items last to first
      List<RC>* l = as<List>(o);
      for (std::int64_t i = l->size; i-- > 0;) xdecref(ts, std::exchange(l->items[i], nullptr));
      return;
    }
    case Type::kDict:  // dict_dealloc: every key and value (runtime/dict.h)
      dict_drop_refs(ts, as<Dict>(o));
      return;
    case Type::kCode: {
      Code<RC>* c = as<Code>(o);
      decref(ts, &std::exchange(c->consts, nullptr)->ob);
      decref(ts, &std::exchange(c->names, nullptr)->ob);
      decref(ts, &std::exchange(c->name, nullptr)->ob);
      for (auto* f : {&c->localsplusnames}) if (*f != nullptr) decref(ts, &std::exchange(*f, nullptr)->ob);
      for (auto* f : {&c->qualname, &c->filename}) if (*f != nullptr) decref(ts, &std::exchange(*f, nullptr)->ob);
      return;
    }
    case Type::kFunction: {
      Function<RC>* fn = as<Function>(o);
      // func_dealloc's _Py_DECREF_CODE, func_clear's _Py_DECREF_DICT and
      // _Py_DECREF_BUILTINS: per-thread counts under 3.14t's `ptrc`.
      thread_decref(ts, &std::exchange(fn->code, nullptr)->ob, ts.counters.rc);
      thread_decref(ts, &std::exchange(fn->globals, nullptr)->ob, ts.counters.rc);
      decref(ts, &std::exchange(fn->name, nullptr)->ob);
      if (fn->defaults != nullptr) decref(ts, &std::exchange(fn->defaults, nullptr)->ob);
      if (fn->closure != nullptr) decref(ts, &std::exchange(fn->closure, nullptr)->ob);
      if (fn->qualname != nullptr) decref(ts, &std::exchange(fn->qualname, nullptr)->ob);
      xdecref(ts, std::exchange(fn->doc, nullptr));
      xdecref(ts, std::exchange(fn->module, nullptr));
      if (fn->builtins != nullptr) thread_decref(ts, &std::exchange(fn->builtins, nullptr)->ob, ts.counters.rc);
      return;
    }
    case Type::kListIter:
    case Type::kTupleIter:
      xdecref(ts, std::exchange(as<SeqIter>(o)->seq, nullptr));
      return;
    case Type::kRange: {
      Range<RC>* r = as<Range>(o);
      for (Object<RC>** f : {&r->start, &r->stop, &r->step, &r->length}) xdecref(ts, std::exchange(*f, nullptr));
      return;
    }
    case Type::kCell:
      xdecref(ts, std::exchange(as<Cell>(o)->ref, nullptr));
      return;
    case Type::kClass: {
      Class<RC>* c = as<Class>(o);
      decref(ts, &std::exchange(c->name, nullptr)->ob);
      decref(ts, &std::exchange(c->dict, nullptr)->ob);
      if (c->base != nullptr) decref(ts, &std::exchange(c->base, nullptr)->ob);
      return;
    }
    case Type::kInstance: {  // subtype_dealloc: the inline values or the dict, then the (heap) class
      Instance<RC>* obj = as<Instance>(o);
      for (std::uint32_t i = 0; i < obj->nvalues; ++i) xdecref(ts, std::exchange(obj->values()[i], nullptr));
      if (obj->dict != nullptr) decref(ts, &std::exchange(obj->dict, nullptr)->ob);
      thread_decref(ts, &std::exchange(obj->cls, nullptr)->ob, ts.counters.rc);  // _Py_DECREF_TYPE
      return;
    }
    case Type::kMethod: {
      Method<RC>* m = as<Method>(o);
      decref(ts, std::exchange(m->func, nullptr));
      decref(ts, std::exchange(m->self, nullptr));
      return;
    }
    case Type::kBuiltin:
      xdecref(ts, std::exchange(as<Builtin>(o)->self, nullptr));
      return;
    case Type::kModule:  // module_dealloc (whose dict lives on while referred to: 3.6 would clear it first)
      decref(ts, &std::exchange(as<Module>(o)->dict, nullptr)->ob);
      decref(ts, &std::exchange(as<Module>(o)->name, nullptr)->ob);
      return;
    case Type::kMethodCaller:  // methodcaller_clear
      decref(ts, &std::exchange(as<MethodCaller>(o)->name, nullptr)->ob);
      decref(ts, &std::exchange(as<MethodCaller>(o)->args, nullptr)->ob);
      return;
    case Type::kLocal: {  // local_dealloc: its key or its thread dicts
      ThreadLocal<RC>* l = as<ThreadLocal>(o);
      if (l->key != nullptr) decref(ts, &std::exchange(l->key, nullptr)->ob);
      if (l->localdicts != nullptr) decref(ts, &std::exchange(l->localdicts, nullptr)->ob);
      return;
    }
    case Type::kGenerator: {  // gen_dealloc: the frame and the code (the generation's), then the names
      Generator<RC>* g = as<Generator>(o);
      g->clear_frame(&ts, g);
      decref(ts, &std::exchange(g->name, nullptr)->ob);
      decref(ts, &std::exchange(g->qualname, nullptr)->ob);
      return;
    }
    case Type::kExcClass: {  // static types live until shutdown, which drops these
      ExcClass<RC>* c = as<ExcClass>(o);
      decref(ts, &std::exchange(c->name, nullptr)->ob);
      if (c->base != nullptr) decref(ts, &std::exchange(c->base, nullptr)->ob);
      return;
    }
    case Type::kException: {  // BaseException_dealloc -> BaseException_clear, its order
      Exception<RC>* e = as<Exception>(o);
      xdecref(ts, std::exchange(e->dict, nullptr));
      if (e->args != nullptr) decref(ts, &std::exchange(e->args, nullptr)->ob);
      xdecref(ts, std::exchange(e->notes, nullptr));
      xdecref(ts, std::exchange(e->traceback, nullptr));
      xdecref(ts, std::exchange(e->cause, nullptr));
      xdecref(ts, std::exchange(e->context, nullptr));
      return;
    }
    case Type::kTraceback: {  // tb_dealloc
      Traceback<RC>* tb = as<Traceback>(o);
      if (tb->next != nullptr) decref(ts, &std::exchange(tb->next, nullptr)->ob);
      xdecref(ts, std::exchange(tb->frame, nullptr));
      return;
    }
    case Type::kFrameObject: {  // frame_dealloc: an owned copy's references, f_back, then the code
      FrameObject<RC>* f = as<FrameObject>(o);
      Object<RC>* code = f->drop_frame(&ts, f);
      if (f->back != nullptr) decref(ts, &std::exchange(f->back, nullptr)->ob);
      xdecref(ts, code);
      return;
    }
    case Type::kQueue: {
      Queue<RC>* q = as<Queue>(o);
      for (; q->count > 0; --q->count, q->head = (q->head + 1) % q->cap) decref(ts, q->ring[q->head]);
      return;
    }
    case Type::kFrame:
    case Type::kCount:
    case Type::kFreed:
      break;
  }
  fatal("drop_refs: corrupt type tag");
}

// py313-tlbc: a code object's per-thread copies of its bytecode (entry 0
// is the code's own, freed with it) and their array (runtime/py313/tlbc.h).
// Out of line, so that free_storage, which every dying object goes through,
// keeps the code it had (its registers and prologue) in the other modes.
template <class Cfg>
[[gnu::noinline, gnu::cold]] void free_code_copies(ThreadState<Cfg>& ts, Code<typename Cfg::RC>* c) {
  CodeArray* a = std::exchange(c->tlbc, nullptr);
  if (a == nullptr) return;  // a code object not loaded by the py313 loader
  for (std::int64_t i = 1; i < a->size; ++i)
    if (std::uint16_t* copy = a->entries()[i]) free_block(ts, copy, c->ncode * sizeof(std::uint16_t));
  free_block(ts, a, CodeArray::block_size(a->size));
}

template <class Cfg>
void free_storage(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o) {
  using RC = typename Cfg::RC;
  ++ts.counters.objects_destroyed;
  gc_free(ts, o->type);
  std::size_t size = 0;
  switch (o->type) {
    case Type::kNone: case Type::kBool: case Type::kNotImplemented: size = sizeof(Object<RC>); break;
    case Type::kInt: size = int_block_size(as<Int>(o)); break;
    case Type::kFloat:  // float_dealloc: _PyFloat_ExactDealloc keeps it when there is room
      if (keep_object(ts, o, freelists::objects::kFloat)) return;
      size = sizeof(Float<RC>);
      break;
    case Type::kStr: size = sizeof(Str<RC>) + as<Str>(o)->size + 1; break;
    case Type::kTuple: {  // tupledealloc: maybe_freelist_push
      const std::int64_t n = as<Tuple>(o)->size;
      if (freelists::objects::tuple_kept(n) && keep_object(ts, o, freelists::objects::tuple_kind(n))) return;
      size = tuple_block_size<Cfg>(n);
      break;
    }
    case Type::kTupleSub: size = tuple_block_size<Cfg>(as<Tuple>(o)->size + 1); break;  // tp_free: no freelist
    case Type::kStaticMethod: size = sizeof(StaticMethod<RC>); break;
    case Type::kList: {  // list_dealloc: the item array freed, the object kept when there is room
      List<RC>* l = as<List>(o);
      list_items_free(ts, l->items, l->allocated);
      if (keep_object(ts, o, freelists::objects::kList)) return;
      size = list_block_size<Cfg>();  // with its lock's tail (runtime/containers.h)
      break;
    }
    case Type::kDict: {  // dict_dealloc: its keys object freed (unless the shared empty one), the object kept when there is room
      dict_free_keys(ts, as<Dict>(o));
      if (keep_object(ts, o, freelists::objects::kDict)) return;
      size = dict_block_size<Cfg>();  // with its lock's tail (runtime/dict.h)
      break;
    }
    case Type::kCode: {
      Code<RC>* c = as<Code>(o);
      free_block(ts, c->code, c->ncode * sizeof(std::uint16_t));
      if (c->cell2arg != nullptr) free_block(ts, c->cell2arg, std::size_t(c->ncells) * sizeof(std::int32_t));
      if (c->localspluskinds != nullptr) free_block(ts, c->localspluskinds, localspluskinds_block_size(c->nlocalsplus));
      if (c->exceptiontable != nullptr) free_block(ts, c->exceptiontable, c->nexceptiontable);
      if constexpr (Cfg::Gen::kThreadLocalBytecode) free_code_copies(ts, c);  // py313-tlbc's per-thread copies
      size = sizeof(Code<RC>);
      break;
    }
    case Type::kFunction: size = sizeof(Function<RC>); break;
    case Type::kListIter: case Type::kTupleIter: size = sizeof(SeqIter<RC>); break;
    case Type::kRange: size = sizeof(Range<RC>); break;
    case Type::kRangeIter: size = sizeof(RangeIter<RC>); break;
    case Type::kCell: size = sizeof(Cell<RC>); break;
    case Type::kClass: {
      Class<RC>* c = as<Class>(o);
      if (c->cached_keys != nullptr) free_split_keys(ts, std::exchange(c->cached_keys, nullptr));  // borrowed names
      size = sizeof(Class<RC>);
      break;
    }
    case Type::kInstance: size = sizeof(Instance<RC>) + as<Instance>(o)->nvalues * sizeof(Object<RC>*); break;
    case Type::kMethod: size = sizeof(Method<RC>); break;
    case Type::kBuiltin: size = sizeof(Builtin<RC>); break;
    case Type::kModule: size = sizeof(Module<RC>); break;
    case Type::kLocal: size = sizeof(ThreadLocal<RC>); break;
    case Type::kMethodCaller: size = sizeof(MethodCaller<RC>); break;
    case Type::kGenerator: size = sizeof(Generator<RC>) + as<Generator>(o)->frame_words * sizeof(void*); break;
    case Type::kExcClass: size = sizeof(ExcClass<RC>); break;
    case Type::kException: size = sizeof(Exception<RC>); break;
    case Type::kTraceback: size = sizeof(Traceback<RC>); break;
    case Type::kFrameObject: size = sizeof(FrameObject<RC>) + as<FrameObject>(o)->data_words * sizeof(void*); break;
    case Type::kQueue: {
      Queue<RC>* q = as<Queue>(o);
      free_block(ts, q->ring, std::size_t(q->cap) * sizeof(Object<RC>*));
      q->lock.~FutexMutex();
      size = sizeof(Queue<RC>);
      break;
    }
    case Type::kFrame:
    case Type::kCount:
    case Type::kFreed:
      fatal("free_storage: corrupt type tag");
  }
  release_object(ts, o, size);
}

template <class Cfg>
void dealloc(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o) {
  if (o->type == Type::kFreed) fatal("double free: dealloc of a deallocated object");
  if constexpr (freelists::Freelist<typename Cfg::Frames>) {  // py36's frames are objects
    if (o->type == Type::kFrame) {
      ++ts.counters.objects_destroyed;
      frame_dealloc(ts, as<Frame>(o), ts.counters.rc);
      return;
    }
  }
  drop_refs(ts, o);
  free_storage(ts, o);
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
  // threading.local's state first: dropping it frees the thread's dicts.
  if (dict != nullptr) decref(*this, &std::exchange(dict, nullptr)->ob);
  if (threading_local_key != nullptr) decref(*this, &std::exchange(threading_local_key, nullptr)->ob);
  // What this thread's dict writes retired first: reclaiming drops
  // references, and leaves the rest to the threads that remain.
  if constexpr (kUsesQsbr<Cfg>) Qsbr::detach(qsbr, [this](const Qsbr::Item& it) { qsbr_reclaim(*this, it); });
  // Merges next: a merge may free a frame, which goes to the freelist.
  if constexpr (refcount::HasSafepoint<RC>)
    RC::detach(rc, [this](typename RC::Header& h) { rc_free_header(*this, h); });
  if constexpr (freelists::Freelist<typename Cfg::Frames>)
    Cfg::Frames::drain(frames, &release_frame_block<Cfg>, this);
  else
    Cfg::Frames::release(frames);  // a frame stack: every frame has been popped
  Cfg::Gen::thread_end(gen, rt.gen);  // its TLBC index back to the pool; its copies stay with their code
  // The thread's object freelists (per_thread: 3.13t's
  // _PyObject_ClearFreeLists at thread exit); the interpreter's stay.
  Cfg::Freelists::drain(object_freelists, &release_object_block<Cfg>, this);
  // Once the frees above have counted: per-thread counts merged for good,
  // and the collector no longer scans or waits for this thread. It frees
  // nothing (a merge only adds counts; only a collection frees).
  gc_thread_end(*this);
  // Last, with every cached block back: the thread gives up what its
  // allocator keeps for it (mi_heaps: its mimalloc heap, as 3.13t's
  // PyThreadState_Clear abandons its heaps). It only frees from here on.
  if constexpr (obmalloc::HasDetach<typename Cfg::Alloc>) Cfg::Alloc::detach(alloc);
}

}  // namespace rclab::runtime
