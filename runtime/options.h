// The options a Runtime is built from: the GIL's and, for policies built
// from them, buffered counting's.
#pragma once

#include "refcount/buffered.h"
#include "runtime/gil.h"

namespace rclab::runtime {

struct RuntimeOptions {
  GilOptions gil;
  refcount::BufferedOptions buffered;  // used only by policies built from it
};

}  // namespace rclab::runtime
