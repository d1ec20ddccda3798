// ethereum-tests TransactionTests: each file holds one raw transaction and, per fork, either the
// expected sender and hash or an exception. We check against the latest fork listed, on chain 1
// (the network the fillers use): a valid case must decode, recover exactly `sender` and hash to
// `hash`; an exception case must fail decoding, the chain check or sender recovery.
#include <gtest/gtest.h>

#include "lib/common/hex.h"
#include "lib/eth/address.h"
#include "lib/eth/transaction.h"
#include "tests/vectors/vectors.h"

namespace chainkms {
namespace {

// Newest first; the first one present in a case's `result` is the one we hold ourselves to.
constexpr const char* kForks[] = {"Prague", "Cancun", "Shanghai", "Paris", "London", "Berlin",
                                  "Istanbul", "ConstantinopleFix", "Constantinople", "Byzantium",
                                  "EIP158", "EIP150", "Homestead", "Frontier"};

absl::StatusOr<Address> Validate(ByteView raw) {
  auto stx = DecodeTransaction(raw);
  if (!stx.ok()) return stx.status();
  if (auto s = CheckChainId(*stx, 1); !s.ok()) return s;
  return RecoverSender(*stx);
}

TEST(TransactionVectorsTest, EveryCaseMatchesTheLatestFork) {
  const auto files = vectors::ListVectorFiles("ethereum-tests/TransactionTests");
  ASSERT_FALSE(files.empty());
  for (const auto& path : files) {
    const auto rel = std::filesystem::relative(path, vectors::VectorsDir()).string();
    const nlohmann::json j = vectors::LoadVectorJson(rel);
    for (const auto& [name, c] : j.items()) {
      SCOPED_TRACE(rel + " " + name);
      const nlohmann::json* result = nullptr;
      for (const char* fork : kForks) {
        if (c.at("result").contains(fork)) {
          result = &c.at("result").at(fork);
          break;
        }
      }
      ASSERT_NE(result, nullptr) << "no known fork in result";
      const auto raw = HexDecode(c.at("txbytes").get<std::string>());
      ASSERT_TRUE(raw.ok());
      const auto sender = Validate(*raw);
      bool passed;
      if (result->contains("exception")) {
        passed = !sender.ok() && sender.status().code() == absl::StatusCode::kInvalidArgument;
        EXPECT_TRUE(passed) << "accepted a transaction the tests reject: "
                            << result->at("exception").get<std::string>();
      } else {
        const auto want_sender = HexDecodeFixed<20>(result->at("sender").get<std::string>());
        const auto want_hash = ParseHash32(result->at("hash").get<std::string>());
        passed = sender.ok() && want_sender.ok() && want_hash.ok() && *sender == *want_sender &&
                 TransactionHash(*raw) == *want_hash;
        EXPECT_TRUE(passed) << (sender.ok() ? "wrong sender or hash" : sender.status().ToString());
      }
      vectors::CountVectorCase("TransactionTests", passed);
    }
  }
}

}  // namespace
}  // namespace chainkms
