// libFuzzer target: the rclab command line. The input is split into
// arguments at NUL and newline bytes; the whole definition and validation
// runs (rclab_main with dry_run: nothing executes, nothing is written). Any
// argument list must give 0 or 2 — never a crash, an exception escaping, or
// a sanitizer report.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "experiments/cli.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 512) return 0;
  std::vector<std::string> args{"rclab"};
  std::string cur;
  for (std::size_t i = 0; i < size; ++i) {
    const char c = char(data[i]);
    if (c == '\0' || c == '\n') {
      args.push_back(cur);
      cur.clear();
      if (args.size() > 24) break;
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) args.push_back(cur);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const int status = rclab::experiments::rclab_main(int(args.size()), argv.data(), /*dry_run=*/true);
  if (status != 0 && status != 2) __builtin_trap();
  return 0;
}
