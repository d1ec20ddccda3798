#include "lib/attestation/collateral_source.h"

#include <filesystem>
#include <fstream>
#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"
#include "lib/common/reason.h"
#include "lib/common/status_macros.h"

namespace chainkms::attestation {
namespace {

absl::Status Unavailable(const std::string& fmspc_hex, const absl::Status& cause) {
  const std::string fmspc = absl::AsciiStrToUpper(fmspc_hex);
  const std::string detail(cause.message());
  return WithReason(
      absl::UnavailableError(absl::StrCat("collateral for FMSPC ", fmspc, ": ", detail)),
      Reason::kCollateralUnavailable, {{"fmspc", fmspc}, {"detail", detail}});
}

}  // namespace

std::string_view PckCaName(PckCa ca) { return ca == PckCa::kPlatform ? "platform" : "processor"; }

PckCa PckCaOf(X509* pck_leaf) {
  return IssuerText(pck_leaf).find("Platform") != std::string::npos ? PckCa::kPlatform
                                                                    : PckCa::kProcessor;
}

CollateralFetcher DirectoryFetcher(std::string dir) {
  return [dir = std::move(dir)](const FixedBytes<6>& fmspc, PckCa) -> absl::StatusOr<Collateral> {
    const std::filesystem::path base(dir);
    std::filesystem::path file = base / (absl::AsciiStrToUpper(HexEncode(fmspc.view())) + ".json");
    if (!std::filesystem::exists(file)) file = base / "collateral.json";
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      return absl::UnavailableError(absl::StrCat("collateral: no ", file.string(), " for FMSPC ",
                                                 absl::AsciiStrToUpper(HexEncode(fmspc.view()))));
    }
    const std::string text((std::istreambuf_iterator<char>(in)), {});
    absl::StatusOr<Collateral> c = ParseCollateralJson(text);
    if (!c.ok()) {
      return absl::UnavailableError(
          absl::StrCat("collateral: ", file.string(), ": ", std::string(c.status().message())));
    }
    return c;
  };
}

absl::StatusOr<std::shared_ptr<const PreparedCollateral>> CachingCollateralSource::Get(
    const FixedBytes<6>& fmspc, PckCa ca, absl::Time now) {
  const auto key = std::make_pair(HexEncode(fmspc.view()), ca);
  {
    MutexLock l(&mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && now < it->second->window_end) return it->second;
  }
  absl::StatusOr<Collateral> fetched = fetch_(fmspc, ca);
  {
    MutexLock l(&mu_);
    ++fetches_;
  }
  if (!fetched.ok()) return Unavailable(key.first, fetched.status());
  absl::StatusOr<std::shared_ptr<const PreparedCollateral>> prepared =
      PrepareCollateral(*std::move(fetched));
  if (!prepared.ok()) return Unavailable(key.first, prepared.status());
  MutexLock l(&mu_);
  cache_[key] = *prepared;
  return *prepared;
}

size_t CachingCollateralSource::fetches() const {
  MutexLock l(&mu_);
  return fetches_;
}

}  // namespace chainkms::attestation
