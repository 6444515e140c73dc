// The options a Runtime is built from: the settings its policies declared.
#pragma once

#include "common/settings.h"
#include "runtime/gil.h"

namespace rclab::runtime {

// Every policy reads its own declared settings from here (kSettings).
struct RuntimeOptions {
  Settings settings;
};

}  // namespace rclab::runtime
