#include "tests/vectors/vectors.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>

#include <gtest/gtest.h>

namespace chainkms::vectors {
namespace {

struct Tally {
  int passed = 0;
  int total = 0;
};

std::mutex& TallyMutex() {
  static std::mutex mu;
  return mu;
}
std::map<std::string, Tally>& Tallies() {
  static std::map<std::string, Tally> t;
  return t;
}

class SummaryEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    const auto dir = VectorsDir();
    if (!std::filesystem::is_directory(dir)) {
      std::cerr << "vectors: folder not found: " << dir
                << " (set CHAINKMS_VECTORS_DIR; the suite does not skip)\n";
      std::exit(2);
    }
  }
  void TearDown() override {
    std::lock_guard<std::mutex> l(TallyMutex());
    int passed = 0, total = 0;
    for (const auto& [suite, t] : Tallies()) {
      std::cout << "vectors: " << suite << ": " << t.passed << "/" << t.total << " cases passed\n";
      passed += t.passed;
      total += t.total;
    }
    std::cout << "vectors: all suites: " << passed << "/" << total << " cases passed\n";
  }
};

const auto* const kEnv = ::testing::AddGlobalTestEnvironment(new SummaryEnvironment);

}  // namespace

std::filesystem::path VectorsDir() {
  if (const char* env = std::getenv("CHAINKMS_VECTORS_DIR"); env && *env) return env;
#ifdef CHAINKMS_DEFAULT_VECTORS_DIR
  return std::filesystem::path(CHAINKMS_DEFAULT_VECTORS_DIR);
#else
  return std::filesystem::path("../shared/vectors");
#endif
}

nlohmann::json LoadVectorJson(const std::string& relative_path) {
  const auto path = VectorsDir() / relative_path;
  std::ifstream in(path);
  if (!in) {
    ADD_FAILURE() << "cannot open vector file " << path;
    return nlohmann::json();
  }
  return nlohmann::json::parse(in);
}

std::vector<std::filesystem::path> ListVectorFiles(const std::string& relative_dir) {
  std::vector<std::filesystem::path> out;
  const auto dir = VectorsDir() / relative_dir;
  if (!std::filesystem::is_directory(dir)) {
    ADD_FAILURE() << "vector folder missing: " << dir;
    return out;
  }
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ".json") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

void CountVectorCase(const std::string& suite, bool passed) {
  std::lock_guard<std::mutex> l(TallyMutex());
  auto& t = Tallies()[suite];
  ++t.total;
  if (passed) ++t.passed;
}

}  // namespace chainkms::vectors
