// GetAppKey, GetAppEnvEncryptPubKey and GetMeta against a real anvil with the real contracts:
// every on-chain decision, the sealed keys and what the audit log records.
#include <fstream>

#include "absl/cleanup/cleanup.h"
#include "chainkms/v1/kms.pb.h"
#include "lib/crypto/secp256k1.h"
#include "lib/kms/app_keys.h"
#include "lib/kms/derive.h"
#include "lib/kms/x509.h"
#include "nlohmann/json.hpp"
#include "services/kms/kms_fixture_test.h"

namespace chainkms::kms {
namespace {

class KmsServiceTest : public KmsWorldTest {
 protected:
  static void SetUpTestSuite() {
    KmsWorldTest::SetUpTestSuite();
    if (error_ != nullptr) return;
    auto tcb_app = world_->DeployApp(
        {.require_tcb_up_to_date = true, .device_id = kDevice, .compose_hash = kHash});
    if (!tcb_app.ok()) return Fail(tcb_app.status());
    tcb_app_ = new Address(*tcb_app);
    auto h = MakeHarness(*world_);
    if (!h.ok()) return Fail(h.status());
    harness_ = h->release();
  }
  static void TearDownTestSuite() {
    delete harness_;
    KmsWorldTest::TearDownTestSuite();
  }

  // A denial with the contract's reason, and nothing sealed.
  void ExpectDenied(const pb::GetAppKeyRequest& req, const std::string& contract_reason) {
    pb::GetAppKeyResponse resp;
    grpc::Status s = harness_->GetAppKey(req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
    EXPECT_EQ(ReasonOf(s), "BOOT_DENIED");
    EXPECT_EQ(MetadataValue(s, "contract_reason"), contract_reason);
    EXPECT_EQ(MetadataValue(s, "chain_id"), "31337");
    EXPECT_NE(MetadataValue(s, "block_number"), "0");
    EXPECT_TRUE(resp.sealed_keys().empty());
  }

  static inline Harness* harness_ = nullptr;
  static inline Address* tcb_app_ = nullptr;
};

TEST_F(KmsServiceTest, AllowedBootGetsItsKeysSealedToTheRecipient) {
  Recipient r;
  pb::GetAppKeyResponse resp;
  grpc::Status s = harness_->GetAppKey(world_->DevRequest(r, *app_, kHash, kDevice), &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.app_id(), Raw(*app_));
  EXPECT_EQ(resp.chain_id(), kChainId);
  EXPECT_GT(resp.block_number(), 0u);
  EXPECT_EQ(resp.block_hash().size(), 32u);
  EXPECT_NE(resp.block_hash(), std::string(32, '\0'));
  EXPECT_EQ(resp.gateway_app_id(), world_->gateway_app_id);
  EXPECT_EQ(resp.os_image_hash(), Raw(world_->net.os_image_hash));
  EXPECT_TRUE(resp.dev());

  ASSERT_OK_AND_ASSIGN(SecretBytes plain,
                       OpenSealed(r.priv.view(), AsBytes(resp.sealed_keys()), *app_, kChainId));
  pb::AppKeys keys;
  ASSERT_TRUE(keys.ParseFromArray(plain.data(), static_cast<int>(plain.size())));
  // The keys are the ones DESIGN §5.3 derives from this chain's root keys.
  ASSERT_OK_AND_ASSIGN(AppKeySet want, DeriveAppKeySet(*world_->keys, *app_, Fill<20>(0x11)));
  EXPECT_EQ(keys.disk_crypt_key(), Raw(want.disk_crypt_key.view()));
  EXPECT_EQ(keys.env_crypt_key(), Raw(want.env_crypt_key.view()));
  EXPECT_EQ(keys.k256_key(), Raw(want.k256_key.view()));
  EXPECT_EQ(keys.k256_signature(), Raw(want.k256_signature));
  EXPECT_EQ(keys.ca_key(), Raw(want.ca_key_der.view()));
  EXPECT_EQ(keys.root_ca_cert(), Raw(world_->keys->ca_cert_der));
  ASSERT_OK_AND_ASSIGN(bool issued,
                       CertIssuedBy(AsBytes(keys.ca_cert()), world_->keys->ca_cert_der));
  EXPECT_TRUE(issued);
  // The env key is the private half of GetAppEnvEncryptPubKey's key.
  pb::GetAppEnvEncryptPubKeyResponse pub;
  ASSERT_TRUE(harness_->EnvPubKey(*app_, &pub).ok());
  EXPECT_EQ(pub.public_key(),
            Raw(X25519PublicKey(std::span<const uint8_t, 32>(
                reinterpret_cast<const uint8_t*>(keys.env_crypt_key().data()), 32))));
  // Another recipient cannot open it.
  Recipient other;
  EXPECT_FALSE(OpenSealed(other.priv.view(), AsBytes(resp.sealed_keys()), *app_, kChainId).ok());
}

TEST_F(KmsServiceTest, AnotherInstanceOfTheSameAppGetsItsOwnDiskKeyAndTheAppsOtherKeys) {
  // The second call for the app comes from the app-key cache; only the disk key is derived.
  for (uint8_t instance : {0x22, 0x33}) {
    Recipient r;
    pb::GetAppKeyRequest req = world_->DevRequest(r, *app_, kHash, kDevice);
    req.mutable_dev()->mutable_boot_info()->set_instance_id(Raw(Fill<20>(instance)));
    pb::GetAppKeyResponse resp;
    ASSERT_TRUE(harness_->GetAppKey(req, &resp).ok());
    EXPECT_EQ(resp.instance_id(), Raw(Fill<20>(instance)));
    ASSERT_OK_AND_ASSIGN(SecretBytes plain,
                         OpenSealed(r.priv.view(), AsBytes(resp.sealed_keys()), *app_, kChainId));
    pb::AppKeys keys;
    ASSERT_TRUE(keys.ParseFromArray(plain.data(), static_cast<int>(plain.size())));
    ASSERT_OK_AND_ASSIGN(AppKeySet want, DeriveAppKeySet(*world_->keys, *app_, Fill<20>(instance)));
    EXPECT_EQ(keys.disk_crypt_key(), Raw(want.disk_crypt_key.view())) << int(instance);
    EXPECT_EQ(keys.env_crypt_key(), Raw(want.env_crypt_key.view()));
    EXPECT_EQ(keys.k256_key(), Raw(want.k256_key.view()));
    EXPECT_EQ(keys.ca_key(), Raw(want.ca_key_der.view()));
  }
}

TEST_F(KmsServiceTest, ComposeHashNotAllowedIsDenied) {
  Recipient r;
  ExpectDenied(world_->DevRequest(r, *app_, Fill<32>(0xee), kDevice), "Compose hash not allowed");
}

TEST_F(KmsServiceTest, DeviceNotAllowedIsDenied) {
  Recipient r;
  ExpectDenied(world_->DevRequest(r, *app_, kHash, Fill<32>(0xee)), "Device not allowed");
}

TEST_F(KmsServiceTest, RequireTcbUpToDateRefusesAnotherStatus) {
  Recipient r;
  ExpectDenied(world_->DevRequest(r, *tcb_app_, kHash, kDevice, "OutOfDate"),
               "TCB status is not up to date");
  pb::GetAppKeyResponse resp;
  EXPECT_TRUE(harness_->GetAppKey(world_->DevRequest(r, *tcb_app_, kHash, kDevice), &resp).ok());
}

TEST_F(KmsServiceTest, AppNotRegisteredIsDenied) {
  Recipient r;
  ExpectDenied(world_->DevRequest(r, Fill<20>(0x42), kHash, kDevice), "App not registered");
}

TEST_F(KmsServiceTest, OsImageNotAllowedIsDenied) {
  Recipient r;
  pb::GetAppKeyRequest req = world_->DevRequest(r, *app_, kHash, kDevice);
  req.mutable_dev()->mutable_boot_info()->set_os_image_hash(Raw(Fill<32>(0x99)));
  ExpectDenied(req, "OS image is not allowed");
}

TEST_F(KmsServiceTest, AHashRemovedOnChainIsRefusedOnTheNextRequest) {
  const Hash32 hash = Fill<32>(0xc7);
  ASSERT_OK(world_->Send(*app_, dstack_app::AddComposeHash(hash)).status());
  absl::Cleanup restore = [&] { (void)world_->Send(*app_, dstack_app::RemoveComposeHash(hash)); };
  Recipient r;
  pb::GetAppKeyResponse resp;
  ASSERT_TRUE(harness_->GetAppKey(world_->DevRequest(r, *app_, hash, kDevice), &resp).ok());
  ASSERT_OK(world_->Send(*app_, dstack_app::RemoveComposeHash(hash)).status());
  ExpectDenied(world_->DevRequest(r, *app_, hash, kDevice), "Compose hash not allowed");
}

TEST_F(KmsServiceTest, AnAttestationBoundToAnotherRecipientIsRefused) {
  Recipient r;
  Recipient attacker;
  // The attestation binds r's key; the request asks for the keys sealed to the attacker's.
  pb::GetAppKeyRequest req = world_->DevRequest(r, *app_, kHash, kDevice);
  req.set_recipient_public_key(Raw(attacker.pub));
  pb::GetAppKeyResponse resp;
  grpc::Status s = harness_->GetAppKey(req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(ReasonOf(s), "ATTESTATION_REJECTED");
  EXPECT_THAT(s.error_message(), HasSubstr("report data"));
  EXPECT_TRUE(resp.sealed_keys().empty());
}

TEST_F(KmsServiceTest, AKeyProviderOtherThanThisChainsRootCaIsRefused) {
  Recipient r;
  pb::GetAppKeyRequest req = world_->DevRequest(r, *app_, kHash, kDevice);
  std::string other = req.dev().key_provider_id();
  other.back() ^= 1;
  req.mutable_dev()->set_key_provider_id(other);
  pb::GetAppKeyResponse resp;
  grpc::Status s = harness_->GetAppKey(req, &resp);
  EXPECT_EQ(ReasonOf(s), "ATTESTATION_REJECTED");
  EXPECT_THAT(s.error_message(), HasSubstr("key provider"));
}

TEST_F(KmsServiceTest, MalformedFieldsAreRefusedNamingTheFieldNeverPadded) {
  Recipient r;
  struct Case {
    std::string field;
    std::function<void(pb::GetAppKeyRequest&)> mutate;
  };
  const std::vector<Case> cases = {
      {"recipient_public_key", [](auto& q) { q.set_recipient_public_key(std::string(31, 'x')); }},
      {"dev.boot_info.compose_hash",
       [](auto& q) { q.mutable_dev()->mutable_boot_info()->set_compose_hash(std::string(31, 1)); }},
      {"dev.boot_info.app_id",
       [](auto& q) { q.mutable_dev()->mutable_boot_info()->set_app_id(std::string(21, 1)); }},
      {"dev.report_data", [](auto& q) { q.mutable_dev()->set_report_data(std::string(63, 1)); }},
      {"attestation", [](auto& q) { q.clear_dev(); }},
  };
  for (const Case& c : cases) {
    pb::GetAppKeyRequest req = world_->DevRequest(r, *app_, kHash, kDevice);
    c.mutate(req);
    pb::GetAppKeyResponse resp;
    grpc::Status s = harness_->GetAppKey(req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.field;
    EXPECT_EQ(ReasonOf(s), "INVALID_FIELD") << c.field;
    EXPECT_EQ(MetadataValue(s, "field"), c.field);
  }
  pb::GetAppKeyRequest req = world_->DevRequest(r, *app_, kHash, kDevice);
  req.set_chain_id(8453);
  pb::GetAppKeyResponse resp;
  EXPECT_EQ(ReasonOf(harness_->GetAppKey(req, &resp)), "UNKNOWN_CHAIN");
}

TEST_F(KmsServiceTest, EnvPublicKeyIsSignedByTheRootK256KeyBothWays) {
  pb::GetAppEnvEncryptPubKeyResponse resp;
  ASSERT_TRUE(harness_->EnvPubKey(*app_, &resp).ok());
  ASSERT_EQ(resp.public_key().size(), 32u);
  const Hash32 pub = *Hash32::TryFrom(AsBytes(resp.public_key()));
  const uint64_t now = static_cast<uint64_t>(absl::ToUnixSeconds(absl::Now()));
  EXPECT_LE(resp.timestamp(), now);
  EXPECT_GE(resp.timestamp() + 5, now);
  auto recover = [&](const std::string& sig, const Hash32& digest) {
    auto rs = RecoverableSignature::FromBytes(AsBytes(sig));
    EXPECT_TRUE(rs.ok());
    auto key = RecoverPublicKey(digest, *rs);
    EXPECT_TRUE(key.ok());
    return key.ok() ? key->Compressed() : FixedBytes<33>{};
  };
  EXPECT_EQ(recover(resp.signature(), EnvPublicKeyDigestLegacy(*app_, pub)),
            world_->keys->K256PublicKey());
  EXPECT_EQ(recover(resp.signature_v1(), EnvPublicKeyDigestV1(*app_, resp.timestamp(), pub)),
            world_->keys->K256PublicKey());
  pb::GetAppEnvEncryptPubKeyResponse again;
  ASSERT_TRUE(harness_->EnvPubKey(*app_, &again).ok());
  EXPECT_EQ(again.public_key(), resp.public_key());
  EXPECT_EQ(again.signature(), resp.signature());
}

TEST_F(KmsServiceTest, GetMetaNamesTheChainsKeysAndDevMode) {
  grpc::ClientContext ctx;
  pb::GetMetaResponse meta;
  ASSERT_TRUE(harness_->stub->GetMeta(&ctx, pb::GetMetaRequest(), &meta).ok());
  EXPECT_TRUE(meta.dev_attestation());
  EXPECT_EQ(meta.replica(), "kms-test");
  ASSERT_EQ(meta.chains_size(), 1);
  const pb::KmsChainMeta& c = meta.chains(0);
  EXPECT_EQ(c.chain_id(), kChainId);
  EXPECT_EQ(c.kms_contract(), Raw(world_->net.kms));
  EXPECT_EQ(c.app_implementation(), Raw(world_->net.app_implementation));
  EXPECT_EQ(c.k256_public_key(), Raw(world_->keys->K256PublicKey()));
  EXPECT_EQ(c.ca_public_key(), Raw(world_->keys->CaSpkiDer()));
  EXPECT_EQ(c.root_ca_cert(), Raw(world_->keys->ca_cert_der));
  EXPECT_TRUE(c.serving());
}

TEST_F(KmsServiceTest, EveryDecisionIsOneChainedAuditLineWithoutSecrets) {
  Recipient r;
  pb::GetAppKeyResponse issued;
  ASSERT_TRUE(harness_->GetAppKey(world_->DevRequest(r, *app_, kHash, kDevice), &issued).ok());
  pb::GetAppKeyResponse denied;
  ASSERT_FALSE(
      harness_->GetAppKey(world_->DevRequest(r, *app_, Fill<32>(0xee), kDevice), &denied).ok());
  std::vector<nlohmann::json> lines = AuditLines(harness_->audit_path);
  ASSERT_GE(lines.size(), 2u);
  const nlohmann::json& a = lines[lines.size() - 2];
  const nlohmann::json& b = lines.back();
  EXPECT_EQ(a["decision"], "issued");
  EXPECT_EQ(a["app_id"], Hex0x(app_->view()));
  EXPECT_EQ(a["compose_hash"], Hex0x(kHash.view()));
  EXPECT_EQ(a["device_id"], Hex0x(kDevice.view()));
  EXPECT_EQ(a["instance_id"], Hex0x(Fill<20>(0x11).view()));
  EXPECT_EQ(a["block_number"], issued.block_number());
  EXPECT_EQ(a["block_hash"], Hex0x(AsBytes(issued.block_hash())));
  EXPECT_EQ(a["dev"], true);
  EXPECT_EQ(a["replica"], "kms-test");
  EXPECT_FALSE(a["request_id"].get<std::string>().empty());
  EXPECT_EQ(b["decision"], "denied");
  EXPECT_EQ(b["reason"], "BOOT_DENIED");
  EXPECT_EQ(b["contract_reason"], "Compose hash not allowed");
  std::ifstream in(harness_->audit_path);
  const AuditVerifyReport report = VerifyAuditChain(in);
  EXPECT_TRUE(report.ok()) << report.detail;
  // No key material: none of the issued keys' bytes appear in the log.
  ASSERT_OK_AND_ASSIGN(AppKeySet keys, DeriveAppKeySet(*world_->keys, *app_, Fill<20>(0x11)));
  std::ifstream raw(harness_->audit_path);
  const std::string text((std::istreambuf_iterator<char>(raw)), {});
  for (ByteView secret : {keys.disk_crypt_key.view(), keys.env_crypt_key.view(),
                          keys.k256_key.view(), world_->keys->k256.secret().view()}) {
    EXPECT_THAT(text, testing::Not(HasSubstr(HexEncode(secret))));
  }
}

}  // namespace
}  // namespace chainkms::kms
