// Which configurations reclaim through QSBR (common/qsbr.h), and the no-op
// stand-in the others carry. A dict lock whose readers run unlocked
// (kUnlockedReaders: `optimistic`) needs it: its writers retire what they
// unlink (runtime/dict.h); so does thread-local bytecode (py313-tlbc), which
// retires a code object's outgrown array of copies (runtime/py313/tlbc.h);
// every other configuration has nothing to retire and pays nothing — no
// registration, no quiescent state in the eval loop.
#pragma once

#include <type_traits>

#include "common/qsbr.h"

namespace rclab::runtime {

template <class Cfg>
inline constexpr bool kUsesQsbr = Cfg::DictLock::kUnlockedReaders || Cfg::Gen::kThreadLocalBytecode;

struct NoQsbr {
  struct Shared {};
  struct Local {
    explicit Local(Shared&) {}
  };
};

template <class Cfg>
using QsbrOf = std::conditional_t<kUsesQsbr<Cfg>, Qsbr, NoQsbr>;

}  // namespace rclab::runtime
