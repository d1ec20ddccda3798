// RegistryService end to end: policy writes, validation, events and transaction status through
// gRPC over a real anvil (fixture: registry_fixture_test.h).
#include "services/registry/registry_fixture_test.h"

namespace chainkms::registry {
namespace {
// VerifyComposeHashTransaction with confirmations 0 asks for the server's default depth (2 here),
// as common.proto says: a transaction one block deep proves nothing yet.
TEST_F(RegistryServiceTest, AVerifyWithoutConfirmationsWaitsForTheServersDefaultDepth) {
  const std::string app = DeployApp(H("compose-depth-1"), H("device-depth"));
  ASSERT_EQ(app.size(), 20u);
  const std::string c = H("compose-depth-2");
  pb::AddComposeHashResponse added;
  {
    auto req = AppWrite<pb::AddComposeHashRequest>(app, *owner_);
    req.set_compose_hash(c);
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->AddComposeHash(&ctx, req, &added).ok());
  }
  server::GrpcServer srv({.config = server::TestServerConfig()});
  auto chain = ConnectChain({.chain_id = kChainId, .rpc_urls = {anvil_->url()}, .kms = net_->kms},
                            {.tx_poll_interval = absl::Milliseconds(50)}, SystemClock::Get());
  ASSERT_TRUE(chain.ok()) << chain.status();
  ChainSet chains;
  chains.Add(std::move(*chain));
  RegistryService deep(std::move(chains), std::make_shared<SignerSet>(), srv.serving(),
                       SystemClock::Get(), {.default_confirmations = 2});
  srv.AddService(&deep);
  ASSERT_TRUE(srv.Start().ok());
  absl::Cleanup stop = [&] { srv.Stop(); };
  auto stub = pb::Registry::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", srv.port()),
                                                        grpc::InsecureChannelCredentials()));
  pb::VerifyComposeHashTransactionRequest req;
  req.set_chain_id(kChainId);
  req.set_app_id(app);
  req.set_compose_hash(c);
  req.set_tx_hash(added.transaction().tx_hash());
  pb::VerifyComposeHashTransactionResponse resp;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub->VerifyComposeHashTransaction(&ctx, req, &resp).ok());
  }
  EXPECT_FALSE(resp.verified());
  EXPECT_EQ(resp.failure(), pb::VERIFICATION_FAILURE_NOT_CONFIRMED);
  EXPECT_EQ(resp.detail(), "the transaction is 1 deep, 2 asked");
  ASSERT_TRUE(anvil_->Rpc("anvil_mine", nlohmann::json::array({"0x1"})).ok());
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub->VerifyComposeHashTransaction(&ctx, req, &resp).ok());
  }
  EXPECT_TRUE(resp.verified()) << resp.detail();
}

TEST_F(RegistryServiceTest, TheFullPolicyLifecycleRunsThroughGrpc) {
  const std::string c1 = H("compose-1"), c2 = H("compose-2"), d1 = H("device-1"),
                    d2 = H("device-2");
  pb::TransactionStatus deploy_tx;
  const std::string app = DeployApp(c1, d1, &deploy_tx);
  ASSERT_EQ(app.size(), 20u);
  EXPECT_EQ(deploy_tx.state(), pb::TRANSACTION_STATE_CONFIRMED);
  EXPECT_TRUE(deploy_tx.final());
  EXPECT_EQ(deploy_tx.from(), Raw(*owner_));
  EXPECT_EQ(deploy_tx.to(), Raw(net_->kms));

  pb::CheckPrerequisitesResponse p = Check(app, {c1, c2}, {d1, d2});
  EXPECT_THAT(p.compose_hash_allowed(), ::testing::ElementsAre(true, false));
  EXPECT_THAT(p.device_id_allowed(), ::testing::ElementsAre(true, false));
  EXPECT_FALSE(p.all_allowed());
  EXPECT_FALSE(p.allow_any_device());

  pb::GetAppResponse got = GetApp(app);
  EXPECT_EQ(got.owner(), Raw(*owner_));
  EXPECT_TRUE(got.registered());
  EXPECT_FALSE(got.upgrades_disabled());
  EXPECT_EQ(got.implementation(), Raw(net_->app_implementation));

  // Add c2, verify that transaction, remove c1; add d2, remove d1.
  pb::AddComposeHashResponse added;
  {
    auto req = AppWrite<pb::AddComposeHashRequest>(app, *owner_);
    req.set_compose_hash(c2);
    grpc::ClientContext ctx;
    grpc::Status s = stub_->AddComposeHash(&ctx, req, &added);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(added.transaction().state(), pb::TRANSACTION_STATE_CONFIRMED);
    EXPECT_EQ(added.transaction().to(), app);
  }
  {
    pb::VerifyComposeHashTransactionRequest req;
    req.set_chain_id(kChainId);
    req.set_app_id(app);
    req.set_compose_hash(c2);
    req.set_tx_hash(added.transaction().tx_hash());
    pb::VerifyComposeHashTransactionResponse resp;
    grpc::ClientContext ctx;
    ASSERT_TRUE(stub_->VerifyComposeHashTransaction(&ctx, req, &resp).ok());
    EXPECT_TRUE(resp.verified()) << resp.detail();
    EXPECT_TRUE(resp.compose_hash_allowed());
    req.set_compose_hash(c1);
    grpc::ClientContext ctx2;
    ASSERT_TRUE(stub_->VerifyComposeHashTransaction(&ctx2, req, &resp).ok());
    EXPECT_FALSE(resp.verified());
    EXPECT_EQ(resp.failure(), pb::VERIFICATION_FAILURE_HASH_MISMATCH);
  }
  {
    auto req = AppWrite<pb::RemoveComposeHashRequest>(app, *owner_);
    req.set_compose_hash(c1);
    pb::RemoveComposeHashResponse resp;
    EXPECT_RPC_OK(stub_->RemoveComposeHash(&ctx_, req, &resp));
  }
  {
    auto req = AppWrite<pb::AddDeviceRequest>(app, *owner_);
    req.set_device_id(d2);
    pb::AddDeviceResponse resp;
    EXPECT_RPC_OK(stub_->AddDevice(&ctx_, req, &resp));
  }
  {
    auto req = AppWrite<pb::RemoveDeviceRequest>(app, *owner_);
    req.set_device_id(d1);
    pb::RemoveDeviceResponse resp;
    EXPECT_RPC_OK(stub_->RemoveDevice(&ctx_, req, &resp));
  }
  p = Check(app, {c1, c2}, {d1, d2});
  EXPECT_THAT(p.compose_hash_allowed(), ::testing::ElementsAre(false, true));
  EXPECT_THAT(p.device_id_allowed(), ::testing::ElementsAre(false, true));

  // IsAppAllowed reasons.
  EXPECT_TRUE(Allowed(app, c2, d2).is_allowed());
  pb::IsAppAllowedResponse denied = Allowed(app, c1, d2);
  EXPECT_FALSE(denied.is_allowed());
  EXPECT_EQ(denied.reason(), "Compose hash not allowed");
  denied = Allowed(app, c2, d1);
  EXPECT_FALSE(denied.is_allowed());
  EXPECT_EQ(denied.reason(), "Device not allowed");

  // Allow any device.
  {
    auto req = AppWrite<pb::SetAllowAnyDeviceRequest>(app, *owner_);
    req.set_allow_any_device(true);
    pb::SetAllowAnyDeviceResponse resp;
    EXPECT_RPC_OK(stub_->SetAllowAnyDevice(&ctx_, req, &resp));
  }
  {
    pb::CheckDeviceAllowedRequest req;
    req.set_chain_id(kChainId);
    req.set_app_id(app);
    req.set_device_id(d1);
    pb::CheckDeviceAllowedResponse resp;
    EXPECT_RPC_OK(stub_->CheckDeviceAllowed(&ctx_, req, &resp));
    EXPECT_TRUE(resp.allowed());
    EXPECT_TRUE(resp.allow_any_device());
    EXPECT_FALSE(resp.device_listed());
  }
  EXPECT_TRUE(Allowed(app, c2, d1).is_allowed());

  // Disable upgrades.
  {
    auto req = AppWrite<pb::DisableUpgradesRequest>(app, *owner_);
    pb::DisableUpgradesResponse resp;
    EXPECT_RPC_OK(stub_->DisableUpgrades(&ctx_, req, &resp));
  }
  EXPECT_TRUE(GetApp(app).upgrades_disabled());

  // Two-step ownership transfer: only the pending owner may accept.
  {
    pb::TransferOwnershipRequest req;
    req.set_chain_id(kChainId);
    req.set_from(Raw(*owner_));
    *req.mutable_options() = Wait();
    req.set_contract(app);
    req.set_new_owner(Raw(*other_));
    pb::TransferOwnershipResponse resp;
    EXPECT_RPC_OK(stub_->TransferOwnership(&ctx_, req, &resp));
  }
  EXPECT_EQ(GetApp(app).pending_owner(), Raw(*other_));
  {
    pb::AcceptOwnershipRequest req;
    req.set_chain_id(kChainId);
    req.set_from(Raw(*owner_));
    *req.mutable_options() = Wait();
    req.set_contract(app);
    pb::AcceptOwnershipResponse resp;
    grpc::ClientContext ctx;
    grpc::Status s = stub_->AcceptOwnership(&ctx, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_EQ(ReasonOf(s), "NOT_OWNER");
    EXPECT_THAT(s.error_message(), HasSubstr(ToChecksumAddress(*other_)));
    req.set_from(Raw(*other_));
    grpc::ClientContext ctx2;
    s = stub_->AcceptOwnership(&ctx2, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
  }
  got = GetApp(app);
  EXPECT_EQ(got.owner(), Raw(*other_));
  EXPECT_TRUE(got.pending_owner().empty());
}

TEST_F(RegistryServiceTest, AWriteByANonOwnerIsRefusedBeforeAnythingIsSent) {
  const std::string app = DeployApp(H("nonowner-c"), H("nonowner-d"));
  const uint64_t nonce_before = NonceOf(*other_);
  auto req = AppWrite<pb::AddComposeHashRequest>(app, *other_);
  req.set_compose_hash(H("intruder"));
  pb::AddComposeHashResponse resp;
  grpc::ClientContext ctx;
  grpc::Status s = stub_->AddComposeHash(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(s), "NOT_OWNER");
  EXPECT_THAT(s.error_message(), HasSubstr(ToChecksumAddress(*owner_)));
  EXPECT_EQ(NonceOf(*other_), nonce_before);
  EXPECT_FALSE(resp.has_transaction());
}

TEST_F(RegistryServiceTest, AShortHashIsRejectedNamingTheFieldAndNeverPadded) {
  const std::string app = DeployApp(H("short-c"), H("short-d"));
  auto req = AppWrite<pb::AddComposeHashRequest>(app, *owner_);
  req.set_compose_hash(H("x").substr(0, 31));
  pb::AddComposeHashResponse resp;
  grpc::ClientContext ctx;
  grpc::Status s = stub_->AddComposeHash(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(s), "INVALID_FIELD");
  EXPECT_THAT(s.error_message(), HasSubstr("compose_hash: must be exactly 32 bytes, got 31"));

  pb::CheckPrerequisitesRequest check;
  check.set_chain_id(kChainId);
  check.set_app_id(app);
  check.add_compose_hashes(H("ok"));
  check.add_compose_hashes(std::string(33, 'x'));
  pb::CheckPrerequisitesResponse check_resp;
  grpc::ClientContext ctx2;
  s = stub_->CheckPrerequisites(&ctx2, check, &check_resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(s), "INVALID_FIELD");
  EXPECT_THAT(s.error_message(), HasSubstr("compose_hashes[1]"));

  pb::GetAppRequest get;
  get.set_chain_id(kChainId);
  get.set_app_id(app.substr(0, 19));
  pb::GetAppResponse get_resp;
  grpc::ClientContext ctx3;
  s = stub_->GetApp(&ctx3, get, &get_resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(s), "INVALID_FIELD");
  EXPECT_THAT(s.error_message(), HasSubstr("app_id"));
}

TEST_F(RegistryServiceTest, AnUnknownChainIsRejected) {
  pb::GetAppRequest req;
  req.set_chain_id(999);
  req.set_app_id(std::string(20, '\x01'));
  pb::GetAppResponse resp;
  grpc::ClientContext ctx;
  grpc::Status s = stub_->GetApp(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(s), "UNKNOWN_CHAIN");
  EXPECT_THAT(s.error_message(), HasSubstr("chain 999 is not served here (served: 31337)"));
}

TEST_F(RegistryServiceTest, AWriteFromAnAddressWithoutKeyIsAnUnknownSigner) {
  auto req = AppWrite<pb::AddComposeHashRequest>(std::string(20, '\x01'), *ParseAddress(kAccount2));
  req.set_compose_hash(H("x"));
  pb::AddComposeHashResponse resp;
  grpc::ClientContext ctx;
  grpc::Status s = stub_->AddComposeHash(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ReasonOf(s), "UNKNOWN_SIGNER");
}

TEST_F(RegistryServiceTest, ARevertAtEstimationIsExecutionReverted) {
  pb::DeployAppRequest req;
  req.set_chain_id(kChainId);
  req.set_from(Raw(*owner_));
  *req.mutable_options() = Wait();
  req.set_owner(std::string(20, '\0'));  // DstackApp.initialize: "invalid owner address"
  pb::DeployAppResponse resp;
  grpc::ClientContext ctx;
  grpc::Status s = stub_->DeployApp(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ReasonOf(s), "EXECUTION_REVERTED");
  EXPECT_THAT(s.error_message(), HasSubstr("Invalid owner address"));
  EXPECT_THAT(s, HasMetadata("revert_reason", HasSubstr("Invalid owner address")));
  EXPECT_THAT(s, HasMetadata("revert_data", ::testing::StartsWith("0x08c379a0")));  // Error(string)
}

TEST_F(RegistryServiceTest, AnAddressWithoutCodeIsAppNotFound) {
  pb::CheckPrerequisitesRequest req;
  req.set_chain_id(kChainId);
  req.set_app_id(std::string(20, '\x42'));
  pb::CheckPrerequisitesResponse resp;
  grpc::ClientContext ctx;
  grpc::Status s = stub_->CheckPrerequisites(&ctx, req, &resp);
  EXPECT_THAT(s, StatusIs(grpc::StatusCode::NOT_FOUND));
  EXPECT_THAT(s, HasReason("APP_NOT_FOUND"));
  EXPECT_THAT(
      s, HasMetadata("app_id", ToChecksumAddress(Address(std::array<uint8_t, 20>{
                                   0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42,
                                   0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42, 0x42}))));
}

TEST_F(RegistryServiceTest, WatchPolicyEventsStreamsEachChangeUntilCancelled) {
  const std::string c1 = H("watch-c1"), c2 = H("watch-c2"), d2 = H("watch-d2");
  const std::string app = DeployApp(c1, H("watch-d1"));
  auto head = anvil_->Rpc("eth_blockNumber", json::array());
  ASSERT_TRUE(head.ok());
  const uint64_t from = std::stoull(head->get<std::string>(), nullptr, 16) + 1;

  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  pb::WatchPolicyEventsRequest req;
  req.set_chain_id(kChainId);
  req.add_contracts(app);
  req.set_from_block(from);
  auto reader = stub_->WatchPolicyEvents(&ctx, req);

  {
    auto w = AppWrite<pb::AddComposeHashRequest>(app, *owner_);
    w.set_compose_hash(c2);
    pb::AddComposeHashResponse resp;
    EXPECT_RPC_OK(stub_->AddComposeHash(&ctx_, w, &resp));
  }
  {
    auto w = AppWrite<pb::AddDeviceRequest>(app, *owner_);
    w.set_device_id(d2);
    pb::AddDeviceResponse resp;
    EXPECT_RPC_OK(stub_->AddDevice(&ctx_, w, &resp));
  }
  {
    auto w = AppWrite<pb::RemoveComposeHashRequest>(app, *owner_);
    w.set_compose_hash(c1);
    pb::RemoveComposeHashResponse resp;
    EXPECT_RPC_OK(stub_->RemoveComposeHash(&ctx_, w, &resp));
  }
  {
    auto w = AppWrite<pb::SetAllowAnyDeviceRequest>(app, *owner_);
    w.set_allow_any_device(true);
    pb::SetAllowAnyDeviceResponse resp;
    EXPECT_RPC_OK(stub_->SetAllowAnyDevice(&ctx_, w, &resp));
  }

  std::vector<pb::WatchPolicyEventsResponse> events;
  pb::WatchPolicyEventsResponse e;
  while (events.size() < 4 && reader->Read(&e)) events.push_back(e);
  ctx.TryCancel();
  grpc::Status end = reader->Finish();
  EXPECT_EQ(end.error_code(), grpc::StatusCode::CANCELLED);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].compose_hash_added(), c2);
  EXPECT_EQ(events[1].device_added(), d2);
  EXPECT_EQ(events[2].compose_hash_removed(), c1);
  EXPECT_TRUE(events[3].allow_any_device_set());
  for (const auto& ev : events) {
    EXPECT_EQ(ev.chain_id(), kChainId);
    EXPECT_EQ(ev.contract(), app);
    EXPECT_GE(ev.block_number(), from);
    EXPECT_EQ(ev.tx_hash().size(), 32u);
    EXPECT_FALSE(ev.removed());
  }
}

TEST_F(RegistryServiceTest, GetTransactionReportsPendingConfirmedAndUnknownTransactions) {
  const std::string app = DeployApp(H("gt-c"), H("gt-d"));
  // Not waited for and not mined (automine off): PENDING. The shared anvil gets automine back
  // however this test ends.
  ASSERT_TRUE(anvil_->Rpc("evm_setAutomine", json::array({false})).ok());
  absl::Cleanup automine = [] { (void)anvil_->Rpc("evm_setAutomine", json::array({true})); };
  auto req = AppWrite<pb::AddComposeHashRequest>(app, *owner_);
  req.clear_options();
  req.set_compose_hash(H("gt-c2"));
  pb::AddComposeHashResponse sent;
  EXPECT_RPC_OK(stub_->AddComposeHash(&ctx_, req, &sent));
  EXPECT_EQ(sent.transaction().tx_hash().size(), 32u);
  EXPECT_EQ(sent.transaction().from(), Raw(*owner_));
  EXPECT_EQ(sent.transaction().to(), app);
  EXPECT_EQ(sent.transaction().state(), pb::TRANSACTION_STATE_PENDING);
  EXPECT_FALSE(sent.transaction().final());

  pb::GetTransactionRequest get;
  get.set_chain_id(kChainId);
  get.set_tx_hash(sent.transaction().tx_hash());
  get.set_confirmations(2);
  pb::GetTransactionResponse got;
  EXPECT_RPC_OK(stub_->GetTransaction(&ctx_, get, &got));
  EXPECT_EQ(got.transaction().state(), pb::TRANSACTION_STATE_PENDING);

  // Mined: CONFIRMED at depth 1, not final until 2 deep.
  ASSERT_TRUE(anvil_->Rpc("evm_mine", json::array()).ok());
  EXPECT_RPC_OK(stub_->GetTransaction(&ctx_, get, &got));
  EXPECT_EQ(got.transaction().state(), pb::TRANSACTION_STATE_CONFIRMED);
  EXPECT_EQ(got.transaction().confirmations(), 1u);
  EXPECT_FALSE(got.transaction().final());
  ASSERT_TRUE(anvil_->Rpc("evm_mine", json::array()).ok());
  EXPECT_RPC_OK(stub_->GetTransaction(&ctx_, get, &got));
  EXPECT_EQ(got.transaction().state(), pb::TRANSACTION_STATE_CONFIRMED);
  EXPECT_EQ(got.transaction().confirmations(), 2u);
  EXPECT_GT(got.transaction().block_number(), 0u);
  EXPECT_TRUE(got.transaction().final());
  std::move(automine).Invoke();

  // A transaction the server never sent: read from the chain. anvil mines it asynchronously
  // after eth_sendTransaction returns, so wait for the state with a deadline.
  get.set_confirmations(1);
  auto tx = anvil_->Rpc("eth_sendTransaction",
                        json::array({{{"from", kAccount2}, {"to", kAccount2}, {"value", "0x1"}}}));
  ASSERT_TRUE(tx.ok()) << tx.status();
  get.set_tx_hash(Raw(*HexDecode(tx->get<std::string>())));
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  do {
    EXPECT_RPC_OK(stub_->GetTransaction(&ctx_, get, &got));
  } while (got.transaction().state() == pb::TRANSACTION_STATE_PENDING && absl::Now() < deadline);
  EXPECT_EQ(got.transaction().state(), pb::TRANSACTION_STATE_CONFIRMED);
  EXPECT_TRUE(got.transaction().final());
  EXPECT_EQ(got.transaction().from(), Raw(*ParseAddress(kAccount2)));

  // Unknown everywhere.
  get.set_tx_hash(H("no such transaction"));
  grpc::ClientContext ctx;
  grpc::Status s = stub_->GetTransaction(&ctx, get, &got);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ReasonOf(s), "TRANSACTION_NOT_FOUND");
  EXPECT_THAT(s, HasMetadata("tx_hash", Hex0x(AsBytes(H("no such transaction")))));
}

// Every KMS administration write through gRPC, each checked by the read that shows it, and
// IsKmsAllowed deciding from them. The chain is restored afterwards.
TEST_F(RegistryServiceTest, MetricsCountRegistryMethods) {
  DeployApp(H("metrics-c"), H("metrics-d"));  // a write, so transactions and sends are counted
  pb::GetKmsInfoRequest req;
  req.set_chain_id(kChainId);
  pb::GetKmsInfoResponse resp;
  EXPECT_RPC_OK(stub_->GetKmsInfo(&ctx_, req, &resp));
  const std::string text = Scrape(server_->metrics_port());
  EXPECT_THAT(text, HasSubstr("chainkms_rpc_requests_total{"));
  EXPECT_THAT(text, HasSubstr("Registry/GetKmsInfo"));
  EXPECT_THAT(text, HasSubstr("chainkms_transactions_total{state=\"pending\"}"));
  // lib/chain feeds the chain metrics: per endpoint, labelled by host:port only.
  const std::string host = anvil_->url().substr(std::string("http://").size());
  EXPECT_THAT(text, HasSubstr("chainkms_chain_rpc_latency_seconds_count{endpoint=\"" + host +
                              "\",method=\"batch\"}"));
  EXPECT_THAT(text, HasSubstr("endpoint=\"" + host + "\",method=\"eth_sendRawTransaction\""));
}

}  // namespace
}  // namespace chainkms::registry
