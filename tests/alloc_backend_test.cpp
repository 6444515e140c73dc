// The allocator conformance suite for one allocator that replaces malloc for
// the whole process (jemalloc or mimalloc), so it runs in a binary of its
// own: tests/CMakeLists.txt compiles this file once per backend, defining
// RCLAB_BACKEND_JEMALLOC or RCLAB_BACKEND_MIMALLOC, in builds without
// sanitizers only. It first checks that the backend really is the process's
// malloc — the point of linking it this way.
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>

#include "obmalloc/which.h"
#include "tests/alloc_conformance.h"

#if defined(RCLAB_BACKEND_JEMALLOC)
#include "obmalloc/jemalloc.h"
namespace rclab::obmalloc {
using Backend = Jemalloc;
}
#elif defined(RCLAB_BACKEND_MIMALLOC)
#include "obmalloc/mimalloc.h"
namespace rclab::obmalloc {
using Backend = Mimalloc;
}
#else
#error "define RCLAB_BACKEND_JEMALLOC or RCLAB_BACKEND_MIMALLOC"
#endif

namespace rclab::obmalloc {
namespace conformance {
INSTANTIATE_TYPED_TEST_SUITE_P(Backend, AllocConformance, ::testing::Types<Backend>,
                               AllocName);
}  // namespace conformance

namespace {


TEST(ServingAllocator, TheBackendServesTheWholeProcess) {
  const ServingAllocator s = serving_allocator();
  EXPECT_EQ(s.name, Backend::kName) << "malloc comes from " << s.library;
  EXPECT_FALSE(s.version.empty());
  std::cout << "malloc served by " << s.name << " " << s.version << " (" << s.library << ")\n";
}

// A block from plain malloc and one from the backend's own API are
// interchangeable only if one allocator serves both: free each through the
// other (the backend's sized free takes the size the block was asked with).
TEST(ServingAllocator, MallocAndTheBackendAreOneAllocator) {
  Backend::Shared shared;
  Backend::Local local(shared);
  void* from_malloc = std::malloc(64);
  void* from_backend = Backend::alloc(local, 64);
  ASSERT_NE(from_malloc, nullptr);
  Backend::free(local, from_malloc, 64);
  std::free(from_backend);
}

}  // namespace
}  // namespace rclab::obmalloc
