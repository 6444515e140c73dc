// The rclab command line as a library function, so the driver and the
// command-line fuzzer run exactly the same definition and validation.
#pragma once

namespace rclab::experiments {

// Parses, validates and runs one command line (argv[0] is the program).
// Returns the exit status: 0 ok, 1 the work went wrong, 2 bad input.
// With dry_run, stops after validation — nothing runs, no file is written,
// nothing is printed — and returns 0 for a command line that would run.
int rclab_main(int argc, char** argv, bool dry_run = false);

}  // namespace rclab::experiments
