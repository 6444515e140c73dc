#include "experiments/records.h"

#include "experiments/schema.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace rclab::experiments {

RecordFile read_records(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open: " + std::strerror(errno));
  std::stringstream content;
  content << in.rdbuf();
  return parse_records(content.str(), path);
}

RecordFile parse_records(std::string_view content, const std::string& name) {
  RecordFile f;
  f.ends_with_newline = content.empty() || content.back() == '\n';
  int lineno = 0;
  while (!content.empty()) {
    const std::size_t nl = content.find('\n');
    const std::string_view line = content.substr(0, nl);
    const bool last = nl == std::string_view::npos;
    content = last ? std::string_view{} : content.substr(nl + 1);
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      const bool cut = last && !f.ends_with_newline;
      f.problems.push_back(name + ":" + std::to_string(lineno) + ": " +
                           (cut ? "truncated last record" : "not a JSON record") + "; skipped");
      continue;
    }
    // The same rule as tools/rclab_records.py: a record must follow the
    // schema (schema/record.schema.json), or it is named and skipped.
    if (auto why = schema_problem(j); !why.empty()) {
      f.problems.push_back(name + ":" + std::to_string(lineno) + ": " + why + "; skipped");
      continue;
    }
    f.records.push_back(std::move(j));
  }
  return f;
}

void write_file_atomically(const std::string& path, std::string_view content) {
  std::string tmp = path + ".tmp-XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) throw std::runtime_error(path + ": cannot create a temporary file: " + std::strerror(errno));
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw std::runtime_error(path + ": write failed: " + std::strerror(err));
    }
    done += std::size_t(n);
  }
  // Readable like any file this tool writes (mkstemp creates 0600), and
  // renamed into place only once it is known to be on disk in full.
  const bool ok = ::fchmod(fd, 0644) == 0 && ::fsync(fd) == 0;
  const int err = errno;
  if (::close(fd) != 0 || !ok) {
    ::unlink(tmp.c_str());
    throw std::runtime_error(path + ": cannot write: " + std::strerror(ok ? errno : err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw std::runtime_error(path + ": cannot rename into place: " + std::strerror(err));
  }
}

RecordWriter::RecordWriter(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw std::runtime_error(path + ": cannot open for writing: " + std::strerror(errno));
  // One writer per file: two sweeps appending to the same file would each
  // run every point. The lock goes with the descriptor (and the process).
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error(path + ": another rclab process is writing this file");
  }
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && st.st_size > 0) {
    const int rfd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    char last = '\n';
    if (rfd >= 0) {
      if (::pread(rfd, &last, 1, st.st_size - 1) != 1) last = '\n';
      ::close(rfd);
    }
    if (last != '\n' && ::write(fd_, "\n", 1) != 1) {
      const int err = errno;
      ::close(fd_);
      fd_ = -1;
      throw std::runtime_error(path + ": write failed: " + std::strerror(err));
    }
  }
}

RecordWriter::~RecordWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void RecordWriter::append(const nlohmann::json& record) {
  const std::string line = record.dump() + "\n";
  // One write() of the whole line: O_APPEND makes it land at the end in one
  // piece; fsync() makes it survive a crash of the machine, not only of us.
  std::size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(path_ + ": write failed: " + std::strerror(errno));
    }
    done += std::size_t(n);
  }
  if (::fsync(fd_) != 0) throw std::runtime_error(path_ + ": fsync failed: " + std::strerror(errno));
}

}  // namespace rclab::experiments
