// `datastack`: CPython 3.11+'s per-thread data stack (Python/pystate.c), on
// which the interpreter pushes its frames.
//
// Chunks of at least 16 KiB, mapped from the kernel (3.13's
// _PyObject_VirtualAlloc), linked to the chunk below them. A push that fits
// bumps `top`; one that does not maps a new chunk (or reuses the one cached
// spare) big enough for the frame. Popping the first frame of a chunk
// returns to the chunk below and keeps the emptied one as the spare, freeing
// any older spare: a call depth that oscillates across a chunk boundary maps
// nothing after the first time. The first chunk's first word is never used,
// so a pop can never empty the first chunk (only `release` frees it).
//
// Threading: a Local is its thread's alone; nothing is shared.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/fatal.h"
#include "freelists/framestack.h"

namespace rclab::freelists {

struct DataStack {
  static constexpr std::string_view kName = "datastack";
  static constexpr bool kNeedsGil = false;
  static constexpr std::size_t kChunkBytes = 16 * 1024;  // DATA_STACK_CHUNK_SIZE
  static constexpr std::size_t kMinimumOverhead = 1000;  // words a new chunk holds beyond the frame

  struct Chunk {
    Chunk* previous;
    std::size_t bytes;  // the whole mapping, this header included
    std::size_t top;    // where `top` was, in words from data, when a chunk above was pushed
    void* data[1];
  };

  struct Shared {};
  struct Local {
    explicit Local(Shared&) noexcept {}
    ~Local() { release(*this); }
    Local(const Local&) = delete;
    Local& operator=(const Local&) = delete;
    void** top = nullptr;    // null until the first push
    void** limit = nullptr;  // one past the current chunk
    Chunk* chunk = nullptr;
    Chunk* spare = nullptr;
  };

  [[gnu::always_inline]] static bool has_room(const Local& l, std::size_t words) {
    return l.top != nullptr && words < std::size_t(l.limit - l.top);
  }

  [[gnu::always_inline]] static void** push(Local& l, std::size_t words) {
    if (has_room(l, words)) [[likely]] {
      void** frame = l.top;
      l.top += words;
      return frame;
    }
    return push_chunk(l, words);
  }

  // Out of line, as 3.13's: one call per return.
  [[gnu::noinline]] static void pop(Local& l, void** frame) {
    if (frame == &l.chunk->data[0]) {
      // The first frame of a chunk that is not the first chunk (whose first
      // word is never handed out): back to the chunk below.
      Chunk* empty = l.chunk;
      Chunk* below = empty->previous;
      l.chunk = below;
      l.top = &below->data[below->top];
      l.limit = end_of(below);
      empty->previous = nullptr;
      if (l.spare != nullptr) unmap(l.spare);
      l.spare = empty;
    } else {
      l.top = frame;
    }
  }

  static void release(Local& l) {
    for (Chunk* c = l.chunk; c != nullptr;) {
      Chunk* below = c->previous;
      unmap(c);
      c = below;
    }
    if (l.spare != nullptr) unmap(l.spare);
    l.top = l.limit = nullptr;
    l.chunk = l.spare = nullptr;
  }

 private:
  static void** end_of(Chunk* c) { return reinterpret_cast<void**>(reinterpret_cast<std::byte*>(c) + c->bytes); }

  static void unmap(Chunk* c) { ::munmap(c, c->bytes); }

  [[gnu::noinline]] static void** push_chunk(Local& l, std::size_t words) {
    std::size_t bytes = kChunkBytes;
    while (bytes < sizeof(void*) * (words + kMinimumOverhead)) bytes *= 2;
    Chunk* c;
    if (l.spare != nullptr && l.spare->bytes >= bytes) {
      c = l.spare;
      l.spare = nullptr;
    } else {
      void* m = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (m == MAP_FAILED) fatal("datastack: out of memory mapping a chunk");
      c = static_cast<Chunk*>(m);
      c->bytes = bytes;
    }
    c->previous = l.chunk;
    c->top = 0;
    if (l.chunk != nullptr) l.chunk->top = std::size_t(l.top - &l.chunk->data[0]);
    l.chunk = c;
    l.limit = end_of(c);
    void** frame = &c->data[c->previous == nullptr ? 1 : 0];  // the first chunk's first word stays unused
    l.top = frame + words;
    return frame;
  }
};

}  // namespace rclab::freelists
