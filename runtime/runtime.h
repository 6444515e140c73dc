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
//
// The object operations live in one header per concern, all included here so
// that including runtime/runtime.h gives the whole runtime: counters.h,
// options.h, thread_state.h, object_ops.h, ints.h, frames.h, dict.h,
// dealloc.h (runtime/README.md says what each holds).
#pragma once

#include <atomic>
#include <cstdint>
#include <new>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/eval_breaker.h"
#include "common/fatal.h"
#include "refcount/buffered.h"
#include "refcount/ft313.h"
#include "refcount/policy.h"
#include "runtime/builtins.h"
#include "runtime/classes.h"
#include "runtime/config.h"
#include "runtime/containers.h"
#include "runtime/counters.h"
#include "runtime/dealloc.h"
#include "runtime/deferred_gc_ops.h"
#include "runtime/dict.h"
#include "runtime/exceptions.h"
#include "runtime/floats.h"
#include "runtime/frames.h"
#include "runtime/ints.h"
#include "runtime/modules.h"
#include "runtime/object.h"
#include "runtime/object_ops.h"
#include "runtime/options.h"
#include "runtime/thread_state.h"
#include "runtime/typeobjects.h"
#include "runtime/abstract.h"

namespace rclab::runtime {

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
  typename RC::Shared rc_shared;  // from options.settings when the policy declares settings
  typename Cfg::Alloc::Shared alloc_shared;
  typename Cfg::Frames::Shared frames_shared;
  // The interpreter's object freelists (per_interp); nothing otherwise.
  [[no_unique_address]] typename Cfg::Freelists::Shared object_freelists_shared;
  typename Cfg::Gil::Shared gil_shared;
  typename QsbrOf<Cfg>::Shared qsbr_shared;  // retired dict tables and values (runtime/qsbr.h)
  typename DeferredGcOf<Cfg>::Shared gc_shared{breaker};  // 3.14t's collector (runtime/deferred_gc.h)

  // The interpreter generation's per-runtime state (runtime/generation.h).
  typename Cfg::Gen::Shared gen;

  // interp->dict_state.global_version (3.6's pydict_global_version): the
  // last dict version tag handed out (runtime/dict.h: dict_next_version).
  // Under a GIL every mutation takes the next one; without one each thread
  // takes a batch of 256 at a time.
  std::atomic<std::uint64_t> dict_global_version{0};

  // The constructing thread's own thread state: builds and destroys the
  // shared objects; its counters hold set-up and teardown work.
  TS main;

  // Shared objects. Every interpreter thread reads these pointers (never
  // written after construction) and counts references to the objects.
  O* none = nullptr;
  O* true_ = nullptr;
  O* false_ = nullptr;
  O* not_implemented = nullptr;  // Py_NotImplemented: a static in 3.6, immortal from 3.12
  Int<RC>* small_ints[kSmallIntMax - kSmallIntMin + 1] = {};
  Str<RC>* builtins_name = nullptr;  // "__builtins__", interned
  Dict<RC>* builtins = nullptr;
  Dict<RC>* globals = nullptr;  // the module namespace the workload runs in
  Dict<RC>* sys_modules = nullptr;  // sys.modules: every module rclab builds (runtime/modules.h)
  Class<RC>* object_class = nullptr;  // `object`, the root of every class
  Tuple<RC>* empty_tuple = nullptr;   // PyTuple_New(0)'s shared empty tuple
  Str<RC>* intern_init = nullptr;     // "__init__" (borrowed from the intern table)
  Str<RC>* intern_build_class = nullptr;  // "__build_class__" (borrowed)
  Str<RC>* intern_name = nullptr;         // "__name__" (borrowed)
  Str<RC>* intern_dict = nullptr;         // "__dict__" (borrowed; threading.local compares names with it)
  Str<RC>* intern_slots = nullptr;        // "__slots__" (borrowed; class_new reads it)
  Str<RC>* intern_new = nullptr;          // "__new__" (borrowed; class_new and a class call read it)
  Str<RC>* intern_enter = nullptr;        // "__enter__" and "__exit__" (borrowed; `with` looks them up)
  Str<RC>* intern_exit = nullptr;
  // The method descriptors of the builtin types (list.append, ...), and the
  // types' __new__ (tuple.__new__ bound to tuple, type.__new__), indexed by
  // BuiltinId; null for module-level builtins. Shared by every thread.
  Builtin<RC>* method_descrs[kBuiltinCount] = {};
  // The builtin exception classes, in builtins, made by a generation that
  // raises (install_exception_classes); KeyError is the one C code raises.
  ExcClass<RC>* exc_key_error = nullptr;
  // py313: the code of the shim frame CALL_ALLOC_AND_ENTER_INIT pushes under
  // a class's __init__ (3.13's _Py_InitCleanup: EXIT_INIT_CHECK,
  // RETURN_VALUE, RESUME); immortal, made with the exception classes
  // (runtime/py313/generation.h). Null under py36.
  Code<RC>* init_cleanup = nullptr;
  // Makes the exception classes `specs` lists (runtime/exceptions.h's
  // format, bases first), static and so immortal, and puts each in
  // builtins. Once, at set-up, before any worker runs.
  void install_exception_classes(std::span<const std::string_view> specs);

  // Set while a workload's module runs at set-up (experiments/workload.h):
  // under a policy that makes every object made before the workers run
  // immortal (kImmortalizeShared), init_object immortalizes what is made
  // meanwhile. Only the constructing thread reads or writes it, before the
  // workers exist.
  bool immortalize_new = false;

  // Constructors used at set-up. Each returns a new reference.
  Str<RC>* new_str(TS& ts, std::string_view s);
  Tuple<RC>* new_tuple(TS& ts, std::initializer_list<O*> items);  // steals the items
  Tuple<RC>* new_tuple(TS& ts, std::size_t n) { return tuple_new(ts, std::int64_t(n)); }  // null items
  // The interned str for `s` (a new reference): one object per distinct
  // string, as 3.6 interns names. The runtime owns one reference to each.
  Str<RC>* intern(TS& ts, std::string_view s);
  Dict<RC>* new_dict(TS& ts) { return runtime::dict_new(ts); }
  Code<RC>* new_code(TS& ts, std::initializer_list<std::uint16_t> words, int argcount, int nlocals,
                     int stacksize, Tuple<RC>* consts, Tuple<RC>* names, Str<RC>* name);  // steals the objects
  // The same from `nwords` words in a block of this runtime's allocator;
  // steals the block and the objects. `deferred`: PEP 703's deferred
  // counting, as every code object a module makes has; not a static code
  // object's (the __init__ shim's), which is immortal instead.
  Code<RC>* new_code(TS& ts, std::uint16_t* words, std::uint32_t nwords, int argcount, int nlocals, int stacksize,
                     int flags, Tuple<RC>* consts, Tuple<RC>* names, Str<RC>* name, bool deferred = true);
  Function<RC>* new_function(TS& ts, Code<RC>* code, Dict<RC>* globals, Str<RC>* name);  // borrows

  // Dict operations (runtime/dict.h), through the configuration's dict
  // lock. set() takes new references to key and value; get() returns a
  // borrowed reference or nullptr (set-up and tests: the interpreter's
  // lookups take their reference inside the read, runtime::dict_load).
  void dict_set(TS& ts, Dict<RC>* d, Str<RC>* key, O* value) { runtime::dict_set(ts, d, key, value); }
  static O* dict_get(Dict<RC>* d, Str<RC>* key) { return runtime::dict_get<Cfg>(d, key); }
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
  // 3.13t's immortalisation (refcount/ft313.h): its code constants, then
  // everything it defers, made immortal. Called once the workload's module
  // has run and before the first worker starts, where 3.13t's first
  // non-main thread would trigger it; does nothing unless the policy asks
  // for it. Returns how many objects it made immortal (the tests read it).
  // Reseals the immortals first (below), for every policy.
  std::size_t immortalize_at_thread_start();

  // Drops every entry (runtime/dict.h).
  void dict_clear(TS& ts, Dict<RC>* d) { runtime::dict_clear(ts, d); }

  // The commit thread of a policy that has one (buffered counting): its
  // CPU time so far, and its thread state's counters. The counters may be
  // read after quiesce() while this thread runs (the commit thread then has
  // nothing to free), or after shutdown().
  double helper_cpu_seconds() const;
  const Counters* helper_counters() const { return helper_ ? &helper_->counters : nullptr; }

 private:
  void start_commit_thread();
  void stop_commit_thread();
  // With a commit thread (Immortal<Buffered>), an immortal's marker may have
  // been overwritten by the commit thread applying an older log to it
  // (refcount/buffered.h): once every log is applied, every immortal is
  // marked again. Before the workers start; nothing is marked after.
  void reseal_immortals();
  Int<RC>* new_small_int(TS& ts, std::int64_t v);
  void install_modules();
  void install_builtins();
  Dict<RC>* module_dict(std::string_view name);  // a module's dict, borrowed
  std::vector<O*> immortals_;  // freed last, by shutdown()
  std::unordered_map<std::string, Str<RC>*> interned_;
  bool shut_down_ = false;
  std::thread commit_thread_;
  std::unique_ptr<TS> helper_;  // built and used on commit_thread_; kept for its counters
};

// ---------------------------------------------------------------------------
// Runtime construction and shutdown

namespace detail {
// A str's hash, CPython's: _Py_HashBytes over its (ASCII, one byte per
// character) data with SipHash — SipHash-1-3 from 3.11, SipHash-2-4 in 3.6
// — keyed as PYTHONHASHSEED=0 keys it (both halves 0: no randomisation),
// which is how tools/peer/peer_fib.py and tools/dev/instr_per_call.py run
// the real interpreters. So a name has the hash it has there, and a dict
// probes the slots the real one probes wherever the two hold the same keys
// (runtime/dict.h): the cost of a lookup is the layout's, not a hash's
// luck. Python/pyhash.c; a hash of -1 becomes -2, the empty str's is 0.
template <int kCompressionRounds, int kFinalRounds>
inline std::uint64_t siphash(std::string_view s) {
  auto rotl = [](std::uint64_t x, int b) { return (x << b) | (x >> (64 - b)); };
  std::uint64_t v0 = 0x736f6d6570736575ull, v1 = 0x646f72616e646f6dull;  // k0 = k1 = 0
  std::uint64_t v2 = 0x6c7967656e657261ull, v3 = 0x7465646279746573ull;
  auto round = [&] {
    v0 += v1; v2 += v3; v1 = rotl(v1, 13) ^ v0; v3 = rotl(v3, 16) ^ v2; v0 = rotl(v0, 32);
    v2 += v1; v0 += v3; v1 = rotl(v1, 17) ^ v2; v3 = rotl(v3, 21) ^ v0; v2 = rotl(v2, 32);
  };
  const auto* in = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t n = s.size();
  std::uint64_t b = std::uint64_t(n) << 56;
  for (; n >= 8; n -= 8, in += 8) {
    std::uint64_t m = 0;
    for (int i = 0; i < 8; ++i) m |= std::uint64_t(in[i]) << (8 * i);  // little-endian
    v3 ^= m;
    for (int r = 0; r < kCompressionRounds; ++r) round();
    v0 ^= m;
  }
  for (std::size_t i = 0; i < n; ++i) b |= std::uint64_t(in[i]) << (8 * i);
  v3 ^= b;
  for (int r = 0; r < kCompressionRounds; ++r) round();
  v0 ^= b;
  v2 ^= 0xff;
  for (int r = 0; r < kFinalRounds; ++r) round();
  return (v0 ^ v1) ^ (v2 ^ v3);
}
template <DictFlavor kFlavor>
inline std::uint64_t hash_bytes(std::string_view s) {
  if (s.empty()) return 0;
  const std::uint64_t h = kFlavor == DictFlavor::k36 ? siphash<2, 4>(s) : siphash<1, 3>(s);
  return h == ~std::uint64_t(0) ? ~std::uint64_t(1) : h;
}
}  // namespace detail

namespace detail {
// A policy's Shared state, from the options when it takes them. Returned as
// a prvalue, so Shared may hold mutexes (guaranteed copy elision).
template <class RC>
typename RC::Shared make_rc_shared(const RuntimeOptions& o) {
  if constexpr (std::is_constructible_v<typename RC::Shared, const Settings&>)
    return typename RC::Shared(o.settings);
  else
    return typename RC::Shared();
}
}  // namespace detail

template <SafeConfig Cfg>
Runtime<Cfg>::Runtime(const RuntimeOptions& options)
    : rc_shared(detail::make_rc_shared<RC>(options)), gil_shared(breaker, options.settings), main(*this) {
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
  not_implemented = singleton(Type::kNotImplemented);
  for (std::int64_t v = kSmallIntMin; v <= kSmallIntMax; ++v) small_ints[v - kSmallIntMin] = new_small_int(main, v);
  // PEP 683's immortal objects: the singletons, the small ints, interned names.
  immortalize(main, none);
  immortalize(main, true_);
  immortalize(main, false_);
  immortalize(main, not_implemented);
  for (auto* i : small_ints) immortalize(main, &i->ob);
  builtins_name = intern(main, "__builtins__");
  decref(main, &builtins_name->ob);  // the intern table's reference keeps it
  builtins = new_dict(main);
  globals = new_dict(main);
  // Module dicts: the frames' globals and builtins (PEP 703 defers them;
  // 3.14t gives them unique ids: _PyDict_EnablePerThreadRefcounting).
  gc_defer(main, &builtins->ob, true);
  gc_defer(main, &globals->ob, true);
  mark_shared(main, &builtins->ob);
  mark_shared(main, &globals->ob);
  dict_set(main, globals, builtins_name, &builtins->ob);
  install_modules();
  install_builtins();
}

// The modules (runtime/modules.h): each with its dict, in sys.modules; the
// workload's is the globals. Shared by every thread, deferred (PEP 703; 3.14t
// gives the dicts unique ids, as the globals').
template <SafeConfig Cfg>
void Runtime<Cfg>::install_modules() {
  sys_modules = new_dict(main);
  mark_shared(main, &sys_modules->ob);
  Str<RC>* dunder_name = intern(main, "__name__");
  auto add = [&](std::string_view name, Dict<RC>* dict) {
    Str<RC>* s = intern(main, name);
    Module<RC>* m = module_new(main, s, dict, dunder_name);
    gc_defer(main, &m->ob, false);
    mark_shared(main, &m->ob);
    dict_set(main, sys_modules, s, &m->ob);
    decref(main, &m->ob);
    decref(main, &s->ob);
  };
  add(kWorkloadModule, globals);
  for (std::string_view name : kModelledModules) {
    Dict<RC>* d = new_dict(main);
    gc_defer(main, &d->ob, true);
    mark_shared(main, &d->ob);
    if (name == "sys") {
      Str<RC>* key = intern(main, "modules");
      dict_set(main, d, key, &sys_modules->ob);
      decref(main, &key->ob);
    }
    add(name, d);
    decref(main, &d->ob);
  }
  decref(main, &dunder_name->ob);
}

template <SafeConfig Cfg>
Dict<typename Cfg::RC>* Runtime<Cfg>::module_dict(std::string_view name) {
  Str<RC>* s = intern(main, name);
  O* m = dict_get(sys_modules, s);
  decref(main, &s->ob);
  if (m == nullptr || m->type != Type::kModule) fatal("module_dict: no such module");
  return as<Module>(m)->dict;
}

// The builtins the workloads call (runtime/builtins.h), `object`, and the
// builtin types' method descriptors. All are owned by the runtime.
template <SafeConfig Cfg>
void Runtime<Cfg>::install_builtins() {
  Object<RC>* tuple_type = nullptr;
  for (std::uint32_t i = 0; i < kBuiltinCount; ++i) {
    const auto& def = Builtins<Cfg>::table[i];
    // A type's __new__ is bound to its type: tuple's to `tuple` (made
    // before it in the table); `type` itself is not an object here.
    const bool binds_tuple = def.new_wrapper && def.self_type == Type::kTuple;
    if (binds_tuple && tuple_type == nullptr) fatal("install_builtins: tuple.__new__ before tuple");
    Builtin<RC>* b = builtin_new(main, i, binds_tuple ? tuple_type : nullptr);
    // Static, like 3.6's builtin functions and method descriptors: immortal
    // where the policy has immortal objects. 3.12+ makes only static types
    // immortal (PEP 683): `len`, the method descriptors and the heap type
    // Queue are counted there (kMortalBuiltins).
    if (!Cfg::Gen::kMortalBuiltins || def.static_type) immortalize(main, &b->ob);
    // 3.14t defers module-level C functions and method descriptors; a
    // type's __new__ is neither (a PyCFunction made by add_tp_new_wrapper).
    else if constexpr (kHasDeferredGc<Cfg>) if (!def.new_wrapper) gc_defer(main, &b->ob, false);
    if (i == kBuiltinTuple) tuple_type = &b->ob;
    if (def.self_type == Type::kCount) {
      Str<RC>* name = intern(main, def.name);
      dict_set(main, def.module.empty() ? builtins : module_dict(def.module), name, &b->ob);
      decref(main, &name->ob);
      decref(main, &b->ob);
    } else {
      method_descrs[i] = b;
    }
  }
  empty_tuple = tuple_new(main, 0);
  immortalize(main, &empty_tuple->ob);  // 3.12 makes it immortal; it refers to nothing
  // The names the runtime looks up itself, borrowed from the intern table.
  for (auto [field, text] : {std::pair{&intern_init, "__init__"}, {&intern_build_class, "__build_class__"},
                             {&intern_name, "__name__"}, {&intern_dict, "__dict__"}, {&intern_slots, "__slots__"},
                             {&intern_new, "__new__"}, {&intern_enter, "__enter__"}, {&intern_exit, "__exit__"}}) {
    *field = intern(main, text);
    decref(main, &(*field)->ob);
  }
  Str<RC>* name = intern(main, "object");
  Dict<RC>* ns = new_dict(main);
  object_class = class_new(main, name, ns, nullptr);
  decref(main, &ns->ob);
  dict_set(main, builtins, name, &object_class->ob);
  decref(main, &name->ob);
}

template <SafeConfig Cfg>
void Runtime<Cfg>::install_exception_classes(std::span<const std::string_view> specs) {
  if (exc_key_error != nullptr) return;  // made already (a second module on this runtime)
  std::vector<ExcClass<RC>*> made;
  for (std::string_view entry : specs) {
    const ExcClassSpec spec = parse_exc_class_spec(entry);
    ExcClass<RC>* base = nullptr;
    if (!spec.base.empty()) {
      for (ExcClass<RC>* c : made)
        if (c->name->view() == spec.base) base = c;
      if (base == nullptr) fatal("install_exception_classes: a base listed after its subclass");
    }
    Str<RC>* name = intern(main, spec.name);
    ExcClass<RC>* cls = exc_class_new(main, name, base);
    immortalize(main, &cls->ob);  // a static type: immortal from 3.12 (PEP 683)
    dict_set(main, builtins, name, &cls->ob);
    decref(main, &name->ob);
    decref(main, &cls->ob);
    made.push_back(cls);
    if (spec.name == "KeyError") exc_key_error = cls;
  }
  if (exc_key_error == nullptr) fatal("install_exception_classes: no KeyError");
}

template <SafeConfig Cfg>
Str<typename Cfg::RC>* Runtime<Cfg>::intern(TS& ts, std::string_view s) {
  auto it = interned_.find(std::string(s));
  if (it == interned_.end()) {
    Str<RC>* str = new_str(ts, s);
    immortalize(ts, &str->ob);  // PEP 683: interned strings are immortal
    it = interned_.emplace(std::string(s), str).first;
  }
  incref(ts, &it->second->ob);
  return it->second;
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
  qsbr_drain(main);  // what the workers' dict writes retired: every reader is gone
  // Each object the runtime owns must be down to the runtime's own
  // reference now. Checking that exactly, object by object, catches what
  // created-minus-destroyed cannot: one leak and one double free would
  // cancel out there, and a lost incref on a shared object would only show
  // as a use-after-free.
  auto release = [&](O* o, const char* what) {
    if constexpr (refcount::CanImmortalize<RC>) {
      if (RC::is_immortal(o->rc)) return;  // freed below, with the other immortals
    }
    if (heap_count<Cfg>(o) != 1) {  // a deferred object's bias left out (runtime/deferred_gc_ops.h)
      std::fprintf(stderr, "rclab: fatal: at shutdown %s has %lld references, expected 1\n", what,
                   (long long)heap_count<Cfg>(o));
      fatal("reference count wrong at shutdown");
    }
    decref(main, o);
  };
  // Counts exact again after a batch of decrefs: the commit thread's logs
  // applied, and (3.14t) the deferred objects left with no reference freed
  // by a collection, which is the only way they go.
  auto settle = [&] {
    quiesce(main);
    gc_collect_at_shutdown(main);
  };
  dict_clear(main, globals);
  settle();  // the function, its code and constants go, and their references to the globals
  dict_clear(main, sys_modules);  // the modules go (sys's dict refers back to sys.modules), and their dicts
  settle();
  // Immortal containers (under kImmortalizeShared, everything a workload
  // made at set-up) let go of what they refer to now, so the runtime's own
  // objects below are down to its reference; they are freed last.
  for (auto it = immortals_.rbegin(); it != immortals_.rend(); ++it) drop_refs(main, *it);
  settle();
  release(&sys_modules->ob, "sys.modules");
  release(&globals->ob, "the globals dict");
  settle();  // the globals' reference to the builtins
  release(&builtins->ob, "the builtins dict");
  settle();  // the builtins dict's references to the builtins and `object`
  release(&object_class->ob, "the class object");
  if (init_cleanup != nullptr) release(&init_cleanup->ob, "the __init__ shim's code");
  release(&empty_tuple->ob, "the empty tuple");
  for (auto*& d : method_descrs)
    if (d != nullptr) release(&d->ob, "a method descriptor");
  settle();
  for (auto& [text, str] : interned_) release(&str->ob, "an interned str");
  interned_.clear();
  for (auto*& i : small_ints) release(&i->ob, "a small int");
  release(not_implemented, "NotImplemented");
  release(false_, "False");
  release(true_, "True");
  release(none, "None");
  settle();
  if constexpr (kHasDeferredGc<Cfg>) {
    if (!gc_shared.deferred.empty()) fatal("a deferred object outlived the runtime: a count it was given was never dropped");
  }
  // Immortal objects last: every mortal object that referred to them is
  // gone, and every immortal one dropped its references above (they may
  // refer to each other in any order, so none is freed before all have).
  for (auto it = immortals_.rbegin(); it != immortals_.rend(); ++it) {
    if constexpr (refcount::ReleasesImmortals<RC>) RC::release_immortal((*it)->rc, main.rc);
    free_storage(main, *it);
  }
  immortals_.clear();
  qsbr_drain(main);
  main.detach();
  stop_commit_thread();
  // Blocks cached in a freelist shared by all threads go back last, when no
  // thread can take one any more.
  if constexpr (freelists::Freelist<typename Cfg::Frames>)
    Cfg::Frames::drain_shared(frames_shared, &release_frame_block<Cfg>, &main);
  Cfg::Freelists::drain_shared(object_freelists_shared, &release_object_block<Cfg>, &main);
}

template <SafeConfig Cfg>
void Runtime<Cfg>::start_commit_thread() {
  if constexpr (refcount::HasCommitThread<RC>) {
    commit_thread_ = std::thread([this] {
      helper_ = std::make_unique<TS>(*this);
      TS& ts = *helper_;
      qsbr_park(ts);  // it never reads a dict: QSBR must not wait for it
      // The commit thread runs deallocators (frame_dealloc fetches the
      // thread state), so a looking-up policy must find this one.
      Cfg::TState::attach(&ts);
      RC::commit_loop(rc_shared, ts.rc, [&ts](typename RC::Header& h) { rc_free_header(ts, h); });
      ts.detach();  // its frame freelist
      Cfg::TState::detach(&ts);
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
  auto* i = static_cast<Int<RC>*>(alloc_block(ts, Int<RC>::block_size(int_ndigits<RC>(v))));
  init_object(ts, &i->ob, Type::kInt);
  int_set(i, v);
  return i;
}

template <SafeConfig Cfg>
Str<typename Cfg::RC>* Runtime<Cfg>::new_str(TS& ts, std::string_view s) {
  auto* p = static_cast<Str<RC>*>(alloc_block(ts, sizeof(Str<RC>) + s.size() + 1));
  init_object(ts, &p->ob, Type::kStr);
  p->hash = detail::hash_bytes<Cfg::Gen::kDict>(s);  // the generation's CPython's
  p->size = std::uint32_t(s.size());
  char* chars = reinterpret_cast<char*>(p + 1);
  std::memcpy(chars, s.data(), s.size());
  chars[s.size()] = '\0';
  return p;
}

template <SafeConfig Cfg>
Tuple<typename Cfg::RC>* Runtime<Cfg>::new_tuple(TS& ts, std::initializer_list<O*> items) {
  Tuple<RC>* t = tuple_new(ts, std::int64_t(items.size()));
  std::int64_t i = 0;
  for (O* item : items) t->items()[i++] = item;
  return t;
}

template <SafeConfig Cfg>
void Runtime<Cfg>::immortalize(TS&, O* o) {
  if constexpr (refcount::CanImmortalize<RC>) {
    // A leaf refers to nothing (an exception class, a builtin bound to an
    // immortal — tuple.__new__ to the static type tuple — and the __init__
    // shim's code only to other immortals), so freeing it last (shutdown)
    // is always safe.
    // Containers may be immortal only when everything created at set-up is
    // (kImmortalizeShared): then every reference they hold is to an immortal
    // object freed after them, in reverse creation order.
    const bool leaf = o->type == Type::kNone || o->type == Type::kBool || o->type == Type::kNotImplemented ||
                      o->type == Type::kInt || o->type == Type::kFloat ||
                      o->type == Type::kStr ||
                      (o->type == Type::kBuiltin &&
                       (as<Builtin>(o)->self == nullptr || RC::is_immortal(as<Builtin>(o)->self->rc))) ||
                      (o->type == Type::kTuple && as<Tuple>(o)->size == 0) ||
                      o->type == Type::kExcClass ||  // refers only to immortals: its interned name, its base
                      (init_cleanup != nullptr && o == &init_cleanup->ob);  // the empty tuple, "__init__"
    if (!leaf && !kImmortalizeShared && !refcount::kImmortalizeConstants<RC>)
      fatal("immortalize: only leaf objects may be immortal under this policy");
    if (RC::is_immortal(o->rc)) return;  // already (made so at creation, or twice by set-up)
    RC::make_immortal(o->rc);
    immortals_.push_back(o);
  } else {
    (void)o;
  }
}

template <SafeConfig Cfg>
std::size_t Runtime<Cfg>::immortalize_at_thread_start() {
  reseal_immortals();
  if constexpr (!refcount::kImmortalizeConstants<RC>) {
    return 0;
  } else {
    const std::size_t before = immortals_.size();
    auto mortal = [](O* o) { return o != nullptr && !RC::is_immortal(o->rc); };
    // Rule 1 (3.13t and 3.14t): a code object's constants
    // (should_immortalize_constant): str, int, float (and bytes, complex:
    // rclab's consts have none), and tuples whose items are already
    // immortal. Nested code objects: their constants too (3.14t leaves the
    // code objects themselves deferred; 3.13t's rule 2 takes them).
    auto constants = [&](auto& self, Code<RC>* c) -> void {
      for (std::int64_t i = c->consts->size; i-- > 0;) {
        O* v = c->consts->items()[i];
        if (v->type == Type::kCode) self(self, as<Code>(v));
      }
      auto constant = [&](auto& rec, O* v) -> bool {
        if (!mortal(v)) return true;
        switch (v->type) {
          case Type::kStr: case Type::kInt: case Type::kFloat: immortalize(main, v); return true;
          case Type::kTuple: {
            bool all = true;
            Tuple<RC>* t = as<Tuple>(v);
            for (std::int64_t i = 0; i < t->size; ++i) all = rec(rec, t->items()[i]) && all;
            if (all) immortalize(main, v);
            return all;
          }
          default: return false;
        }
      };
      constant(constant, &c->consts->ob);
      for (Tuple<RC>* names : {c->names, c->localsplusnames})
        if (names != nullptr) constant(constant, &names->ob);
    };
    auto each_value = [](Dict<RC>* d, auto f) { dict_for_each<Cfg>(d, [&](Str<RC>*, O* v) { f(v); }); };
    // The code reachable from the module: its functions' and its classes'.
    auto code_of = [&](O* v) {
      if (v->type == Type::kStaticMethod) v = as<StaticMethod>(v)->callable;  // a class's __new__
      if (v->type == Type::kFunction) constants(constants, as<Function>(v)->code);
    };
    each_value(globals, [&](O* v) {
      code_of(v);
      if (v->type == Type::kClass) each_value(as<Class>(v)->dict, code_of);
    });
    if constexpr (refcount::kImmortalizeAtThreadStart<RC>) {
      // Rule 2 (3.13t only): the deferred objects reachable from the
      // module — its dict and the builtins', module-level functions and
      // their code (nested code objects with them), classes (heap types)
      // and the functions in their namespaces, builtin functions and method
      // descriptors, the modules and their dicts. A class's own dict is not
      // deferred in 3.13t and stays counted, as do nested functions
      // (closures), instances, and sys.modules itself.
      auto code = [&](auto& self, Code<RC>* c) -> void {
        if (!mortal(&c->ob)) return;
        immortalize(main, &c->ob);
        for (std::int64_t i = c->consts->size; i-- > 0;) {
          O* v = c->consts->items()[i];
          if (v->type == Type::kCode) self(self, as<Code>(v));
        }
      };
      auto value = [&](O* v) {
        // A class's __new__: its staticmethod is not deferred, its function is.
        if (v->type == Type::kStaticMethod) v = as<StaticMethod>(v)->callable;
        if (!mortal(v)) return;
        if (v->type == Type::kFunction && (v->flags & kDeferredFlag)) {
          immortalize(main, v);
          code(code, as<Function>(v)->code);
        } else if (v->type == Type::kBuiltin && as<Builtin>(v)->self == nullptr) {
          immortalize(main, v);  // a module's function or a heap type; a bound builtin method is not deferred
        }
      };
      auto module_dict = [&](Dict<RC>* module) {
        if (!mortal(&module->ob)) return;
        immortalize(main, &module->ob);
        each_value(module, [&](O* v) {
          value(v);
          if (v->type == Type::kClass && mortal(v)) {
            immortalize(main, v);
            each_value(as<Class>(v)->dict, value);
          }
        });
      };
      module_dict(globals);
      module_dict(builtins);
      each_value(sys_modules, [&](O* m) {  // the module objects and their dicts
        if (mortal(m)) immortalize(main, m);
        module_dict(as<Module>(m)->dict);
      });
      for (Builtin<RC>* d : method_descrs)  // a type's __new__ is not deferred: it stays counted
        if (d != nullptr && !Builtins<Cfg>::table[d->which].new_wrapper) value(&d->ob);
    }
    return immortals_.size() - before;
  }
}

template <SafeConfig Cfg>
void Runtime<Cfg>::reseal_immortals() {
  if constexpr (refcount::HasCommitThread<RC> && refcount::CanImmortalize<RC>) {
    quiesce(main);  // no log holds an operation any more, and only this thread runs
    for (O* o : immortals_) RC::make_immortal(o->rc);
  }
}

template <SafeConfig Cfg>
void Runtime<Cfg>::mark_shared(TS& ts, O* o) {
  if constexpr (kImmortalizeShared) immortalize(ts, o);
  else (void)ts, (void)o;
}

template <SafeConfig Cfg>
Code<typename Cfg::RC>* Runtime<Cfg>::new_code(TS& ts, std::initializer_list<std::uint16_t> words,
                                               int argcount, int nlocals, int stacksize,
                                               Tuple<RC>* consts, Tuple<RC>* names, Str<RC>* name) {
  auto* block = static_cast<std::uint16_t*>(alloc_block(ts, words.size() * sizeof(std::uint16_t)));
  std::memcpy(block, words.begin(), words.size() * sizeof(std::uint16_t));
  return new_code(ts, block, std::uint32_t(words.size()), argcount, nlocals, stacksize,
                  kCoOptimized | kCoNewLocals | kCoNofree, consts, names, name);
}

template <SafeConfig Cfg>
Code<typename Cfg::RC>* Runtime<Cfg>::new_code(TS& ts, std::uint16_t* words, std::uint32_t nwords, int argcount,
                                               int nlocals, int stacksize, int flags, Tuple<RC>* consts,
                                               Tuple<RC>* names, Str<RC>* name, bool deferred) {
  auto* c = ::new (alloc_block(ts, sizeof(Code<RC>))) Code<RC>;  // default members: the other generation's fields empty
  init_object(ts, &c->ob, Type::kCode);
  if (deferred) gc_defer(ts, &c->ob, true);  // PEP 703 defers code objects (3.14t: with a unique id)
  c->code = words;
  c->ncode = nwords;
  c->argcount = argcount;
  c->nlocals = nlocals;
  c->stacksize = stacksize;
  c->flags = flags;
  c->kwonlyargcount = 0;
  c->ncells = c->nfrees = 0;
  c->firstlineno = 1;
  c->consts = consts;
  c->names = names;
  c->name = name;
  c->cell2arg = nullptr;
  return c;
}

template <SafeConfig Cfg>
Function<typename Cfg::RC>* Runtime<Cfg>::new_function(TS& ts, Code<RC>* code, Dict<RC>* g, Str<RC>* name) {
  auto* fn = ::new (alloc_block(ts, sizeof(Function<RC>))) Function<RC>;
  init_object(ts, &fn->ob, Type::kFunction);
  gc_defer(ts, &fn->ob, false);  // and functions
  incref(ts, &code->ob);
  fn->code = code;
  incref(ts, &g->ob);
  fn->globals = g;
  incref(ts, &name->ob);
  fn->name = name;
  fn->defaults = nullptr;
  fn->closure = nullptr;
  fn->qualname = nullptr;
  fn->doc = nullptr;
  fn->module = nullptr;
  return fn;
}

}  // namespace rclab::runtime
