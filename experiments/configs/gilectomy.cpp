// The Gilectomy's milestones: several axes at once, as the real branch changed them, read against `gil`.
// One line per configuration: make_entry<Config<...>>(name, what it models,
// {family, baseline, milestone, follows}). experiments/configs/policies.h
// names the types; tests/registry_test.cpp checks every baseline.
#include "experiments/configs/families.h"
#include "experiments/configs/policies.h"

namespace rclab::experiments::configs {

std::span<const ConfigEntry> gilectomy_family() {
  static const ConfigEntry kEntries[] = {
    // Their dicts take the branch's recursive lock (dictlock/recursive.h):
    // "fast internal locks on mutable objects" were the plan from the first
    // talk, and the public branch locks every dict read with it.
    // `gilectomy-2016-10` is the public branch itself, read from its source
    // at de3aebf50a; the others follow the talks and slides.
    make_entry<Config<Atomic, NoGil, ObGlobal, freelists::Global<200>, PthreadKeyTState, Recursive>>(
        "atomic-2016-06",
        "Gilectomy June 2016: atomic counts, one lock around obmalloc and around the frame freelist, "
        "thread state by pthread_getspecific",
        {"gilectomy", "gil", true, "the PyCon 2016 talk and the 2017 slides"}),
    make_entry<Config<Atomic, NoGil, ObTwoStage, FramesPerThread, PthreadKeyTState, Recursive>>(
        "gilectomy-2016-10",
        "the public Gilectomy branch in October 2016, read from its source: atomic counts (__sync_add_and_fetch), "
        "a recursive futex lock taken on every dict read, obmalloc with a lock per size class and an arena lock, "
        "per-thread frame freelists (100), the thread state by pthread_getspecific on every fetch, no GIL",
        {"gilectomy", "gil", true, "larryhastings/gilectomy de3aebf50a (2016-10-13)"}),
    make_entry<Config<refcount::Buffered, NoGil, ObTwoStage, freelists::Global<200>, PthreadKeyTState, Recursive>>(
        "buffered-2016-10",
        "Gilectomy October 2016: buffered counting with a commit thread, two-stage obmalloc locks, "
        "a locked frame freelist, thread state by pthread_getspecific",
        {"gilectomy", "gil", true, "the PyCon 2017 slides (buffered counting is not in the public branch)"}),
    make_entry<Config<refcount::Buffered, NoGil, obmalloc::BlockCache<ObTwoStage>, FramesPerThread, PthreadKeyTState,
                      Recursive>>(
        "obmalloc-2017-04",
        "Gilectomy April 2017: buffered counting, a per-thread per-size-class block cache in front of two-stage "
        "obmalloc, frames cached per thread (100), thread state by pthread_getspecific",
        {"gilectomy", "gil", true, "the PyCon 2017 slides"}),
    make_entry<Config<refcount::Buffered, NoGil, obmalloc::BlockCache<ObTwoStage>, FramesPerThread,
                      runtime::ExplicitTState, Recursive>>(
        "notls-2017-05", "Gilectomy May 2017: as April, with the thread state passed down instead of looked up",
        {"gilectomy", "gil", true, "the PyCon 2017 slides"}),
  };
  return kEntries;
}

}  // namespace rclab::experiments::configs
