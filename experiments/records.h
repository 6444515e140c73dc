// Result files: JSON Lines, one record per line.
//
// Writing: each record is one write() of a whole line to a file opened with
// O_APPEND, then fsync(), so a crash or SIGKILL at any moment leaves every
// finished record intact; at worst the last line is cut short.
// Reading: a line that is not a JSON object (a cut-short last line, or
// damage) is reported with its line number and skipped — never silently
// dropped, never fatal to the records around it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace rclab::experiments {

struct RecordFile {
  std::vector<nlohmann::json> records;
  std::vector<std::string> problems;  // "FILE:LINE: what", one per skipped line
  bool ends_with_newline = true;      // false when the last line was cut short
};

// Throws std::runtime_error when the file cannot be opened.
RecordFile read_records(const std::string& path);
// The same, from the file's contents; `name` only labels the problems.
RecordFile parse_records(std::string_view content, const std::string& name);

// Writes `content` to a temporary file beside `path` and renames it into
// place: a crash leaves the old file or the new one, never half of one.
void write_file_atomically(const std::string& path, std::string_view content);

class RecordWriter {
 public:
  // Opens (creating if needed) for appending. If the file's last line was cut
  // short, starts a new line first so the next record stands on its own.
  explicit RecordWriter(const std::string& path);
  ~RecordWriter();
  RecordWriter(const RecordWriter&) = delete;
  RecordWriter& operator=(const RecordWriter&) = delete;

  void append(const nlohmann::json& record);  // throws std::runtime_error on I/O failure

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace rclab::experiments
