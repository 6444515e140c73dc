// Tuples, lists, their iterators, range and cells (tupleobject.c,
// listobject.c, rangeobject.c, cellobject.c): what the workloads' loops and
// closures reach, with 3.6's reference-count operations at the same places.
//
// Not modelled: 3.6's per-size tuple free lists and its list free list (80
// list objects): every object here comes from, and goes back to, the
// configuration's allocator; and the cyclic GC's tracking of these
// containers (only frames are tracked, runtime/frames.h: a container may die
// on another thread than the one whose list would hold it).
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/fatal.h"
#include "runtime/abstract.h"
#include "runtime/ints.h"
#include "runtime/object.h"
#include "runtime/object_ops.h"
#include "runtime/thread_state.h"

namespace rclab::runtime {

template <class Cfg>
inline std::size_t tuple_block_size(std::int64_t n) {
  return sizeof(Tuple<typename Cfg::RC>) + std::size_t(n) * sizeof(Object<typename Cfg::RC>*);
}

// PyTuple_New: n null items, filled by the caller (which gives each a
// reference: BUILD_TUPLE moves the stack's).
template <class Cfg>
[[gnu::noinline]] Tuple<typename Cfg::RC>* tuple_new(ThreadState<Cfg>& ts, std::int64_t n) {
  using RC = typename Cfg::RC;
  auto* t = static_cast<Tuple<RC>*>(alloc_block(ts, tuple_block_size<Cfg>(n)));
  init_object(ts, &t->ob, Type::kTuple);
  t->size = n;
  for (std::int64_t i = 0; i < n; ++i) t->items()[i] = nullptr;
  return t;
}

// PyList_New: n null items in an array of exactly n slots.
template <class Cfg>
[[gnu::noinline]] List<typename Cfg::RC>* list_new(ThreadState<Cfg>& ts, std::int64_t n) {
  using RC = typename Cfg::RC;
  auto* l = static_cast<List<RC>*>(alloc_block(ts, sizeof(List<RC>)));
  init_object(ts, &l->ob, Type::kList);
  l->size = n;
  l->allocated = n;
  l->items = n > 0 ? static_cast<Object<RC>**>(alloc_block(ts, std::size_t(n) * sizeof(Object<RC>*))) : nullptr;
  for (std::int64_t i = 0; i < n; ++i) l->items[i] = nullptr;
  return l;
}

// list_resize: 3.6's over-allocation, newsize + newsize/8 + (3 or 6).
template <class Cfg>
void list_resize(ThreadState<Cfg>& ts, List<typename Cfg::RC>* l, std::int64_t newsize) {
  using O = Object<typename Cfg::RC>;
  if (l->allocated >= newsize && newsize >= (l->allocated >> 1)) {
    l->size = newsize;
    return;
  }
  std::int64_t alloc = newsize + (newsize >> 3) + (newsize < 9 ? 3 : 6);
  if (newsize == 0) alloc = 0;
  O** items = alloc > 0 ? static_cast<O**>(alloc_block(ts, std::size_t(alloc) * sizeof(O*))) : nullptr;
  const std::int64_t keep = l->size < newsize ? l->size : newsize;
  for (std::int64_t i = 0; i < keep; ++i) items[i] = l->items[i];
  if (l->items != nullptr) free_block(ts, l->items, std::size_t(l->allocated) * sizeof(O*));
  l->items = items;
  l->allocated = alloc;
  l->size = newsize;
}

// _PyList_AppendTakeRef: the caller's reference to the item moves in.
template <class Cfg>
void list_append_take(ThreadState<Cfg>& ts, List<typename Cfg::RC>* l, Object<typename Cfg::RC>* v) {
  const std::int64_t n = l->size;
  list_resize(ts, l, n + 1);
  l->items[n] = v;
}

// app1 (list.append): one incref of the item.
template <class Cfg>
void list_append(ThreadState<Cfg>& ts, List<typename Cfg::RC>* l, Object<typename Cfg::RC>* v) {
  incref(ts, v);
  list_append_take(ts, l, v);
}

// list.pop(): the last item; its reference moves to the caller.
template <class Cfg>
Object<typename Cfg::RC>* list_pop(ThreadState<Cfg>& ts, List<typename Cfg::RC>* l) {
  if (l->size == 0) fatal("IndexError: pop from empty list");
  Object<typename Cfg::RC>* v = l->items[l->size - 1];
  list_resize(ts, l, l->size - 1);
  return v;
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

// listiter_next / tupleiter_next: a new reference to the next item; at the
// end the iterator drops its sequence and returns null.
template <class Cfg>
[[gnu::noinline]] Object<typename Cfg::RC>* seq_iter_next(ThreadState<Cfg>& ts, SeqIter<typename Cfg::RC>* it) {
  using RC = typename Cfg::RC;
  Object<RC>* seq = it->seq;
  if (seq == nullptr) return nullptr;
  Object<RC>* item = nullptr;
  if (seq->type == Type::kList) {
    List<RC>* l = as<List>(seq);
    if (it->index < l->size) item = l->items[it->index++];
  } else {
    Tuple<RC>* t = as<Tuple>(seq);
    if (it->index < t->size) item = t->items()[it->index++];
  }
  if (item != nullptr) {
    incref(ts, item);
    return item;
  }
  it->seq = nullptr;
  decref(ts, seq);
  return nullptr;
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
  if (!positive) fatal("ValueError: rclab's range() takes a positive step only");
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
    if (args[i]->type != Type::kInt) fatal("TypeError: range() takes ints");
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
