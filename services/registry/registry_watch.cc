// RegistryService: WatchPolicyEvents, the policy event stream. Streams hold a permit of the
// stream limiter (never the unary one) and end at once with UNAVAILABLE / SHUTTING_DOWN when the
// server stops.
#include <algorithm>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/chain/contracts.h"
#include "lib/chain/eth_rpc.h"
#include "lib/common/status_macros.h"
#include "lib/server/proto_fields.h"
#include "services/registry/proto_convert.h"
#include "services/registry/registry_handlers.h"
#include "services/registry/registry_service.h"

namespace chainkms::registry {

namespace pb = ::chainkms::v1;
using server::CheckMaxCount;
using server::Raw;
using server::ToAddress;

grpc::Status RegistryService::WatchPolicyEvents(
    Ctx* ctx, const pb::WatchPolicyEventsRequest* req,
    grpc::ServerWriter<pb::WatchPolicyEventsResponse>* writer) {
  return server::Handle(serving_.streams, [&] { return DoWatch(ctx, *req, writer); },
                        &ClassifyRegistryError);
}

bool RegistryService::WaitForNextPoll(Ctx* ctx) const {
  // Short slices so a cancelled client is noticed quickly; the stop notice ends the wait at once.
  const absl::Duration slice = std::min(absl::Milliseconds(50), options_.watch_poll_interval);
  for (absl::Duration waited; waited < options_.watch_poll_interval; waited += slice) {
    if (ctx->IsCancelled()) return false;
    if (serving_.stopping != nullptr && serving_.stopping->WaitForNotificationWithTimeout(slice)) {
      return false;
    }
    if (serving_.stopping == nullptr) clock_.SleepFor(slice);
  }
  return !ctx->IsCancelled();
}

absl::Status RegistryService::DoWatch(Ctx* ctx, const pb::WatchPolicyEventsRequest& req,
                                      grpc::ServerWriter<pb::WatchPolicyEventsResponse>* writer) {
  RETURN_IF_ERROR(CheckMaxCount(req.contracts_size(), kMaxWatchContracts, "contracts"));
  std::vector<Address> contracts;
  for (int i = 0; i < req.contracts_size(); ++i) {
    ASSIGN_OR_RETURN(Address a, ToAddress(req.contracts(i), absl::StrCat("contracts[", i, "]")));
    contracts.push_back(a);
  }
  ASSIGN_OR_RETURN(Chain * chain, chains_.Find(req.chain_id()));
  const uint64_t depth = std::max<uint32_t>(1, req.confirmations());
  uint64_t next = req.from_block();
  if (next == 0) {
    ASSIGN_OR_RETURN(next, chain->reader->BlockNumber());
  }
  // With no contracts named: the DstackKms and every app it registered (learned from its events,
  // else asked once per emitter).
  const bool everything = contracts.empty();
  std::map<Address, bool> ours = {{chain->kms, true}};
  auto is_ours = [&](const Address& a) -> absl::StatusOr<bool> {
    auto it = ours.find(a);
    if (it != ours.end()) return it->second;
    ASSIGN_OR_RETURN(Bytes ret, eth_rpc::Call(*chain->rpc,
                                              CallRequest{.to = chain->kms,
                                                          .data = dstack_kms::RegisteredApps(a)},
                                              BlockTag::Latest()));
    ASSIGN_OR_RETURN(bool registered, DecodeBoolResult(ret));
    ours[a] = registered;
    return registered;
  };
  while (!ctx->IsCancelled() && !serving_.Stopping()) {
    ASSIGN_OR_RETURN(uint64_t head, chain->reader->BlockNumber());
    const uint64_t safe = head + 1 >= depth ? head + 1 - depth : 0;
    if (safe >= next) {
      const uint64_t to = std::min(safe, next + options_.max_log_range - 1);
      LogFilter filter{.addresses = contracts, .topics = {}, .from_block = BlockTag::Number(next),
                       .to_block = BlockTag::Number(to)};
      ASSIGN_OR_RETURN(std::vector<LogEntry> logs, chain->reader->GetLogs(filter));
      for (const LogEntry& log : logs) {
        if (!log.event.has_value()) continue;
        if (everything) {
          if (log.log.address == chain->kms) {
            if (auto* d = std::get_if<AppDeployedViaFactory>(&*log.event)) ours[d->app_id] = true;
            if (auto* r = std::get_if<AppRegistered>(&*log.event)) ours[r->app_id] = true;
          }
          ASSIGN_OR_RETURN(bool mine, is_ours(log.log.address));
          if (!mine) continue;
        }
        pb::WatchPolicyEventsResponse out;
        if (!SetEvent(*log.event, &out)) continue;
        out.set_chain_id(chain->chain_id);
        out.set_block_number(log.block_number);
        out.set_block_hash(Raw(log.block_hash));
        out.set_tx_hash(Raw(log.transaction_hash));
        out.set_log_index(log.log_index);
        out.set_contract(Raw(log.log.address));
        out.set_removed(log.removed);
        if (!writer->Write(out)) return absl::OkStatus();  // the client went away
      }
      next = to + 1;
      if (next <= safe) continue;  // more history to send
    }
    if (!WaitForNextPoll(ctx)) break;
  }
  // A stopping server ends its streams at once; the client retries on another replica.
  if (serving_.Stopping()) return server::ShuttingDownError();
  return absl::OkStatus();
}

}  // namespace chainkms::registry
