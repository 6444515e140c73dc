// libFuzzer target: the result-file reader. Any bytes must parse without a
// crash, a hang or a sanitizer report; every kept record is a JSON object,
// and every line is either kept, skipped with a problem naming it, or blank.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "experiments/records.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view content(reinterpret_cast<const char*>(data), size);
  const auto f = rclab::experiments::parse_records(content, "fuzz.jsonl");
  std::size_t lines = 0;
  for (char c : content) lines += c == '\n';
  if (!content.empty() && content.back() != '\n') ++lines;
  if (f.records.size() + f.problems.size() > lines) __builtin_trap();
  for (const auto& r : f.records)
    if (!r.is_object()) __builtin_trap();
  return 0;
}
