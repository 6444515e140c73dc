// The workloads built into the binary (workloads/README.md): for each
// interpreter generation, the marshal bytes its real CPython made from each
// workloads/*.py (workloads/compiled/GENERATION/, made by
// tools/dev/compile_workloads.py), with the sha-256 of those bytes and of the
// source, generated at configure time by experiments/CMakeLists.txt.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace rclab::experiments {

// One generation's compiled module.
struct EmbeddedCode {
  const char* generation;  // "py36", "py313": the compiler's folder (its Gen::kBytecode)
  const unsigned char* data;
  std::size_t size;
  const char* sha256;  // of the marshal bytes: what the model ran
  std::string_view bytes() const { return {reinterpret_cast<const char*>(data), size}; }
};

struct EmbeddedWorkload {
  const char* name;           // the file's stem: "fib", "dict_write", ...
  const char* source_sha256;  // of workloads/NAME.py
  int default_n;              // the module's N (every generation's MANIFEST.json agrees)
  bool crosses_threads;       // the source sets CROSSES_THREADS = True
  std::span<const EmbeddedCode> codes;  // one per generation that compiled it, in kGenerations' order

  // The module as `generation` compiled it, or nullptr when that generation
  // has none (not compiled for it).
  const EmbeddedCode* code(std::string_view generation) const {
    for (const EmbeddedCode& c : codes)
      if (generation == c.generation) return &c;
    return nullptr;
  }
};

// The generations workloads are compiled for (workloads/compiled/*/), in the
// order their codes are listed.
std::span<const char* const> embedded_generations();

// Every workload, in name order.
std::span<const EmbeddedWorkload> embedded_workloads();

// The workload called `name`, or nullptr.
const EmbeddedWorkload* find_workload(std::string_view name);

// Their names, comma-separated (for help and error messages).
std::string workload_names();

}  // namespace rclab::experiments
