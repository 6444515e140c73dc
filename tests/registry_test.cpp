// The registry's families: every configuration is read against a baseline
// that differs from it in exactly one axis, so that a ratio between the two
// measures one thing. Milestones of the Gilectomy timeline are the declared
// exception: they changed several axes at once, as the real branch did.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "experiments/entry.h"
#include "experiments/registry.h"
#include "obmalloc/pymalloc.h"
#include "obmalloc/unlocked.h"
#include "runtime/gil_interval.h"
#include "runtime/gil_isolated.h"

namespace rclab::experiments {
namespace {

TEST(Registry, EveryBaselineExistsAndDiffersInExactlyOneAxis) {
  for (const auto& e : all_configs()) {
    if (e.baseline.empty()) continue;
    const ConfigEntry* b = find_config(e.baseline);
    ASSERT_NE(b, nullptr) << e.name << ": baseline " << e.baseline << " is not a configuration";
    EXPECT_TRUE(b->refused.empty()) << e.name << ": its baseline cannot run";
    const auto diff = differing_axes(e, *b);
    if (e.milestone) {
      EXPECT_GE(diff.size(), 2u) << e.name << " is a milestone but differs from " << e.baseline << " in one axis";
    } else {
      EXPECT_EQ(diff.size(), 1u) << e.name << " differs from its baseline " << e.baseline << " in " << diff.size()
                                 << " axes";
    }
  }
}

// One root per interpreter generation (the CPython whose bytecode it runs:
// py313-unspecialized is 3.13's interpreter too), named after what it
// models (`gil` for py36, `py313`), and every chain ends at its own
// generation's root: a ratio across generations changes several axes at
// once, as CPython did.
TEST(Registry, ExactlyOneRootPerGenerationAndEveryChainEndsThere) {
  std::map<std::string_view, std::string_view> roots;  // generation -> root
  for (const auto& e : all_configs())
    if (e.baseline.empty()) {
      EXPECT_TRUE(roots.emplace(e.bytecode, e.name).second) << e.bytecode << " has two roots";
    }
  EXPECT_EQ(roots["py36"], "gil");
  EXPECT_EQ(roots["py313"], "py313");
  for (const auto& e : all_configs()) {
    // Following baselines never loops and reaches the root of its generation.
    std::set<std::string_view> seen;
    const ConfigEntry* c = &e;
    while (!c->baseline.empty()) {
      ASSERT_TRUE(seen.insert(c->name).second) << "baseline cycle through " << c->name;
      c = find_config(c->baseline);
      ASSERT_NE(c, nullptr);
      EXPECT_EQ(c->bytecode, e.bytecode) << e.name << " is read against another generation's " << c->name;
    }
    EXPECT_EQ(c->name, roots[e.bytecode]) << e.name;
  }
}

TEST(Registry, NamesAreUniqueAndEveryEntryHasAFamily) {
  std::set<std::string_view> names;
  for (const auto& e : all_configs()) {
    EXPECT_TRUE(names.insert(e.name).second) << e.name;
    EXPECT_FALSE(e.family.empty()) << e.name;
    EXPECT_EQ(e.refused.empty(), e.run != nullptr) << e.name;
  }
}

TEST(Registry, DifferingAxesNamesThem) {
  const ConfigEntry* gil = find_config("gil");
  const ConfigEntry* ticks = find_config("gil-ticks");
  ASSERT_TRUE(gil && ticks);
  const auto d = differing_axes(*gil, *ticks);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0], "gil");
  EXPECT_TRUE(differing_axes(*gil, *gil).empty());
}

// The dict lock is an axis of its own: `optimistic-gil` is `gil` with
// nogil's dict reads and nothing else. Without a GIL a dict needs a lock:
// `none` there would be refused, so no runnable configuration has it.
TEST(Registry, DictLockIsAnAxisAndNoConfigurationWithoutAGilLeavesDictsUnlocked) {
  const ConfigEntry* gil = find_config("gil");
  const ConfigEntry* optimistic = find_config("optimistic-gil");
  ASSERT_TRUE(gil && optimistic);
  const auto d = differing_axes(*gil, *optimistic);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0], "dictlock");
  EXPECT_EQ(gil->dictlock, "none");
  for (const auto& e : all_configs())
    if (e.gil == "none") {
      EXPECT_NE(e.dictlock, "none") << e.name;
    }
}

// The object freelists are an axis of their own: `py313-nofreelists` is
// `py313` without 3.13's, `py313t-pymalloc` is `py313t` on per-thread
// pymalloc heaps instead of mimalloc's. 3.13 keeps one set for the
// interpreter, 3.13t one per thread; every configuration that does not
// model them (the py36 generation's) keeps none, as before the axis.
TEST(Registry, ObjectFreelistsAreAnAxisAndFollowTheRealBuilds) {
  const ConfigEntry* py313 = find_config("py313");
  const ConfigEntry* nofl = find_config("py313-nofreelists");
  const ConfigEntry* py313t = find_config("py313t");
  const ConfigEntry* pymalloc = find_config("py313t-pymalloc");
  ASSERT_TRUE(py313 && nofl && py313t && pymalloc);
  const auto d = differing_axes(*py313, *nofl);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0], "freelists");
  const auto a = differing_axes(*py313t, *pymalloc);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0], "alloc");
  EXPECT_EQ(py313t->alloc_name(), "mi_heaps(mimalloc)");
  EXPECT_EQ(pymalloc->alloc_name(), "per_thread(pymalloc)");
  for (const auto& e : all_configs()) {
    if (e.bytecode == "py36") {
      EXPECT_EQ(e.freelists, "none") << e.name;
    }
    if (e.family == "py313" && e.name != "py313-nofreelists") {
      EXPECT_EQ(e.freelists, "per_interp") << e.name;
    }
    if (e.family == "py313t") {
      EXPECT_EQ(e.freelists, "per_thread") << e.name;
    }
    if (e.freelists == "per_interp") {
      EXPECT_NE(e.gil, "none") << e.name << ": the interpreter's lists need a GIL";
    }
  }
}

// The axis check compares what a policy is, not what it is called: two
// allocators of one name but different geometry are different, and so are
// two GILs whose traits differ.
TEST(Registry, AnAxisDiffersByTypeAndTraitsNotOnlyByName) {
  using G36 = obmalloc::pymalloc::Geometry36;
  static_assert(obmalloc::Unlocked<>::kName == obmalloc::Unlocked<G36>::kName);
  EXPECT_NE(identity_of<obmalloc::Unlocked<>>(), identity_of<obmalloc::Unlocked<G36>>());
  // An entry that only changes the allocator's geometry differs in `alloc`
  // though every name is the same.
  ConfigEntry a = *find_config("gil"), b = a;
  b.identity[axis_index("alloc")] = identity_of<obmalloc::Unlocked<G36>>();
  EXPECT_EQ(a.axes(), b.axes());
  const auto d = differing_axes(a, b);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0], "alloc");
  // `limit` changes the GIL, and the identity says what that means: the
  // isolated GIL gives each thread its own runtime and excludes nothing.
  const std::string interval = identity_of<runtime::IntervalGil>(), isolated = identity_of<runtime::IsolatedGil>();
  EXPECT_NE(interval.find("exclusive=1"), std::string::npos) << interval;
  EXPECT_NE(isolated.find("isolated=1"), std::string::npos) << isolated;
  const auto limit = differing_axes(*find_config("gil"), *find_config("limit"));
  ASSERT_EQ(limit.size(), 1u);
  EXPECT_EQ(limit[0], "gil");
}

}  // namespace
}  // namespace rclab::experiments
