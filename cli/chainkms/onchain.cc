#include "cli/chainkms/onchain.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "cli/chainkms/api_client.h"
#include "lib/chain/contracts.h"
#include "lib/chain/eth_rpc.h"
#include "lib/common/clock.h"
#include "lib/common/hex.h"
#include "lib/common/u256.h"
#include "lib/jsonrpc/curl_transport.h"
#include "lib/jsonrpc/errors.h"

namespace chainkms::cli {
namespace {

// Wei as ETH with 6 decimals ("0.000123").
std::string Eth(const U256& wei) {
  std::string d = wei.ToDecimal();
  if (d.size() <= 18) d.insert(0, 19 - d.size(), '0');
  std::string whole = d.substr(0, d.size() - 18);
  return absl::StrCat(whole, ".", d.substr(d.size() - 18, 6));
}

}  // namespace

absl::StatusOr<std::shared_ptr<Signer>> LoadPrivateKey(const Flags& flags) {
  std::optional<std::string> hex = flags.Get("--private-key", "PRIVATE_KEY");
  if (!hex) {
    return WithHint(absl::FailedPreconditionError("no private key to sign on-chain transactions"),
                    "pass --private-key or set PRIVATE_KEY (it never leaves this process); for a "
                    "multisig owner use --prepare-only");
  }
  absl::StatusOr<Bytes> raw = HexDecode(*hex, HexPrefix::kOptional, "--private-key");
  std::fill(hex->begin(), hex->end(), '\0');
  if (!raw.ok() || raw->size() != 32) {
    if (raw.ok()) std::fill(raw->begin(), raw->end(), 0);
    return absl::InvalidArgumentError("--private-key: expected 32 bytes as 0x + 64 hex digits");
  }
  SecretBytes secret(std::move(*raw));
  absl::StatusOr<Secp256k1PrivateKey> key = Secp256k1PrivateKey::FromBytes(secret.view());
  if (!key.ok()) return absl::InvalidArgumentError("--private-key: not a valid secp256k1 key");
  return std::make_shared<LocalKeySigner>(std::move(*key));
}

std::string ChainLabel(uint64_t chain_id) {
  switch (chain_id) {
    case 1:
      return "Ethereum (ID: 1)";
    case 8453:
      return "Base (ID: 8453)";
    case 31337:
      return "anvil (ID: 31337)";
    default:
      return absl::StrCat("chain ", chain_id, " (ID: ", chain_id, ")");
  }
}

std::string ExplorerUrl(uint64_t chain_id) {
  switch (chain_id) {
    case 1:
      return "https://etherscan.io";
    case 8453:
      return "https://basescan.org";
    default:
      return "";
  }
}

OnChain::OnChain(std::unique_ptr<Counter> counter, uint64_t chain_id, const Address& kms,
                 std::ostream& progress)
    : counter_(std::move(counter)), chain_id_(chain_id), progress_(progress) {
  reader_ =
      std::make_unique<ChainReader>(*counter_, ChainReaderConfig{.kms = kms, .chain_id = chain_id});
  // Receipts are polled at a pace that suits the chain's block time: anvil mines at once, Base
  // every 2 s, Ethereum every 12 s (hosted endpoints rate-limit eager pollers).
  const absl::Duration poll = chain_id == 31337  ? absl::Milliseconds(20)
                              : chain_id == 8453 ? absl::Milliseconds(500)
                                                 : absl::Seconds(1);
  txm_ = std::make_unique<TxManager>(*counter_, chain_id, SystemClock::Get(),
                                     TxManagerOptions{.poll_interval = poll});
}

absl::StatusOr<std::unique_ptr<OnChain>> OnChain::Connect(const std::string& rpc_url,
                                                          uint64_t expected_chain_id,
                                                          const Address& kms,
                                                          std::ostream& progress) {
  absl::StatusOr<std::shared_ptr<CurlTransport>> t = CurlTransport::Create({.url = rpc_url});
  if (!t.ok()) {
    return WithHint(absl::InvalidArgumentError("--rpc-url is not an http(s) URL"),
                    "pass --rpc-url or set ETH_RPC_URL to the chain's JSON-RPC endpoint");
  }
  auto counter = std::make_unique<Counter>(std::make_unique<JsonRpcClient>(
      *t,
      JsonRpcClientOptions{.custom_error_signatures = {"OwnableUnauthorizedAccount(address)"}}));
  absl::StatusOr<uint64_t> id = eth_rpc::ChainId(*counter);
  if (!id.ok()) {
    return WithHint(
        absl::UnavailableError(absl::StrCat("cannot read the chain at --rpc-url ",
                                            RedactUrl(rpc_url), ": ", id.status().message())),
        "check --rpc-url / ETH_RPC_URL");
  }
  if (*id != expected_chain_id) {
    return WithHint(
        absl::FailedPreconditionError(absl::StrCat("Network mismatch: the KMS is on ",
                                                   ChainLabel(expected_chain_id),
                                                   ", but --rpc-url is on ", ChainLabel(*id))),
        absl::StrCat("point --rpc-url (ETH_RPC_URL) at a node of chain ", expected_chain_id));
  }
  return std::unique_ptr<OnChain>(new OnChain(std::move(counter), *id, kms, progress));
}

absl::Status OnChain::Explain(const absl::Status& status, const Address& from, const Address& to,
                              const std::string& what, std::optional<Address> owned_app) {
  std::optional<RpcError> e = GetRpcError(status);
  const std::string msg(status.message());
  if ((e && e->kind == RpcErrorKind::kInsufficientFunds) ||
      msg.find("insufficient funds") != std::string::npos) {
    absl::StatusOr<nlohmann::json> bal =
        counter_->Call("eth_getBalance", {Hex0x(from.view()), "latest"});
    std::string have;
    if (bal.ok() && bal->is_string()) {
      absl::StatusOr<U256> wei = U256::FromHex(bal->get<std::string>());
      if (wei.ok()) have = absl::StrCat(", it has ", Eth(*wei), " ETH");
    }
    return WithHint(absl::FailedPreconditionError(absl::StrCat(
                        "Insufficient balance: ", Hex0x(from.view()), " cannot pay for ", what,
                        " on ", ChainLabel(chain_id_), have)),
                    "fund the account, or sign with another --private-key");
  }
  if (msg.find("OwnableUnauthorizedAccount") != std::string::npos && owned_app) {
    std::string owner;
    if (absl::StatusOr<AppState> app = reader_->GetApp(*owned_app); app.ok()) {
      owner = absl::StrCat(". Contract owner is ", Hex0x(app->owner.view()));
    }
    return WithHint(
        absl::PermissionDeniedError(absl::StrCat("Sender ", Hex0x(from.view()),
                                                 " is not the owner of contract ",
                                                 Hex0x(owned_app->view()), owner)),
        "sign with the owner's --private-key; if the owner is a multisig or timelock, use "
        "--prepare-only and have it call addComposeHash(bytes32)");
  }
  return WithHint(
      absl::Status(status.code(), absl::StrCat(what, " to ", Hex0x(to.view()), " failed: ", msg)),
      status.code() == absl::StatusCode::kUnavailable ? "check --rpc-url / ETH_RPC_URL" : "");
}

absl::StatusOr<Receipt> OnChain::Send(const std::shared_ptr<Signer>& signer, const Address& to,
                                      Bytes data, const std::string& what,
                                      std::optional<Address> owned_app) {
  absl::StatusOr<SentTx> sent = txm_->Send({.signer = signer, .to = to, .data = std::move(data)});
  if (!sent.ok()) return Explain(sent.status(), signer->address(), to, what, owned_app);
  progress_ << what << ": sent " << Hex0x(sent->hash.view()) << ", waiting for the receipt…\n";
  absl::StatusOr<Receipt> r =
      txm_->WaitForReceipt(sent->hash, 1, absl::Minutes(10), [&](const TxProgress& p) {
        if (p.kind == TxProgress::Kind::kMined) {
          progress_ << what << ": mined in block " << p.block << "\n";
        } else if (p.kind == TxProgress::Kind::kReplaced) {
          progress_ << what << ": replaced with higher fees by " << Hex0x(p.hash.view()) << "\n";
        } else if (p.kind == TxProgress::Kind::kReorged) {
          progress_ << what << ": block " << p.block << " was reorganised away, waiting again\n";
        }
      });
  if (!r.ok()) return Explain(r.status(), signer->address(), to, what, owned_app);
  if (!r->success) {
    return absl::FailedPreconditionError(absl::StrCat(what, " reverted on chain (transaction ",
                                                      Hex0x(r->transaction_hash.view()), ")"));
  }
  return r;
}

}  // namespace chainkms::cli
