// Tuples, lists, their iterators, range and cells (tupleobject.c,
// listobject.c, rangeobject.c, cellobject.c): what the workloads' loops and
// closures reach, with 3.6's reference-count operations at the same places.
//
// Tuples of 1..20 items and list objects come from the configuration's
// object freelists when it keeps them (its `freelists` axis,
// freelists/objects.h: 3.13's per-interpreter lists under `per_interp`,
// 3.13t's per-thread ones under `per_thread`) and from its allocator
// otherwise; runtime/dealloc.h keeps them there. A list's item array is
// never kept: 3.13's list_dealloc frees it, and PyList_New makes a new one.
// Not modelled: the cyclic GC's tracking of these containers (only frames
// are tracked, runtime/frames.h: a container may die on another thread than
// the one whose list would hold it).
#pragma once

#include <cstddef>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>

#include "common/fatal.h"
#include "freelists/objects.h"
#include "runtime/abstract.h"
#include "runtime/ints.h"
#include "runtime/object.h"
#include "runtime/object_ops.h"
#include "runtime/qsbr.h"
#include "runtime/thread_state.h"

namespace rclab::runtime {

template <class Cfg>
inline std::size_t tuple_block_size(std::int64_t n) {
  return sizeof(Tuple<typename Cfg::RC>) + std::size_t(n) * sizeof(Object<typename Cfg::RC>*);
}

// PyTuple_New: n null items, filled by the caller (which gives each a
// reference: BUILD_TUPLE moves the stack's). tuple_alloc: from the freelist
// of its length when there is one (maybe_freelist_pop), else allocated.
template <class Cfg>
[[gnu::noinline]] Tuple<typename Cfg::RC>* tuple_new(ThreadState<Cfg>& ts, std::int64_t n) {
  using RC = typename Cfg::RC;
  void* block = nullptr;
  if (freelists::objects::tuple_kept(n)) block = pop_object_block(ts, freelists::objects::tuple_kind(n));
  if (block == nullptr) block = alloc_block(ts, tuple_block_size<Cfg>(n));
  auto* t = static_cast<Tuple<RC>*>(block);
  init_object(ts, &t->ob, Type::kTuple);
  t->size = n;
  for (std::int64_t i = 0; i < n; ++i) t->items()[i] = nullptr;
  return t;
}

// _PyTuple_FromArray: a new tuple with a new reference to each of the n
// items (1i each). No items: the shared empty tuple, immortal, which 3.13's
// tuple_get_empty hands out uncounted and 3.6's PyTuple_New(0) increfs
// (new_ref_to_immortal says which).
template <class Cfg>
Tuple<typename Cfg::RC>* tuple_from_array(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* const* items,
                                          std::int64_t n) {
  if (n == 0) return as<Tuple>(new_ref_to_immortal(ts, &ts.rt.empty_tuple->ob, ts.counters.rc));
  Tuple<typename Cfg::RC>* t = tuple_new(ts, n);
  for (std::int64_t i = 0; i < n; ++i) {
    incref(ts, items[i]);
    t->items()[i] = items[i];
  }
  return t;
}

// --- List locks (dictlock `ft313`, kLocksContainers) ----------------------------
//
// Under a dict lock that also locks lists (3.13t's per-object locks), a list
// carries the lock's state after its fields, as a dict does (runtime/dict.h),
// and its writes — append, pop, the resize they do — run inside its critical
// section, while its reads (iteration: list_get_item_ref) take no lock, with
// 3.13t's try-incref and re-check. For that an items array carries its
// capacity in a word before its first slot (3.13t's _PyListArray), a reader
// checks its index against the array it loaded, size and slots are stored
// with release and loaded with acquire, and what a shared list's writer
// unlinks — an outgrown array, the list's reference to a popped item — goes
// through QSBR. Under every other dict lock lists are as before: no lock, no
// header, plain fields (no workload writes a list another thread reads).
template <class Cfg>
inline constexpr bool kLockedContainers = [] {
  using L = typename Cfg::DictLock;
  if constexpr (requires { L::kLocksContainers; })
    return bool(L::kLocksContainers);
  else
    return false;
}();

template <class Cfg>
struct ListTail {
  typename Cfg::DictLock::State lock;
};

template <class Cfg>
constexpr std::size_t list_block_size() {
  if constexpr (kLockedContainers<Cfg>)
    return sizeof(List<typename Cfg::RC>) + sizeof(ListTail<Cfg>);
  else
    return sizeof(List<typename Cfg::RC>);
}

template <class Cfg>
inline typename Cfg::DictLock::State& list_lock_state(List<typename Cfg::RC>* l) {
  static_assert(kLockedContainers<Cfg>);
  return std::launder(reinterpret_cast<ListTail<Cfg>*>(l + 1))->lock;
}

namespace detail {
template <class Cfg>
constexpr std::size_t items_header() {
  return kLockedContainers<Cfg> ? sizeof(std::int64_t) : 0;
}
template <class Cfg>
constexpr std::size_t items_block_size(std::int64_t n) {
  return items_header<Cfg>() + std::size_t(n) * sizeof(Object<typename Cfg::RC>*);
}
template <class Cfg>
inline std::int64_t items_capacity(Object<typename Cfg::RC>* const* items) {
  return reinterpret_cast<const std::int64_t*>(items)[-1];
}
}  // namespace detail

// An items array of n null slots (nullptr for 0), with its capacity header
// under locked lists; and its release.
template <class Cfg>
Object<typename Cfg::RC>** list_items_new(ThreadState<Cfg>& ts, std::int64_t n) {
  using O = Object<typename Cfg::RC>;
  if (n == 0) return nullptr;
  char* block = static_cast<char*>(alloc_block(ts, detail::items_block_size<Cfg>(n)));
  if constexpr (kLockedContainers<Cfg>) *reinterpret_cast<std::int64_t*>(block) = n;
  O** items = reinterpret_cast<O**>(block + detail::items_header<Cfg>());
  for (std::int64_t i = 0; i < n; ++i) items[i] = nullptr;
  return items;
}
template <class Cfg>
void* list_items_block(Object<typename Cfg::RC>** items) {
  return reinterpret_cast<char*>(items) - detail::items_header<Cfg>();
}
template <class Cfg>
void list_items_free(ThreadState<Cfg>& ts, Object<typename Cfg::RC>** items, std::int64_t allocated) {
  if (items != nullptr) free_block(ts, list_items_block<Cfg>(items), detail::items_block_size<Cfg>(allocated));
}

// Whether another thread may read l without its lock: 3.13t's shared mark
// (set by the first reader that is not the owner, and by a writer that is
// not: runtime/dict.h says why). Inside l's critical section.
template <class Cfg>
[[gnu::always_inline]] inline bool list_read_unlocked(ThreadState<Cfg>& ts, List<typename Cfg::RC>* l) {
  using L = typename Cfg::DictLock;
  auto& s = list_lock_state<Cfg>(l);
  if (!L::is_shared(s) && !owned_by_this_thread(ts, &l->ob)) L::set_shared(s);
  return L::is_shared(s);
}

// Runs f as one write through the list's lock (its critical section, under
// `ft313`) under locked lists, bare otherwise; returns what f returns.
template <class Cfg, class F>
[[gnu::always_inline]] inline auto list_write(List<typename Cfg::RC>* l, F&& f) {
  using R = decltype(f());
  if constexpr (!kLockedContainers<Cfg>) {
    return f();
  } else if constexpr (std::is_void_v<R>) {
    Cfg::DictLock::write(list_lock_state<Cfg>(l), f);
  } else {
    R r{};
    Cfg::DictLock::write(list_lock_state<Cfg>(l), [&] { r = f(); });
    return r;
  }
}

// PyList_New: n null items in an array of exactly n slots; the list object
// from the list freelist when it has one.
template <class Cfg>
[[gnu::noinline]] List<typename Cfg::RC>* list_new(ThreadState<Cfg>& ts, std::int64_t n) {
  using RC = typename Cfg::RC;
  void* block = pop_object_block(ts, freelists::objects::kList);
  if (block == nullptr) block = alloc_block(ts, list_block_size<Cfg>());
  auto* l = static_cast<List<RC>*>(block);
  init_object(ts, &l->ob, Type::kList);
  if constexpr (kLockedContainers<Cfg>) ::new (static_cast<void*>(l + 1)) ListTail<Cfg>();
  l->size = n;
  l->allocated = n;
  l->items = list_items_new(ts, n);
  return l;
}

// list_resize: 3.6's over-allocation, newsize + newsize/8 + (3 or 6).
// Inside the list's critical section under locked lists.
template <class Cfg>
void list_resize(ThreadState<Cfg>& ts, List<typename Cfg::RC>* l, std::int64_t newsize) {
  using O = Object<typename Cfg::RC>;
  constexpr bool kShared = kLockedContainers<Cfg>;
  if (l->allocated >= newsize && newsize >= (l->allocated >> 1)) {
    detail::store<kShared>(l->size, newsize);
    return;
  }
  std::int64_t alloc = newsize + (newsize >> 3) + (newsize < 9 ? 3 : 6);
  if (newsize == 0) alloc = 0;
  O** items = list_items_new(ts, alloc);
  const std::int64_t keep = l->size < newsize ? l->size : newsize;
  for (std::int64_t i = 0; i < keep; ++i) items[i] = l->items[i];
  O** old = l->items;
  const std::int64_t old_alloc = l->allocated;
  // The array before the size: a reader that sees the new size sees the
  // new array (a shrinking one is checked against its own capacity).
  detail::store<kShared>(l->items, items);
  l->allocated = alloc;
  detail::store<kShared>(l->size, newsize);
  if constexpr (kShared) {
    if (old != nullptr && list_read_unlocked(ts, l)) {
      Qsbr::retire(ts.qsbr, list_items_block<Cfg>(old), detail::items_block_size<Cfg>(old_alloc));
      return;
    }
  }
  list_items_free(ts, old, old_alloc);
}

// _PyList_AppendTakeRef's body: the caller's reference to the item moves
// in. Inside the list's critical section under locked lists (or with its
// PyMutex held: CALL_LIST_APPEND's try-lock, runtime/py313/interp.h).
template <class Cfg>
[[gnu::always_inline]] inline void list_append_take_lock_held(ThreadState<Cfg>& ts, List<typename Cfg::RC>* l,
                                                              Object<typename Cfg::RC>* v) {
  constexpr bool kShared = kLockedContainers<Cfg>;
  const std::int64_t n = l->size;
  if (l->allocated > n) {
    // The item before the size (3.13t's _PyList_AppendTakeRef): a reader
    // that sees the new size sees the item, never a popped item's stale
    // pointer still in the slot.
    detail::store<kShared>(l->items[n], v);
    detail::store<kShared>(l->size, n + 1);
    return;
  }
  list_resize(ts, l, n + 1);  // a new array: slot n is null until stored, and a null sends a reader to the lock
  detail::store<kShared>(l->items[n], v);
}

// _PyList_AppendTakeRef: the caller's reference to the item moves in.
template <class Cfg>
void list_append_take(ThreadState<Cfg>& ts, List<typename Cfg::RC>* l, Object<typename Cfg::RC>* v) {
  list_write<Cfg>(l, [&] { list_append_take_lock_held(ts, l, v); });
}

// app1 (list.append): one incref of the item.
template <class Cfg>
void list_append(ThreadState<Cfg>& ts, List<typename Cfg::RC>* l, Object<typename Cfg::RC>* v) {
  incref(ts, v);
  list_append_take(ts, l, v);
}

// list.pop([i]): item i (the last by default); the list's reference moves
// to the caller. Under locked lists, when other threads may be reading the
// list unlocked, the caller gets a new reference instead and the list's goes
// through QSBR: a reader that loaded the item must find it alive (3.13t
// moves the reference and relies on mimalloc keeping freed objects' memory
// typed). The last item is a resize in both generations. Another item:
//   3.6  listpop increfs it, then deletes it with list_ass_slice (memmove,
//        list_resize, then the Py_XDECREF of the item it recycled);
//   3.13 list_pop_impl memmoves and resizes; popping the only item increfs
//        it and empties the list with list_clear, whose XDECREF drops the
//        list's reference (the model empties it with a resize).
template <class Cfg>
Object<typename Cfg::RC>* list_pop(ThreadState<Cfg>& ts, List<typename Cfg::RC>* l, std::int64_t i = -1) {
  using O = Object<typename Cfg::RC>;
  constexpr bool kShared = kLockedContainers<Cfg>;
  return list_write<Cfg>(l, [&] {
    const std::int64_t n = l->size;
    if (n == 0) not_modelled("IndexError: pop from empty list");
    if (i < 0) i += n;
    if (i < 0 || i >= n) not_modelled("IndexError: pop index out of range");
    O* v = l->items[i];
    // Whether another thread may be reading l without its lock (always
    // false without locked lists).
    bool unlocked_readers = false;
    if constexpr (kShared) {
      unlocked_readers = list_read_unlocked(ts, l);
      if (unlocked_readers) {
        incref(ts, v);
        Qsbr::retire(ts.qsbr, v, 0);
      }
    }
    constexpr bool k36 = Cfg::Gen::kCApi == 306;
    if (n == 1 && !k36) {
      incref(ts, v);
      list_resize(ts, l, 0);
      decref(ts, v);
      return v;
    }
    if (i == n - 1) {
      list_resize(ts, l, n - 1);
      return v;
    }
    if constexpr (k36) incref(ts, v);
    // The items after i move down one slot: list_pop_impl's memmove (3.6's
    // list_ass_slice's), while no other thread may read l unlocked (under
    // locked lists: l is this thread's and not marked shared; another
    // thread's first read takes the critical section and marks it,
    // list_item_locked, so it sees the moved slots). Once it may, slot by
    // slot with atomic stores, since a reader may be loading a slot as it
    // moves (it re-checks its slot after the incref): 3.13t memmoves there
    // too, racing with such a reader (a torn or stale slot that the
    // re-check catches on x86); the model does not race. The private case
    // matters: a loop of atomic stores is not vectorised (design §7a).
    if (unlocked_readers)
      for (std::int64_t k = i; k < n - 1; ++k) detail::store<true>(l->items[k], l->items[k + 1]);
    else
      std::memmove(&l->items[i], &l->items[i + 1], std::size_t(n - 1 - i) * sizeof(O*));
    list_resize(ts, l, n - 1);
    if constexpr (k36) decref(ts, v);
    return v;
  });
}

// list_repeat (sq_repeat, `list * n`): a new list of n copies of a's items,
// each copy a reference (3.13 adds n to each item's count in one
// _Py_RefcntAdd; no policy has such an add, so the model increfs n times:
// the same count, in more operations — a workload's setup, not its loop).
// Under a's critical section under locked lists.
template <class Cfg>
List<typename Cfg::RC>* list_repeat(ThreadState<Cfg>& ts, List<typename Cfg::RC>* a, std::int64_t n) {
  return list_write<Cfg>(a, [&] {
    const std::int64_t size = a->size;
    if (n < 0) n = 0;
    if (n > 0 && size > (std::int64_t(1) << 40) / n) not_modelled("MemoryError: a list repeated past 2^40 items");
    List<typename Cfg::RC>* np = list_new(ts, size * n);
    for (std::int64_t j = 0; j < size; ++j) {
      Object<typename Cfg::RC>* elem = a->items[j];
      for (std::int64_t k = 0; k < n; ++k) {
        incref(ts, elem);
        np->items[k * size + j] = elem;
      }
    }
    return np;
  });
}

// list_get_item_ref (3.13t, Objects/listobject.c): a new reference to item
// i, or nullptr past the end. Unlocked when the list is this thread's or
// already shared: size, array and slot loaded with acquire, the index
// checked against the array's own capacity, the reference tried with
// try_incref_compare; otherwise, or when the try fails, list_item_impl:
// the list's critical section, the shared mark, incref_with_lock.
template <class Cfg>
[[gnu::noinline]] Object<typename Cfg::RC>* list_item_locked(ThreadState<Cfg>& ts, List<typename Cfg::RC>* l,
                                                             std::int64_t i, Tally& t) {
  using L = typename Cfg::DictLock;
  ++ts.counters.list_locked_reads;
  auto& s = list_lock_state<Cfg>(l);
  return list_write<Cfg>(l, [&]() -> Object<typename Cfg::RC>* {
    if (!L::is_shared(s)) L::set_shared(s);
    if (i >= l->size) return nullptr;
    Object<typename Cfg::RC>* v = l->items[i];
    incref_with_lock(ts, v, t);
    return v;
  });
}

// Whether l may be read without its lock: this thread's, or marked shared.
template <class Cfg>
[[gnu::always_inline]] inline bool list_readable_unlocked(ThreadState<Cfg>& ts, List<typename Cfg::RC>* l) {
  return owned_by_this_thread(ts, &l->ob) || Cfg::DictLock::is_shared(list_lock_state<Cfg>(l));
}

// _PyList_GetItemRefNoLock (3.14t): 1 and a new reference to item i in
// *out; 0 past the end; -1 when the slot was empty or the try failed, and
// the caller must take its locked path. Only on a list this thread may
// read unlocked (list_readable_unlocked).
template <class Cfg>
[[gnu::always_inline]] inline int list_get_item_ref_nolock(ThreadState<Cfg>& ts, List<typename Cfg::RC>* l,
                                                           std::int64_t i, Object<typename Cfg::RC>** out, Tally& t) {
  using O = Object<typename Cfg::RC>;
  if (i >= detail::load<true>(l->size)) return 0;
  O** items = detail::load<true>(l->items);
  if (items == nullptr || i >= detail::items_capacity<Cfg>(items)) return 0;
  O* v = detail::load<true>(items[i]);
  if (v == nullptr || !try_incref_compare(ts, &items[i], v, t)) [[unlikely]]
    return -1;
  *out = v;
  return 1;
}

template <class Cfg>
[[gnu::always_inline]] inline Object<typename Cfg::RC>* list_get_item_ref(ThreadState<Cfg>& ts,
                                                                         List<typename Cfg::RC>* l, std::int64_t i,
                                                                         Tally& t) {
  if (!list_readable_unlocked(ts, l)) [[unlikely]]
    return list_item_locked(ts, l, i, t);
  Object<typename Cfg::RC>* v = nullptr;
  const int r = list_get_item_ref_nolock(ts, l, i, &v, t);
  if (r > 0) [[likely]]
    return v;
  if (r == 0) return nullptr;
  return list_item_locked(ts, l, i, t);
}

// list_iter / tuple_iter: the iterator takes a reference to its sequence.
template <class Cfg>
Object<typename Cfg::RC>* seq_iter_new(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* seq, Type type) {
  using RC = typename Cfg::RC;
  auto* it = static_cast<SeqIter<RC>*>(alloc_block(ts, sizeof(SeqIter<RC>)));
  init_object(ts, &it->ob, type);
  it->index = 0;
  incref(ts, seq);
  it->seq = seq;
  return &it->ob;
}

// listiter_next and tupleiter_next (each its type's tp_iternext, out of
// line): a new reference to the next item; at the end the iterator drops
// its sequence and returns null.
template <class Cfg>
[[gnu::noinline]] Object<typename Cfg::RC>* list_iter_next(ThreadState<Cfg>& ts, SeqIter<typename Cfg::RC>* it) {
  using RC = typename Cfg::RC;
  Object<RC>* seq = it->seq;
  if (seq == nullptr) return nullptr;
  List<RC>* l = as<List>(seq);
  if constexpr (kLockedContainers<Cfg>) {  // list_get_item_ref takes the reference
    if (Object<RC>* item = list_get_item_ref(ts, l, it->index, ts.counters.rc)) {
      ++it->index;
      from_stack(ts, item);  // tp_iternext's reference is counted, deferred or not
      return item;
    }
  } else if (it->index < l->size) {
    Object<RC>* item = l->items[it->index++];
    incref(ts, item);
    return item;
  }
  it->seq = nullptr;
  decref(ts, seq);
  return nullptr;
}
template <class Cfg>
[[gnu::noinline]] Object<typename Cfg::RC>* tuple_iter_next(ThreadState<Cfg>& ts, SeqIter<typename Cfg::RC>* it) {
  using RC = typename Cfg::RC;
  Object<RC>* seq = it->seq;
  if (seq == nullptr) return nullptr;
  Tuple<RC>* t = as<Tuple>(seq);
  if (it->index < t->size) {
    Object<RC>* item = t->items()[it->index++];
    incref(ts, item);
    return item;
  }
  it->seq = nullptr;
  decref(ts, seq);
  return nullptr;
}
// The iterator's type picks its tp_iternext (one call, as Py_TYPE(it)->tp_iternext).
template <class Cfg>
[[gnu::always_inline]] inline Object<typename Cfg::RC>* seq_iter_next(ThreadState<Cfg>& ts,
                                                                     SeqIter<typename Cfg::RC>* it) {
  return it->ob.type == Type::kListIter ? list_iter_next(ts, it) : tuple_iter_next(ts, it);
}

// compute_range_length for step 1, with 3.6's objects: comparisons through
// PyObject_RichCompareBool (a bool increfed and dropped), the length as
// ((hi - lo) - 1) // step + 1 with each intermediate an int (runtime/abstract.h).
template <class Cfg>
Object<typename Cfg::RC>* compute_range_length(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* lo,
                                               Object<typename Cfg::RC>* hi, Object<typename Cfg::RC>* step) {
  using O = Object<typename Cfg::RC>;
  auto compare = [&](O* a, O* b, int op) {  // PyObject_RichCompareBool, no identity shortcut for < > <= >=
    O* r = rich_compare(ts, a, b, op);
    const bool v = r == ts.rt.true_;
    decref(ts, r);
    return v;
  };
  O* zero = int_from(ts, 0);
  const bool positive = compare(step, zero, kGt);
  decref(ts, zero);
  if (!positive) not_modelled("ValueError: rclab's range() takes a positive step only");
  incref(ts, step);
  if (compare(lo, hi, kGe)) {
    decref(ts, step);
    return int_from(ts, 0);
  }
  O* one = int_from(ts, 1);
  O* tmp1 = number_subtract(ts, hi, lo);
  O* diff = number_subtract(ts, tmp1, one);
  O* tmp2 = int_from(ts, int_value(as<Int>(diff)) / int_value(as<Int>(step)));  // long_div's fast_floor_div
  O* result = number_add(ts, tmp2, one);
  for (O* o : {tmp2, diff, step, tmp1, one}) decref(ts, o);
  return result;
}

// range_new with one argument (range(stop)) or two (range(start, stop)):
// PyNumber_Index on each bound, step 1, and the length.
template <class Cfg>
Object<typename Cfg::RC>* range_new(ThreadState<Cfg>& ts, Object<typename Cfg::RC>** args, int nargs) {
  using RC = typename Cfg::RC;
  for (int i = 0; i < nargs; ++i)
    if (args[i]->type != Type::kInt) not_modelled("TypeError: range() takes ints");
  auto* r = static_cast<Range<RC>*>(alloc_block(ts, sizeof(Range<RC>)));
  init_object(ts, &r->ob, Type::kRange);
  if (nargs == 1) {
    incref(ts, args[0]);  // PyNumber_Index(stop)
    r->stop = args[0];
    r->start = int_from(ts, 0);
  } else {
    incref(ts, args[0]);  // PyNumber_Index(start), PyNumber_Index(stop)
    r->start = args[0];
    incref(ts, args[1]);
    r->stop = args[1];
  }
  r->step = int_from(ts, 1);
  r->length = compute_range_length(ts, r->start, r->stop, r->step);
  return &r->ob;
}

// range_iter's fast path (fast_range_iter): the bounds as plain integers.
template <class Cfg>
Object<typename Cfg::RC>* range_iter_new(ThreadState<Cfg>& ts, Range<typename Cfg::RC>* r) {
  using RC = typename Cfg::RC;
  auto* it = static_cast<RangeIter<RC>*>(alloc_block(ts, sizeof(RangeIter<RC>)));
  init_object(ts, &it->ob, Type::kRangeIter);
  it->index = 0;
  it->start = int_value(as<Int>(r->start));
  it->step = int_value(as<Int>(r->step));
  it->len = int_value(as<Int>(r->length));
  return &it->ob;
}

// rangeiter_next: PyLong_FromLong of the next value (a new int above 256).
template <class Cfg>
[[gnu::noinline]] Object<typename Cfg::RC>* range_iter_next(ThreadState<Cfg>& ts, RangeIter<typename Cfg::RC>* it) {
  if (it->index < it->len) return int_from(ts, it->start + (it->index++) * it->step);
  return nullptr;
}

// PyCell_New: the cell takes a reference to its value (if any).
template <class Cfg>
Cell<typename Cfg::RC>* cell_new(ThreadState<Cfg>& ts, Object<typename Cfg::RC>* v) {
  using RC = typename Cfg::RC;
  auto* c = static_cast<Cell<RC>*>(alloc_block(ts, sizeof(Cell<RC>)));
  init_object(ts, &c->ob, Type::kCell);
  if (v != nullptr) incref(ts, v);
  c->ref = v;
  return c;
}

}  // namespace rclab::runtime
