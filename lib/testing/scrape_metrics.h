// ScrapeMetrics: GET http://127.0.0.1:<port>/metrics for tests of the Prometheus endpoint.
//
//   absl::StatusOr<std::string> text = testutil::ScrapeMetrics(server.metrics_port());
#pragma once

#include <string>

#include "absl/status/statusor.h"

namespace chainkms::testutil {

// The body; UNAVAILABLE naming the URL and curl's error when the request failed.
absl::StatusOr<std::string> ScrapeMetrics(int port);

}  // namespace chainkms::testutil
