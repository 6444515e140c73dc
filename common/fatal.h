// Fatal errors, of two kinds.
//
// fatal(): an invariant of the model is broken (a count went negative, an
// opcode the loader should have refused). These are bugs, not user errors,
// so they abort with a message, like CPython's Py_FatalError.
//
// not_modelled(): a workload did something the model does not run — a type
// or an operation outside the subset that the compiler's opcode check cannot
// see (a tuple subscripted where only dicts are, a keyword call, an int past
// 64 bits), or what would raise in CPython (KeyError, IndexError): rclab
// models no exceptions. Since workload files come from users (--workload
// PATH.py), that is bad input found while running, not a bug: one line,
// "rclab: not modelled: WHAT", and exit status 2 at once (_Exit: other
// threads may be mid-run; nothing of the run is reported).
//
// User errors found before a run are reported by the driver with exit
// status 2 and never reach here.
#pragma once

namespace rclab {

[[noreturn]] void fatal(const char* what);

[[noreturn]] void not_modelled(const char* what);

}  // namespace rclab
