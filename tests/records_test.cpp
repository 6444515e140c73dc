// Result records round-trip: a run's record, written by RecordWriter and
// read back by read_records, is the same JSON; a cut-short last line is
// named by line number and skipped, and the next append starts a new line.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "experiments/records.h"
#include "experiments/schema.h"
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
      label_record(r, *find_config(name), p);
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
    // Two valid records (any fixture will do), then one cut short.
    std::ifstream in(std::string(RCLAB_RECORD_FIXTURES) + "/valid/ceiling.jsonl");
    std::string line;
    std::getline(in, line);
    out << line << "\n" << line << "\n" << line.substr(0, line.size() / 2);
  }
  RecordFile f = read_records(path);
  ASSERT_EQ(f.records.size(), 2u);
  ASSERT_EQ(f.problems.size(), 1u);
  EXPECT_EQ(f.problems[0], path + ":3: truncated last record; skipped");
  EXPECT_FALSE(f.ends_with_newline);
  nlohmann::json fourth = f.records[0];
  fourth["config"] = "fourth";
  {
    RecordWriter w(path);
    w.append(fourth);
  }
  f = read_records(path);
  ASSERT_EQ(f.records.size(), 3u);
  EXPECT_EQ(f.records[2]["config"], "fourth");
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

// The schema, on the same fixtures the Python reader is tested on
// (tests/fixtures/records/): every valid one accepted, every invalid one
// refused with its field named.
namespace rclab::experiments {
namespace {

std::vector<std::filesystem::path> fixtures(const char* kind) {
  std::vector<std::filesystem::path> v;
  for (const auto& e : std::filesystem::directory_iterator(std::string(RCLAB_RECORD_FIXTURES) + "/" + kind))
    if (e.path().extension() == ".jsonl") v.push_back(e.path());
  std::sort(v.begin(), v.end());
  return v;
}

TEST(RecordSchema, ValidFixturesAreAccepted) {
  const auto files = fixtures("valid");
  ASSERT_FALSE(files.empty());
  for (const auto& f : files) {
    const RecordFile r = read_records(f.string());
    EXPECT_TRUE(r.problems.empty()) << f << ": " << (r.problems.empty() ? "" : r.problems.front());
    EXPECT_FALSE(r.records.empty()) << f;
  }
}

TEST(RecordSchema, InvalidFixturesAreRefusedNamingTheirField) {
  const auto files = fixtures("invalid");
  ASSERT_GE(files.size(), 10u);
  for (const auto& f : files) {
    const std::string stem = f.stem().string();
    const std::string field = stem.substr(0, stem.find("--"));
    const RecordFile r = read_records(f.string());
    EXPECT_TRUE(r.records.empty()) << f << " was accepted";
    ASSERT_EQ(r.problems.size(), 1u) << f;
    // NaN and Infinity are not JSON: the parser refuses the line outright.
    const bool not_json = r.problems[0].find("not a JSON record") != std::string::npos;
    const bool named = r.problems[0].find(": " + field + ":") != std::string::npos;
    EXPECT_TRUE(named || (not_json && (stem.find("nan") != std::string::npos || stem.find("infinity") != std::string::npos)))
        << f << ": " << r.problems[0];
  }
}

TEST(RecordSchema, WhatRclabWritesFollowsIt) {
  RunParams p;
  p.threads = 2;
  p.n = 10;
  for (const char* c : {"gil", "nogil", "buffered"}) {
    RunRecord r = find_config(c)->run(p);
    label_record(r, *find_config(c), p);
    nlohmann::json j = to_json(r);
    EXPECT_EQ(schema_problem(j), "") << c;
  }
}

}  // namespace
}  // namespace rclab::experiments
