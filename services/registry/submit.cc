#include "services/registry/submit.h"

#include <algorithm>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "lib/chain/contracts.h"
#include "lib/common/hex.h"
#include "lib/eth/address.h"
#include "lib/common/reason.h"

namespace chainkms::registry {
namespace {

absl::Status Refuse(Reason reason, std::string message, ReasonMetadata metadata = {}) {
  return WithReason(absl::InvalidArgumentError(std::move(message)), reason, metadata);
}

std::vector<FunctionSelector> SelectorsOf(std::initializer_list<std::string_view> signatures) {
  std::vector<FunctionSelector> out;
  out.reserve(signatures.size());
  // The signatures are compile-time constants checked by contracts_test.cc, so they parse.
  for (std::string_view s : signatures) out.push_back(*Selector(s));
  return out;
}

}  // namespace

absl::StatusOr<CheckedTransaction> CheckSubmittedTransaction(
    ByteView raw, uint64_t chain_id, std::span<const Address> allowed_targets,
    std::span<const FunctionSelector> allowed_selectors) {
  absl::StatusOr<SignedTransaction> stx = DecodeTransaction(raw);
  if (!stx.ok()) {
    return Refuse(Reason::kMalformedTransaction,
                  absl::StrCat("signed_transaction: ", stx.status().message()),
                  {{"detail", std::string(stx.status().message())}});
  }
  if (!stx->tx.chain_id.has_value()) {
    return Refuse(Reason::kChainIdMismatch,
                  absl::StrCat("signed_transaction: not bound to a chain (pre-EIP-155); sign it "
                               "for chain ",
                               chain_id),
                  {{"chain_id", absl::StrCat(chain_id)}, {"tx_chain_id", ""}});
  }
  if (*stx->tx.chain_id != chain_id) {
    return Refuse(Reason::kChainIdMismatch,
                  absl::StrCat("signed_transaction: signed for chain ", *stx->tx.chain_id,
                               ", request is for chain ", chain_id),
                  {{"chain_id", absl::StrCat(chain_id)}, {"tx_chain_id", absl::StrCat(*stx->tx.chain_id)}});
  }
  absl::StatusOr<Address> sender = RecoverSender(*stx);
  if (!sender.ok()) {
    return Refuse(Reason::kMalformedTransaction,
                  absl::StrCat("signed_transaction: ", sender.status().message()),
                  {{"detail", std::string(sender.status().message())}});
  }
  if (!stx->tx.to.has_value()) {
    return Refuse(Reason::kTargetNotAllowed, "signed_transaction: a contract creation is not allowed",
                  {{"to", ""}});
  }
  const Address to = *stx->tx.to;
  if (std::find(allowed_targets.begin(), allowed_targets.end(), to) == allowed_targets.end()) {
    std::string allowed;
    for (const Address& a : allowed_targets) {
      absl::StrAppend(&allowed, allowed.empty() ? "" : ", ", ToChecksumAddress(a));
    }
    return Refuse(Reason::kTargetNotAllowed,
                  absl::StrCat("signed_transaction: sent to ", ToChecksumAddress(to),
                               "; allowed: ", allowed.empty() ? "none" : allowed),
                  {{"to", ToChecksumAddress(to)}});
  }
  const Bytes& data = stx->tx.data;
  if (data.size() < 4) {
    return Refuse(Reason::kFunctionNotAllowed,
                  "signed_transaction: calldata holds no 4-byte function selector",
                  {{"selector", Hex0x(data)}});
  }
  const FunctionSelector selector = *FunctionSelector::TryFrom(ByteView(data).first(4));
  if (std::find(allowed_selectors.begin(), allowed_selectors.end(), selector) ==
      allowed_selectors.end()) {
    return Refuse(Reason::kFunctionNotAllowed,
                  absl::StrCat("signed_transaction: function ", Hex0x(selector.view()),
                               " is not an allowed write function of ", ToChecksumAddress(to)),
                  {{"selector", Hex0x(selector.view())}});
  }
  if (!stx->tx.value.IsZero()) {
    return Refuse(Reason::kValueNotAllowed,
                  absl::StrCat("signed_transaction: value must be 0, is ",
                               stx->tx.value.ToDecimal(), " wei"),
                  {{"value_wei", stx->tx.value.ToDecimal()}});
  }
  return CheckedTransaction{.sender = *sender,
                            .hash = TransactionHash(raw),
                            .to = to,
                            .selector = selector,
                            .tx = *std::move(stx)};
}

std::vector<FunctionSelector> AppWriteSelectors() {
  return SelectorsOf({sig::kAddComposeHash, sig::kRemoveComposeHash, sig::kAddDevice,
                      sig::kRemoveDevice, sig::kSetAllowAnyDevice, sig::kSetRequireTcbUpToDate,
                      sig::kDisableUpgrades, sig::kTransferOwnership, sig::kAcceptOwnership});
}

std::vector<FunctionSelector> KmsWriteSelectors() {
  return SelectorsOf({sig::kDeployAndRegisterApp, sig::kDeployAndRegisterAppLegacy,
                      sig::kRegisterApp, sig::kAddOsImageHash, sig::kRemoveOsImageHash,
                      sig::kAddKmsAggregatedMr, sig::kRemoveKmsAggregatedMr, sig::kAddKmsDevice,
                      sig::kRemoveKmsDevice, sig::kSetKmsInfo, sig::kSetAppImplementation,
                      sig::kSetGatewayAppId, sig::kTransferOwnership, sig::kAcceptOwnership});
}

}  // namespace chainkms::registry
