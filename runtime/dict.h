// Dicts (dictobject.c), as much as module namespaces need: keys are strs,
// open addressing with CPython's probe sequence. Free functions over the
// object layout; Runtime's dict members forward here.
//
// Every lookup and update goes through the configuration's dict lock
// (Cfg::DictLock, dictlock/policy.h): `none` runs them bare, as under a GIL;
// `recursive` inside the dict's lock; `optimistic` lets lookups run
// unlocked beside a writer and validates them.
//
// The lock's per-dict state follows the Dict in its block (DictTail), as a
// Str's bytes follow the Str: Dict<RC> keeps its layout, every pointer to a
// dict keeps its type, and a policy with an empty State (`none`) adds no
// byte, so `none` allocates, reads and writes exactly what a dict without a
// policy would.
//
// Unlocked readers (kUnlockedReaders, `optimistic`) — the invariant:
//   every pointer a reader can load from a dict (a table, a key, a value)
//   stays valid until every thread has passed a quiescent state after it
//   was unlinked (QSBR: common/qsbr.h, runtime/qsbr.h).
// It holds because a writer never frees what it unlinks: keys are never
// removed (no deletions); a value it replaces keeps the dict's reference,
// which is retired to the writing thread's QSBR queue and dropped once
// every attached thread has passed an eval-breaker check; a table it
// outgrows is retired whole (and tables only grow). So even a lookup on a
// stale or half-updated view dereferences live memory (a torn view is then
// rejected by the version check), and the reader's incref after validation
// counts an object the dict or a QSBR queue still holds: never a freed one.
// Fields readers load are stored with release and loaded with acquire
// (dictlock/optimistic.h).
//
// Where this differs from 3.13t: 3.13t frees outgrown keys through QSBR as
// here, but drops a replaced value at once, and its readers' try-incref
// (_Py_TryIncrefCompare) fails on an object whose count reached zero and
// re-checks the slot; that is safe there because mimalloc keeps freed
// object memory in pages of the same kind until QSBR allows otherwise.
// rclab's allocators reuse a freed block at once, so the value's last
// reference is what is delayed instead: the reader's incref never meets a
// freed object, at the cost of the value living a few eval-breaker checks
// longer.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>

#include "freelists/objects.h"
#include "runtime/counters.h"
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

// A table's block. Under a policy whose readers hold no version to
// validate with (kTryIncrefReads, `ft313`), the table carries its own mask
// in a word before its first entry, as 3.13's keys object carries
// dk_log2_size: one acquire load of the dict's table pointer then gives a
// reader a table and a mask that belong together. Other policies read the
// dict's mask field and their tables have no header (the same blocks as
// before).
template <class L>
constexpr std::size_t table_header() {
  return try_incref_reads<L>() ? sizeof(std::uint64_t) : 0;
}
template <class L, class Entry>
constexpr std::size_t table_block_size(std::uint64_t cap) {
  return table_header<L>() + cap * sizeof(Entry);
}
template <class L, class Entry>
inline void* table_block(Entry* table) {
  return reinterpret_cast<char*>(table) - table_header<L>();
}
template <class L, class Entry>
inline std::uint64_t table_mask(const Entry* table) {
  static_assert(try_incref_reads<L>());
  return reinterpret_cast<const std::uint64_t*>(table)[-1];
}

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

// PyDict_MINSIZE: a new dict's table, and the only size the object
// freelists keep (3.13 keeps keys objects of this size only).
inline constexpr std::uint64_t kDictMinSize = freelists::objects::kDictKeysSlots;

// A new table of cap empty slots, with its header where the policy has one;
// one of the minimum size from the dict-keys freelist when it has one
// (new_keys_object).
template <class Cfg>
typename Dict<typename Cfg::RC>::Entry* dict_table_new(ThreadState<Cfg>& ts, std::uint64_t cap) {
  using L = typename Cfg::DictLock;
  using Entry = typename Dict<typename Cfg::RC>::Entry;
  void* kept = cap == kDictMinSize ? pop_object_block(ts, freelists::objects::kDictKeys) : nullptr;
  char* block = static_cast<char*>(kept != nullptr ? kept : alloc_block(ts, detail::table_block_size<L, Entry>(cap)));
  if constexpr (detail::table_header<L>() != 0) *reinterpret_cast<std::uint64_t*>(block) = cap - 1;
  auto* table = reinterpret_cast<Entry*>(block + detail::table_header<L>());
  for (std::uint64_t i = 0; i < cap; ++i) table[i] = {0, nullptr, nullptr};
  return table;
}

// free_keys_object: a table of the minimum size is kept on the dict-keys
// freelist when there is room, any other freed. Only tables no reader can
// still see come here: one a shared dict outgrew goes through QSBR and is
// freed when reclaimed (qsbr_reclaim), never kept, as 3.13t's
// _PyMem_FreeDelayed bypasses the freelist.
template <class Cfg>
void dict_table_free(ThreadState<Cfg>& ts, typename Dict<typename Cfg::RC>::Entry* table, std::uint64_t cap) {
  using L = typename Cfg::DictLock;
  using Entry = typename Dict<typename Cfg::RC>::Entry;
  void* block = detail::table_block<L>(table);
  if (cap == kDictMinSize && keep_object_block(ts, freelists::objects::kDictKeys, block)) return;
  free_block(ts, block, detail::table_block_size<L, Entry>(cap));
}

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

// A new empty dict, with one reference: the object from the dict freelist
// when it has one (new_dict), else allocated.
template <class Cfg>
Dict<typename Cfg::RC>* dict_new(ThreadState<Cfg>& ts) {
  using RC = typename Cfg::RC;
  using L = typename Cfg::DictLock;
  void* block = pop_object_block(ts, freelists::objects::kDict);
  if (block == nullptr) block = alloc_block(ts, dict_block_size<Cfg>());
  auto* d = ::new (block) Dict<RC>;  // default members: keys version 0
  init_object(ts, &d->ob, Type::kDict);
  d->table = dict_table_new(ts, kDictMinSize);
  d->mask = kDictMinSize - 1;
  d->used = 0;
  if constexpr (detail::dict_tail_size<L>() != 0) ::new (static_cast<void*>(d + 1)) DictTail<L>();
  return d;
}

// --- lookups ----------------------------------------------------------------
//
// A lookup loads the dict's mask and table and makes one out-of-line call
// with them: dict_lookup(table, mask, key) probes the key's home slot and
// goes on to dict_lookup_slow only when it is not there. This is exactly
// the code GCC made of the original inline dict_get (its clone
// dict_get.isra.0 took table, mask and key, and so did dict_get_slow's),
// written out so that the `none` path's lookup stays what it was whatever
// the inliner decides for the eval loop. Every policy shares it, so two
// policies differ only in what they do around the lookup.
//
// For unlocked readers every field is loaded with acquire, the mask before
// the table (writers store the table first, and tables only grow, so the
// mask never indexes past the table it is used with), and the probe is
// bounded: see dict_lookup_slow.

template <bool kShared, class RC>
Object<RC>* dict_lookup_slow(const typename Dict<RC>::Entry* table, std::uint64_t mask, Str<RC>* key);

// The entry holding `key`, or nullptr: CPython's probe over one (table,
// mask) view, every field loaded with acquire, for readers that run
// unlocked. The bound is dict_lookup_slow's (below): a torn view
// (`optimistic`'s, rejected afterwards by its version check) may hold no
// empty slot; a whole one (`ft313`'s) meets one first.
template <class RC>
[[gnu::noinline]] const typename Dict<RC>::Entry* dict_lookup_entry(const typename Dict<RC>::Entry* table,
                                                                   std::uint64_t mask, Str<RC>* key) {
  const std::uint64_t h = key->hash;
  std::uint64_t perturb = h;
  std::uint64_t i = h & mask;
  for (std::uint64_t n = 0; n <= mask + 13; ++n) {
    const auto& e = table[i];
    Str<RC>* k = detail::load<true>(e.key);
    if (k == nullptr) return nullptr;
    if (k == key || (detail::load<true>(e.hash) == h && k->view() == key->view())) return &e;
    perturb >>= 5;
    i = (i * 5 + perturb + 1) & mask;
  }
  return nullptr;
}

template <bool kShared, class RC>
[[gnu::noinline]] Object<RC>* dict_lookup(const typename Dict<RC>::Entry* table, std::uint64_t mask,
                                          Str<RC>* key) {
  // An interned name usually sits in its home slot.
  const auto& home = table[key->hash & mask];
  if (detail::load<kShared>(home.key) == key) [[likely]]
    return detail::load<kShared>(home.value);
  return dict_lookup_slow<kShared>(table, mask, key);
}

// CPython's probe sequence over one (table, mask) view. A locked (or
// GIL-protected) view always has an empty slot. An unlocked reader's view
// may be torn — a newer table with an older mask — and hold none where it
// looks: in a consistent view an empty slot comes within mask + 14 probes
// (perturb is 0 after 13 shifts of a 64-bit hash; from then on i = 5i + 1
// mod 2^k visits every slot, and the load stays under 2/3), so the bound
// ends the loop on a torn view, which the version check then rejects.
template <bool kShared, class RC>
[[gnu::noinline]] Object<RC>* dict_lookup_slow(const typename Dict<RC>::Entry* table, std::uint64_t mask,
                                               Str<RC>* key) {
  const std::uint64_t h = key->hash;
  if constexpr (!kShared) {
    auto* e = detail::dict_probe(table, mask, h, [&](const auto& e) {
      return e.key == key || (e.hash == h && e.key->view() == key->view());
    });
    return e->key == nullptr ? nullptr : e->value;
  } else {
    const auto* e = dict_lookup_entry<RC>(table, mask, key);
    return e == nullptr ? nullptr : detail::load<true>(e->value);
  }
}

// The bare lookup: the value stored under `key`, or nullptr.
template <class L, class RC>
[[gnu::always_inline]] inline Object<RC>* dict_find(Dict<RC>* d, Str<RC>* key) {
  constexpr bool kShared = L::kUnlockedReaders;
  if constexpr (detail::try_incref_reads<L>()) {  // one load gives the table and its mask
    const auto* table = detail::load<true>(d->table);
    return dict_lookup<true>(table, detail::table_mask<L>(table), key);
  }
  const std::uint64_t mask = detail::load<kShared>(d->mask);
  const auto* table = detail::load<kShared>(d->table);
  return dict_lookup<kShared>(table, mask, key);
}

// A borrowed reference, or nullptr: only where the value cannot be freed
// meanwhile — no thread can replace it (set-up, teardown, tests), or
// something else owns it (frame_new's builtins: the runtime's). The
// interpreter's lookups use dict_load, which takes its reference inside
// the read.
template <class Cfg>
inline Object<typename Cfg::RC>* dict_get(Dict<typename Cfg::RC>* d, Str<typename Cfg::RC>* key) {
  using L = typename Cfg::DictLock;
  using O = Object<typename Cfg::RC>;
  // 3.13t: a borrowed lookup (the type cache's, _PyType_Lookup; the
  // builtins a new frame takes) locks nothing; its table view is whole.
  if constexpr (detail::try_incref_reads<L>()) return dict_find<L>(d, key);
  return L::read(
      dict_lock_state<Cfg>(d), [d, key]() __attribute__((always_inline)) { return dict_find<L>(d, key); },
      [](O*) __attribute__((always_inline)) {});
}

// --- 3.13t's reads (kTryIncrefReads): _Py_dict_lookup_threadsafe ----------
//
// ensure_shared_on_read; one acquire load of the table (its mask in its
// header); the probe with acquire loads; on a hit the value loaded and a
// reference tried with try_incref_compare (runtime/object_ops.h), then the
// table re-checked; any failure — the try, the slot or the table moved —
// falls back to the lookup inside the dict's critical section with
// incref_with_lock (3.13.15's read_failed), which marks the value so that
// the next unlocked try succeeds. A miss returns at once.

template <class Cfg>
[[gnu::noinline]] Object<typename Cfg::RC>* dict_load_locked(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d,
                                                             Str<typename Cfg::RC>* key, Tally& t) {
  using L = typename Cfg::DictLock;
  using O = Object<typename Cfg::RC>;
  ++ts.counters.dict_locked_reads;
  return L::read(  // the policy's own read is this locked lookup (dictlock/ft313.h)
      dict_lock_state<Cfg>(d), [d, key] { return dict_find<L>(d, key); },
      [&](O* v) {
        if (v != nullptr) incref_with_lock(ts, v, t);
      });
}

template <class Cfg>
[[gnu::noinline]] void dict_mark_shared(Dict<typename Cfg::RC>* d) {
  using L = typename Cfg::DictLock;
  auto& s = dict_lock_state<Cfg>(d);
  L::write(s, [&] {
    if (!L::is_shared(s)) L::set_shared(s);
  });
}

template <class Cfg>
[[gnu::always_inline]] inline Object<typename Cfg::RC>* dict_load_threadsafe(ThreadState<Cfg>& ts,
                                                                            Dict<typename Cfg::RC>* d,
                                                                            Str<typename Cfg::RC>* key, Tally& t) {
  using L = typename Cfg::DictLock;
  using RC = typename Cfg::RC;
  if (!owned_by_this_thread(ts, &d->ob) && !L::is_shared(dict_lock_state<Cfg>(d))) [[unlikely]]
    dict_mark_shared<Cfg>(d);
  const auto* table = detail::load<true>(d->table);
  const auto* e = dict_lookup_entry<RC>(table, detail::table_mask<L>(table), key);
  if (e == nullptr) return nullptr;
  Object<RC>* v = detail::load<true>(e->value);
  if (v != nullptr && try_incref_compare(ts, &e->value, v, t)) [[likely]] {
    if (detail::load<true>(d->table) == table) [[likely]]
      return v;
    decref(ts, v, t);
  }
  return dict_load_locked(ts, d, key, t);
}

// One read through the dict lock: a new stack reference to the value stored
// under `key` (incref_stack, tallied in t), or nullptr. The reference is
// taken where the policy knows the value alive: inside the lock, or after
// validation for unlocked readers (the invariant above). LOAD_GLOBAL does
// this once for globals and, when absent there, once for builtins. The
// callables are forced inline: eval's tally must stay in registers.
template <class Cfg>
[[gnu::always_inline]] inline Object<typename Cfg::RC>* dict_load(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d,
                                                                  Str<typename Cfg::RC>* key, Tally& t) {
  using L = typename Cfg::DictLock;
  using O = Object<typename Cfg::RC>;
  if constexpr (detail::try_incref_reads<L>()) return dict_load_threadsafe(ts, d, key, t);
  return L::read(
      dict_lock_state<Cfg>(d), [d, key]() __attribute__((always_inline)) { return dict_find<L>(d, key); },
      [&](O* v) __attribute__((always_inline)) {
        if (v != nullptr) incref_stack(ts, v, t);
      });
}

// _PyDict_LoadGlobal: the name in globals, else in builtins, each one read
// through the dict lock; a new stack reference or nullptr. Out of line, as
// in 3.6 (so its counts go straight to the thread's counters).
template <class Cfg>
[[gnu::noinline]] Object<typename Cfg::RC>* dict_load_global(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* globals,
                                                             Dict<typename Cfg::RC>* builtins,
                                                             Str<typename Cfg::RC>* key) {
  Tally& t = ts.counters.rc;
  if (Object<typename Cfg::RC>* v = dict_load(ts, globals, key, t)) return v;
  return dict_load(ts, builtins, key, t);
}

// --- updates ----------------------------------------------------------------

namespace detail {
// Whether what a writer unlinks from d may still be loaded by an unlocked
// reader: under `ft313` only once the dict is shared (3.13t frees a
// private dict's old keys at once); under the other unlocked-reader
// policies always. Inside the dict's write.
template <class Cfg>
[[gnu::always_inline]] inline bool dict_read_unlocked(Dict<typename Cfg::RC>* d) {
  using L = typename Cfg::DictLock;
  if constexpr (try_incref_reads<L>())
    return L::is_shared(dict_lock_state<Cfg>(d));
  else
    return true;
}

// Hands something unlinked (size 0: the dict's reference to a value) to the
// writing thread's QSBR queue, under the dict's lock.
template <class Cfg>
void dict_retire(ThreadState<Cfg>& ts, void* block, std::size_t size) {
  static_assert(kUsesQsbr<Cfg>);
  Qsbr::retire(ts.qsbr, block, size);
}
}  // namespace detail

namespace detail {
// insertdict, one write through the dict lock. kTake: the caller's
// references to key and value move in (3.13's _PyDict_SetItem_Take2);
// otherwise insertdict takes its own (3.6's PyDict_SetItem, and 3.13's). The
// value it replaces is released inside the write, as insertdict does (a
// recursive lock lets its deallocator re-enter the dict), or retired when
// readers run unlocked. Adding a key, or rebuilding the table, ends the
// current keys version.
template <bool kTake, class Cfg>
void dict_insert(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d, Str<typename Cfg::RC>* key,
                 Object<typename Cfg::RC>* value) {
  using RC = typename Cfg::RC;
  using L = typename Cfg::DictLock;
  using O = Object<RC>;
  using Entry = typename Dict<RC>::Entry;
  constexpr bool kShared = L::kUnlockedReaders;
  L::write(dict_lock_state<Cfg>(d), [&] {
    if constexpr (detail::try_incref_reads<L>()) {
      // A writer other than the owner marks the dict shared (3.13.15 does
      // so on a resize only, ensure_shared_on_resize): the owner reads its
      // own dicts unlocked without marking them, and rclab's allocators
      // would hand a value this write frees at once to the next
      // allocation while the owner's try-incref may still touch it.
      if (!L::is_shared(dict_lock_state<Cfg>(d)) && !owned_by_this_thread(ts, &d->ob))
        L::set_shared(dict_lock_state<Cfg>(d));
    }
    if ((d->used + 1) * 3 >= (d->mask + 1) * 2) {  // keep the load under 2/3, as CPython
      const std::uint64_t old_cap = d->mask + 1, new_cap = old_cap * 4;
      Entry* old = d->table;
      // Filled while private; published by the release store of its pointer.
      Entry* table = dict_table_new(ts, new_cap);
      for (std::uint64_t i = 0; i < old_cap; ++i) {
        if (old[i].key == nullptr) continue;
        *detail::dict_probe(table, new_cap - 1, old[i].hash, [](const Entry&) { return false; }) = old[i];
      }
      detail::store<kShared>(d->table, table);  // the table before the mask: see dict_find
      detail::store<kShared>(d->mask, new_cap - 1);
      d->keys_version = 0;
      if constexpr (kShared) {
        if (detail::dict_read_unlocked<Cfg>(d))
          detail::dict_retire(ts, detail::table_block<L>(old), detail::table_block_size<L, Entry>(old_cap));
        else
          dict_table_free(ts, old, old_cap);
      } else {
        dict_table_free(ts, old, old_cap);
      }
    }
    const std::uint64_t h = key->hash;
    Entry* e = detail::dict_probe(d->table, d->mask, h, [&](const Entry& e) {
      return e.key == key || (e.hash == h && e.key->view() == key->view());
    });
    // insertdict: the key and the value increfed first (or their
    // references taken over); a replaced value released and the key's new
    // reference dropped again.
    if constexpr (!kTake) {
      incref(ts, &key->ob);
      incref(ts, value);
    }
    if (e->key != nullptr) {
      O* old = e->value;
      detail::store<kShared>(e->value, value);
      if constexpr (kShared) {
        if (detail::dict_read_unlocked<Cfg>(d))
          detail::dict_retire(ts, old, 0);  // keeps the dict's reference until QSBR drops it
        else
          decref(ts, old);
      } else {
        decref(ts, old);
      }
      decref(ts, &key->ob);
      return;
    }
    // The key last: a reader that finds it finds its hash and value too.
    detail::store<kShared>(e->value, value);
    detail::store<kShared>(e->hash, h);
    detail::store<kShared>(e->key, key);
    ++d->used;
    d->keys_version = 0;
  });
}
}  // namespace detail

// set() takes new references to key and value (PyDict_SetItem).
template <class Cfg>
void dict_set(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d, Str<typename Cfg::RC>* key,
              Object<typename Cfg::RC>* value) {
  detail::dict_insert<false>(ts, d, key, value);
}

// _PyDict_SetItem_Take2: the caller's references to key and value move in.
template <class Cfg>
void dict_set_take2(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d, Str<typename Cfg::RC>* key,
                    Object<typename Cfg::RC>* value) {
  detail::dict_insert<true>(ts, d, key, value);
}

// Drops every entry. The caller guarantees no other thread is reading or
// writing the dict (rclab calls it only at
// shutdown, after every worker is joined). Module teardown does this to the
// globals, which otherwise stay alive through the cycle globals -> function
// -> globals (rclab has no cycle collector).
template <class Cfg>
void dict_clear(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d) {
  using L = typename Cfg::DictLock;
  using Entry = typename Dict<typename Cfg::RC>::Entry;
  for (std::uint64_t i = 0; i <= d->mask; ++i) {
    Entry e;
    // Unlinked under the lock, released outside it: the decrefs may run
    // deallocators.
    L::write(dict_lock_state<Cfg>(d), [&] {
      e = d->table[i];
      if (e.key == nullptr) return;
      d->table[i] = {0, nullptr, nullptr};
      --d->used;
      d->keys_version = 0;
    });
    if (e.key == nullptr) continue;
    decref(ts, &e.key->ob);
    decref(ts, e.value);
  }
}

}  // namespace rclab::runtime
