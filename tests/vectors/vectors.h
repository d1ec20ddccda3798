// Shared helpers for the public vector suites in ../shared/vectors.
//
//   nlohmann::json j = LoadVectorJson("ethereum-tests/RLPTests/rlptest.json");
//   CountVectorCase("RLPTests", passed);
// At exit the binary prints "<suite>: N/M cases passed" for every suite and fails when a suite
// ran no case. A missing vectors folder is a hard failure, never a skip.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace chainkms::vectors {

std::filesystem::path VectorsDir();
nlohmann::json LoadVectorJson(const std::string& relative_path);
// All *.json files below a folder of the vectors tree, sorted.
std::vector<std::filesystem::path> ListVectorFiles(const std::string& relative_dir);
void CountVectorCase(const std::string& suite, bool passed);

}  // namespace chainkms::vectors
