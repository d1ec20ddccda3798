// The grpc.health.v1 status of a server on 127.0.0.1, without generated health stubs:
// 1 SERVING, 2 NOT_SERVING, -1 when the call failed.
//
//   EXPECT_EQ(testutil::HealthStatus(port), 1);
#pragma once

#include "absl/time/time.h"

namespace chainkms::testutil {

int HealthStatus(int port, absl::Duration deadline = absl::Seconds(5));

// Polls HealthStatus until it equals `want` or `timeout` passes; true when it did.
bool WaitForHealth(int port, int want, absl::Duration timeout);

}  // namespace chainkms::testutil
