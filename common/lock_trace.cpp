#include "common/lock_trace.h"

namespace rclab {

const char* to_string(LockEvent e) {
  switch (e) {
    case LockEvent::kEntry: return "ENTRY";
    case LockEvent::kBusy: return "BUSY";
    case LockEvent::kRetry: return "RETRY";
    case LockEvent::kAcquire: return "ACQUIRE";
    case LockEvent::kRelease: return "RELEASE";
    case LockEvent::kDropRequest: return "DROP_REQUEST";
    case LockEvent::kReleased: return "RELEASED";
  }
  return "?";
}

const char* to_string(LockId l) {
  switch (l) {
    case LockId::kGil: return "GIL";
    case LockId::kAlloc: return "allocator";
    case LockId::kFreelist: return "freelist";
  }
  return "?";
}

}  // namespace rclab
