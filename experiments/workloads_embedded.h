// The workloads rclab runs. Built into the binary (workloads/README.md): for each
// interpreter generation, the marshal bytes its real CPython made from each
// workloads/*.py (workloads/compiled/GENERATION/, made by
// tools/compile_workloads.py), with the sha-256 of those bytes and of the
// source, generated at configure time by experiments/CMakeLists.txt.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

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
  // A workload file given at run time (--workload PATH.py): its absolute
  // path; nullptr for one built into the binary.
  const char* path = nullptr;

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

// The workload called `name` (built in, or a file loaded below), or nullptr.
const EmbeddedWorkload* find_workload(std::string_view name);

// The built-in workloads' names, comma-separated (for help and error messages).
std::string workload_names();

// ---- Workload files given at run time (docs/own-workload.md) -------------
//
// `--workload PATH.py` names a file rather than a built-in workload. rclab
// does not compile Python: tools/compile_workloads.py (file mode) compiles
// it under each generation's real CPython, refuses what the model cannot run
// (one line per violation), checks work(k) == expect(k) on that CPython, and
// caches the marshal by the source's sha256. The loaded file is then found
// by its stem like a built-in workload, for the rest of the process.
// Single-threaded: called while the command line is read, before any run.

struct WorkloadFileOptions {
  std::string tools_dir;               // where compile_workloads.py is
  std::vector<std::string> compilers;  // --compiler, in the order given
  std::string cache;                   // --workload-cache; "" is the tool's default
};

// True when `spec` names a file: it ends in ".py" or holds a '/'.
bool is_workload_file(std::string_view spec);

// Loads the file `path` for every generation in `generations` (their
// Gen::kBytecode, "py36", "py313"), and sets `name` to its stem. Returns ""
// or why not: the compiler's refusal lines, each a sentence, joined by
// '\n' (bad input: exit 2). A stem that is a built-in workload's name, or
// another loaded file's, is refused too.
std::string load_workload_file(const std::string& path, const std::vector<std::string>& generations,
                               const WorkloadFileOptions& options, std::string& name);

}  // namespace rclab::experiments
