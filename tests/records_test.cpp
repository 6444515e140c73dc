// Result records round-trip: a run's record, written by RecordWriter and
// read back by read_records, is the same JSON; a cut-short last line is
// named by line number and skipped, and the next append starts a new line.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "experiments/records.h"
#include "experiments/registry.h"
#include "experiments/run_record.h"

namespace rclab::experiments {
namespace {

std::string temp_file(const char* name) {
  const std::string p = ::testing::TempDir() + "rclab_records_" + std::to_string(::getpid()) + "_" + name;
  std::filesystem::remove(p);
  return p;
}

TEST(Records, RunRecordsRoundTripThroughTheFile) {
  const std::string path = temp_file("roundtrip.jsonl");
  RunParams p;
  p.threads = 2;
  p.n = 12;
  std::vector<nlohmann::json> written;
  {
    RecordWriter w(path);
    for (const char* name : {"gil", "atomic"}) {
      RunRecord r = find_config(name)->run(p);
      r.config = name;
      nlohmann::json j = to_json(r);
      j["status"] = "ok";
      w.append(j);
      written.push_back(j);
    }
  }
  const RecordFile f = read_records(path);
  EXPECT_TRUE(f.problems.empty());
  ASSERT_EQ(f.records.size(), written.size());
  for (std::size_t i = 0; i < written.size(); ++i) EXPECT_EQ(f.records[i], written[i]);
  EXPECT_EQ(f.records[0]["schema"], kSchema);
  for (const char* key : {"machine", "build", "time"}) EXPECT_TRUE(f.records[0].contains(key)) << key;
  EXPECT_EQ(f.records[1]["thread_cpu_s"].size(), 2u);
}

TEST(Records, CutShortLastLineIsNamedAndTheNextRecordStartsOnItsOwnLine) {
  const std::string path = temp_file("cut.jsonl");
  {
    std::ofstream out(path);
    out << R"({"a":1})" << "\n" << R"({"a":2})" << "\n" << R"({"a":3,"b")";
  }
  RecordFile f = read_records(path);
  ASSERT_EQ(f.records.size(), 2u);
  ASSERT_EQ(f.problems.size(), 1u);
  EXPECT_EQ(f.problems[0], path + ":3: truncated last record; skipped");
  EXPECT_FALSE(f.ends_with_newline);
  {
    RecordWriter w(path);
    w.append({{"a", 4}});
  }
  f = read_records(path);
  ASSERT_EQ(f.records.size(), 3u);
  EXPECT_EQ(f.records[2]["a"], 4);
  ASSERT_EQ(f.problems.size(), 1u);
  EXPECT_EQ(f.problems[0], path + ":3: not a JSON record; skipped");  // no longer the last line
}

TEST(Records, OnlyOneWriterPerFile) {
  const std::string path = temp_file("locked.jsonl");
  RecordWriter first(path);
  EXPECT_THROW(RecordWriter second(path), std::runtime_error) << "two sweeps could append the same points";
}

TEST(Records, MissingFileIsAnError) { EXPECT_THROW(read_records("/nonexistent/rclab.jsonl"), std::runtime_error); }

}  // namespace
}  // namespace rclab::experiments
