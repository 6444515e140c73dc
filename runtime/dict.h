// Dicts (dictobject.c), as much as module namespaces need: keys are strs,
// open addressing with CPython's probe sequence. Free functions over the
// object layout; Runtime's dict members forward here.
#pragma once

#include <cstdint>

#include "runtime/object.h"
#include "runtime/object_ops.h"
#include "runtime/thread_state.h"

namespace rclab::runtime {

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

// A new empty dict, with one reference.
template <class Cfg>
Dict<typename Cfg::RC>* dict_new(ThreadState<Cfg>& ts) {
  using RC = typename Cfg::RC;
  constexpr std::uint64_t kInitial = 8;  // PyDict_MINSIZE
  auto* d = static_cast<Dict<RC>*>(alloc_block(ts, sizeof(Dict<RC>)));
  init_object(ts, &d->ob, Type::kDict);
  d->table = static_cast<typename Dict<RC>::Entry*>(alloc_block(ts, kInitial * sizeof(typename Dict<RC>::Entry)));
  for (std::uint64_t i = 0; i < kInitial; ++i) d->table[i] = {0, nullptr, nullptr};
  d->mask = kInitial - 1;
  d->used = 0;
  return d;
}

// Dict operations. set() takes new references to key and value; get()
// returns a borrowed reference or nullptr.

template <class RC>
Object<RC>* dict_get_slow(Dict<RC>* d, Str<RC>* key);

template <class RC>
inline Object<RC>* dict_get(Dict<RC>* d, Str<RC>* key) {
  // First probe inline: an interned name usually sits in its home slot.
  const auto& home = d->table[key->hash & d->mask];
  if (home.key == key) [[likely]]
    return home.value;
  return dict_get_slow(d, key);
}

// Out of line, so the probe loop's closure never lands in eval's frame.
template <class RC>
[[gnu::noinline]] Object<RC>* dict_get_slow(Dict<RC>* d, Str<RC>* key) {
  const std::uint64_t h = key->hash;
  auto* e = detail::dict_probe(d->table, d->mask, h, [&](const auto& e) {
    return e.key == key || (e.hash == h && e.key->view() == key->view());
  });
  return e->key == nullptr ? nullptr : e->value;
}

// lookdict_unicode_nodummy (the keys object's dk_lookup for a dict of str
// keys): out of line, as 3.6 reaches it through a function pointer.
template <class RC>
[[gnu::noinline]] Object<RC>* dict_lookup(Dict<RC>* d, Str<RC>* key) {
  const std::uint64_t h = key->hash;
  auto* e = detail::dict_probe(d->table, d->mask, h, [&](const auto& e) {
    return e.key == key || (e.hash == h && e.key->view() == key->view());
  });
  return e->key == nullptr ? nullptr : e->value;
}

// _PyDict_LoadGlobal: the name in globals, else in builtins; a borrowed
// reference or nullptr. Out of line, as in 3.6.
template <class RC>
[[gnu::noinline]] Object<RC>* dict_load_global(Dict<RC>* globals, Dict<RC>* builtins, Str<RC>* key) {
  if (Object<RC>* v = dict_lookup(globals, key)) return v;
  return dict_lookup(builtins, key);
}

template <class Cfg>
void dict_set(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d, Str<typename Cfg::RC>* key,
              Object<typename Cfg::RC>* value) {
  using RC = typename Cfg::RC;
  using O = Object<RC>;
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

// Drops every entry. Module teardown does this to the globals, which
// otherwise stay alive through the cycle globals -> function -> globals
// (rclab has no cycle collector).
template <class Cfg>
void dict_clear(ThreadState<Cfg>& ts, Dict<typename Cfg::RC>* d) {
  for (std::uint64_t i = 0; i <= d->mask; ++i) {
    auto e = d->table[i];
    if (e.key == nullptr) continue;
    d->table[i] = {0, nullptr, nullptr};  // unlink first: the decrefs may run deallocators
    --d->used;
    decref(ts, &e.key->ob);
    decref(ts, e.value);
  }
}

}  // namespace rclab::runtime
