// Dicts (Objects/dictobject.c): CPython's compact dict, as much of it as
// namespaces and the workloads' dicts need (no deletions). Free
// functions over the object layout (runtime/object.h: Dict, DictKeys);
// Runtime's dict members forward here.
//
// The layout is the compact dict's, in both generations: the dict points
// at a keys object — a header, an index table whose slot width follows its
// size (int8 up to 128 slots, int16, int32, int64), then the entries in
// insertion order, USABLE_FRACTION (2/3) of the slots. A lookup probes the
// index table with CPython's perturbed sequence (i = 5i + perturb + 1) and
// compares the entry each index names: two dependent loads per probe.
// Empty dicts share one immortal empty keys object (Py_EMPTY_KEYS).
//
// What differs by generation (Cfg::Gen::kDict, runtime/generation.h):
//   3.6   entries {hash, key, value}; every read calls through the keys'
//         dk_lookup (lookdict_unicode_nodummy: str keys, no deletions; the
//         first key of another type switches it to lookdict, which compares
//         keys whose hashes match), which returns an index and the value's
//         address; _PyDict_LoadGlobal
//         calls it for globals, then builtins; insertdict looks up with the
//         empty slot's position; GROWTH_RATE used*2 + size/2.
//   3.13  unicode entries {key, value} (the hash is read from the str)
//         until a key of another type is stored: the table is then resized
//         into a general one, entries {hash, key, value}; _Py_dict_lookup
//         dispatches on dk_kind and the key's type to the out-of-line
//         unicodekeys_lookup_unicode (do_lookup, unrolled twice) or the
//         generic lookups, and the value is loaded by index; _Py_dict_lookup_threadsafe is
//         _Py_dict_lookup + Py_XNewRef with a GIL, and 3.13t's lock-free
//         read under `ft313` (below); the first insertion goes through
//         insert_to_emptydict; GROWTH_RATE used*3; keys versions (dk_version)
//         and the dict's version tag (DICT_NEXT_VERSION: a global counter
//         with a GIL, per-thread batches of 256 without one).
// Function boundaries are the real builds' (nm of scripts/peers.sh's 3.13.15
// and 3.13.15t): out of line where they are, inlined where GCC inlined them.
//
// Every lookup and update goes through the configuration's dict lock
// (Cfg::DictLock, dictlock/policy.h): `none` runs them bare, as under a GIL;
// `recursive` inside the dict's lock; `optimistic` lets lookups run
// unlocked beside a writer and validates them; `ft313` is 3.13t's: writers
// in the dict's critical section, readers lock-free with try-incref
// (_Py_dict_lookup_threadsafe). The lock's per-dict state follows the Dict
// in its block (DictTail), as a Str's bytes follow the Str: a policy with
// an empty State (`none`) adds no byte.
//
// Unlocked readers (kUnlockedReaders: `optimistic`, `ft313`) — the invariant:
//   every pointer a reader can load from a dict (a keys object, a key, a
//   value) stays valid until every thread has passed a quiescent state
//   after it was unlinked (QSBR: common/qsbr.h, runtime/qsbr.h).
// It holds because a writer never frees what it unlinks while a reader may
// hold it: keys are never removed (no deletions); a value it replaces keeps
// the dict's reference, which is retired to the writing thread's QSBR queue
// and dropped once every attached thread has passed an eval-breaker check;
// a keys object it outgrows is retired whole (under `ft313` only once the
// dict is shared: a dict only its owner reads frees at once, as 3.13t's).
// And a reader never sees a half-written keys object: a new one is filled
// while private and published by a release store of the dict's keys
// pointer; in a published one, a new entry's key and value are stored
// (release) before the index slot that names it (release), and index slots
// only ever go from empty to an entry (no deletions, so never to a dummy).
// A reader loads the keys pointer, index slots, keys and values with
// acquire, so a slot it finds names a whole entry, every view holds an
// empty slot (at most 2/3 are used) and every probe ends. 3.13t stores the
// index before the entry and lets its readers skip a NULL key; here the
// order spares them that.
//
// Where this differs from 3.13t: 3.13t frees outgrown keys through QSBR as
// here, but drops a replaced value at once, and its readers' try-incref
// (_Py_TryIncrefCompare) fails on an object whose count reached zero and
// re-checks the slot; that is safe there because mimalloc keeps freed
// object memory in pages of the same kind until QSBR allows otherwise.
// rclab's allocators reuse a freed block at once, so the value's last
// reference is what is delayed instead: the reader's incref never meets a
// freed object, at the cost of the value living a few eval-breaker checks
// longer (and of the retirement's instructions on every replacing store of
// a shared dict, which 3.13t does not execute).
//
// py313-tlbc's specialised forms (3.14t's LOAD_GLOBAL_MODULE/_BUILTIN,
// runtime/py313/interp.h) are unlocked readers too, under `ft313`: they load
// the keys object once (acquire), compare its dk_version (relaxed) and read
// the cached entry's value from that keys object, with a try-incref and
// re-check. The invariant above covers them (an outgrown keys object keeps
// its entries and is retired while the dict is shared); the only store it
// adds is the version's reset, atomic there (keys_version_reset).
//
// Keys of other types than str: those whose type has a hash here (int, and
// the types hashed by address: runtime/typeobjects.h); a stored key whose
// hash matches is compared with PyObject_RichCompareBool under a reference
// (3.13t: try-increfed, then the keys re-checked).
//
// Not modelled: INCREF_KEYS_FT (3.13t's reference to a unicode table
// around a lookup of a key that is not a str), split tables (a dict
// whose values are an instance's; a class's split keys are, below: its
// instances' inline values are indexed by them), deletions and dummies,
// dict watchers. (The dict and dict-keys freelists are the configuration's
// object freelists: freelists/objects.h.)
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <new>
#include <type_traits>
#include <utility>

#include "common/fatal.h"
#include "freelists/objects.h"
#include "runtime/abstract.h"
#include "runtime/counters.h"
#include "runtime/deferred_gc.h"
#include "runtime/object.h"
#include "runtime/object_ops.h"
#include "runtime/thread_state.h"

namespace rclab::runtime {

// What follows a Dict<RC> in its block under dict lock L.
template <class L>
struct DictTail {
  typename L::State lock;
};

namespace detail {
template <class L>
constexpr std::size_t dict_tail_size() {
  return std::is_empty_v<typename L::State> ? 0 : sizeof(DictTail<L>);
}

template <class L>
constexpr bool try_incref_reads() {
  if constexpr (requires { L::kTryIncrefReads; })
    return L::kTryIncrefReads;
  else
    return false;
}

template <class Cfg>
inline constexpr bool kDict36 = Cfg::Gen::kDict == DictFlavor::k36;

// The size of a keys object's entries: 3.6's always carry the hash; 3.13's
// do only in a general table (dk_kind: unicode and split tables keep str
// keys and read the hash from the str).
template <class Cfg>
constexpr std::size_t entry_size(std::uint8_t kind) {
  using RC = typename Cfg::RC;
  if (kDict36<Cfg> || kind == kDictKeysGeneral) return sizeof(DictKeyEntry<RC>);
  return sizeof(DictUnicodeEntry<RC>);
}

// Whether unlocked readers may load what a writer stores: its stores are
// then release, and every reader's loads acquire (plain moves on x86).
template <class Cfg>
inline constexpr bool kSharedFields = Cfg::DictLock::kUnlockedReaders;

// The keys' refcount of the shared empty keys (_Py_IMMORTAL_REFCNT).
inline constexpr std::int64_t kImmortalKeys = std::int64_t(1) << 32;

// ma_version_tag (3.12+): the low 12 bits are the watchers' and a mutation
// counter (DICT_MAX_WATCHERS 8, DICT_WATCHED_MUTATION_BITS 4); every
// mutation takes the next multiple of DICT_VERSION_INCREMENT.
inline constexpr std::uint64_t kDictVersionIncrement = std::uint64_t(1) << 12;
inline constexpr std::uint64_t kDictWatcherAndModificationMask = kDictVersionIncrement - 1;
inline constexpr std::uint64_t kThreadLocalDictVersionBatch = 256 * kDictVersionIncrement;

// --- the keys object ------------------------------------------------------

constexpr std::int64_t usable_fraction(std::int64_t n) { return (n << 1) / 3; }  // USABLE_FRACTION

// dk_log2_index_bytes for a table of 1 << log2_size slots.
constexpr std::uint8_t index_log2_bytes(std::uint8_t log2_size) {
  if (log2_size < 8) return log2_size;
  if (log2_size < 16) return std::uint8_t(log2_size + 1);
  if (log2_size >= 32) return std::uint8_t(log2_size + 3);
  return std::uint8_t(log2_size + 2);
}

// calculate_log2_keysize: the smallest table of at least minsize slots
// (PyDict_MINSIZE 8); 3.6's dictresize doubles from 8 to the same size.
constexpr std::uint8_t calculate_log2_keysize(std::int64_t minsize) {
  if (minsize < 8) minsize = 8;
  return std::uint8_t(std::bit_width(std::uint64_t(minsize - 1)));
}
// estimate_log2_keysize (3.6's ESTIMATE_SIZE): room for n entries.
constexpr std::uint8_t estimate_log2_keysize(std::int64_t n) { return calculate_log2_keysize((n * 3 + 1) / 2); }

// PyDict_LOG_MINSIZE: a first key's keys object, and the only size the
// object freelists keep.
inline constexpr std::uint8_t kDictLogMinSize = 3;
static_assert((std::uint64_t(1) << kDictLogMinSize) == freelists::objects::kDictKeysSlots);

template <class Cfg>
constexpr std::size_t keys_block_size(std::uint8_t log2_size, std::uint8_t kind = kDictKeysUnicode) {
  return sizeof(DictKeys) + (std::size_t(1) << index_log2_bytes(log2_size)) +
         entry_size<Cfg>(kind) * std::size_t(usable_fraction(std::int64_t(1) << log2_size));
}

// _DK_ENTRIES: the entries follow the index table.
template <class E>
[[gnu::always_inline]] inline E* dk_entries(const DictKeys* dk) {
  return reinterpret_cast<E*>(const_cast<char*>(dk->indices()) + (std::size_t(1) << dk->log2_index_bytes));
}

// dictkeys_get_index: the slot's width by the table's size, as every read
// of an index branches on it.
template <bool kShared>
[[gnu::always_inline]] inline std::int64_t dictkeys_get_index(const DictKeys* dk, std::uint64_t i) {
  const int log2size = dk->log2_size;
  const char* ix = dk->indices();
  if (log2size < 8) return load<kShared>(reinterpret_cast<const std::int8_t*>(ix)[i]);
  if (log2size < 16) return load<kShared>(reinterpret_cast<const std::int16_t*>(ix)[i]);
  if (log2size >= 32) return load<kShared>(reinterpret_cast<const std::int64_t*>(ix)[i]);
  return load<kShared>(reinterpret_cast<const std::int32_t*>(ix)[i]);
}

template <bool kShared>
[[gnu::always_inline]] inline void dictkeys_set_index(DictKeys* dk, std::uint64_t i, std::int64_t ix) {
  const int log2size = dk->log2_size;
  char* p = dk->indices();
  if (log2size < 8)
    store<kShared>(reinterpret_cast<std::int8_t*>(p)[i], std::int8_t(ix));
  else if (log2size < 16)
    store<kShared>(reinterpret_cast<std::int16_t*>(p)[i], std::int16_t(ix));
  else if (log2size >= 32)
    store<kShared>(reinterpret_cast<std::int64_t*>(p)[i], std::int64_t(ix));
  else
    store<kShared>(reinterpret_cast<std::int32_t*>(p)[i], std::int32_t(ix));
}

// unicode_eq: the same characters (after identity failed; keys are interned,
// so this runs only on a hash collision).
template <class RC>
[[gnu::always_inline]] inline bool unicode_eq(const Str<RC>* a, const Str<RC>* b) {
  return a->size == b->size && std::memcmp(a->chars(), b->chars(), a->size) == 0;
}

// _PyObject_HashFast: an exact str's cached hash (rclab computes every
// str's hash when it makes it), else PyObject_Hash.
template <class Cfg>
[[gnu::always_inline]] inline std::uint64_t hash_fast(const Object<typename Cfg::RC>* key) {
  if (key->type != Type::kStr) [[unlikely]]
    return object_hash<Cfg>(key);
  return as<Str>(key)->hash;
}

// An entry's key as an object (null: not yet written), and its hash: the
// entry's own, or the str's (unicode_get_hash) in 3.13's unicode entries.
template <class RC>
[[gnu::always_inline]] inline Object<RC>* entry_key(const DictKeyEntry<RC>& e) {
  return e.key;
}
template <class RC>
[[gnu::always_inline]] inline Object<RC>* entry_key(const DictUnicodeEntry<RC>& e) {
  return reinterpret_cast<Object<RC>*>(e.key);  // a Str begins with its Object
}
template <class RC>
[[gnu::always_inline]] inline std::uint64_t entry_hash(const DictKeyEntry<RC>& e) {
  return e.hash;
}
template <class RC>
[[gnu::always_inline]] inline std::uint64_t entry_hash(const DictUnicodeEntry<RC>& e) {
  return e.key->hash;
}

// f(entries) with the entries typed by the keys object's layout (3.13
// dispatches on dk_kind as DK_ENTRIES / DK_UNICODE_ENTRIES do).
template <class Cfg, class F>
[[gnu::always_inline]] inline decltype(auto) with_entries(const DictKeys* dk, F&& f) {
  using RC = typename Cfg::RC;
  if constexpr (kDict36<Cfg>) {
    return f(dk_entries<DictKeyEntry<RC>>(dk));
  } else {
    if (dk->kind == kDictKeysGeneral) return f(dk_entries<DictKeyEntry<RC>>(dk));
    return f(dk_entries<DictUnicodeEntry<RC>>(dk));
  }
}

// The comparison of a stored key whose hash equals the looked-up key's
// (compare_generic, compare_unicode_generic, 3.6's lookdict): a reference
// to the stored key around PyObject_RichCompareBool. CPython re-checks
// afterwards that the comparison did not change the dict (and restarts);
// the comparisons rclab models (int's, str's, identity) run no Python
// code, so the check is left out. `ts` is null for a borrowed lookup
// (dict_find), which only namespaces take: their keys are strs.
template <class Cfg>
[[gnu::noinline]] bool keys_equal(ThreadState<Cfg>* ts, Object<typename Cfg::RC>* startkey,
                                  const Object<typename Cfg::RC>* key) {
  if (ts == nullptr) [[unlikely]]
    not_modelled("dict: a borrowed lookup in a dict with keys of other types than str");
  incref(*ts, startkey);
  const bool eq = rich_compare_bool(*ts, startkey, const_cast<Object<typename Cfg::RC>*>(key), kEq);
  decref(*ts, startkey);
  return eq;
}

// do_lookup (always inline, the loop unrolled by hand twice, as 3.13's):
// the index of the entry `cmp` accepts, kDkixEmpty, or what cmp returned
// below zero (kDkixKeyChanged).
template <bool kShared, class Cmp>
[[gnu::always_inline]] inline std::int64_t do_lookup(const DictKeys* dk, std::uint64_t hash, Cmp&& cmp) {
  const std::uint64_t mask = (std::uint64_t(1) << dk->log2_size) - 1;
  std::uint64_t perturb = hash;
  std::uint64_t i = hash & mask;
  for (;;) {
    std::int64_t ix = dictkeys_get_index<kShared>(dk, i);
    if (ix >= 0) {
      const int c = cmp(ix);
      if (c < 0) return c;
      if (c) return ix;
    } else if (ix == kDkixEmpty) {
      return kDkixEmpty;
    }
    perturb >>= 5;  // PERTURB_SHIFT
    i = mask & (i * 5 + perturb + 1);
    ix = dictkeys_get_index<kShared>(dk, i);
    if (ix >= 0) {
      const int c = cmp(ix);
      if (c < 0) return c;
      if (c) return ix;
    } else if (ix == kDkixEmpty) {
      return kDkixEmpty;
    }
    perturb >>= 5;
    i = mask & (i * 5 + perturb + 1);
  }
}
}  // namespace detail

// DK_UNICODE_ENTRIES: what LOAD_GLOBAL_MODULE/_BUILTIN index (3.13).
template <class RC>
[[gnu::always_inline]] inline DictUnicodeEntry<RC>* dk_unicode_entries(const DictKeys* dk) {
  return detail::dk_entries<DictUnicodeEntry<RC>>(dk);
}

// --- 3.13's lookups -------------------------------------------------------

// unicodekeys_lookup_unicode (_Py_HOT_FUNCTION, out of line): an exact str
// key in a unicode table; compare_unicode_unicode: identity, else the
// stored key's own hash and its characters. kShared: the loads are
// acquire (a reader beside writers, `optimistic`).
template <bool kShared, class RC>
[[gnu::noinline, gnu::hot]] std::int64_t unicodekeys_lookup_unicode(const DictKeys* dk, const Str<RC>* key,
                                                                    std::uint64_t hash) {
  const DictUnicodeEntry<RC>* ep0 = detail::dk_entries<DictUnicodeEntry<RC>>(dk);
  return detail::do_lookup<kShared>(dk, hash, [&](std::int64_t ix) -> int {
    const Str<RC>* k = detail::load<kShared>(ep0[ix].key);
    return k == key || (k->hash == hash && detail::unicode_eq(k, key));
  });
}

// unicodekeys_lookup_generic (out of line): a key that is not a str in a
// unicode table; compare_unicode_generic compares each stored str whose
// hash matches (no identity test: a str is never the key).
template <bool kShared, class Cfg>
[[gnu::noinline]] std::int64_t unicodekeys_lookup_generic(ThreadState<Cfg>* ts, const DictKeys* dk,
                                                          const Object<typename Cfg::RC>* key, std::uint64_t hash) {
  using RC = typename Cfg::RC;
  const DictUnicodeEntry<RC>* ep0 = detail::dk_entries<DictUnicodeEntry<RC>>(dk);
  return detail::do_lookup<kShared>(dk, hash, [&](std::int64_t ix) -> int {
    Str<RC>* k = detail::load<kShared>(ep0[ix].key);
    return k->hash == hash && detail::keys_equal(ts, &k->ob, key);
  });
}

// dictkeys_generic_lookup (out of line): any key in a general table;
// compare_generic: identity, else the stored hash, then a comparison.
template <bool kShared, class Cfg>
[[gnu::noinline]] std::int64_t dictkeys_generic_lookup(ThreadState<Cfg>* ts, const DictKeys* dk,
                                                       const Object<typename Cfg::RC>* key, std::uint64_t hash) {
  using RC = typename Cfg::RC;
  const DictKeyEntry<RC>* ep0 = detail::dk_entries<DictKeyEntry<RC>>(dk);
  return detail::do_lookup<kShared>(dk, hash, [&](std::int64_t ix) -> int {
    Object<RC>* k = detail::load<kShared>(ep0[ix].key);
    if (k == key) return 1;
    return detail::load<kShared>(ep0[ix].hash) == hash && detail::keys_equal(ts, k, key);
  });
}

// _Py_dict_lookup: the keys object and its kind; an exact str key in a
// unicode table goes to unicodekeys_lookup_unicode, any other key to the
// generic lookups; on a hit the value is loaded by index. The locked (or
// GIL-protected) lookup; kShared for `optimistic`'s unlocked one. `ts`
// counts the generic lookups' comparisons (null: a borrowed str lookup).
template <bool kShared, class Cfg>
[[gnu::noinline]] std::int64_t dict_lookup(ThreadState<Cfg>* ts, Dict<typename Cfg::RC>* d,
                                           const Object<typename Cfg::RC>* key, std::uint64_t hash,
                                           Object<typename Cfg::RC>** value) {
  using RC = typename Cfg::RC;
  const DictKeys* dk = detail::load<kShared>(d->keys);
  const std::uint8_t kind = dk->kind;
  std::int64_t ix;
  if (kind != kDictKeysGeneral) [[likely]] {
    if (key->type == Type::kStr) [[likely]]
      ix = unicodekeys_lookup_unicode<kShared>(dk, as<Str>(key), hash);
    else
      ix = unicodekeys_lookup_generic<kShared>(ts, dk, key, hash);
    if (ix >= 0) {
      if (kind == kDictKeysSplit) [[unlikely]]
        *value = d->values[ix];
      else
        *value = detail::load<kShared>(dk_unicode_entries<RC>(dk)[ix].value);
    } else {
      *value = nullptr;
    }
  } else {
    ix = dictkeys_generic_lookup<kShared>(ts, dk, key, hash);
    *value = ix >= 0 ? detail::load<kShared>(detail::dk_entries<DictKeyEntry<RC>>(dk)[ix].value) : nullptr;
  }
  return ix;
}

// --- 3.6's lookup -----------------------------------------------------------

// A keys object's dk_lookup. `ts` counts lookdict's comparisons (null: a
// borrowed str lookup, dict_find).
template <class Cfg>
using LookupFn36 = std::int64_t (*)(ThreadState<Cfg>* ts, Dict<typename Cfg::RC>* mp,
                                    const Object<typename Cfg::RC>* key, std::uint64_t hash,
                                    Object<typename Cfg::RC>*** value_addr, std::int64_t* hashpos);

namespace detail {
// dk_lookup is read by every reader and, once, switched by one (a lookup
// with a key that is not a str): relaxed atomics, plain moves on x86.
template <class Cfg>
[[gnu::always_inline]] inline LookupFn36<Cfg> dk_lookup(const DictKeys* dk) {
  return reinterpret_cast<LookupFn36<Cfg>>(
      std::atomic_ref<void (*)()>(const_cast<DictKeys*>(dk)->lookup).load(std::memory_order_relaxed));
}
template <class Cfg>
[[gnu::always_inline]] inline void set_dk_lookup(DictKeys* dk, LookupFn36<Cfg> f) {
  std::atomic_ref<void (*)()>(dk->lookup).store(reinterpret_cast<void (*)()>(f), std::memory_order_relaxed);
}
}  // namespace detail

// lookdict (_Py_HOT_FUNCTION), once the keys hold or were asked for a key
// that is not a str: the same probe, each entry's key compared by identity,
// then, when its hash matches, by PyObject_RichCompareBool (keys_equal).
template <bool kShared, class Cfg>
[[gnu::noinline, gnu::hot]] std::int64_t lookdict(ThreadState<Cfg>* ts, Dict<typename Cfg::RC>* mp,
                                                 const Object<typename Cfg::RC>* key, std::uint64_t hash,
                                                 Object<typename Cfg::RC>*** value_addr, std::int64_t* hashpos) {
  using E = DictKeyEntry<typename Cfg::RC>;
  const DictKeys* dk = detail::load<kShared>(mp->keys);
  const std::uint64_t mask = (std::uint64_t(1) << dk->log2_size) - 1;
  E* ep0 = detail::dk_entries<E>(dk);
  std::uint64_t i = hash & mask;
  for (std::uint64_t perturb = hash;;) {
    const std::int64_t ix = detail::dictkeys_get_index<kShared>(dk, i);
    if (ix == kDkixEmpty) {
      if (hashpos != nullptr) *hashpos = std::int64_t(i);
      *value_addr = nullptr;
      return kDkixEmpty;
    }
    E* ep = &ep0[ix];
    auto* k = detail::load<kShared>(ep->key);
    if (k == key || (detail::load<kShared>(ep->hash) == hash && detail::keys_equal(ts, k, key))) {
      if (hashpos != nullptr) *hashpos = std::int64_t(i);
      *value_addr = &ep->value;
      return ix;
    }
    perturb >>= 5;
    i = mask & ((i << 2) + i + perturb + 1);
  }
}

// lookdict_unicode_nodummy (_Py_HOT_FUNCTION), reached through dk_lookup:
// the home slot first, then the probe loop; an index and the value's
// address, or kDkixEmpty with the empty slot's position (insertdict's
// hashpos). kShared: acquire loads (an unlocked `optimistic` reader). A
// key that is not a str switches the keys to lookdict for good (3.6's
// shared empty keys, lookdict_split there, call lookdict without
// switching: they are never written).
template <bool kShared, class Cfg>
[[gnu::noinline, gnu::hot]] std::int64_t lookdict_unicode_nodummy(ThreadState<Cfg>* ts, Dict<typename Cfg::RC>* mp,
                                                                 const Object<typename Cfg::RC>* key,
                                                                 std::uint64_t hash,
                                                                 Object<typename Cfg::RC>*** value_addr,
                                                                 std::int64_t* hashpos) {
  using E = DictKeyEntry<typename Cfg::RC>;
  DictKeys* dk = detail::load<kShared>(mp->keys);
  if (key->type != Type::kStr) [[unlikely]] {
    if (dk->refcnt != detail::kImmortalKeys) detail::set_dk_lookup<Cfg>(dk, &lookdict<kShared, Cfg>);
    return lookdict<kShared, Cfg>(ts, mp, key, hash, value_addr, hashpos);
  }
  const std::uint64_t mask = (std::uint64_t(1) << dk->log2_size) - 1;
  E* ep0 = detail::dk_entries<E>(dk);
  std::uint64_t i = hash & mask;
  for (std::uint64_t perturb = hash;;) {
    const std::int64_t ix = detail::dictkeys_get_index<kShared>(dk, i);
    if (ix == kDkixEmpty) {
      if (hashpos != nullptr) *hashpos = std::int64_t(i);
      *value_addr = nullptr;
      return kDkixEmpty;
    }
    E* ep = &ep0[ix];
    const auto* k = detail::load<kShared>(ep->key);
    if (k == key ||
        (detail::load<kShared>(ep->hash) == hash && detail::unicode_eq(as<Str>(k), as<Str>(key)))) {
      if (hashpos != nullptr) *hashpos = std::int64_t(i);
      *value_addr = &ep->value;
      return ix;
    }
    perturb >>= 5;
    i = mask & ((i << 2) + i + perturb + 1);
  }
}

namespace detail {

// The keys' lookup function: 3.6's dk_lookup, none for 3.13.
template <class Cfg>
inline void (*lookup_fn())() {
  if constexpr (kDict36<Cfg>)
    return reinterpret_cast<void (*)()>(&lookdict_unicode_nodummy<kSharedFields<Cfg>, Cfg>);
  else
    return nullptr;
}

// Py_EMPTY_KEYS: size 1 (mask 0), its one slot empty, nothing usable;
// immortal and never written. One per configuration, for 3.6's lookup
// pointer.
struct EmptyDictKeys {
  DictKeys h;
  std::int8_t indices[8];
};
template <class Cfg>
inline EmptyDictKeys empty_keys = {{kImmortalKeys, 0, 3, kDictKeysUnicode, 1, 0, 0, lookup_fn<Cfg>()},
                                   {-1, -1, -1, -1, -1, -1, -1, -1}};
template <class Cfg>
[[gnu::always_inline]] inline DictKeys* empty_keys_of() {
  return &empty_keys<Cfg>.h;
}

// One bare read of `key`'s value in `d` (borrowed, or nullptr): the lookup a
// dict lock's read() runs. `ts` counts a generic lookup's comparisons
// (null: a borrowed str lookup).
template <bool kShared, class Cfg>
[[gnu::always_inline]] inline Object<typename Cfg::RC>* dict_find_value(ThreadState<Cfg>* ts,
                                                                        Dict<typename Cfg::RC>* d,
                                                                        const Object<typename Cfg::RC>* key,
                                                                        std::uint64_t hash, std::int64_t* ix_out) {
  using O = Object<typename Cfg::RC>;
  if constexpr (kDict36<Cfg>) {
    O** addr;
    const std::int64_t ix = dk_lookup<Cfg>(load<kShared>(d->keys))(ts, d, key, hash, &addr, nullptr);
    *ix_out = ix;
    return ix >= 0 ? load<kShared>(*addr) : nullptr;
  } else {
    O* v;
    *ix_out = dict_lookup<kShared>(ts, d, key, hash, &v);
    return v;
  }
}
// A lookup of a str over one given keys object, whether or not it is still
// the dict's: the value, borrowed, or nullptr. Acquire loads. For tests
// that force a reader's stale view.
template <class Cfg>
Object<typename Cfg::RC>* keys_find(const DictKeys* dk, const Str<typename Cfg::RC>* key) {
  using O = Object<typename Cfg::RC>;
  return with_entries<Cfg>(dk, [&](const auto* ep0) -> O* {
    const std::int64_t ix = do_lookup<true>(dk, key->hash, [&](std::int64_t i) -> int {
      const O* k = reinterpret_cast<const O*>(load<true>(ep0[i].key));
      return k == &key->ob || (k->type == Type::kStr && as<Str>(k)->hash == key->hash && unicode_eq(as<Str>(k), key));
    });
    return ix >= 0 ? load<true>(ep0[ix].value) : nullptr;
  });
}
}  // namespace detail

// --- the dict ---------------------------------------------------------------

template <class Cfg>
constexpr std::size_t dict_block_size() {
  return sizeof(Dict<typename Cfg::RC>) + detail::dict_tail_size<typename Cfg::DictLock>();
}

// The dict's lock state. Only for a policy with a tail.
template <class Cfg>
inline DictTail<typename Cfg::DictLock>& dict_tail(Dict<typename Cfg::RC>* d) {
  using Tail = DictTail<typename Cfg::DictLock>;
  static_assert(detail::dict_tail_size<typename Cfg::DictLock>() != 0);
  static_assert(alignof(Tail) <= alignof(Dict<typename Cfg::RC>) &&
                sizeof(Dict<typename Cfg::RC>) % alignof(Tail) == 0);
  return *std::launder(reinterpret_cast<Tail*>(d + 1));
}

template <class Cfg>
inline typename Cfg::DictLock::State& dict_lock_state(Dict<typename Cfg::RC>* d) {
  using L = typename Cfg::DictLock;
  if constexpr (detail::dict_tail_size<L>() == 0) {
    static typename L::State none;  // empty: nothing is ever read or written through it
    (void)d;
    return none;
  } else {
    return dict_tail<Cfg>(d).lock;
  }
}

namespace detail {
// new_keys_object: indices all empty, entries zeroed; 3.13's kind by
// `unicode` (3.6's keys have one layout and start with the str lookup).
template <class Cfg>
DictKeys* new_keys_object(ThreadState<Cfg>& ts, std::uint8_t log2_size, bool unicode = true) {
  const std::uint8_t kind = kDict36<Cfg> || unicode ? kDictKeysUnicode : kDictKeysGeneral;
  const std::int64_t usable = usable_fraction(std::int64_t(1) << log2_size);
  const std::uint8_t log2_bytes = index_log2_bytes(log2_size);
  // The dict-keys freelist keeps only the smallest keys objects
  // (PyDict_LOG_MINSIZE), and in 3.13 only unicode ones.
  void* kept = log2_size == kDictLogMinSize && kind == kDictKeysUnicode
                   ? pop_object_block(ts, freelists::objects::kDictKeys)
                   : nullptr;
  auto* dk = static_cast<DictKeys*>(kept != nullptr ? kept : alloc_block(ts, keys_block_size<Cfg>(log2_size, kind)));
  dk->refcnt = 1;
  dk->log2_size = log2_size;
  dk->log2_index_bytes = log2_bytes;
  dk->kind = kind;
  dk->version = 0;
  dk->usable = usable;
  dk->nentries = 0;
  dk->lookup = lookup_fn<Cfg>();
  std::memset(dk->indices(), 0xff, std::size_t(1) << log2_bytes);
  std::memset(dk->indices() + (std::size_t(1) << log2_bytes), 0, entry_size<Cfg>(kind) * std::size_t(usable));
  return dk;
}

// free_keys_object's end: a keys object of the minimum size kept on the
// dict-keys freelist when there is room, any other freed. Only keys no
// reader can still see come here: keys a shared dict outgrew go through
// QSBR and are freed when reclaimed (qsbr_reclaim), never kept, as 3.13t's
// _PyMem_FreeDelayed bypasses the freelist.
template <class Cfg>
void free_keys_block(ThreadState<Cfg>& ts, DictKeys* dk) {
  if (dk->log2_size == kDictLogMinSize && dk->kind == kDictKeysUnicode &&
      keep_object_block(ts, freelists::objects::kDictKeys, dk))
    return;
  free_block(ts, dk, keys_block_size<Cfg>(dk->log2_size, dk->kind));
}

// The dict's version tag's next value (_PyDict_NotifyEvent, no watchers:
// DICT_NEXT_VERSION with the watcher and mutation bits kept). With a GIL
// (a dict lock that needs one) a runtime-wide counter, as 3.6's and 3.13's;
// without one 3.13t's per-thread batches of 256 versions, one atomic add on
// the runtime's counter per batch (nogil-3.9's dicts get the same).
template <class Cfg>
[[gnu::always_inline]] inline std::uint64_t dict_next_version(ThreadState<Cfg>& ts) {
  constexpr std::uint64_t kIncrement = kDict36<Cfg> ? 1 : kDictVersionIncrement;
  if constexpr (Cfg::DictLock::kNeedsGil) {
    auto& g = ts.rt.dict_global_version;
    const std::uint64_t v = g.load(std::memory_order_relaxed) + kIncrement;
    g.store(v, std::memory_order_relaxed);
    return v;
  } else {
    constexpr std::uint64_t kBatch = 256 * kIncrement;
    if ((ts.dict_global_version & (kBatch - 1)) == 0) [[unlikely]]
      ts.dict_global_version = ts.rt.dict_global_version.fetch_add(kBatch, std::memory_order_relaxed) + kBatch;
    return ts.dict_global_version += kIncrement;
  }
}
template <class Cfg>
[[gnu::always_inline]] inline std::uint64_t dict_notify_event(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d) {
  if constexpr (kDict36<Cfg>)
    return dict_next_version(ts);
  else
    return dict_next_version(ts) | (d->version_tag & kDictWatcherAndModificationMask);
}

// PyObject_IS_GC: what MAINTAIN_TRACKING asks of a key and a value stored
// into an untracked dict. Out of line in both 3.13 builds (an exported
// function); a macro in 3.6.
template <class RC>
[[gnu::noinline]] bool object_is_gc_outlined(const Object<RC>* o) {
  return is_gc_type(o->type);
}
// MAINTAIN_TRACKING: the cycle collector tracks the dict once it holds
// something the collector could reach (_PyObject_GC_MAY_BE_TRACKED; an
// untracked tuple does not count). The collector is not modelled; the
// tests are.
template <class Cfg>
[[gnu::always_inline]] inline void maintain_tracking(Dict<typename Cfg::RC>* d, const Object<typename Cfg::RC>* key,
                                                     const Object<typename Cfg::RC>* value) {
  auto may_be_tracked = [](const Object<typename Cfg::RC>* o) __attribute__((always_inline)) {
    const bool gc = kDict36<Cfg> ? is_gc_type(o->type) : object_is_gc_outlined(o);
    return gc && o->type != Type::kTuple;
  };
  if (!d->gc_tracked) {
    if (may_be_tracked(key) || may_be_tracked(value)) d->gc_tracked = 1;
  }
}

// Whether this is 3.13t's build, for the function boundaries GCC chose
// differently there (runtime/config.h).
template <class Cfg>
inline constexpr bool kFreeThreadedBuild = free_threaded_build<Cfg>();

// Whether what a writer unlinks from d may still be loaded by an unlocked
// reader: under `ft313` only once the dict is shared (3.13t frees a
// private dict's old keys at once); under the other unlocked-reader
// policies always. Inside the dict's write.
template <class Cfg>
[[gnu::always_inline]] inline bool dict_read_unlocked(Dict<typename Cfg::RC>* d) {
  using L = typename Cfg::DictLock;
  if constexpr (!L::kUnlockedReaders)
    return false;
  else if constexpr (try_incref_reads<L>())
    return L::is_shared(dict_lock_state<Cfg>(d));
  else
    return true;
}

// free_keys_object: an outgrown keys object, retired to the writing
// thread's QSBR queue while unlocked readers may hold it, freed at once
// otherwise. Never the shared empty keys.
template <class Cfg>
void free_keys_object(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d, DictKeys* dk) {
  if (dk == empty_keys_of<Cfg>()) return;
  if constexpr (kUsesQsbr<Cfg>) {
    if (dict_read_unlocked<Cfg>(d)) {
      Qsbr::retire(ts.qsbr, dk, keys_block_size<Cfg>(dk->log2_size, dk->kind));
      return;
    }
  }
  free_keys_block(ts, dk);
}

// A value a store replaced: Py_XDECREF at once, as CPython (3.13t too), or,
// while unlocked readers may have loaded it, the dict's reference retired
// to QSBR (size 0: dropped, not freed, once every thread has passed a
// quiescent state). Under the lock: the retirement runs no deallocator.
template <class Cfg>
[[gnu::always_inline]] inline void release_replaced(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d,
                                                    Object<typename Cfg::RC>* old) {
  if constexpr (kUsesQsbr<Cfg>) {
    if (dict_read_unlocked<Cfg>(d)) {
      Qsbr::retire(ts.qsbr, old, 0);
      return;
    }
  }
  decref(ts, old);
}

// find_empty_slot: the first slot of the probe that is free. 3.13t never
// reuses a dummy (lock-free probes stay valid); there are none here, but
// the test is its. Out of line in 3.13's build (and 3.6's); inlined into
// insert_combined_dict in 3.13t's, where dictkeys_get_index is out of line.
template <class Cfg>
[[gnu::noinline]] std::int64_t dictkeys_get_index_outlined(const DictKeys* dk, std::uint64_t i) {
  return dictkeys_get_index<false>(dk, i);
}
template <class Cfg>
[[gnu::always_inline]] inline std::uint64_t find_empty_slot_body(const DictKeys* dk, std::uint64_t hash) {
  constexpr bool kSkipDummies = Cfg::DictLock::kUnlockedReaders;
  auto get = [dk](std::uint64_t i) __attribute__((always_inline)) {
    if constexpr (kFreeThreadedBuild<Cfg>)
      return dictkeys_get_index_outlined<Cfg>(dk, i);
    else
      return dictkeys_get_index<false>(dk, i);
  };
  const std::uint64_t mask = (std::uint64_t(1) << dk->log2_size) - 1;
  std::uint64_t i = hash & mask;
  std::int64_t ix = get(i);
  for (std::uint64_t perturb = hash; ix >= 0 || (kSkipDummies && ix == kDkixDummy);) {
    perturb >>= 5;
    i = (i * 5 + perturb + 1) & mask;
    ix = get(i);
  }
  return i;
}
template <class Cfg>
[[gnu::noinline]] std::uint64_t find_empty_slot_outlined(const DictKeys* dk, std::uint64_t hash) {
  return find_empty_slot_body<Cfg>(dk, hash);
}
template <class Cfg>
[[gnu::always_inline]] inline std::uint64_t find_empty_slot(const DictKeys* dk, std::uint64_t hash) {
  if constexpr (kFreeThreadedBuild<Cfg>)
    return find_empty_slot_body<Cfg>(dk, hash);
  else
    return find_empty_slot_outlined<Cfg>(dk, hash);
}

// build_indices_unicode / build_indices_generic (3.6: build_indices): a
// new, private keys object's index table for its first n entries.
template <class Cfg>
void build_indices(DictKeys* dk, std::int64_t n) {
  const std::uint64_t mask = (std::uint64_t(1) << dk->log2_size) - 1;
  with_entries<Cfg>(dk, [&](const auto* ep) {
    for (std::int64_t ix = 0; ix != n; ++ix, ++ep) {
      const std::uint64_t hash = entry_hash(*ep);
      std::uint64_t i = hash & mask;
      for (std::uint64_t perturb = hash; dictkeys_get_index<false>(dk, i) != kDkixEmpty;) {
        perturb >>= 5;
        i = mask & (i * 5 + perturb + 1);
      }
      dictkeys_set_index<false>(dk, i, ix);
    }
  });
}

// dictresize (out of line): a new keys object of 1 << log2_newsize slots,
// the entries copied (a memcpy: nothing is ever deleted; 3.13's unicode
// entries each given their str's hash when the table becomes general,
// `unicode` false), the indices rebuilt; published with a release store
// (set_keys), then the old keys freed or retired. 3.6 carries lookdict
// over. Inside the dict's write.
template <class Cfg>
[[gnu::noinline]] void dictresize(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d, std::uint8_t log2_newsize,
                                  bool unicode) {
  using RC = typename Cfg::RC;
  DictKeys* oldkeys = d->keys;
  if (oldkeys->kind == kDictKeysGeneral) unicode = false;
  DictKeys* newkeys = new_keys_object(ts, log2_newsize, unicode);
  const std::int64_t numentries = std::int64_t(d->used);
  if (oldkeys->nentries != numentries) [[unlikely]]
    not_modelled("dict: entries without a value (deletions are not modelled)");
  if (newkeys->kind == oldkeys->kind || kDict36<Cfg>) {
    std::memcpy(newkeys->indices() + (std::size_t(1) << newkeys->log2_index_bytes),
                oldkeys->indices() + (std::size_t(1) << oldkeys->log2_index_bytes),
                std::size_t(numentries) * entry_size<Cfg>(newkeys->kind));
  } else {  // combined unicode -> generic
    const DictUnicodeEntry<RC>* from = dk_entries<DictUnicodeEntry<RC>>(oldkeys);
    DictKeyEntry<RC>* to = dk_entries<DictKeyEntry<RC>>(newkeys);
    for (std::int64_t i = 0; i < numentries; ++i) to[i] = {from[i].key->hash, &from[i].key->ob, from[i].value};
  }
  build_indices<Cfg>(newkeys, numentries);
  if constexpr (kDict36<Cfg>) {  // the new keys are private: a plain store; the old ones' is read atomically
    constexpr LookupFn36<Cfg> kLookdict = &lookdict<kSharedFields<Cfg>, Cfg>;
    if (dk_lookup<Cfg>(oldkeys) == kLookdict) newkeys->lookup = reinterpret_cast<void (*)()>(kLookdict);
  }
  store<kSharedFields<Cfg>>(d->keys, newkeys);  // set_keys
  free_keys_object(ts, d, oldkeys);
  newkeys->usable -= numentries;
  newkeys->nentries = numentries;
}

// insertion_resize: GROWTH_RATE — 3.13's used*3, 3.6's used*2 + size/2.
template <class Cfg>
[[gnu::always_inline]] inline void insertion_resize(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d,
                                                    bool unicode = true) {
  if constexpr (kDict36<Cfg>)
    dictresize(ts, d, calculate_log2_keysize(std::int64_t(d->used * 2 + ((std::uint64_t(1) << d->keys->log2_size) >> 1))),
               unicode);
  else
    dictresize(ts, d, calculate_log2_keysize(std::int64_t(d->used * 3)), unicode);
}

// --- 3.13's stores ---

// A new key ends the keys' version (dk_version = 0). Under py313-tlbc the
// specialised forms' guards read it with no lock (runtime/py313/interp.h:
// guarded_keys), so it is 3.14t's FT_ATOMIC_STORE_UINT32_RELAXED there; a
// plain store elsewhere, as 3.13's. No other ordering is needed: the guards
// read the version and the entries from the one keys object they loaded,
// and a resize publishes a new keys object with no version at all, so no
// writer has to end a version before it publishes anything.
template <class Cfg>
[[gnu::always_inline]] inline void keys_version_reset(DictKeys* dk) {
  if constexpr (Cfg::Gen::kThreadLocalBytecode)
    std::atomic_ref<std::uint32_t>(dk->version).store(0, std::memory_order_relaxed);
  else
    dk->version = 0;
}

// insert_combined_dict (inlined into insertdict in 3.13's build, out of
// line in 3.13t's): a new key in the next entry. The entry is written
// before the index slot that names it (release stores).
template <class Cfg>
[[gnu::always_inline]] inline void insert_combined_dict_body(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d,
                                                             std::uint64_t hash, Object<typename Cfg::RC>* key,
                                                             Object<typename Cfg::RC>* value) {
  constexpr bool kShared = kSharedFields<Cfg>;
  using RC = typename Cfg::RC;
  if (d->keys->kind != kDictKeysGeneral && key->type != Type::kStr) [[unlikely]]
    insertion_resize(ts, d, false);  // the table becomes general
  if (d->keys->usable <= 0) insertion_resize(ts, d);
  const std::uint64_t new_version = dict_notify_event(ts, d);
  DictKeys* dk = d->keys;
  keys_version_reset<Cfg>(dk);
  const std::uint64_t hashpos = find_empty_slot<Cfg>(dk, hash);
  if (dk->kind != kDictKeysGeneral) [[likely]] {
    DictUnicodeEntry<RC>* ep = &dk_entries<DictUnicodeEntry<RC>>(dk)[dk->nentries];
    store<kShared>(ep->key, as<Str>(key));
    store<kShared>(ep->value, value);
  } else {
    DictKeyEntry<RC>* ep = &dk_entries<DictKeyEntry<RC>>(dk)[dk->nentries];
    store<kShared>(ep->key, key);
    store<kShared>(ep->hash, hash);
    store<kShared>(ep->value, value);
  }
  dictkeys_set_index<kShared>(dk, hashpos, dk->nentries);
  d->version_tag = new_version;
  dk->usable -= 1;
  dk->nentries += 1;
}
template <class Cfg>
[[gnu::noinline]] void insert_combined_dict_outlined(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d,
                                                     std::uint64_t hash, Object<typename Cfg::RC>* key,
                                                     Object<typename Cfg::RC>* value) {
  insert_combined_dict_body(ts, d, hash, key, value);
}
template <class Cfg>
[[gnu::always_inline]] inline void insert_combined_dict(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d,
                                                        std::uint64_t hash, Object<typename Cfg::RC>* key,
                                                        Object<typename Cfg::RC>* value) {
  if constexpr (kFreeThreadedBuild<Cfg>)
    insert_combined_dict_outlined(ts, d, hash, key, value);
  else
    insert_combined_dict_body(ts, d, hash, key, value);
}

// insertdict (3.13, out of line): consumes the references to key and
// value. The locked _Py_dict_lookup finds the key; absent, a new entry
// (insert_combined_dict makes a unicode table general for a key that is
// not a str); present, the value replaced and the old one released, the
// key's new reference dropped.
template <class Cfg>
[[gnu::noinline]] void insertdict(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d, Object<typename Cfg::RC>* key,
                                  std::uint64_t hash, Object<typename Cfg::RC>* value) {
  using RC = typename Cfg::RC;
  maintain_tracking<Cfg>(d, key, value);
  if (d->values != nullptr) [[unlikely]]
    not_modelled("dict: split tables are not modelled");
  Object<RC>* old_value = nullptr;
  const std::int64_t ix = dict_lookup<false>(&ts, d, key, hash, &old_value);  // writers are excluded: plain loads
  if (old_value == nullptr) {
    insert_combined_dict(ts, d, hash, key, value);
    d->used += 1;  // STORE_USED
    return;
  }
  if (old_value != value) {
    const std::uint64_t new_version = dict_notify_event(ts, d);
    if (d->keys->kind != kDictKeysGeneral) [[likely]]
      store<kSharedFields<Cfg>>(dk_unicode_entries<RC>(d->keys)[ix].value, value);
    else
      store<kSharedFields<Cfg>>(dk_entries<DictKeyEntry<RC>>(d->keys)[ix].value, value);
    d->version_tag = new_version;
  }
  release_replaced(ts, d, old_value);
  decref(ts, key);
}

// insert_to_emptydict (3.13, out of line in both builds): the first key of
// a dict on the empty keys: a new 8-slot keys object filled while private,
// published last (a release store), so a reader sees the empty keys or the
// whole new one.
template <class Cfg>
[[gnu::noinline]] void insert_to_emptydict(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d,
                                           Object<typename Cfg::RC>* key, std::uint64_t hash,
                                           Object<typename Cfg::RC>* value) {
  using RC = typename Cfg::RC;
  const bool unicode = key->type == Type::kStr;
  DictKeys* newkeys = new_keys_object(ts, kDictLogMinSize, unicode);
  const std::uint64_t new_version = dict_notify_event(ts, d);
  maintain_tracking<Cfg>(d, key, value);
  const std::uint64_t hashpos = hash & 7;
  dictkeys_set_index<false>(newkeys, hashpos, 0);
  if (unicode) {
    DictUnicodeEntry<RC>* ep = dk_entries<DictUnicodeEntry<RC>>(newkeys);
    ep->key = as<Str>(key);
    ep->value = value;
  } else {
    DictKeyEntry<RC>* ep = dk_entries<DictKeyEntry<RC>>(newkeys);
    ep->key = key;
    ep->hash = hash;
    ep->value = value;
  }
  d->used += 1;
  d->version_tag = new_version;
  newkeys->usable -= 1;
  newkeys->nentries += 1;
  store<kSharedFields<Cfg>>(d->keys, newkeys);
}

// --- 3.6's store ---

// insertdict (3.6): increfs key and value; one dk_lookup gives the entry
// or the empty slot's position; a new key resizes first when nothing is
// usable (find_empty_slot then switches the new keys to lookdict for a key
// that is not a str), then fills the next entry (before its index slot).
template <class Cfg>
void insertdict36(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d, Object<typename Cfg::RC>* key,
                  std::uint64_t hash, Object<typename Cfg::RC>* value) {
  using RC = typename Cfg::RC;
  using E = DictKeyEntry<RC>;
  constexpr bool kShared = kSharedFields<Cfg>;
  incref(ts, key);
  incref(ts, value);
  Object<RC>** value_addr;
  std::int64_t hashpos;
  const std::int64_t ix = dk_lookup<Cfg>(d->keys)(&ts, d, key, hash, &value_addr, &hashpos);
  maintain_tracking<Cfg>(d, key, value);
  if (ix == kDkixEmpty) {
    if (d->keys->usable <= 0) {
      insertion_resize(ts, d);
      if (key->type != Type::kStr) [[unlikely]]
        set_dk_lookup<Cfg>(d->keys, &lookdict<kShared, Cfg>);
      hashpos = std::int64_t(find_empty_slot<Cfg>(d->keys, hash));
    }
    DictKeys* dk = d->keys;
    E* ep = &dk_entries<E>(dk)[dk->nentries];
    store<kShared>(ep->key, key);
    store<kShared>(ep->hash, hash);
    store<kShared>(ep->value, value);
    dictkeys_set_index<kShared>(dk, std::uint64_t(hashpos), dk->nentries);
    d->used += 1;
    d->version_tag = dict_notify_event(ts, d);
    dk->usable -= 1;
    dk->nentries += 1;
    return;
  }
  Object<RC>* old_value = *value_addr;
  store<kShared>(*value_addr, value);
  d->version_tag = dict_notify_event(ts, d);
  release_replaced(ts, d, old_value);
  decref(ts, key);
}

// A writer other than the dict's owner marks it shared (`ft313`; 3.13.15
// does so on a resize only, ensure_shared_on_resize): the owner reads its
// own dicts unlocked without marking them, and rclab's allocators would
// hand a value this write frees at once to the next allocation while the
// owner's try-incref may still touch it. Inside the write.
template <class Cfg>
[[gnu::always_inline]] inline void mark_shared_on_foreign_write(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d) {
  using L = typename Cfg::DictLock;
  if constexpr (try_incref_reads<L>()) {
    if (!L::is_shared(dict_lock_state<Cfg>(d)) && !owned_by_this_thread(ts, &d->ob))
      L::set_shared(dict_lock_state<Cfg>(d));
  } else {
    (void)ts, (void)d;
  }
}
}  // namespace detail

// A new empty dict on the shared empty keys (PyDict_New), one reference:
// the object from the dict freelist when it has one (new_dict), else
// allocated.
template <class Cfg>
Dict<typename Cfg::RC>* dict_new(ThreadState<Cfg>& ts) {
  using RC = typename Cfg::RC;
  using L = typename Cfg::DictLock;
  static_assert(!(detail::kDict36<Cfg> && detail::try_incref_reads<L>()),
                "3.13t's lock-free reads (`ft313`) are 3.13's dict's: a py36 configuration cannot have them");
  void* block = pop_object_block(ts, freelists::objects::kDict);
  if (block == nullptr) block = alloc_block(ts, dict_block_size<Cfg>());
  auto* d = ::new (block) Dict<RC>;
  init_object(ts, &d->ob, Type::kDict);
  d->keys = detail::empty_keys_of<Cfg>();
  d->version_tag = detail::dict_next_version(ts);
  if constexpr (detail::dict_tail_size<L>() != 0) ::new (static_cast<void*>(d + 1)) DictTail<L>();
  return d;
}

// dict_new_presized (_PyDict_NewPresized, BUILD_MAP and BUILD_CONST_KEY_MAP):
// room for n entries without a resize; the empty keys up to 5 (3.13; 3.6
// sizes every presized dict); 3.13's table general unless every key to
// come is a str (`unicode`, _PyDict_FromItems).
template <class Cfg>
Dict<typename Cfg::RC>* dict_new_presized(ThreadState<Cfg>& ts, std::int64_t n, bool unicode = true) {
  Dict<typename Cfg::RC>* d = dict_new(ts);
  if (!detail::kDict36<Cfg> && n <= detail::usable_fraction(8)) return d;
  d->keys = detail::new_keys_object(ts,
                                    n > detail::usable_fraction(std::int64_t(1) << 17)
                                        ? std::uint8_t(17)
                                        : detail::estimate_log2_keysize(n),
                                    unicode);
  return d;
}

// --- lookups ------------------------------------------------------------------

// The bare lookup: the value stored under `key`, borrowed, or nullptr.
template <class Cfg>
[[gnu::always_inline]] inline Object<typename Cfg::RC>* dict_find(Dict<typename Cfg::RC>* d,
                                                                 const Str<typename Cfg::RC>* key) {
  std::int64_t ix;
  return detail::dict_find_value<detail::kSharedFields<Cfg>, Cfg>(nullptr, d, &key->ob, key->hash, &ix);
}

// A borrowed reference, or nullptr: only where the value cannot be freed
// meanwhile — no thread can replace it (set-up, teardown, tests), or
// something else owns it (frame_new's builtins: the runtime's; a class
// attribute, _PyType_Lookup). The interpreter's lookups use dict_load,
// which takes its reference inside the read.
template <class Cfg>
inline Object<typename Cfg::RC>* dict_get(Dict<typename Cfg::RC>* d, const Str<typename Cfg::RC>* key) {
  using L = typename Cfg::DictLock;
  using O = Object<typename Cfg::RC>;
  // 3.13t: a borrowed lookup (the type cache's, _PyType_Lookup; the
  // builtins a new frame takes) locks nothing; its keys object is whole.
  if constexpr (detail::try_incref_reads<L>()) return dict_find<Cfg>(d, key);
  return L::read(
      dict_lock_state<Cfg>(d), [d, key]() __attribute__((always_inline)) { return dict_find<Cfg>(d, key); },
      [](O*) __attribute__((always_inline)) {});
}

// --- 3.13t's reads (kTryIncrefReads): _Py_dict_lookup_threadsafe ----------
//
// ensure_shared_on_read; one acquire load of the keys object (its size in
// its header); unicodekeys_lookup_unicode_threadsafe's probe with acquire
// loads; on a hit the value loaded and a reference tried with the
// out-of-line _Py_TryIncrefCompare, then the keys re-checked; any failure
// — the try, the slot or the keys moved — falls back to the lookup inside
// the dict's critical section with incref_with_lock (3.13.15's
// read_failed), which marks the value so that the next unlocked try
// succeeds. A miss returns at once.

namespace detail {
// _Py_TryIncrefCompare, out of line as dictobject.c's copy is in 3.13t's
// build (counts into the thread's counters): the fast try (immortal, or
// owned by this thread), the shared try, the re-check. The decref on the
// re-check's failure is a call, as 3.13t's Py_DECREF calls out
// (_Py_DecRefShared, _Py_MergeZeroLocalRefcount) where rclab's decref
// inlines the deallocation, whose register saves would otherwise land on
// every try. A policy without these tries (or with deferred objects)
// takes try_incref_compare whole, out of line.
template <class Cfg>
[[gnu::noinline]] bool try_incref_compare_slow(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* const* slot,
                                               Object<typename Cfg::RC>* v) {
  return try_incref_compare(ts, slot, v, ts.counters.rc);
}
// The re-check's failure: the reference just taken dropped again.
template <class Cfg>
[[gnu::noinline]] void decref_outlined(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* v) {
  decref(ts, v, ts.counters.rc);
}
template <class Cfg>
[[gnu::noinline]] bool try_incref_compare_outlined(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* const* slot,
                                                   Object<typename Cfg::RC>* v) {
  using RC = typename Cfg::RC;
  if constexpr (!refcount::defers_stack_refs<RC>() &&
                requires { RC::try_incref_fast(v->rc, ts.rc); RC::try_incref_shared(v->rc); }) {
    check_alive(v, "use after free: try-incref of a deallocated object");
    if (RC::try_incref_fast(v->rc, ts.rc)) [[likely]] {  // _Py_TryIncrefFast
      ++ts.counters.rc.increfs;
      if constexpr (counts_immortal<Cfg>()) ts.counters.rc.immortal_increfs += RC::is_immortal(v->rc);
      return true;
    }
    if (!RC::try_incref_shared(v->rc)) return false;  // _Py_TryIncRefShared
    ++ts.counters.rc.increfs;
    if (load<true>(*slot) != v) [[unlikely]] {
      decref_outlined(ts, v);
      return false;
    }
    return true;
  } else {
    return try_incref_compare_slow(ts, slot, v);
  }
}
}  // namespace detail

// unicodekeys_lookup_unicode_threadsafe (_Py_HOT_FUNCTION, out of line):
// compare_unicode_unicode_threadsafe loads the stored key; identity is a
// hit; an immortal key is compared directly; a mortal one is first
// try-increfed (failure: kDkixKeyChanged), compared and decrefed.
template <class Cfg>
[[gnu::noinline, gnu::hot]] std::int64_t unicodekeys_lookup_unicode_threadsafe(ThreadState<Cfg>& ts, const DictKeys* dk,
                                                                               const Str<typename Cfg::RC>* key,
                                                                               std::uint64_t hash) {
  using RC = typename Cfg::RC;
  DictUnicodeEntry<RC>* ep0 = dk_unicode_entries<RC>(dk);
  return detail::do_lookup<true>(dk, hash, [&](std::int64_t ix) -> int {
    Str<RC>** slot = &ep0[ix].key;
    Str<RC>* startkey = detail::load<true>(*slot);
    if (startkey == key) return 1;
    if (startkey != nullptr) {
      if (RC::is_immortal(startkey->ob.rc)) return startkey->hash == hash && detail::unicode_eq(startkey, key);
      if (!detail::try_incref_compare_outlined(ts, reinterpret_cast<Object<RC>* const*>(slot), &startkey->ob))
        return int(kDkixKeyChanged);
      const bool eq = startkey->hash == hash && detail::unicode_eq(startkey, key);
      decref(ts, &startkey->ob, ts.counters.rc);
      return eq;
    }
    return 0;
  });
}

// read_failed: the lookup inside the dict's critical section, the value
// increfed with _Py_NewRefWithLock. Out of line (3.13t's is in the
// function; this path is cold).
template <class Cfg>
[[gnu::noinline]] std::int64_t dict_lookup_locked(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d,
                                                  const Object<typename Cfg::RC>* key, std::uint64_t hash,
                                                  Object<typename Cfg::RC>** value) {
  using L = typename Cfg::DictLock;
  using O = Object<typename Cfg::RC>;
  ++ts.counters.dict_locked_reads;
  std::int64_t ix = kDkixEmpty;
  *value = L::read(  // the policy's own read is this locked lookup (dictlock/ft313.h)
      dict_lock_state<Cfg>(d),
      [&ts, d, key, hash, &ix] { return detail::dict_find_value<false, Cfg>(&ts, d, key, hash, &ix); },
      [&](O* v) {
        if (v != nullptr) incref_with_lock(ts, v, ts.counters.rc);
      });
  return ix;
}

template <class Cfg>
[[gnu::noinline]] void dict_mark_shared(Dict<typename Cfg::RC>* d) {
  using L = typename Cfg::DictLock;
  auto& s = dict_lock_state<Cfg>(d);
  L::write(s, [&] {
    if (!L::is_shared(s)) L::set_shared(s);
  });
}

// The generic half of 3.13t's _Py_dict_lookup_threadsafe: a key that is
// not a str, or a general table. compare_unicode_generic_threadsafe
// try-increfs every stored str it probes, then compares when the hash
// matches; compare_generic_threadsafe tests identity, then the stored hash,
// then try-increfs and compares; both re-check the keys object and the
// entry's key after the comparison. The value is taken as for str keys
// (_Py_TryXGetRef, then the keys re-checked); any failure reads inside the
// critical section (read_failed). Out of line.
template <class Cfg>
[[gnu::noinline]] std::int64_t dict_lookup_threadsafe_generic(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d,
                                                              const DictKeys* dk, const Object<typename Cfg::RC>* key,
                                                              std::uint64_t hash, Object<typename Cfg::RC>** value) {
  using RC = typename Cfg::RC;
  using O = Object<RC>;
  // A reference to the stored key, compared, dropped; kDkixKeyChanged when
  // the try fails or the dict moved meanwhile.
  auto compare = [&](O* const* kslot, O* startkey) -> int {
    if (!detail::try_incref_compare_outlined(ts, kslot, startkey)) return int(kDkixKeyChanged);
    const bool eq = rich_compare_bool(ts, startkey, const_cast<O*>(key), kEq);
    decref(ts, startkey, ts.counters.rc);
    if (dk != detail::load<true>(d->keys) || startkey != detail::load<true>(*kslot)) return int(kDkixKeyChanged);
    return eq;
  };
  std::int64_t ix;
  O* const* slot;
  if (dk->kind == kDictKeysGeneral) {
    DictKeyEntry<RC>* ep0 = detail::dk_entries<DictKeyEntry<RC>>(dk);
    ix = detail::do_lookup<true>(dk, hash, [&](std::int64_t i) -> int {
      O* startkey = detail::load<true>(ep0[i].key);
      if (startkey == key) return 1;
      if (detail::load<true>(ep0[i].hash) != hash) return 0;
      if (startkey == nullptr) return int(kDkixKeyChanged);
      return compare(&ep0[i].key, startkey);
    });
    slot = ix >= 0 ? &ep0[ix].value : nullptr;
  } else {
    if (dk->kind == kDictKeysSplit) [[unlikely]]
      not_modelled("dict: a key that is not a str in a class's shared keys");
    DictUnicodeEntry<RC>* ep0 = dk_unicode_entries<RC>(dk);
    ix = detail::do_lookup<true>(dk, hash, [&](std::int64_t i) -> int {
      Str<RC>* startkey = detail::load<true>(ep0[i].key);
      if (startkey == nullptr) return 0;
      O* const* kslot = reinterpret_cast<O* const*>(&ep0[i].key);
      if (startkey->hash == hash) return compare(kslot, &startkey->ob);
      if (!detail::try_incref_compare_outlined(ts, kslot, &startkey->ob)) return int(kDkixKeyChanged);
      decref(ts, &startkey->ob, ts.counters.rc);
      return 0;
    });
    slot = ix >= 0 ? &ep0[ix].value : nullptr;
  }
  if (ix == kDkixKeyChanged) [[unlikely]]
    return dict_lookup_locked(ts, d, key, hash, value);
  if (ix < 0) {
    *value = nullptr;
    return ix;
  }
  O* v = detail::load<true>(*slot);
  if (v == nullptr || !detail::try_incref_compare_outlined(ts, slot, v)) [[unlikely]]
    return dict_lookup_locked(ts, d, key, hash, value);
  if (dk != detail::load<true>(d->keys)) [[unlikely]] {
    decref(ts, v, ts.counters.rc);
    return dict_lookup_locked(ts, d, key, hash, value);
  }
  *value = v;
  return ix;
}

// _Py_dict_lookup_threadsafe: an index, and a new stack reference to the
// value in *value (nullptr when absent). 3.13t's under `ft313`; otherwise
// 3.13's (_Py_dict_lookup, then Py_XNewRef), through the dict lock, which
// takes the reference where it knows the value alive (inside the lock, or
// after validation for unlocked readers). Out of line, as both builds'.
template <class Cfg>
[[gnu::noinline]] std::int64_t dict_lookup_threadsafe(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d,
                                                      const Object<typename Cfg::RC>* key, std::uint64_t hash,
                                                      Object<typename Cfg::RC>** value) {
  using L = typename Cfg::DictLock;
  using RC = typename Cfg::RC;
  using O = Object<RC>;
  static_assert(!detail::kDict36<Cfg>, "3.6 reads through dk_lookup, not _Py_dict_lookup_threadsafe");
  if constexpr (detail::try_incref_reads<L>()) {
    if (!owned_by_this_thread(ts, &d->ob) && !L::is_shared(dict_lock_state<Cfg>(d))) [[unlikely]]
      dict_mark_shared<Cfg>(d);  // ensure_shared_on_read
    const DictKeys* dk = detail::load<true>(d->keys);
    const std::uint8_t kind = dk->kind;
    if (kind == kDictKeysGeneral || key->type != Type::kStr) [[unlikely]]
      return dict_lookup_threadsafe_generic(ts, d, dk, key, hash, value);
    const std::int64_t ix = unicodekeys_lookup_unicode_threadsafe(ts, dk, as<Str>(key), hash);
    if (ix == kDkixKeyChanged) [[unlikely]]
      return dict_lookup_locked(ts, d, key, hash, value);
    if (ix < 0) {
      *value = nullptr;
      return ix;
    }
    if (kind == kDictKeysSplit) [[unlikely]]
      return dict_lookup_locked(ts, d, key, hash, value);
    O* const* slot = &dk_unicode_entries<RC>(dk)[ix].value;  // _Py_TryXGetRef
    O* v = detail::load<true>(*slot);
    if (v == nullptr || !detail::try_incref_compare_outlined(ts, slot, v)) [[unlikely]]
      return dict_lookup_locked(ts, d, key, hash, value);
    if (dk != detail::load<true>(d->keys)) [[unlikely]] {
      decref(ts, v, ts.counters.rc);
      return dict_lookup_locked(ts, d, key, hash, value);
    }
    *value = v;
    return ix;
  } else {
    constexpr bool kShared = detail::kSharedFields<Cfg>;
    std::int64_t ix = kDkixEmpty;
    *value = L::read(
        dict_lock_state<Cfg>(d),
        [&ts, d, key, hash, &ix]() __attribute__((always_inline)) {
          O* v;
          ix = dict_lookup<kShared>(&ts, d, key, hash, &v);
          return v;
        },
        [&](O* v) __attribute__((always_inline)) {
          if (v != nullptr) incref_stack(ts, v, ts.counters.rc);  // Py_XNewRef
        });
    return ix;
  }
}

namespace detail {
// 3.6's reads: dk_lookup through the dict lock, the reference taken inside
// the read (PyDict_GetItem + Py_INCREF; _PyDict_LoadGlobal's caller's
// Py_INCREF). Inline.
template <class Cfg>
[[gnu::always_inline]] inline Object<typename Cfg::RC>* dict_read36(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d,
                                                                   const Object<typename Cfg::RC>* key,
                                                                   std::uint64_t hash, Tally& t) {
  using L = typename Cfg::DictLock;
  using O = Object<typename Cfg::RC>;
  constexpr bool kShared = kSharedFields<Cfg>;
  return L::read(
      dict_lock_state<Cfg>(d),
      [&ts, d, key, hash]() __attribute__((always_inline)) {
        std::int64_t ix;
        return dict_find_value<kShared, Cfg>(&ts, d, key, hash, &ix);
      },
      [&](O* v) __attribute__((always_inline)) {
        if (v != nullptr) incref_stack(ts, v, t);
      });
}
}  // namespace detail

// _PyDict_GetItemRef_KnownHash (3.13, out of line): a new stack reference
// or nullptr. 3.13t's reads lock-free (_Py_dict_lookup_threadsafe); 3.13's
// _Py_dict_lookup and Py_NewRef, through the dict lock.
template <class Cfg>
[[gnu::noinline]] Object<typename Cfg::RC>* dict_get_item_ref_known_hash(ThreadState<Cfg>& ts,
                                                                         Dict<typename Cfg::RC>* d,
                                                                         const Object<typename Cfg::RC>* key,
                                                                         std::uint64_t hash) {
  using L = typename Cfg::DictLock;
  using O = Object<typename Cfg::RC>;
  if constexpr (detail::try_incref_reads<L>()) {
    O* v;
    dict_lookup_threadsafe(ts, d, key, hash, &v);
    return v;
  } else {
    constexpr bool kShared = detail::kSharedFields<Cfg>;
    return L::read(
        dict_lock_state<Cfg>(d),
        [&ts, d, key, hash]() __attribute__((always_inline)) {
          O* v;
          dict_lookup<kShared>(&ts, d, key, hash, &v);
          return v;
        },
        [&](O* v) __attribute__((always_inline)) {
          if (v != nullptr) incref_stack(ts, v, ts.counters.rc);  // Py_NewRef
        });
  }
}

// PyDict_GetItemRef (3.13, out of line): the exact-dict check, the key's
// hash (_PyObject_HashFast), then _PyDict_GetItemRef_KnownHash.
template <class Cfg>
[[gnu::noinline]] Object<typename Cfg::RC>* dict_get_item_ref(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d,
                                                              const Object<typename Cfg::RC>* key) {
  if (d->ob.type != Type::kDict) [[unlikely]]
    fatal("SystemError: PyDict_GetItemRef on a non-dict");
  return dict_get_item_ref_known_hash(ts, d, key, detail::hash_fast<Cfg>(key));
}
template <class Cfg>
[[gnu::always_inline]] inline Object<typename Cfg::RC>* dict_get_item_ref(ThreadState<Cfg>& ts,
                                                                         Dict<typename Cfg::RC>* d,
                                                                         const Str<typename Cfg::RC>* key) {
  return dict_get_item_ref(ts, d, &key->ob);
}

// One read of `key` with a new stack reference to its value (incref_stack),
// or nullptr: 3.13's PyDict_GetItemRef (counted in the thread's counters;
// `t` is unused), 3.6's PyDict_GetItem + Py_INCREF inline (tallied in t).
template <class Cfg>
[[gnu::always_inline]] inline Object<typename Cfg::RC>* dict_load(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d,
                                                                  const Object<typename Cfg::RC>* key, Tally& t) {
  if constexpr (detail::kDict36<Cfg>) {
    return detail::dict_read36(ts, d, key, detail::hash_fast<Cfg>(key), t);
  } else {
    (void)t;
    return dict_get_item_ref(ts, d, key);
  }
}
template <class Cfg>
[[gnu::always_inline]] inline Object<typename Cfg::RC>* dict_load(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d,
                                                                  const Str<typename Cfg::RC>* key, Tally& t) {
  return dict_load(ts, d, &key->ob, t);
}

// dict_subscript (mp_subscript, 3.13): the key's hash, one
// _Py_dict_lookup_threadsafe. A new stack reference, or null when the key
// is absent: the caller raises the KeyError (runtime/py313/interp.h).
template <class Cfg>
[[gnu::noinline]] Object<typename Cfg::RC>* dict_subscript(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d,
                                                           const Object<typename Cfg::RC>* key) {
  const std::uint64_t hash = detail::hash_fast<Cfg>(key);
  Object<typename Cfg::RC>* v;
  const std::int64_t ix = dict_lookup_threadsafe(ts, d, key, hash, &v);
  if (ix == kDkixEmpty || v == nullptr) [[unlikely]]
    return nullptr;
  return v;
}

// _PyDict_LoadGlobal (out of line): the name's hash once, then globals and,
// when absent there, builtins; a new stack reference or nullptr. 3.13:
// _Py_dict_lookup_threadsafe on each; 3.6: each namespace's dk_lookup,
// through its dict lock. Counts go to the thread's counters.
template <class Cfg>
[[gnu::noinline]] Object<typename Cfg::RC>* dict_load_global(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* globals,
                                                             Dict<typename Cfg::RC>* builtins,
                                                             const Str<typename Cfg::RC>* key) {
  using O = Object<typename Cfg::RC>;
  const std::uint64_t hash = detail::hash_fast<Cfg>(&key->ob);
  if constexpr (detail::kDict36<Cfg>) {
    if (O* v = detail::dict_read36(ts, globals, &key->ob, hash, ts.counters.rc)) return v;
    return detail::dict_read36(ts, builtins, &key->ob, hash, ts.counters.rc);
  } else {
    O* v;
    const std::int64_t ix = dict_lookup_threadsafe(ts, globals, &key->ob, hash, &v);
    if (ix != kDkixEmpty && v != nullptr) return v;
    dict_lookup_threadsafe(ts, builtins, &key->ob, hash, &v);
    return v;
  }
}

// --- shared keys (split tables' keys: a class's instances) -------------------
//
// A heap class keeps its instances' attribute names in a DICT_KEYS_SPLIT
// keys object (ht_cached_keys): 64 index slots, at most 30 names, entries
// {name, null} in the order instances first stored them; the entry's index
// is the attribute's slot in every instance's inline values. Readers probe
// it lock-free (3.13t: unicodekeys_lookup_unicode_threadsafe); a new name
// is added under a lock (3.13t's dk_mutex; here the runtime's type lock,
// which the caller holds), its entry stored before its index slot.

// _PyDict_NewKeysForClass.
template <class Cfg>
DictKeys* new_split_keys(ThreadState<Cfg>& ts) {
  DictKeys* dk = detail::new_keys_object(ts, 6);  // NEXT_LOG2_SHARED_KEYS_MAX_SIZE
  dk->usable = 30;                                // SHARED_KEYS_MAX_SIZE
  dk->kind = kDictKeysSplit;
  return dk;
}
template <class Cfg>
void free_split_keys(ThreadState<Cfg>& ts, DictKeys* dk) {
  detail::free_keys_block(ts, dk);
}

// _PyDictKeys_StringLookupSplit (out of line) -> unicodekeys_lookup_split:
// the entry index of `name`, or kDkixEmpty. 3.13t: the lock-free probe,
// and on kDkixKeyChanged the plain one under the keys' lock (here: with
// every key an interned, immortal str it is never taken).
template <class Cfg>
[[gnu::noinline]] std::int64_t dict_keys_string_lookup_split(ThreadState<Cfg>& ts, const DictKeys* dk,
                                                             const Str<typename Cfg::RC>* name) {
  const std::uint64_t hash = name->hash;  // unicode_get_hash
  if constexpr (free_threaded_build<Cfg>()) {
    std::int64_t ix = unicodekeys_lookup_unicode_threadsafe(ts, dk, name, hash);
    if (ix == kDkixKeyChanged) [[unlikely]] {
      std::lock_guard g(ts.rt.gen.type_lock);
      ix = unicodekeys_lookup_unicode<false>(dk, name, hash);
    }
    return ix;
  } else {
    (void)ts;
    return unicodekeys_lookup_unicode<detail::kSharedFields<Cfg>>(dk, name, hash);
  }
}

// insert_split_key: the entry index of `name` in a class's shared keys,
// added when absent and there is room (a new key resets the keys' version
// and calls on_new_key, under the lock), or kDkixEmpty when full. 3.13t
// first probes the keys without a lock (unicodekeys_lookup_unicode_
// threadsafe), so a store to an attribute the class's instances already
// have takes none; the rest runs under LOCK_KEYS (the keys' dk_mutex in
// 3.13t, nothing under the GIL; here the one type lock in every build).
template <class Cfg, class F>
std::int64_t insert_split_key(ThreadState<Cfg>& ts, DictKeys* dk, Str<typename Cfg::RC>* name, F&& on_new_key) {
  using E = DictUnicodeEntry<typename Cfg::RC>;
  const std::uint64_t hash = name->hash;
  if constexpr (free_threaded_build<Cfg>()) {
    const std::int64_t ix = unicodekeys_lookup_unicode_threadsafe(ts, dk, name, hash);
    if (ix >= 0) return ix;
  }
  std::lock_guard g(ts.rt.gen.type_lock);
  std::int64_t ix = unicodekeys_lookup_unicode<false>(dk, name, hash);
  if (ix == kDkixEmpty && dk->usable > 0) {
    dk->version = 0;
    const std::uint64_t hashpos = detail::find_empty_slot<Cfg>(dk, hash);
    ix = dk->nentries;
    detail::store<true>(detail::dk_entries<E>(dk)[ix].key, name);  // STORE_SHARED_KEY, before its slot
    detail::dictkeys_set_index<true>(dk, hashpos, ix);
    dk->usable -= 1;  // split_keys_entry_added
    dk->nentries += 1;
    on_new_key();
  }
  return ix;
}

// --- updates ----------------------------------------------------------------

// _PyDict_SetItem_Take2 (3.13, out of line): the caller's references to
// key and value move in; inside the dict's write (3.13t's critical
// section), setitem_take2_lock_held: the hash, then insert_to_emptydict on
// the empty keys, else insertdict.
template <class Cfg>
[[gnu::noinline]] void dict_set_take2(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d, Object<typename Cfg::RC>* key,
                                      Object<typename Cfg::RC>* value) {
  using L = typename Cfg::DictLock;
  static_assert(!detail::kDict36<Cfg>, "3.6 has no _PyDict_SetItem_Take2");
  L::write(dict_lock_state<Cfg>(d), [&] {
    detail::mark_shared_on_foreign_write(ts, d);
    const std::uint64_t hash = detail::hash_fast<Cfg>(key);
    if (d->keys == detail::empty_keys_of<Cfg>())
      detail::insert_to_emptydict(ts, d, key, hash, value);
    else
      detail::insertdict(ts, d, key, hash, value);
  });
}
template <class Cfg>
[[gnu::always_inline]] inline void dict_set_take2(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d,
                                                  Str<typename Cfg::RC>* key, Object<typename Cfg::RC>* value) {
  dict_set_take2(ts, d, &key->ob, value);
}

// PyDict_SetItem (out of line): new references to key and value. 3.13:
// Py_NewRef both, then _PyDict_SetItem_Take2; 3.6: the hash, then
// insertdict (which increfs) inside the dict's write.
template <class Cfg>
[[gnu::noinline]] void dict_set(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d, Object<typename Cfg::RC>* key,
                                Object<typename Cfg::RC>* value) {
  using L = typename Cfg::DictLock;
  if (d->ob.type != Type::kDict) [[unlikely]]
    fatal("SystemError: PyDict_SetItem on a non-dict");
  if constexpr (detail::kDict36<Cfg>) {
    const std::uint64_t hash = detail::hash_fast<Cfg>(key);
    L::write(dict_lock_state<Cfg>(d), [&] {
      detail::mark_shared_on_foreign_write(ts, d);
      detail::insertdict36(ts, d, key, hash, value);
    });
  } else {
    incref(ts, key);
    incref(ts, value);
    dict_set_take2(ts, d, key, value);
  }
}
template <class Cfg>
[[gnu::always_inline]] inline void dict_set(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d,
                                            Str<typename Cfg::RC>* key, Object<typename Cfg::RC>* value) {
  dict_set(ts, d, &key->ob, value);
}

// Every entry of a dict whose keys are all strs (a namespace, a keyword
// dict), in insertion order, as f(key, value), unlocked: set-up, teardown
// and tests only (no other thread may write the dict meanwhile).
template <class Cfg, class F>
void dict_for_each(Dict<typename Cfg::RC>* d, F&& f) {
  const DictKeys* dk = d->keys;
  detail::with_entries<Cfg>(dk, [&](const auto* ep) {
    for (std::int64_t i = 0; i < dk->nentries; ++i) {
      Object<typename Cfg::RC>* k = detail::entry_key(ep[i]);
      if (k == nullptr || ep[i].value == nullptr) continue;
      if (k->type != Type::kStr) fatal("dict_for_each: a key that is not a str");
      f(as<Str>(k), ep[i].value);
    }
  });
}

// The dict's deallocation: drop_refs releases every key and value (the
// entries emptied), free_storage frees the keys object (runtime/dealloc.h).
template <class Cfg>
void dict_drop_refs(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d) {
  DictKeys* dk = d->keys;
  detail::with_entries<Cfg>(dk, [&](auto* ep) {
    for (std::int64_t i = 0; i < dk->nentries; ++i) {
      if (Object<typename Cfg::RC>* k = detail::entry_key(ep[i])) {
        ep[i].key = nullptr;
        decref(ts, k);
      }
      if (ep[i].value != nullptr) decref(ts, std::exchange(ep[i].value, nullptr));
    }
  });
  d->used = 0;
}
template <class Cfg>
void dict_free_keys(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d) {
  if (d->keys != detail::empty_keys_of<Cfg>()) detail::free_keys_block(ts, d->keys);
  d->keys = detail::empty_keys_of<Cfg>();
}

// PyDict_Clear: the dict goes back to the empty keys; the old entries are
// released and their keys object freed outside the lock (the decrefs may
// run deallocators). The caller guarantees no other thread is reading or
// writing the dict (rclab calls it only at shutdown, after every worker is
// joined). Module teardown does this to the globals, which otherwise stay
// alive through the cycle globals -> function -> globals (rclab has no
// cycle collector).
template <class Cfg>
void dict_clear(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d) {
  using L = typename Cfg::DictLock;
  DictKeys* old = nullptr;
  L::write(dict_lock_state<Cfg>(d), [&] {
    old = d->keys;
    detail::store<detail::kSharedFields<Cfg>>(d->keys, detail::empty_keys_of<Cfg>());
    d->used = 0;
    d->version_tag = detail::dict_notify_event(ts, d);
  });
  if (old == detail::empty_keys_of<Cfg>()) return;
  detail::with_entries<Cfg>(old, [&](const auto* ep) {
    for (std::int64_t i = 0; i < old->nentries; ++i) {
      if (Object<typename Cfg::RC>* k = detail::entry_key(ep[i])) decref(ts, k);
      if (ep[i].value != nullptr) decref(ts, ep[i].value);
    }
  });
  detail::free_keys_block(ts, old);
}

}  // namespace rclab::runtime
