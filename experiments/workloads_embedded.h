// The workloads built into the binary (workloads/README.md): the marshal
// bytes real CPython 3.6 made from each workloads/*.py, with the sha-256 of
// those bytes and of the source, generated at configure time by
// experiments/CMakeLists.txt from workloads/compiled/.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace rclab::experiments {

struct EmbeddedWorkload {
  const char* name;  // the file's stem: "fib", "dict_write", ...
  const unsigned char* data;
  std::size_t size;
  const char* code_sha256;    // of the marshal bytes: what the model ran
  const char* source_sha256;  // of workloads/NAME.py
  int default_n;              // the module's N (MANIFEST.json)
  bool crosses_threads;       // the source sets CROSSES_THREADS = True
  std::string_view bytes() const { return {reinterpret_cast<const char*>(data), size}; }
};

// Every workload, in MANIFEST.json's order (by name).
std::span<const EmbeddedWorkload> embedded_workloads();

// The workload called `name`, or nullptr.
const EmbeddedWorkload* find_workload(std::string_view name);

// Their names, comma-separated (for help and error messages).
std::string workload_names();

}  // namespace rclab::experiments
