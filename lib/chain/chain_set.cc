#include "lib/chain/chain_set.h"

#include <set>
#include <span>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/chain/contracts.h"
#include "lib/common/reason.h"
#include "lib/common/status_macros.h"
#include "lib/eth/address.h"
#include "lib/jsonrpc/curl_transport.h"
#include "lib/jsonrpc/failover.h"

namespace chainkms {

absl::StatusOr<ChainConfig> ParseChainSpec(std::string_view spec) {
  ChainConfig out;
  std::vector<std::string> parts = absl::StrSplit(std::string(spec), ';');
  std::string head = parts[0];
  size_t eq = head.find('=');
  if (eq == std::string::npos) {
    return absl::InvalidArgumentError(
        "chain spec must look like <chain id>=<rpc url>[,<rpc url>...];kms=<address>");
  }
  std::string id = head.substr(0, eq);
  if (!absl::SimpleAtoi(id, &out.chain_id) || out.chain_id == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("chain id \"", id, "\" is not a positive integer"));
  }
  for (const std::string& url :
       std::vector<std::string>(absl::StrSplit(head.substr(eq + 1), ','))) {
    if (url.empty()) continue;
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "chain ", out.chain_id, ": each rpc url must start with http:// or https://"));
    }
    out.rpc_urls.emplace_back(url);
  }
  if (out.rpc_urls.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("chain ", out.chain_id, ": no rpc url"));
  }
  bool have_kms = false;
  for (size_t i = 1; i < parts.size(); ++i) {
    const std::string& kv = parts[i];
    if (kv.empty()) continue;
    if (kv.rfind("kms=", 0) == 0) {
      absl::StatusOr<Address> kms = ParseAddress(std::string_view(kv).substr(4), "kms");
      if (!kms.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("chain ", out.chain_id, ": ", std::string(kms.status().message())));
      }
      if (kms->IsZero()) {
        return absl::InvalidArgumentError(absl::StrCat("chain ", out.chain_id, ": kms is zero"));
      }
      out.kms = *kms;
      have_kms = true;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("chain ", out.chain_id, ": unknown key \"",
                                                     std::string(kv.substr(0, kv.find('='))),
                                                     "\" (known: kms)"));
    }
  }
  if (!have_kms) {
    return absl::InvalidArgumentError(
        absl::StrCat("chain ", out.chain_id, ": missing ;kms=<DstackKms address>"));
  }
  return out;
}

absl::StatusOr<std::vector<ChainConfig>> ParseChainSpecs(std::string_view specs) {
  std::vector<ChainConfig> out;
  std::set<uint64_t> seen;
  for (const std::string& spec : std::vector<std::string>(
           absl::StrSplit(std::string(specs), absl::ByAnyChar(" \t\n"), absl::SkipEmpty()))) {
    ASSIGN_OR_RETURN(ChainConfig c, ParseChainSpec(spec));
    if (!seen.insert(c.chain_id).second) {
      return absl::InvalidArgumentError(absl::StrCat("chain ", c.chain_id, " is listed twice"));
    }
    out.push_back(std::move(c));
  }
  if (out.empty()) return absl::InvalidArgumentError("at least one chain is required");
  return out;
}

namespace {

// Adds metadata chain_id to every failed call, so CHAIN_UNAVAILABLE (and any other reason) names
// the chain without each caller threading it through.
class ChainTaggedCaller final : public RpcCaller {
 public:
  ChainTaggedCaller(std::unique_ptr<RpcCaller> inner, uint64_t chain_id)
      : inner_(std::move(inner)), chain_id_(absl::StrCat(chain_id)) {}

  absl::StatusOr<nlohmann::json> Call(std::string_view method, nlohmann::json params) override {
    absl::StatusOr<nlohmann::json> r = inner_->Call(method, std::move(params));
    if (!r.ok()) return Tag(r.status());
    return r;
  }
  absl::StatusOr<std::vector<absl::StatusOr<nlohmann::json>>> Batch(
      std::vector<Request> requests) override {
    absl::StatusOr<std::vector<absl::StatusOr<nlohmann::json>>> r =
        inner_->Batch(std::move(requests));
    if (!r.ok()) return Tag(r.status());
    for (absl::StatusOr<nlohmann::json>& each : *r) {
      if (!each.ok()) each = Tag(each.status());
    }
    return r;
  }

 private:
  absl::Status Tag(absl::Status s) const {
    return WithMetadata(std::move(s), {{"chain_id", chain_id_}});
  }

  std::unique_ptr<RpcCaller> inner_;
  const std::string chain_id_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Chain>> ConnectChain(const ChainConfig& config,
                                                    const ChainOptions& options, Clock& clock) {
  std::vector<std::shared_ptr<JsonRpcTransport>> endpoints;
  for (const std::string& url : config.rpc_urls) {
    absl::StatusOr<std::shared_ptr<CurlTransport>> t = CurlTransport::Create({.url = url});
    if (!t.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("chain ", config.chain_id, ": rpc endpoint ",
                                                     endpoints.size() + 1, ": ",
                                                     std::string(t.status().message())));
    }
    endpoints.push_back(*t);
  }
  std::span<const std::string> known = KnownCustomErrors();
  FailoverOptions fo;
  fo.custom_error_signatures.assign(known.begin(), known.end());
  fo.metrics = options.metrics;
  auto rpc = std::make_unique<FailoverClient>(std::move(endpoints), fo, clock);
  absl::Status check =
      options.check_chain_id ? rpc->ConnectAndCheckChainId(config.chain_id) : absl::OkStatus();
  if (!check.ok()) {
    return absl::Status(
        check.code(), absl::StrCat("chain ", config.chain_id, ": ", std::string(check.message())));
  }
  return MakeChain(config.chain_id, config.kms, std::move(rpc), options, clock);
}

std::unique_ptr<Chain> MakeChain(uint64_t chain_id, const Address& kms,
                                 std::unique_ptr<RpcCaller> rpc, const ChainOptions& options,
                                 Clock& clock) {
  auto chain = std::make_unique<Chain>();
  chain->chain_id = chain_id;
  chain->kms = kms;
  chain->rpc = std::make_unique<ChainTaggedCaller>(std::move(rpc), chain_id);
  chain->reader = std::make_unique<ChainReader>(
      *chain->rpc, ChainReaderConfig{.kms = kms, .chain_id = chain_id});
  chain->txm = std::make_unique<TxManager>(
      *chain->rpc, chain_id, clock,
      TxManagerOptions{.poll_interval = options.tx_poll_interval, .metrics = options.metrics});
  return chain;
}

void ChainSet::Add(std::unique_ptr<Chain> chain) {
  const uint64_t id = chain->chain_id;
  chains_[id] = std::move(chain);
}

absl::StatusOr<Chain*> ChainSet::Find(uint64_t chain_id) const {
  auto it = chains_.find(chain_id);
  if (it == chains_.end()) {
    return WithReason(absl::InvalidArgumentError(absl::StrCat(
                          "chain_id: chain ", chain_id,
                          " is not served here (served: ", absl::StrJoin(ids(), ", "), ")")),
                      Reason::kUnknownChain, {{"chain_id", absl::StrCat(chain_id)}});
  }
  return it->second.get();
}

std::vector<uint64_t> ChainSet::ids() const {
  std::vector<uint64_t> out;
  for (const auto& [id, c] : chains_) out.push_back(id);
  return out;
}

}  // namespace chainkms
