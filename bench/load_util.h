// Helpers shared by the load generators in bench/ (chain_load.cc, registry_load.cc): a bench
// has no caller to return an error to, so any failure ends the run with a one-line reason.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace chainkms::bench {

[[noreturn]] inline void Die(std::string_view program, const absl::Status& s, const char* what) {
  std::cerr << program << ": " << what << ": " << s << "\n";
  std::exit(1);
}

template <typename T>
T Must(std::string_view program, absl::StatusOr<T> v, const char* what) {
  if (!v.ok()) Die(program, v.status(), what);
  return *std::move(v);
}

// Nearest-rank percentile, p in [0, 1]; `v` must not be empty.
inline double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5));
  return v[i];
}

}  // namespace chainkms::bench
