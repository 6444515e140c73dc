#include <sys/wait.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include <nlohmann/json.hpp>

#include "experiments/child.h"
#include "experiments/workloads_embedded.h"

namespace rclab::experiments {

namespace {

// A workload file loaded at run time: its bytes owned here, viewed as an
// EmbeddedWorkload. Elements of a deque never move, so the views and the
// pointers find_workload hands out stay valid for the process.
struct LoadedFile {
  std::string name, path, source_sha256;
  int default_n = 0;
  bool crosses_threads = false;
  std::deque<std::string> generations, marshal, sha256;  // one per generation; never moved either
  std::vector<EmbeddedCode> codes;
  EmbeddedWorkload view{};

  void refresh_view() {
    codes.clear();
    for (std::size_t i = 0; i < marshal.size(); ++i)
      codes.push_back({generations[i].c_str(), reinterpret_cast<const unsigned char*>(marshal[i].data()),
                       marshal[i].size(), sha256[i].c_str()});
    view = {name.c_str(), source_sha256.c_str(), default_n, crosses_threads, codes, path.c_str()};
  }
};

std::deque<LoadedFile>& loaded_files() {
  static std::deque<LoadedFile> files;
  return files;
}

const EmbeddedWorkload* find_embedded(std::string_view name) {
  for (const EmbeddedWorkload& w : embedded_workloads())
    if (name == w.name) return &w;
  return nullptr;
}

// The tool's stderr as refusal lines, its "compile_workloads.py: " prefix off.
std::string refusal_lines(const std::string& err) {
  static const std::string kPrefix = "compile_workloads.py: ";
  std::string out;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    if (line.rfind(kPrefix, 0) == 0) line.erase(0, kPrefix.size());
    out += (out.empty() ? "" : "\n") + line;
  }
  return out;
}

}  // namespace

const EmbeddedWorkload* find_workload(std::string_view name) {
  if (const EmbeddedWorkload* w = find_embedded(name)) return w;
  for (const LoadedFile& f : loaded_files())
    if (name == f.name) return &f.view;
  return nullptr;
}

std::string workload_names() {
  std::string s;
  for (const EmbeddedWorkload& w : embedded_workloads()) {
    if (!s.empty()) s += ',';
    s += w.name;
  }
  return s;
}

bool is_workload_file(std::string_view spec) {
  return spec.find('/') != std::string_view::npos || (spec.size() > 3 && spec.substr(spec.size() - 3) == ".py");
}

std::string load_workload_file(const std::string& path, const std::vector<std::string>& generations,
                               const WorkloadFileOptions& options, std::string& name) {
  const std::string py = tools_python();
  // A built-in workload's name is refused before anything is compiled: the
  // records could not tell the two apart.
  if (const std::string stem = std::filesystem::path(path).stem().string(); find_embedded(stem) != nullptr)
    return path + ": '" + stem + "' is a built-in workload's name; rename the file";
  LoadedFile fresh;
  LoadedFile* file = &fresh;
  for (const std::string& gen : generations) {
    std::vector<std::string> args = {options.tools_dir + "/compile_workloads.py", "--generation", gen, "--file", path};
    if (!options.cache.empty()) args.insert(args.end(), {"--cache", options.cache});
    for (const auto& c : options.compilers) args.insert(args.end(), {"--compiler", c});
    // Compiling is a few tenths of a second; the expect check runs work(0..3)
    // on the real CPython, which a sane workload does in far less than this.
    const Child ch = run_child(py, args, 600.0);
    if (ch.stopped) return "interrupted while compiling " + path;
    if (!ch.started || ch.timed_out || !WIFEXITED(ch.wait_status) || WEXITSTATUS(ch.wait_status) == 1 ||
        WEXITSTATUS(ch.wait_status) > 2)
      return "compiling " + path + " for " + gen + " failed (" + describe_status(ch) + "): " + last_line(ch.err);
    if (WEXITSTATUS(ch.wait_status) == 2) return refusal_lines(ch.err);
    const nlohmann::json entry = nlohmann::json::parse(last_line(ch.out), nullptr, false);
    if (entry.is_discarded() || !entry.is_object() || !entry.contains("marshal") || !entry.contains("N"))
      return "compiling " + path + " for " + gen + ": compile_workloads.py printed no entry: " + last_line(ch.out);
    const std::string marshal_path = entry["marshal"].get<std::string>();
    std::ifstream in(marshal_path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) return "cannot read " + marshal_path;
    if (file->generations.empty()) {
      file->name = entry.value("name", "");
      file->path = entry.value("path", path);
      file->source_sha256 = entry.value("source_sha256", "");
      file->default_n = entry["N"].get<int>();
      file->crosses_threads = entry.value("crosses_threads", false);
      // Another file of this name: the records could not tell them apart.
      for (LoadedFile& f : loaded_files())
        if (f.name == file->name) {
          if (f.path != file->path || f.source_sha256 != file->source_sha256)
            return path + ": another workload file named " + f.name + ".py (" + f.path + ") is loaded";
          file = &f;  // the same file, for more generations
        }
    }
    bool have = false;
    for (const auto& g : file->generations) have = have || g == gen;
    if (!have) {
      file->generations.push_back(gen);
      file->marshal.push_back(std::move(bytes));
      file->sha256.push_back(entry.value("marshal_sha256", ""));
    }
  }
  if (file == &fresh && !fresh.generations.empty()) {
    loaded_files().push_back(std::move(fresh));
    file = &loaded_files().back();
  }
  file->refresh_view();
  name = file->name;
  return "";
}

}  // namespace rclab::experiments
