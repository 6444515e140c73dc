// Fatal errors: an invariant of the model is broken (a count went negative,
// an opcode is unknown). These are bugs, not user errors, so they abort with
// a message, like CPython's Py_FatalError. User errors are reported by the
// driver with exit status 2 and never reach here.
#pragma once

namespace rclab {

[[noreturn]] void fatal(const char* what);

}  // namespace rclab
