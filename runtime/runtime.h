// The runtime: shared objects, thread states, and the object operations the
// interpreter is built from (incref/decref/dealloc, allocation, frames).
//
// Ownership. A Runtime owns one reference to each object it creates (None,
// True, False, the small ints, the builtins and globals dicts). Objects reach
// zero and are deallocated only through decref, including at shutdown, so a
// count that is off by one anywhere shows up as a leak (live_objects > 0) or
// as a use-after-free under AddressSanitizer — the runtime is its own
// conformance check.
//
// Threading. The thread that constructs the Runtime builds the shared objects
// with the runtime's own thread state (`main`) before any worker exists, and
// tears them down in shutdown() after every worker has been joined. A worker
// builds its ThreadState on its own thread and touches only that one; it
// reaches shared policy state (the GIL, a locked allocator) through the
// Shared members, which are safe for concurrent use by construction.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <thread>
#include <string_view>
#include <type_traits>
#include <vector>

#include "common/cacheline.h"
#include "common/eval_breaker.h"
#include "common/fatal.h"
#include "refcount/buffered.h"
#include "runtime/config.h"
#include "runtime/object.h"

namespace rclab::runtime {

// Reference-count operations performed. The eval loop keeps its own Tally in
// a local (so in registers: it is passed by reference only to helpers that
// inline) and adds it to the thread's Counters when its frame returns. A
// counter in memory bumped on every incref would form a store-to-load
// forwarding chain longer than the work being counted (measured: +12% on
// fib). Everything outside the loop counts straight into Counters::rc.
//
// increfs/decrefs count every operation CPython 3.6 performs; `deferred`
// counts those among them that a deferring policy skipped (stack references
// to deferred objects), so the 3.6 pattern stays checkable under every
// policy.
struct Tally {
  std::uint64_t increfs = 0;
  std::uint64_t decrefs = 0;
  std::uint64_t deferred = 0;
  Tally& operator+=(const Tally& o) {
    increfs += o.increfs;
    decrefs += o.decrefs;
    deferred += o.deferred;
    return *this;
  }
};

// Per-thread event counters. Plain integers written only by their owner
// thread and summed after the threads are joined.
struct Counters {
  Tally rc;
  std::uint64_t calls = 0;  // frames evaluated
  std::uint64_t objects_created = 0;
  std::uint64_t objects_destroyed = 0;
  std::uint64_t blocks_allocated = 0;
  std::uint64_t blocks_freed = 0;
  std::uint64_t tstate_lookups = 0;  // PyThreadState_GET() calls that did a lookup

  Counters& operator+=(const Counters& o) {
    rc += o.rc;
    calls += o.calls;
    objects_created += o.objects_created;
    objects_destroyed += o.objects_destroyed;
    blocks_allocated += o.blocks_allocated;
    blocks_freed += o.blocks_freed;
    tstate_lookups += o.tstate_lookups;
    return *this;
  }
};

struct RuntimeOptions {
  GilOptions gil;
  refcount::BufferedOptions buffered;  // used only by policies built from it
};

template <SafeConfig Cfg>
class Runtime;

// PyThreadState: everything the interpreter needs per thread, passed down
// explicitly (the "no TLS" shape of Gilectomy's May 2017 fix). Cache-line
// aligned so that neighbouring thread states never share a line.
template <SafeConfig Cfg>
struct alignas(kCacheLine) ThreadState {
  using RC = typename Cfg::RC;

  explicit ThreadState(Runtime<Cfg>& r)
      : rt(r), rc(r.rc_shared), alloc(r.alloc_shared), frames(r.frames_shared), gil(r.gil_shared) {}
  ~ThreadState() { detach(); }
  ThreadState(const ThreadState&) = delete;
  ThreadState& operator=(const ThreadState&) = delete;

  // Returns cached blocks to the allocator. Call on the owning thread (under
  // the GIL when the configuration has one) before the thread ends; the
  // counters stay readable afterwards. Idempotent.
  void detach();

  Runtime<Cfg>& rt;
  typename RC::Local rc;
  typename Cfg::Alloc::Local alloc;
  typename Cfg::Frames::Local frames;
  typename Cfg::Gil::Local gil;
  Frame<RC>* frame = nullptr;  // the frame being evaluated (tstate->frame)
  int depth = 0;               // recursion depth (tstate->recursion_depth)
  Counters counters;
};

// ---------------------------------------------------------------------------
// Allocation and reference counting. Every path that creates, references or
// frees an object goes through these, so the counters are complete.

template <class Cfg>
inline void* alloc_block(ThreadState<Cfg>& ts, std::size_t size) {
  ++ts.counters.blocks_allocated;
  return Cfg::Alloc::alloc(ts.alloc, size);
}

template <class Cfg>
inline void free_block(ThreadState<Cfg>& ts, void* p, std::size_t size) {
  ++ts.counters.blocks_freed;
  Cfg::Alloc::free(ts.alloc, p, size);
}

// _Py_NewReference: a fresh object with one reference, owned by this thread.
template <class Cfg>
inline void init_object(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o, Type type) {
  Cfg::RC::init(o->rc, ts.rc);
  o->type = type;
  o->flags = 0;
  ++ts.counters.objects_created;
}

// Debug builds poison every deallocated object (its type tag becomes kFreed)
// and check the tag on every incref and decref, so touching a freed object
// whose memory is still ours (a frame on a freelist) fails at once, even
// without AddressSanitizer. Release builds compile both to nothing.
template <class RC>
inline void poison(Object<RC>* o) {
#ifndef NDEBUG
  o->type = Type::kFreed;
#else
  (void)o;
#endif
}

template <class RC>
inline void check_alive(const Object<RC>* o, const char* what) {
#ifndef NDEBUG
  if (o->type == Type::kFreed) [[unlikely]]
    fatal(what);
#else
  (void)o;
  (void)what;
#endif
}

// Forced inline, like frame_new: GCC's size heuristics once moved decref
// out of line for policies with a longer fast path (an immortal test), which
// cost `limit` 160 instructions per fib call.
template <class Cfg>
[[gnu::always_inline]] inline void incref(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o, Tally& t) {
  check_alive(o, "use after free: incref of a deallocated object");
  ++t.increfs;
  Cfg::RC::incref(o->rc, ts.rc);
}

template <class Cfg>
void dealloc(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o);

template <class Cfg>
[[gnu::always_inline]] inline void decref(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o, Tally& t) {
  check_alive(o, "use after free: decref of a deallocated object");
  ++t.decrefs;
  if (Cfg::RC::decref(o->rc, ts.rc)) [[unlikely]]
    dealloc(ts, o);  // counts its own decrefs into ts.counters
}

// Stack references (refcount/deferred.h): references held by a frame's
// value stack, locals and code/globals/builtins fields. Under a deferring
// policy a stack reference to a deferred object is not counted — push and
// pop alike, so they always match. Every other policy counts them as usual.
template <class Cfg>
[[gnu::always_inline]] inline void incref_stack(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o, Tally& t) {
  if constexpr (refcount::defers_stack_refs<typename Cfg::RC>()) {
    if (o->flags & kDeferredFlag) {
      check_alive(o, "use after free: incref of a deallocated object");
      ++t.increfs;
      ++t.deferred;
      return;
    }
  }
  incref(ts, o, t);
}

template <class Cfg>
[[gnu::always_inline]] inline void decref_stack(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o, Tally& t) {
  if constexpr (refcount::defers_stack_refs<typename Cfg::RC>()) {
    if (o->flags & kDeferredFlag) {
      check_alive(o, "use after free: decref of a deallocated object");
      ++t.decrefs;
      ++t.deferred;
      return;
    }
  }
  decref(ts, o, t);
}

// Policies with safepoints (biased counting's merge queue): the owner
// merges what other threads queued to it, and frees what that leaves at
// zero. Polled where the eval loop polls its breaker, and at shutdown.
template <class Cfg>
inline void rc_free_header(ThreadState<Cfg>& ts, typename Cfg::RC::Header& h) {
  static_assert(std::is_standard_layout_v<Object<typename Cfg::RC>>, "the header is the object's first member");
  dealloc(ts, reinterpret_cast<Object<typename Cfg::RC>*>(&h));
}

template <class Cfg>
[[gnu::noinline]] void rc_safepoint(ThreadState<Cfg>& ts) {
  if constexpr (refcount::HasSafepoint<typename Cfg::RC>)
    Cfg::RC::safepoint(ts.rc, [&](typename Cfg::RC::Header& h) { rc_free_header(ts, h); });
}

template <class Cfg>
[[gnu::always_inline]] inline void poll_rc_safepoint(ThreadState<Cfg>& ts) {
  if constexpr (refcount::HasSafepoint<typename Cfg::RC>) {
    if (Cfg::RC::has_pending(ts.rc)) [[unlikely]]
      rc_safepoint(ts);
  }
}

// Around a thread's blocking waits (barriers, joins) under a policy whose
// helper thread must not wait for it (buffered counting); no-ops otherwise.
template <class Cfg>
inline void park(ThreadState<Cfg>& ts) {
  if constexpr (refcount::HasParking<typename Cfg::RC>) Cfg::RC::park(ts.rc);
}
template <class Cfg>
inline void unpark(ThreadState<Cfg>& ts) {
  if constexpr (refcount::HasParking<typename Cfg::RC>) Cfg::RC::unpark(ts.rc);
}
// Waits until every count is exact (a policy with a commit thread applies
// everything logged so far); a no-op for policies whose counts are always
// exact.
template <class Cfg>
inline void quiesce(ThreadState<Cfg>& ts) {
  if constexpr (refcount::HasCommitThread<typename Cfg::RC>) Cfg::RC::quiesce(ts.rc);
}

template <class Cfg>
inline void incref(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o) {
  incref(ts, o, ts.counters.rc);
}

template <class Cfg>
inline void decref(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o) {
  decref(ts, o, ts.counters.rc);
}

template <class Cfg>
inline void xdecref(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* o) {
  if (o != nullptr) decref(ts, o);
}

// PyThreadState_GET(): the thread state through the configuration's lookup
// policy. With a looking-up policy the caller then works through the state
// it got back, so the lookup cannot be optimised away.
template <class Cfg>
inline ThreadState<Cfg>& tstate_get(ThreadState<Cfg>& passed) {
  if constexpr (Cfg::TState::kLooksUp) {
    ThreadState<Cfg>& ts = Cfg::TState::get(passed);
    ++ts.counters.tstate_lookups;
    return ts;
  } else {
    return passed;
  }
}

// ---------------------------------------------------------------------------

template <SafeConfig Cfg>
class Runtime {
 public:
  using RC = typename Cfg::RC;
  using O = Object<RC>;
  using TS = ThreadState<Cfg>;

  // `limit` makes every object created before the workers run immortal.
  static constexpr bool kImmortalizeShared = [] {
    if constexpr (requires { RC::kImmortalizeShared; })
      return bool(RC::kImmortalizeShared);
    else
      return false;
  }();

  // CPython's small-int cache: NSMALLNEGINTS = 5, NSMALLPOSINTS = 257.
  static constexpr std::int64_t kSmallIntMin = -5;
  static constexpr std::int64_t kSmallIntMax = 256;

  explicit Runtime(const RuntimeOptions& options = {});
  ~Runtime() { shutdown(); }
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Drops every reference the runtime owns and drains its own caches. Only
  // after every worker has detached and been joined. Idempotent.
  void shutdown();

  // Shared policy state, one per runtime (declared before `main`, which is
  // built from it).
  EvalBreaker breaker;
  typename RC::Shared rc_shared;  // from options.buffered when the policy takes options
  typename Cfg::Alloc::Shared alloc_shared;
  typename Cfg::Frames::Shared frames_shared;
  typename Cfg::Gil::Shared gil_shared;

  // The constructing thread's own thread state: builds and destroys the
  // shared objects; its counters hold set-up and teardown work.
  TS main;

  // Shared objects. Every interpreter thread reads these pointers (never
  // written after construction) and counts references to the objects.
  O* none = nullptr;
  O* true_ = nullptr;
  O* false_ = nullptr;
  Int<RC>* small_ints[kSmallIntMax - kSmallIntMin + 1] = {};
  Str<RC>* builtins_name = nullptr;  // "__builtins__", interned
  Dict<RC>* builtins = nullptr;
  Dict<RC>* globals = nullptr;  // the module namespace the workload runs in

  // Constructors used at set-up. Each returns a new reference.
  Str<RC>* new_str(TS& ts, std::string_view s);
  Tuple<RC>* new_tuple(TS& ts, std::initializer_list<O*> items);  // steals the items
  Dict<RC>* new_dict(TS& ts);
  Code<RC>* new_code(TS& ts, std::initializer_list<std::uint16_t> words, int argcount, int nlocals,
                     int stacksize, Tuple<RC>* consts, Tuple<RC>* names, Str<RC>* name);  // steals the objects
  Function<RC>* new_function(TS& ts, Code<RC>* code, Dict<RC>* globals, Str<RC>* name);  // borrows

  // Dict operations. set() takes new references to key and value; get()
  // returns a borrowed reference or nullptr.
  void dict_set(TS& ts, Dict<RC>* d, Str<RC>* key, O* value);
  static O* dict_get(Dict<RC>* d, Str<RC>* key);
  static O* dict_get_slow(Dict<RC>* d, Str<RC>* key);
  // Makes a leaf object (None, a bool, an int, a str) immortal when the
  // refcount policy supports it (PEP 683), and remembers it so that
  // shutdown() can free it; with any other policy, does nothing. Only while
  // the object is still private to the constructing thread.
  void immortalize(TS& ts, O* o);
  // Marks an object that every thread will share (globals, the function,
  // its code). Policies that make all shared objects immortal (`limit`)
  // immortalize it, whatever its type; for every other policy it is counted
  // like any object.
  void mark_shared(TS& ts, O* o);

  // Drops every entry. Module teardown does this to the globals, which
  // otherwise stay alive through the cycle globals -> function -> globals
  // (rclab has no cycle collector).
  void dict_clear(TS& ts, Dict<RC>* d);

  // The commit thread of a policy that has one (buffered counting): its
  // CPU time so far, and its thread state's counters. The counters may be
  // read after quiesce() while this thread runs (the commit thread then has
  // nothing to free), or after shutdown().
  double helper_cpu_seconds() const;
  const Counters* helper_counters() const { return helper_ ? &helper_->counters : nullptr; }

 private:
  void start_commit_thread();
  void stop_commit_thread();
  Int<RC>* new_small_int(TS& ts, std::int64_t v);
  std::vector<O*> immortals_;  // freed last, by shutdown()
  bool shut_down_ = false;
  std::thread commit_thread_;
  std::unique_ptr<TS> helper_;  // built and used on commit_thread_; kept for its counters
};

// ---------------------------------------------------------------------------
// Ints

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

// ---------------------------------------------------------------------------
// Frames (frameobject.c). The frame freelist replaces CPython 3.6's global
// free_list and per-code co_zombieframe; a per-code zombie frame would be a
// data race without a GIL, and neither changes the refcount pattern.

template <class Cfg>
inline std::size_t frame_block_size(std::uint32_t capacity) {
  return sizeof(Frame<typename Cfg::RC>) + capacity * sizeof(Object<typename Cfg::RC>*);
}

// PyFrame_New: takes new references to builtins, back, code and globals;
// then, as _PyFunction_FastCall does, a new reference to each of the `nargs`
// arguments as the first locals. The remaining locals start empty.
template <class Cfg>
[[gnu::always_inline]] inline Frame<typename Cfg::RC>* frame_new(ThreadState<Cfg>& ts, Code<typename Cfg::RC>* code,
                                          Dict<typename Cfg::RC>* globals, Object<typename Cfg::RC>** args,
                                          int nargs, Tally& t) {
  using RC = typename Cfg::RC;
  Frame<RC>* back = ts.frame;
  Dict<RC>* builtins;
  if (back == nullptr || back->globals != globals) {
    Object<RC>* b = Runtime<Cfg>::dict_get(globals, ts.rt.builtins_name);
    if (b == nullptr || b->type != Type::kDict) fatal("frame_new: globals have no __builtins__ dict");
    builtins = as<Dict>(b);
  } else {
    builtins = back->builtins;  // same globals, same builtins: skip the lookup
  }
  incref_stack(ts, &builtins->ob, t);

  const std::uint32_t needed = std::uint32_t(code->nlocals + code->stacksize);
  auto* f = static_cast<Frame<RC>*>(Cfg::Frames::pop(ts.frames));
  if (f != nullptr && f->capacity < needed) {
    free_block(ts, f, frame_block_size<Cfg>(f->capacity));
    f = nullptr;
  }
  if (f == nullptr) {
    constexpr std::uint32_t kMinSlots = 8;  // so small frames are interchangeable on the freelist
    const std::uint32_t cap = needed > kMinSlots ? needed : kMinSlots;
    f = static_cast<Frame<RC>*>(alloc_block(ts, frame_block_size<Cfg>(cap)));
    f->capacity = cap;
  }
  init_object(ts, &f->ob, Type::kFrame);
  f->builtins = builtins;
  if (back != nullptr) incref(ts, &back->ob, t);  // Py_XINCREF(back)
  f->back = back;
  incref_stack(ts, &code->ob, t);
  f->code = code;
  incref_stack(ts, &globals->ob, t);
  f->globals = globals;
  Object<RC>** locals = f->localsplus();
  for (int i = 0; i < nargs; ++i) {
    incref_stack(ts, args[i], t);
    locals[i] = args[i];
  }
  for (std::int32_t i = nargs; i < code->nlocals; ++i) locals[i] = nullptr;
  return f;
}

// frame_dealloc: clears the locals, drops back, builtins, globals, then
// caches the block and drops the code last, in 3.6's order. The value stack
// is empty here: eval pops it before returning.
// Runs once per call: forced inline, so that GCC's size heuristics cannot
// turn it into a call the next time the function grows (they did, once:
// +50 instructions per fib call).
template <class Cfg>
[[gnu::always_inline]] inline void frame_dealloc(ThreadState<Cfg>& ts, Frame<typename Cfg::RC>* f, Tally& t) {
  using RC = typename Cfg::RC;
  Code<RC>* co = f->code;
  // Py_CLEAR of each local. A pointer walk: GCC vectorises an indexed loop,
  // and the set-up for that costs more than the one local fib has.
  for (Object<RC>**p = f->localsplus(), **end = p + co->nlocals; p != end; ++p) {
    Object<RC>* v = *p;
    *p = nullptr;
    if (v != nullptr) decref_stack(ts, v, t);
  }
  if (f->back != nullptr) decref(ts, &f->back->ob, t);
  decref_stack(ts, &f->builtins->ob, t);
  decref_stack(ts, &f->globals->ob, t);
  poison(&f->ob);
  if (!Cfg::Frames::push(ts.frames, f)) free_block(ts, f, frame_block_size<Cfg>(f->capacity));
  decref_stack(ts, &co->ob, t);
}

// ---------------------------------------------------------------------------
// Deallocation: the object's count has reached zero on this thread.

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
      release_object(ts, o, sizeof(Int<RC>));
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
      release_object(ts, o, sizeof(Dict<RC>));
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

// ---------------------------------------------------------------------------
// Runtime construction and shutdown

namespace detail {
// FNV-1a: any decent string hash will do; CPython's SipHash buys nothing here.
inline std::uint64_t hash_bytes(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}
}  // namespace detail

namespace detail {
// A policy's Shared state, from the options when it takes them. Returned as
// a prvalue, so Shared may hold mutexes (guaranteed copy elision).
template <class RC>
typename RC::Shared make_rc_shared(const RuntimeOptions& o) {
  if constexpr (std::is_constructible_v<typename RC::Shared, const refcount::BufferedOptions&>)
    return typename RC::Shared(o.buffered);
  else
    return typename RC::Shared();
}
}  // namespace detail

template <SafeConfig Cfg>
Runtime<Cfg>::Runtime(const RuntimeOptions& options)
    : rc_shared(detail::make_rc_shared<RC>(options)), gil_shared(breaker, options.gil), main(*this) {
  // First: set-up's own increfs may fill a log, which the commit thread empties.
  start_commit_thread();
  auto singleton = [&](Type t) {
    auto* o = static_cast<O*>(alloc_block(main, sizeof(O)));
    init_object(main, o, t);
    return o;
  };
  none = singleton(Type::kNone);
  true_ = singleton(Type::kBool);
  false_ = singleton(Type::kBool);
  for (std::int64_t v = kSmallIntMin; v <= kSmallIntMax; ++v) small_ints[v - kSmallIntMin] = new_small_int(main, v);
  builtins_name = new_str(main, "__builtins__");
  // PEP 683's immortal objects: the singletons, the small ints, interned names.
  immortalize(main, none);
  immortalize(main, true_);
  immortalize(main, false_);
  for (auto* i : small_ints) immortalize(main, &i->ob);
  immortalize(main, &builtins_name->ob);
  builtins = new_dict(main);
  globals = new_dict(main);
  // Module dicts: the frames' globals and builtins (PEP 703 defers them).
  builtins->ob.flags |= kDeferredFlag;
  globals->ob.flags |= kDeferredFlag;
  mark_shared(main, &builtins->ob);
  mark_shared(main, &globals->ob);
  dict_set(main, globals, builtins_name, &builtins->ob);
}

template <SafeConfig Cfg>
void Runtime<Cfg>::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  // Workers are joined: merge whatever they queued to the runtime's thread,
  // and apply whatever they logged (counts are exact from here on; after
  // every batch of decrefs below, quiesce again before reading them).
  rc_safepoint(main);
  quiesce(main);
  // Each object the runtime owns must be down to the runtime's own
  // reference now. Checking that exactly, object by object, catches what
  // created-minus-destroyed cannot: one leak and one double free would
  // cancel out there, and a lost incref on a shared object would only show
  // as a use-after-free.
  auto release = [&](O* o, const char* what) {
    if constexpr (refcount::CanImmortalize<RC>) {
      if (RC::is_immortal(o->rc)) return;  // freed below, with the other immortals
    }
    if (RC::count(o->rc) != 1) {
      std::fprintf(stderr, "rclab: fatal: at shutdown %s has %lld references, expected 1\n", what,
                   (long long)RC::count(o->rc));
      fatal("reference count wrong at shutdown");
    }
    decref(main, o);
  };
  dict_clear(main, globals);
  quiesce(main);  // the function, its code and constants go, and their references to the globals
  release(&globals->ob, "the globals dict");
  quiesce(main);  // the globals' reference to the builtins
  release(&builtins->ob, "the builtins dict");
  release(&builtins_name->ob, "the name __builtins__");
  for (auto*& i : small_ints) release(&i->ob, "a small int");
  release(false_, "False");
  release(true_, "True");
  release(none, "None");
  quiesce(main);
  // Immortal objects last: every mortal object that referred to them is gone,
  // and they refer to nothing themselves.
  for (auto it = immortals_.rbegin(); it != immortals_.rend(); ++it) dealloc(main, *it);
  immortals_.clear();
  main.detach();
  stop_commit_thread();
  // Blocks cached in a freelist shared by all threads go back last, when no
  // thread can take one any more.
  Cfg::Frames::drain_shared(frames_shared, &release_frame_block<Cfg>, &main);
}

template <SafeConfig Cfg>
void Runtime<Cfg>::start_commit_thread() {
  if constexpr (refcount::HasCommitThread<RC>) {
    commit_thread_ = std::thread([this] {
      helper_ = std::make_unique<TS>(*this);
      TS& ts = *helper_;
      RC::commit_loop(rc_shared, ts.rc, [&ts](typename RC::Header& h) { rc_free_header(ts, h); });
      ts.detach();  // its frame freelist
    });
    RC::wait_started(rc_shared);
  }
}

template <SafeConfig Cfg>
void Runtime<Cfg>::stop_commit_thread() {
  if constexpr (refcount::HasCommitThread<RC>) {
    RC::stop(rc_shared);
    commit_thread_.join();
  }
}

template <SafeConfig Cfg>
double Runtime<Cfg>::helper_cpu_seconds() const {
  if constexpr (refcount::HasCommitThread<RC>) {
    return thread_cpu_seconds(const_cast<std::thread&>(commit_thread_).native_handle());
  } else {
    return 0.0;
  }
}

template <SafeConfig Cfg>
Int<typename Cfg::RC>* Runtime<Cfg>::new_small_int(TS& ts, std::int64_t v) {
  auto* i = static_cast<Int<RC>*>(alloc_block(ts, sizeof(Int<RC>)));
  init_object(ts, &i->ob, Type::kInt);
  i->value = v;
  return i;
}

template <SafeConfig Cfg>
Str<typename Cfg::RC>* Runtime<Cfg>::new_str(TS& ts, std::string_view s) {
  auto* p = static_cast<Str<RC>*>(alloc_block(ts, sizeof(Str<RC>) + s.size() + 1));
  init_object(ts, &p->ob, Type::kStr);
  p->hash = detail::hash_bytes(s);
  p->size = std::uint32_t(s.size());
  char* chars = reinterpret_cast<char*>(p + 1);
  std::memcpy(chars, s.data(), s.size());
  chars[s.size()] = '\0';
  return p;
}

template <SafeConfig Cfg>
Tuple<typename Cfg::RC>* Runtime<Cfg>::new_tuple(TS& ts, std::initializer_list<O*> items) {
  auto* t = static_cast<Tuple<RC>*>(alloc_block(ts, sizeof(Tuple<RC>) + items.size() * sizeof(O*)));
  init_object(ts, &t->ob, Type::kTuple);
  t->size = std::int64_t(items.size());
  std::int64_t i = 0;
  for (O* item : items) t->items()[i++] = item;
  return t;
}

template <SafeConfig Cfg>
Dict<typename Cfg::RC>* Runtime<Cfg>::new_dict(TS& ts) {
  constexpr std::uint64_t kInitial = 8;  // PyDict_MINSIZE
  auto* d = static_cast<Dict<RC>*>(alloc_block(ts, sizeof(Dict<RC>)));
  init_object(ts, &d->ob, Type::kDict);
  d->table = static_cast<typename Dict<RC>::Entry*>(alloc_block(ts, kInitial * sizeof(typename Dict<RC>::Entry)));
  for (std::uint64_t i = 0; i < kInitial; ++i) d->table[i] = {0, nullptr, nullptr};
  d->mask = kInitial - 1;
  d->used = 0;
  return d;
}

namespace detail {
// The probe sequence of CPython's dictobject.c: i = 5*i + perturb + 1, with
// the hash's high bits shifted in, so every slot is eventually visited.
template <class Entry, class Match>
Entry* dict_probe(Entry* table, std::uint64_t mask, std::uint64_t hash, Match match) {
  std::uint64_t perturb = hash;
  std::uint64_t i = hash & mask;
  for (;;) {
    Entry* e = &table[i];
    if (e->key == nullptr || match(*e)) return e;
    perturb >>= 5;
    i = (i * 5 + perturb + 1) & mask;
  }
}
}  // namespace detail

template <SafeConfig Cfg>
inline Object<typename Cfg::RC>* Runtime<Cfg>::dict_get(Dict<RC>* d, Str<RC>* key) {
  // First probe inline: an interned name usually sits in its home slot.
  const auto& home = d->table[key->hash & d->mask];
  if (home.key == key) [[likely]]
    return home.value;
  return dict_get_slow(d, key);
}

// Out of line, so the probe loop's closure never lands in eval's frame.
template <SafeConfig Cfg>
[[gnu::noinline]] Object<typename Cfg::RC>* Runtime<Cfg>::dict_get_slow(Dict<RC>* d, Str<RC>* key) {
  const std::uint64_t h = key->hash;
  auto* e = detail::dict_probe(d->table, d->mask, h, [&](const auto& e) {
    return e.key == key || (e.hash == h && e.key->view() == key->view());
  });
  return e->key == nullptr ? nullptr : e->value;
}

template <SafeConfig Cfg>
void Runtime<Cfg>::dict_set(TS& ts, Dict<RC>* d, Str<RC>* key, O* value) {
  using Entry = typename Dict<RC>::Entry;
  if ((d->used + 1) * 3 >= (d->mask + 1) * 2) {  // keep the load under 2/3, as CPython
    const std::uint64_t old_cap = d->mask + 1, new_cap = old_cap * 4;
    Entry* old = d->table;
    d->table = static_cast<Entry*>(alloc_block(ts, new_cap * sizeof(Entry)));
    for (std::uint64_t i = 0; i < new_cap; ++i) d->table[i] = {0, nullptr, nullptr};
    d->mask = new_cap - 1;
    for (std::uint64_t i = 0; i < old_cap; ++i) {
      if (old[i].key == nullptr) continue;
      *detail::dict_probe(d->table, d->mask, old[i].hash, [](const Entry&) { return false; }) = old[i];
    }
    free_block(ts, old, old_cap * sizeof(Entry));
  }
  const std::uint64_t h = key->hash;
  Entry* e = detail::dict_probe(d->table, d->mask, h, [&](const Entry& e) {
    return e.key == key || (e.hash == h && e.key->view() == key->view());
  });
  incref(ts, value);
  if (e->key != nullptr) {
    O* old = e->value;
    e->value = value;
    decref(ts, old);
    return;
  }
  incref(ts, &key->ob);
  *e = {h, key, value};
  ++d->used;
}

template <SafeConfig Cfg>
void Runtime<Cfg>::immortalize(TS&, O* o) {
  if constexpr (refcount::CanImmortalize<RC>) {
    // A leaf refers to nothing, so freeing it last (shutdown) is always safe.
    // Containers may be immortal only when everything created at set-up is
    // (kImmortalizeShared): then every reference they hold is to an immortal
    // object freed after them, in reverse creation order.
    const bool leaf = o->type == Type::kNone || o->type == Type::kBool || o->type == Type::kInt || o->type == Type::kStr;
    if (!leaf && !kImmortalizeShared) fatal("immortalize: only leaf objects may be immortal under this policy");
    RC::make_immortal(o->rc);
    immortals_.push_back(o);
  } else {
    (void)o;
  }
}

template <SafeConfig Cfg>
void Runtime<Cfg>::mark_shared(TS& ts, O* o) {
  if constexpr (kImmortalizeShared) immortalize(ts, o);
  else (void)ts, (void)o;
}

template <SafeConfig Cfg>
void Runtime<Cfg>::dict_clear(TS& ts, Dict<RC>* d) {
  for (std::uint64_t i = 0; i <= d->mask; ++i) {
    auto e = d->table[i];
    if (e.key == nullptr) continue;
    d->table[i] = {0, nullptr, nullptr};  // unlink first: the decrefs may run deallocators
    --d->used;
    decref(ts, &e.key->ob);
    decref(ts, e.value);
  }
}

template <SafeConfig Cfg>
Code<typename Cfg::RC>* Runtime<Cfg>::new_code(TS& ts, std::initializer_list<std::uint16_t> words,
                                               int argcount, int nlocals, int stacksize,
                                               Tuple<RC>* consts, Tuple<RC>* names, Str<RC>* name) {
  auto* c = static_cast<Code<RC>*>(alloc_block(ts, sizeof(Code<RC>)));
  init_object(ts, &c->ob, Type::kCode);
  c->ob.flags |= kDeferredFlag;  // PEP 703 defers code objects
  c->code = static_cast<std::uint16_t*>(alloc_block(ts, words.size() * sizeof(std::uint16_t)));
  std::memcpy(c->code, words.begin(), words.size() * sizeof(std::uint16_t));
  c->ncode = std::uint32_t(words.size());
  c->argcount = argcount;
  c->nlocals = nlocals;
  c->stacksize = stacksize;
  c->consts = consts;
  c->names = names;
  c->name = name;
  return c;
}

template <SafeConfig Cfg>
Function<typename Cfg::RC>* Runtime<Cfg>::new_function(TS& ts, Code<RC>* code, Dict<RC>* g, Str<RC>* name) {
  auto* fn = static_cast<Function<RC>*>(alloc_block(ts, sizeof(Function<RC>)));
  init_object(ts, &fn->ob, Type::kFunction);
  fn->ob.flags |= kDeferredFlag;  // and functions
  incref(ts, &code->ob);
  fn->code = code;
  incref(ts, &g->ob);
  fn->globals = g;
  incref(ts, &name->ob);
  fn->name = name;
  return fn;
}

}  // namespace rclab::runtime
