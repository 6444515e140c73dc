// The frame-stack conformance suite, typed over every frame stack
// (freelists::framestacks::AllPolicies, freelists/framestacks.h: a new one
// joins there): frames come back last in, first out; no two live frames
// overlap and every word of each is the caller's; has_room says whether a
// push stays in the current chunk; a call depth that crosses a chunk
// boundary again and again maps nothing after the first time; frames of any
// size, far bigger than a chunk, fit; release gives everything back.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "freelists/framestack.h"
#include "freelists/framestacks.h"
#include "tests/type_lists.h"

namespace rclab::freelists {
namespace {

template <class S>
class FrameStackConformance : public ::testing::Test {
 protected:
  typename S::Shared shared;
};

using Policies = tests::ToTypes<framestacks::AllPolicies<tests::TypeList>>;
TYPED_TEST_SUITE(FrameStackConformance, Policies);

TYPED_TEST(FrameStackConformance, SatisfiesConcept) { static_assert(FrameStack<TypeParam>); }

// 3,000 frames of 15 words (fib's) nested, each filled with its own address:
// a word written twice, or outside a mapping, shows as a wrong value (and
// under ASan as an error). Popped in reverse, the bottom frame comes back.
TYPED_TEST(FrameStackConformance, FramesAreLastInFirstOutAndNeverOverlap) {
  using S = TypeParam;
  typename S::Local l(this->shared);
  std::vector<void**> frames;
  for (int i = 0; i < 3000; ++i) {
    void** f = S::push(l, 15);
    ASSERT_NE(f, nullptr);
    for (int w = 0; w < 15; ++w) f[w] = f + w;
    frames.push_back(f);
  }
  for (void** f : frames)
    for (int w = 0; w < 15; ++w) ASSERT_EQ(f[w], f + w) << "two live frames share a word";
  for (std::size_t i = frames.size(); i-- > 0;) S::pop(l, frames[i]);
  void** again = S::push(l, 15);
  EXPECT_EQ(again, frames[0]);
  S::pop(l, again);
  S::release(l);
}

// has_room(w) is true exactly when the next push of w words lands right
// after the previous frame, in the same chunk.
TYPED_TEST(FrameStackConformance, HasRoomSaysWhetherThePushStaysInTheChunk) {
  using S = TypeParam;
  typename S::Local l(this->shared);
  EXPECT_FALSE(S::has_room(l, 15)) << "nothing is mapped before the first push";
  std::vector<void**> frames{S::push(l, 15)};
  int crossings = 0;
  for (int i = 0; i < 2000; ++i) {
    const bool room = S::has_room(l, 15);
    void** f = S::push(l, 15);
    EXPECT_EQ(room, f == frames.back() + 15) << i;
    crossings += !room;
    frames.push_back(f);
  }
  EXPECT_GT(crossings, 0) << "2,000 frames of 120 bytes must cross a chunk";
  for (std::size_t i = frames.size(); i-- > 0;) S::pop(l, frames[i]);
  S::release(l);
}

// A depth that oscillates across a chunk boundary: after the first crossing
// the same addresses come back (the emptied chunk is kept and reused).
TYPED_TEST(FrameStackConformance, OscillatingAcrossABoundaryReusesTheChunk) {
  using S = TypeParam;
  typename S::Local l(this->shared);
  std::vector<void**> frames{S::push(l, 15)};
  while (S::has_room(l, 15)) frames.push_back(S::push(l, 15));
  for (int round = 0; round < 100; ++round) {
    void** over = S::push(l, 15);  // the first frame of the next chunk
    if (round == 0) frames.push_back(over);
    EXPECT_EQ(over, frames.back()) << round;
    S::pop(l, over);
    EXPECT_FALSE(S::has_room(l, 15)) << "back in the full chunk below";
  }
  for (std::size_t i = frames.size() - 1; i-- > 0;) S::pop(l, frames[i]);
  S::release(l);
}

// A frame bigger than a chunk (a code with a huge stack) gets a chunk of its own.
TYPED_TEST(FrameStackConformance, AFrameBiggerThanAChunkFits) {
  using S = TypeParam;
  typename S::Local l(this->shared);
  void** small = S::push(l, 15);
  const std::size_t words = 100000;  // 800 KB
  void** big = S::push(l, words);
  for (std::size_t w = 0; w < words; w += 4096) big[w] = big;
  big[words - 1] = big;
  void** after = S::push(l, 15);
  after[0] = after;
  S::pop(l, after);
  S::pop(l, big);
  S::pop(l, small);
  S::release(l);
}

}  // namespace
}  // namespace rclab::freelists
