// The generated C++ API compiles, links and round-trips messages.
#include <string>
#include <type_traits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "chainkms/v1/common.pb.h"
#include "chainkms/v1/error_details.pb.h"
#include "chainkms/v1/registry.grpc.pb.h"
#include "chainkms/v1/registry_mock.grpc.pb.h"
#include "lib/common/reason.h"
#include "lib/server/status.h"

namespace chainkms::v1 {
namespace {

TEST(ProtoCompile, RegistryServiceAndStubExist) {
  static_assert(std::is_polymorphic_v<Registry::Service>);
  static_assert(std::is_base_of_v<Registry::StubInterface, Registry::Stub>);
  EXPECT_STREQ(Registry::service_full_name(), "chainkms.v1.Registry");
}

// A client of the registry (provisioning, gateway) takes Registry::StubInterface; its tests pass
// the generated StrictMock.
TEST(ProtoCompile, TheGeneratedMockStubStandsInForTheRegistry) {
  ::testing::StrictMock<MockRegistryStub> stub;
  GetAppResponse canned;
  canned.set_owner(std::string(20, '\x07'));
  EXPECT_CALL(stub, GetApp(::testing::_, ::testing::_, ::testing::_))
      .WillOnce(::testing::DoAll(::testing::SetArgPointee<2>(canned),
                                 ::testing::Return(grpc::Status::OK)));
  Registry::StubInterface& client = stub;
  grpc::ClientContext ctx;
  GetAppRequest req;
  GetAppResponse resp;
  EXPECT_TRUE(client.GetApp(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.owner(), std::string(20, '\x07'));
}

TEST(ProtoCompile, WatchPolicyEventsIsServerStreaming) {
  const auto* method = google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
      "chainkms.v1.Registry.WatchPolicyEvents");
  ASSERT_NE(method, nullptr);
  EXPECT_FALSE(method->client_streaming());
  EXPECT_TRUE(method->server_streaming());
}

TEST(ProtoCompile, AddComposeHashRequestRoundTripsThroughTheWireFormat) {
  AddComposeHashRequest req;
  req.set_chain_id(31337);
  req.set_from(std::string(20, '\x01'));
  req.mutable_options()->set_confirmations(2);
  req.mutable_options()->set_wait(true);
  req.set_app_id(std::string(20, '\x02'));
  req.set_compose_hash(std::string(32, '\x03'));

  AddComposeHashRequest back;
  ASSERT_TRUE(back.ParseFromString(req.SerializeAsString()));
  EXPECT_EQ(back.chain_id(), 31337u);
  EXPECT_EQ(back.compose_hash(), std::string(32, '\x03'));
  EXPECT_TRUE(back.options().wait());
  EXPECT_EQ(back.SerializeAsString(), req.SerializeAsString());
}

TEST(ProtoCompile, StreamedPolicyEventKeepsItsOneof) {
  WatchPolicyEventsResponse ev;
  ev.set_block_number(7);
  ev.mutable_ownership_transferred()->set_new_owner(std::string(20, '\x09'));
  WatchPolicyEventsResponse back;
  ASSERT_TRUE(back.ParseFromString(ev.SerializeAsString()));
  EXPECT_EQ(back.event_case(), WatchPolicyEventsResponse::kOwnershipTransferred);
  EXPECT_EQ(back.ownership_transferred().new_owner(), std::string(20, '\x09'));
}

TEST(ProtoCompile, ErrorInfoUsesTheGoogleRpcFieldNumbers) {
  // google.rpc.ErrorInfo: reason = 1, domain = 2, metadata = 3 (map<string, string>).
  const auto* d = ErrorInfo::descriptor();
  EXPECT_EQ(d->FindFieldByName("reason")->number(), 1);
  EXPECT_EQ(d->FindFieldByName("domain")->number(), 2);
  EXPECT_EQ(d->FindFieldByName("metadata")->number(), 3);
  ErrorInfo info;
  info.set_reason("NOT_OWNER");
  info.set_domain("chainkms.dev");
  (*info.mutable_metadata())["owner"] = "0x00";
  Status status;
  status.set_code(9);  // FAILED_PRECONDITION
  status.add_details()->PackFrom(info);
  Status back;
  ASSERT_TRUE(back.ParseFromString(status.SerializeAsString()));
  ErrorInfo unpacked;
  ASSERT_TRUE(back.details(0).UnpackTo(&unpacked));
  EXPECT_EQ(unpacked.reason(), "NOT_OWNER");
  EXPECT_EQ(unpacked.metadata().at("owner"), "0x00");
}

TEST(ProtoCompile, ErrorReasonNamesCarryThePrefixClientsStrip) {
  EXPECT_EQ(ErrorReason_Name(ERROR_REASON_HASH_NOT_ALLOWED), "ERROR_REASON_HASH_NOT_ALLOWED");
}

TEST(ProtoCompile, ReasonEnumMirrorsErrorReasonValueForValue) {
  const google::protobuf::EnumDescriptor* d = ErrorReason_descriptor();
  // Every proto value but UNSPECIFIED has an enumerator of the same name and number - 1 ...
  for (int i = 0; i < d->value_count(); ++i) {
    const google::protobuf::EnumValueDescriptor* v = d->value(i);
    if (v->number() == ERROR_REASON_UNSPECIFIED) continue;
    std::string name = v->name().substr(std::string("ERROR_REASON_").size());
    std::optional<::chainkms::Reason> r = ::chainkms::ParseReason(name);
    ASSERT_TRUE(r.has_value()) << v->name() << " has no chainkms::Reason";
    EXPECT_EQ(static_cast<int>(*r) + 1, v->number()) << name;
  }
  // ... and every enumerator has a proto value.
  for (::chainkms::Reason r : ::chainkms::AllReasons()) {
    std::string name = "ERROR_REASON_" + std::string(::chainkms::ReasonName(r));
    EXPECT_NE(d->FindValueByName(name), nullptr) << name << " is missing from common.proto";
  }
  EXPECT_EQ(static_cast<int>(::chainkms::AllReasons().size()), d->value_count() - 1);
}

TEST(ProtoCompile, ToGrpcStatusDetailsParseAsErrorInfoWithMetadata) {
  absl::Status s = ::chainkms::WithReason(
      absl::FailedPreconditionError("not the owner"), ::chainkms::Reason::kNotOwner,
      {{"owner", "0x01"}, {"from", "0x02"}, {"contract", "0x03"}});
  grpc::Status g = ::chainkms::server::ToGrpcStatus(s);
  Status status;
  ASSERT_TRUE(status.ParseFromString(g.error_details()));
  EXPECT_EQ(status.code(), 9);
  ASSERT_EQ(status.details_size(), 1);
  ErrorInfo info;
  EXPECT_EQ(status.details(0).type_url(), "type.googleapis.com/google.rpc.ErrorInfo");
  ASSERT_TRUE(info.ParseFromString(status.details(0).value()));
  EXPECT_EQ(info.reason(), "NOT_OWNER");
  EXPECT_EQ(info.domain(), "chainkms.dev");
  EXPECT_EQ(info.metadata().at("owner"), "0x01");
  EXPECT_EQ(info.metadata().at("from"), "0x02");
  EXPECT_EQ(info.metadata().at("contract"), "0x03");
}

}  // namespace
}  // namespace chainkms::v1
