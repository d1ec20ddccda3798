// RegistryService end to end: KMS administration, app registration, idempotent retries,
// caller-signed submissions and timelock/Safe preparation through gRPC over a real anvil.
#include <functional>
#include <type_traits>

#include "services/registry/registry_fixture_test.h"

namespace chainkms::registry {
namespace {

// Its own anvil and server (the fixture is per file), so these writes never meet the policy tests'.
class RegistryAdminTest : public RegistryServiceTest {
 protected:
  // A write signed by the KMS owner and awaited; `set` fills the request's own fields.
  template <typename Req, typename Resp>
  Resp KmsWrite(grpc::Status (pb::Registry::Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                const std::type_identity_t<std::function<void(Req&)>>& set) {
    Req req;
    req.set_chain_id(kChainId);
    req.set_from(Raw(*owner_));
    *req.mutable_options() = Wait();
    set(req);
    Resp resp;
    grpc::ClientContext ctx;
    grpc::Status s = (stub_->*method)(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }
};

TEST_F(RegistryAdminTest, KmsAdministrationWritesTakeEffectAndIsKmsAllowedFollowsThem) {
  ASSERT_OK_AND_ASSIGN(json snap, anvil_->Rpc("evm_snapshot", json::array()));
  absl::Cleanup revert = [snap] { (void)anvil_->Rpc("evm_revert", json::array({snap})); };
  const std::string image = H("kms-admin-image"), mr = H("kms-admin-mr"),
                    device = H("kms-admin-dev");
  pb::IsKmsAllowedRequest allowed;
  allowed.set_chain_id(kChainId);
  pb::AppBootInfo* b = allowed.mutable_boot_info();
  b->set_app_id(std::string(20, '\x0a'));
  b->set_compose_hash(std::string(32, '\x01'));
  b->set_instance_id(std::string(20, '\x02'));
  b->set_device_id(device);
  b->set_mr_aggregated(mr);
  b->set_mr_system(std::string(32, '\x05'));
  b->set_os_image_hash(image);
  b->set_tcb_status("UpToDate");
  pb::IsKmsAllowedResponse verdict;
  EXPECT_RPC_OK(stub_->IsKmsAllowed(&ctx_, allowed, &verdict));
  EXPECT_FALSE(verdict.is_allowed());
  EXPECT_EQ(verdict.reason(), "OS image is not allowed");

  {
    pb::AddOsImageHashResponse resp =
        KmsWrite(&pb::Registry::Stub::AddOsImageHash,
                 [&](pb::AddOsImageHashRequest& r) { r.set_os_image_hash(image); });
    EXPECT_EQ(resp.transaction().state(), pb::TRANSACTION_STATE_CONFIRMED);
  }
  KmsWrite(&pb::Registry::Stub::AddKmsAggregatedMr,
           [&](pb::AddKmsAggregatedMrRequest& r) { r.set_mr_aggregated(mr); });
  EXPECT_RPC_OK(stub_->IsKmsAllowed(&ctx_, allowed, &verdict));
  EXPECT_EQ(verdict.reason(), "KMS is not allowed to boot on this device");
  KmsWrite(&pb::Registry::Stub::AddKmsDevice,
           [&](pb::AddKmsDeviceRequest& r) { r.set_device_id(device); });
  EXPECT_RPC_OK(stub_->IsKmsAllowed(&ctx_, allowed, &verdict));
  EXPECT_TRUE(verdict.is_allowed()) << verdict.reason();

  pb::CheckKmsAllowlistsRequest lists;
  lists.set_chain_id(kChainId);
  lists.add_os_image_hashes(image);
  lists.add_kms_aggregated_mrs(mr);
  lists.add_kms_device_ids(device);
  pb::CheckKmsAllowlistsResponse shown;
  EXPECT_RPC_OK(stub_->CheckKmsAllowlists(&ctx_, lists, &shown));
  EXPECT_THAT(shown.os_image_hash_allowed(), ::testing::ElementsAre(true));
  EXPECT_THAT(shown.kms_aggregated_mr_allowed(), ::testing::ElementsAre(true));
  EXPECT_THAT(shown.kms_device_id_allowed(), ::testing::ElementsAre(true));

  KmsWrite(&pb::Registry::Stub::RemoveOsImageHash,
           [&](pb::RemoveOsImageHashRequest& r) { r.set_os_image_hash(image); });
  KmsWrite(&pb::Registry::Stub::RemoveKmsAggregatedMr,
           [&](pb::RemoveKmsAggregatedMrRequest& r) { r.set_mr_aggregated(mr); });
  KmsWrite(&pb::Registry::Stub::RemoveKmsDevice,
           [&](pb::RemoveKmsDeviceRequest& r) { r.set_device_id(device); });
  EXPECT_RPC_OK(stub_->CheckKmsAllowlists(&ctx_, lists, &shown));
  EXPECT_THAT(shown.os_image_hash_allowed(), ::testing::ElementsAre(false));
  EXPECT_THAT(shown.kms_aggregated_mr_allowed(), ::testing::ElementsAre(false));
  EXPECT_THAT(shown.kms_device_id_allowed(), ::testing::ElementsAre(false));

  const FixedBytes<33> k256 =
      Secp256k1PrivateKey::FromBytes(*HexDecode(kKey3))->PublicKey().Compressed();
  KmsWrite(&pb::Registry::Stub::SetKmsInfo, [&](pb::SetKmsInfoRequest& r) {
    r.mutable_kms_info()->set_k256_pubkey(Raw(k256));
    r.mutable_kms_info()->set_ca_pubkey(std::string("\x30\x03\x02\x01\x07", 5));
  });
  KmsWrite(&pb::Registry::Stub::SetAppImplementation, [&](pb::SetAppImplementationRequest& r) {
    r.set_implementation(Raw(net_->app_implementation));
  });
  KmsWrite(&pb::Registry::Stub::SetGatewayAppId,
           [&](pb::SetGatewayAppIdRequest& r) { r.set_gateway_app_id("gateway-app-1"); });
  pb::GetKmsInfoRequest info_req;
  info_req.set_chain_id(kChainId);
  pb::GetKmsInfoResponse info;
  EXPECT_RPC_OK(stub_->GetKmsInfo(&ctx_, info_req, &info));
  EXPECT_EQ(info.kms_info().k256_pubkey(), Raw(k256));
  EXPECT_EQ(info.kms_info().ca_pubkey(), std::string("\x30\x03\x02\x01\x07", 5));
  EXPECT_EQ(info.app_implementation(), Raw(net_->app_implementation));
  EXPECT_EQ(info.gateway_app_id(), "gateway-app-1");

  // Not the KMS owner: refused before sending, with the documented metadata.
  pb::AddKmsDeviceRequest intruder;
  intruder.set_chain_id(kChainId);
  intruder.set_from(Raw(*other_));
  intruder.set_device_id(H("intruder"));
  pb::AddKmsDeviceResponse none;
  grpc::ClientContext ctx;
  grpc::Status s = stub_->AddKmsDevice(&ctx, intruder, &none);
  EXPECT_THAT(s, StatusIs(grpc::StatusCode::FAILED_PRECONDITION));
  EXPECT_THAT(s, HasReason("NOT_OWNER"));
  EXPECT_THAT(s, HasMetadata("contract", ToChecksumAddress(net_->kms)));
  EXPECT_THAT(s, HasMetadata("owner", ToChecksumAddress(*owner_)));
  EXPECT_THAT(s, HasMetadata("from", ToChecksumAddress(*other_)));
}

TEST_F(RegistryAdminTest, RegisterAppIsSignedByTheAppOwnerAndEmitsAppRegistered) {
  const std::string app = DeployApp(H("register-c"), H("register-d"));
  pb::RegisterAppRequest req;
  req.set_chain_id(kChainId);
  req.set_from(Raw(*owner_));
  *req.mutable_options() = Wait();
  req.set_app_id(app);
  pb::RegisterAppResponse resp;
  EXPECT_RPC_OK(stub_->RegisterApp(&ctx_, req, &resp));
  EXPECT_EQ(resp.transaction().state(), pb::TRANSACTION_STATE_CONFIRMED);
  EXPECT_EQ(resp.transaction().to(), Raw(net_->kms));
  EXPECT_TRUE(GetApp(app).registered());
  req.set_from(Raw(*other_));
  grpc::ClientContext ctx;
  grpc::Status s = stub_->RegisterApp(&ctx, req, &resp);
  EXPECT_THAT(s, HasReason("NOT_OWNER"));
  EXPECT_THAT(s, HasMetadata("contract", ToChecksumAddress(*ParseAddress(Hex0x(AsBytes(app))))));
}

// A client whose connection dropped retries with the same idempotency key: the first attempt's
// transaction comes back and nothing is sent again; the key with another write is refused.
TEST_F(RegistryAdminTest, AWriteRetriedWithItsIdempotencyKeyIsSentOnce) {
  const std::string app = DeployApp(H("idem-c"), H("idem-d"));
  auto req = AppWrite<pb::AddComposeHashRequest>(app, *owner_);
  req.set_compose_hash(H("idem-c2"));
  req.mutable_options()->set_idempotency_key("retry-me-1");
  pb::AddComposeHashResponse first, second;
  EXPECT_RPC_OK(stub_->AddComposeHash(&ctx_, req, &first));
  const uint64_t nonce_after_first = NonceOf(*owner_);
  EXPECT_RPC_OK(stub_->AddComposeHash(&ctx_, req, &second));
  EXPECT_EQ(second.transaction().tx_hash(), first.transaction().tx_hash());
  EXPECT_EQ(NonceOf(*owner_), nonce_after_first);  // nothing sent
  req.set_compose_hash(H("idem-other"));
  grpc::ClientContext ctx;
  pb::AddComposeHashResponse third;
  grpc::Status s = stub_->AddComposeHash(&ctx, req, &third);
  EXPECT_THAT(s, StatusIs(grpc::StatusCode::FAILED_PRECONDITION));
  EXPECT_THAT(s, HasReason("IDEMPOTENCY_KEY_REUSED"));
  EXPECT_THAT(s, HasMetadata("idempotency_key", "retry-me-1"));
  EXPECT_THAT(s, HasMetadata("tx_hash", Hex0x(AsBytes(first.transaction().tx_hash()))));
}

TEST_F(RegistryAdminTest, KmsInfoAndAllowlistsAreRead) {
  pb::GetKmsInfoRequest req;
  req.set_chain_id(kChainId);
  pb::GetKmsInfoResponse resp;
  EXPECT_RPC_OK(stub_->GetKmsInfo(&ctx_, req, &resp));
  EXPECT_EQ(resp.kms_contract(), Raw(net_->kms));
  EXPECT_EQ(resp.owner(), Raw(net_->deployer));
  EXPECT_EQ(resp.app_implementation(), Raw(net_->app_implementation));

  pb::CheckKmsAllowlistsRequest check;
  check.set_chain_id(kChainId);
  check.add_os_image_hashes(Raw(net_->os_image_hash));
  check.add_os_image_hashes(H("not an image"));
  pb::CheckKmsAllowlistsResponse allow;
  EXPECT_RPC_OK(stub_->CheckKmsAllowlists(&ctx_, check, &allow));
  EXPECT_THAT(allow.os_image_hash_allowed(), ::testing::ElementsAre(true, false));
}

TEST_F(RegistryAdminTest, APreparedTransactionSignedByTheCallerIsSubmittedAndTakesEffect) {
  // An app owned by a key the server does not hold (anvil account 3).
  const auto outside = SignerFor(kKey3);
  pb::DeployAppRequest deploy;
  deploy.set_chain_id(kChainId);
  deploy.set_from(Raw(*owner_));
  *deploy.mutable_options() = Wait();
  deploy.set_owner(Raw(outside->address()));
  pb::DeployAppResponse deployed;
  EXPECT_RPC_OK(stub_->DeployApp(&ctx_, deploy, &deployed));
  const std::string app = deployed.app_id();
  ASSERT_EQ(app.size(), 20u);

  const std::string hash = H("prepared-hash");
  pb::PrepareTransactionRequest prep;
  prep.set_chain_id(kChainId);
  prep.set_from(Raw(outside->address()));
  pb::ComposeHashCall* call = prep.add_actions()->mutable_add_compose_hash();
  call->set_app_id(app);
  call->set_compose_hash(hash);
  pb::PrepareTransactionResponse prepared;
  EXPECT_RPC_OK(stub_->PrepareTransaction(&ctx_, prep, &prepared));
  ASSERT_EQ(prepared.transactions_size(), 1);
  const pb::UnsignedTransaction& u = prepared.transactions(0);
  EXPECT_EQ(u.to(), app);
  EXPECT_EQ(u.function_signature(), "addComposeHash(bytes32)");
  EXPECT_GT(u.gas_limit(), 21000u);
  EXPECT_THAT(prepared.safe_transaction_builder_json(), HasSubstr("\"transactions\""));

  // The caller signs what was prepared.
  Transaction tx;
  tx.chain_id = u.chain_id();
  tx.nonce = u.nonce();
  tx.max_fee_per_gas = *U256::FromDecimal(u.max_fee_per_gas_wei());
  tx.max_priority_fee_per_gas = *U256::FromDecimal(u.max_priority_fee_per_gas_wei());
  tx.gas_limit = u.gas_limit();
  tx.to = *Address::TryFrom(AsBytes(u.to()));
  tx.data = Bytes(u.data().begin(), u.data().end());
  EXPECT_EQ(Raw(*SigningHash(tx)), u.signing_hash());
  auto signed_tx = SignTransaction(tx, *Secp256k1PrivateKey::FromBytes(*HexDecode(kKey3)));
  ASSERT_TRUE(signed_tx.ok());

  pb::SubmitSignedTransactionRequest submit;
  submit.set_chain_id(kChainId);
  submit.set_app_id(app);
  submit.set_signed_transaction(Raw(EncodeSigned(*signed_tx)));
  *submit.mutable_options() = Wait();
  pb::SubmitSignedTransactionResponse submitted;
  EXPECT_RPC_OK(stub_->SubmitSignedTransaction(&ctx_, submit, &submitted));
  EXPECT_EQ(submitted.transaction().state(), pb::TRANSACTION_STATE_CONFIRMED);
  EXPECT_EQ(submitted.transaction().from(), Raw(outside->address()));
  EXPECT_THAT(Check(app, {hash}, {}).compose_hash_allowed(), ::testing::ElementsAre(true));

  // The same transaction aimed at another app is refused before broadcasting.
  submit.set_app_id(std::string(20, '\x07'));
  grpc::ClientContext ctx;
  grpc::Status s = stub_->SubmitSignedTransaction(&ctx, submit, &submitted);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(s), "TARGET_NOT_ALLOWED");
}

// A multisig/timelock owner gets, through the RPC, exactly what lib's builders make: the
// timelock's schedule/execute calldata and operation id, and a Safe batch that schedules it.
TEST_F(RegistryAdminTest, PrepareTransactionReturnsTimelockCalldataAndASafeBatchThatSchedulesIt) {
  const std::string app(20, '\x42');
  const std::string hash = H("timelocked-hash");
  const std::string timelock(20, '\x71');
  const std::string safe(20, '\x5a');
  pb::PrepareTransactionRequest prep;
  prep.set_chain_id(kChainId);
  prep.set_safe(safe);
  prep.mutable_timelock()->set_timelock(timelock);
  prep.mutable_timelock()->set_delay_seconds(3600);
  pb::ComposeHashCall* call = prep.add_actions()->mutable_add_compose_hash();
  call->set_app_id(app);
  call->set_compose_hash(hash);
  pb::PrepareTransactionResponse prepared;
  EXPECT_RPC_OK(stub_->PrepareTransaction(&ctx_, prep, &prepared));

  const Address app_addr = *Address::TryFrom(AsBytes(app));
  const Hash32 hash32 = *Hash32::TryFrom(AsBytes(hash));
  const std::vector<PreparedCall> calls = {{.to = app_addr,
                                            .data = dstack_app::AddComposeHash(hash32),
                                            .function_signature = "addComposeHash(bytes32)"}};
  auto want = BuildTimelockCalls(
      calls, {.timelock = *Address::TryFrom(AsBytes(timelock)), .delay_seconds = 3600});
  ASSERT_TRUE(want.ok()) << want.status();
  const pb::TimelockCalls& got = prepared.timelock();
  EXPECT_EQ(got.timelock(), timelock);
  EXPECT_EQ(got.schedule_data(),
            std::string(want->schedule_data.begin(), want->schedule_data.end()));
  EXPECT_EQ(got.execute_data(), std::string(want->execute_data.begin(), want->execute_data.end()));
  EXPECT_EQ(got.operation_id(), std::string(want->operation_id.begin(), want->operation_id.end()));

  const json batch = json::parse(prepared.safe_transaction_builder_json());
  EXPECT_EQ(batch["chainId"], std::to_string(kChainId));
  EXPECT_EQ(batch["meta"]["createdFromSafeAddress"],
            ToChecksumAddress(*Address::TryFrom(AsBytes(safe))));
  ASSERT_EQ(batch["transactions"].size(), 1u);
  EXPECT_EQ(batch["transactions"][0]["to"],
            ToChecksumAddress(*Address::TryFrom(AsBytes(timelock))));
  EXPECT_EQ(batch["transactions"][0]["data"], Hex0x(want->schedule_data));
}

}  // namespace
}  // namespace chainkms::registry
