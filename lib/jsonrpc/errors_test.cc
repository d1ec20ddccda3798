#include "lib/jsonrpc/errors.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "lib/common/hex.h"
#include "lib/crypto/keccak.h"

namespace chainkms {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

struct Case {
  int64_t code;
  const char* message;
  RpcErrorKind kind;
};

TEST(ClassifyRpcErrorTest, RecognisesRealNodeWordings) {
  const std::vector<Case> cases = {
      // geth / erigon
      {-32000, "nonce too low: address 0x5B38Da6a701c568545dCfcB03FcB875f56beddC4, tx: 1 state: 4",
       RpcErrorKind::kNonceTooLow},
      {-32000, "nonce too high", RpcErrorKind::kNonceTooHigh},
      {-32000, "replacement transaction underpriced", RpcErrorKind::kReplacementUnderpriced},
      {-32000, "already known", RpcErrorKind::kAlreadyKnown},
      {-32000,
       "insufficient funds for gas * price + value: address 0x5B38 have 0 want 21000000000000",
       RpcErrorKind::kInsufficientFunds},
      {3, "execution reverted: Compose hash not allowed", RpcErrorKind::kExecutionReverted},
      {-32000, "execution reverted", RpcErrorKind::kExecutionReverted},
      {-32601, "the method eth_foo does not exist/is not available",
       RpcErrorKind::kMethodNotFound},
      {-32602, "invalid argument 0: hex string without 0x prefix", RpcErrorKind::kInvalidParams},
      {-32000, "header not found", RpcErrorKind::kOther},
      {-32000, "INTERNAL_ERROR: existing tx with same hash", RpcErrorKind::kAlreadyKnown},
      // anvil
      {-32003, "Nonce too high", RpcErrorKind::kNonceTooHigh},
      {-32003, "nonce too low", RpcErrorKind::kNonceTooLow},
      {-32003, "Insufficient funds for gas * price + value", RpcErrorKind::kInsufficientFunds},
      {-32003, "transaction already imported", RpcErrorKind::kAlreadyKnown},
      {3, "execution reverted: custom error 0x118cdaa7", RpcErrorKind::kExecutionReverted},
      // nethermind / besu / openethereum / hardhat
      {-32010, "OldNonce, Current nonce: 5, nonce of rejected tx: 3", RpcErrorKind::kNonceTooLow},
      {-32010, "NonceGap, Future nonce. Expected nonce: 5", RpcErrorKind::kNonceTooHigh},
      {-32010, "InsufficientFunds, Account balance: 0, cumulative cost: 21000",
       RpcErrorKind::kInsufficientFunds},
      {-32010, "AlreadyKnown", RpcErrorKind::kAlreadyKnown},
      {-32000, "Upfront cost exceeds account balance", RpcErrorKind::kInsufficientFunds},
      {-32000, "Known transaction", RpcErrorKind::kAlreadyKnown},
      {-32010, "Transaction nonce is too low. Try incrementing the nonce.",
       RpcErrorKind::kNonceTooLow},
      {-32010,
       "Transaction gas price is too low. There is another transaction with same nonce in the "
       "queue. Try increasing the gas price or incrementing the nonce.",
       RpcErrorKind::kReplacementUnderpriced},
      {-32603,
       "VM Exception while processing transaction: reverted with reason string 'nope'",
       RpcErrorKind::kExecutionReverted},
      // hosted providers
      {-32005, "daily request count exceeded, request rate limited", RpcErrorKind::kRateLimited},
      {-32005, "project ID request rate exceeded", RpcErrorKind::kRateLimited},
      {429,
       "Your app has exceeded its compute units per second capacity. If you have retries enabled, "
       "you can safely ignore this message.",
       RpcErrorKind::kRateLimited},
      {-32007, "15/second request limit reached - reduce calls per second",
       RpcErrorKind::kRateLimited},
      {-32000, "Too Many Requests", RpcErrorKind::kRateLimited},
      {-32005, "query returned more than 10000 results", RpcErrorKind::kOther},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ClassifyRpcError(c.code, c.message), c.kind)
        << c.code << " " << c.message << " → " << RpcErrorKindName(ClassifyRpcError(c.code, c.message));
  }
}

TEST(RpcErrorToStatusTest, MapsEachKindToItsStatusCode) {
  auto code_of = [](int64_t code, const char* message) {
    return RpcErrorToStatus(*ParseRpcError(json{{"code", code}, {"message", message}}), "m").code();
  };
  EXPECT_EQ(code_of(-32000, "nonce too low"), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(code_of(-32000, "nonce too high"), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(code_of(-32000, "replacement transaction underpriced"),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(code_of(-32000, "insufficient funds for transfer"),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(code_of(3, "execution reverted"), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(code_of(-32000, "already known"), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(code_of(-32005, "request rate exceeded"), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(code_of(-32602, "invalid argument 0"), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code_of(-32601, "method not found"), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(code_of(-32000, "header not found"), absl::StatusCode::kUnavailable);
}

Bytes Word(uint64_t v) {
  Bytes w(32, 0);
  for (int i = 0; i < 8; ++i) w[31 - i] = static_cast<uint8_t>(v >> (8 * i));
  return w;
}

std::string ErrorStringData(const std::string& text) {
  Bytes d = {0x08, 0xc3, 0x79, 0xa0};
  const Bytes off = Word(32), len = Word(text.size());
  d.insert(d.end(), off.begin(), off.end());
  d.insert(d.end(), len.begin(), len.end());
  d.insert(d.end(), text.begin(), text.end());
  d.resize(4 + 64 + (text.size() + 31) / 32 * 32, 0);
  return Hex0x(d);
}

std::string CustomErrorData(const std::string& signature, const Bytes& address20) {
  const Hash32 h = Keccak256(AsBytes(signature));
  Bytes d(h.bytes.begin(), h.bytes.begin() + 4);
  d.insert(d.end(), 12, 0);
  d.insert(d.end(), address20.begin(), address20.end());
  return Hex0x(d);
}

TEST(RpcErrorToStatusTest, DecodesErrorStringRevertDataIntoTheMessage) {
  const json error = {{"code", 3},
                      {"message", "execution reverted: Compose hash not allowed"},
                      {"data", ErrorStringData("Compose hash not allowed")}};
  const absl::Status s = RpcErrorToStatus(*ParseRpcError(error), "eth_call");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("eth_call: execution reverted: Compose hash not allowed"));
  std::optional<RpcError> e = GetRpcError(s);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->kind, RpcErrorKind::kExecutionReverted);
  EXPECT_EQ(e->code, 3);
  EXPECT_EQ(Hex0x(e->data), ErrorStringData("Compose hash not allowed"));
}

TEST(RpcErrorToStatusTest, DecodesCustomErrorsGivenTheirSignatures) {
  Bytes account(20, 0x5b);
  const std::string data = CustomErrorData("OwnableUnauthorizedAccount(address)", account);
  const json error = {{"code", 3}, {"message", "execution reverted"}, {"data", data}};
  const std::vector<std::string> customs = {"OwnableUnauthorizedAccount(address)"};
  const absl::Status s = RpcErrorToStatus(*ParseRpcError(error), "eth_call", customs);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("execution reverted: OwnableUnauthorizedAccount(0x"));

  // Without the signature the data is still kept, and the caller can decode it later.
  const absl::Status plain = RpcErrorToStatus(*ParseRpcError(error), "eth_call");
  EXPECT_THAT(plain.message(), HasSubstr("unknown data"));
  std::optional<std::string> later = DescribeRevert(plain, customs);
  ASSERT_TRUE(later.has_value());
  EXPECT_THAT(*later, HasSubstr("OwnableUnauthorizedAccount(0x"));
}

TEST(RpcErrorToStatusTest, ReadsRevertDataNestedOrPrefixedLikeOlderNodes) {
  const std::string data = ErrorStringData("nope");
  std::optional<RpcError> nested = ParseRpcError(
      json{{"code", -32603}, {"message", "execution reverted"}, {"data", {{"data", data}}}});
  ASSERT_TRUE(nested.has_value());
  EXPECT_EQ(Hex0x(nested->data), data);
  std::optional<RpcError> parity = ParseRpcError(
      json{{"code", -32015}, {"message", "VM execution error."}, {"data", "Reverted " + data}});
  ASSERT_TRUE(parity.has_value());
  EXPECT_EQ(parity->kind, RpcErrorKind::kExecutionReverted);
  EXPECT_THAT(RpcErrorToStatus(*parity, "eth_call").message(),
              HasSubstr("execution reverted: nope"));
}

TEST(ParseRpcErrorTest, RejectsErrorObjectsWithoutAnIntegerCode) {
  EXPECT_FALSE(ParseRpcError(json{{"message", "x"}}).has_value());
  EXPECT_FALSE(ParseRpcError(json{{"code", "3"}, {"message", "x"}}).has_value());
  EXPECT_FALSE(ParseRpcError(json("boom")).has_value());
}

TEST(GetRpcErrorTest, IsEmptyForStatusesWithoutThePayload) {
  EXPECT_FALSE(GetRpcError(absl::OkStatus()).has_value());
  EXPECT_FALSE(GetRpcError(absl::UnavailableError("connection refused")).has_value());
}

TEST(LooksRateLimitedTest, SpotsHtmlAndTextNoticesButNotGasLimits) {
  EXPECT_TRUE(LooksRateLimited("<html><body><h1>429 Too Many Requests</h1></body></html>"));
  EXPECT_TRUE(LooksRateLimited("Rate limit exceeded"));
  EXPECT_FALSE(LooksRateLimited("exceeds block gas limit"));
  EXPECT_FALSE(LooksRateLimited("<html>502 Bad Gateway</html>"));
}

}  // namespace
}  // namespace chainkms
