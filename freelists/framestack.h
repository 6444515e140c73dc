// The frame-stack concept: where an interpreter generation whose frames are
// not objects keeps them (CPython 3.11+: `_PyInterpreterFrame`s in a
// per-thread data stack). Frames come and go strictly last-in first-out, so a
// stack of words serves them without a freelist or an allocator call.
//
// Contract (Shared/Local as for freelists; only the owning thread touches
// its Local):
//   push(local, words)   room for a frame of `words` pointer-sized words,
//                        above every frame pushed before it and not yet
//                        popped; never fails (aborts when memory runs out);
//   has_room(local, words)  whether push would stay in the current chunk
//                        (3.13's _PyThreadState_HasStackSpace: the
//                        specialised call checks it and takes the slow path
//                        when false);
//   pop(local, frame)    releases the topmost frame, `frame`;
//   release(local)       gives every chunk back; only with no frame pushed.
//   kName, kNeedsGil     as for every policy.
#pragma once

#include <concepts>
#include <cstddef>
#include <string_view>

namespace rclab::freelists {

template <class F>
concept FrameStack = std::constructible_from<typename F::Local, typename F::Shared&> &&
                     requires(typename F::Local& local, std::size_t words, void** frame) {
                       { F::kName } -> std::convertible_to<std::string_view>;
                       { F::kNeedsGil } -> std::convertible_to<bool>;
                       { F::push(local, words) } -> std::same_as<void**>;
                       { F::has_room(local, words) } -> std::same_as<bool>;
                       { F::pop(local, frame) } -> std::same_as<void>;
                       { F::release(local) } -> std::same_as<void>;
                     };

}  // namespace rclab::freelists
