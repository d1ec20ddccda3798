// A fresh directory under /tmp for one test (or one suite), removed with everything in it when
// the object goes away.
//
//   testutil::TempDir dir;                       // /tmp/chainkms-test-XXXXXX
//   std::string keys = dir.path() + "/keys";
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace chainkms::testutil {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/chainkms-test-XXXXXX";
    if (mkdtemp(tmpl) != nullptr) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Empty when the directory could not be made.
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace chainkms::testutil
