#include "services/kms/attestation_cli.h"

#include <fstream>
#include <iterator>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "lib/attestation/collateral_source.h"
#include "lib/common/hex.h"
#include "lib/kms/pccs.h"
#include "lib/kms/tdx_verifier.h"
#include "nlohmann/json.hpp"
#include "services/kms/config.h"

namespace chainkms::kms {
namespace {

using json = nlohmann::json;

constexpr char kUsage[] =
    "usage: chainkms-kms attestation verify --quote F [--collateral C | --collateral-dir D | "
    "--pccs-url U]\n"
    "         [--event-log E] [--vm-config V] [--at RFC3339] [--json]\n"
    "         [--tcb-accept-status S] [--tcb-accept-advisories A] [--os-image-measurements M]\n"
    "         [--insecure-unmeasured-os-image]\n";

constexpr const char* kValueFlags[] = {"--quote",
                                       "--collateral",
                                       "--collateral-dir",
                                       "--pccs-url",
                                       "--event-log",
                                       "--vm-config",
                                       "--at",
                                       "--tcb-accept-status",
                                       "--tcb-accept-advisories",
                                       "--os-image-measurements"};

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// A quote file holds the raw bytes or their hex (0x optional, whitespace ignored).
Bytes QuoteBytes(const std::string& file) {
  std::string compact;
  for (char c : file) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) compact += c;
  }
  if (absl::StatusOr<Bytes> hex = HexDecode(compact); hex.ok() && !hex->empty()) return *hex;
  return Bytes(file.begin(), file.end());
}

std::string Time(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

}  // namespace

int AttestationVerifyCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
                         absl::Time now) {
  std::map<std::string, std::string> v;
  bool as_json = false;
  bool insecure_image = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& s = args[i];
    if (s == "--json") {
      as_json = true;
      continue;
    }
    if (s == "--insecure-unmeasured-os-image") {
      insecure_image = true;
      continue;
    }
    bool matched = false;
    for (const char* f : kValueFlags) {
      const std::string name = f;
      if (s.starts_with(name + "=")) {
        v[name] = s.substr(name.size() + 1);
        matched = true;
      } else if (s == name && i + 1 < args.size()) {
        v[name] = args[++i];
        matched = true;
      }
      if (matched) break;
    }
    if (!matched) {
      err << "unknown or incomplete flag " << s << "\n" << kUsage;
      return 2;
    }
  }
  if (!v.contains("--quote")) {
    err << "--quote: required\n" << kUsage;
    return 2;
  }
  if (v.contains("--at")) {
    std::string e;
    if (!absl::ParseTime(absl::RFC3339_full, v["--at"], &now, &e)) {
      err << "--at: \"" << v["--at"] << "\" is not an RFC 3339 time (e.g. 2025-07-04T10:00:00Z)\n";
      return 2;
    }
  }
  TdxVerifierOptions options;
  absl::StatusOr<attestation::TcbPolicy> policy =
      ParseTcbPolicy(v.contains("--tcb-accept-status") ? v["--tcb-accept-status"] : "UpToDate",
                     v["--tcb-accept-advisories"]);
  if (!policy.ok()) {
    err << policy.status().message() << "\n";
    return 2;
  }
  options.policy = *std::move(policy);
  absl::StatusOr<attestation::OsImageMeasurements> images =
      LoadOsImageMeasurements(v["--os-image-measurements"]);
  if (!images.ok()) {
    err << images.status().message() << "\n";
    return 2;
  }
  options.os_images = *std::move(images);
  options.allow_unmeasured_os_image = insecure_image;

  std::optional<std::string> quote_file = ReadFile(v["--quote"]);
  if (!quote_file) {
    err << "--quote: cannot read " << v["--quote"] << "\n";
    return 2;
  }
  TdxEvidence evidence;
  evidence.quote = QuoteBytes(*quote_file);
  for (const char* f : {"--event-log", "--vm-config"}) {
    if (!v.contains(f)) continue;
    std::optional<std::string> text = ReadFile(v[f]);
    if (!text) {
      err << f << ": cannot read " << v[f] << "\n";
      return 2;
    }
    if (std::string(f) == "--event-log") {
      evidence.event_log.assign(text->begin(), text->end());
    } else {
      evidence.vm_config = *text;
    }
  }

  std::vector<attestation::VerifyStep> steps;
  json j = {{"at", Time(now)}};
  absl::Status refused;
  std::optional<TdxVerdict> verdict;
  [&] {
    absl::StatusOr<attestation::TdxQuote> quote = attestation::ParseTdxQuote(evidence.quote);
    if (!quote.ok()) {
      steps.push_back({"parse", false, std::string(quote.status().message())});
      refused = quote.status();
      return;
    }
    absl::StatusOr<std::shared_ptr<const attestation::PreparedCollateral>> collateral;
    if (v.contains("--collateral")) {
      std::optional<std::string> text = ReadFile(v["--collateral"]);
      absl::StatusOr<attestation::Collateral> c =
          text ? attestation::ParseCollateralJson(*text)
               : absl::InvalidArgumentError("cannot read " + v["--collateral"]);
      collateral = c.ok() ? attestation::PrepareCollateral(*std::move(c)) : c.status();
    } else {
      absl::StatusOr<std::pair<FixedBytes<6>, attestation::PckCa>> key = CollateralKey(*quote);
      if (!key.ok()) {
        collateral = key.status();
      } else {
        absl::StatusOr<attestation::CollateralFetcher> fetch =
            v.contains("--collateral-dir")
                ? absl::StatusOr<attestation::CollateralFetcher>(
                      attestation::DirectoryFetcher(v["--collateral-dir"]))
                : PccsFetcher({.url = v.contains("--pccs-url")
                                          ? v["--pccs-url"]
                                          : "https://api.trustedservices.intel.com"});
        if (!fetch.ok()) {
          collateral = fetch.status();
        } else {
          attestation::CachingCollateralSource source(*std::move(fetch));
          collateral = source.Get(key->first, key->second, now);
        }
      }
    }
    if (!collateral.ok()) {
      steps.push_back({"collateral", false, std::string(collateral.status().message())});
      refused = collateral.status();
      return;
    }
    steps.push_back({"collateral", true,
                     absl::StrCat("window ", Time((*collateral)->window_begin), " to ",
                                  Time((*collateral)->window_end))});
    if (evidence.event_log.empty()) {
      absl::StatusOr<attestation::VerifiedQuote> q =
          attestation::VerifyTdxQuote(*quote, **collateral, now, &steps);
      if (!q.ok()) {
        refused = q.status();
        return;
      }
      if (absl::Status s = attestation::CheckTcbPolicy(*q, options.policy); !s.ok()) {
        steps.push_back({"tcb_policy", false, std::string(s.message())});
        refused = s;
        return;
      }
      steps.push_back({"tcb_policy", true, "status and advisories accepted"});
      verdict = TdxVerdict{.quote = *std::move(q)};
      return;
    }
    TdxVerifierOptions opts = options;
    if (evidence.vm_config.empty()) opts.allow_unmeasured_os_image = true;  // nothing to check
    absl::StatusOr<TdxVerdict> r = VerifyTdxEvidence(evidence, **collateral, now, opts, &steps);
    if (!r.ok()) {
      refused = r.status();
      return;
    }
    verdict = *std::move(r);
  }();

  const bool accepted = refused.ok() && verdict.has_value();
  json js = json::array();
  for (const auto& s : steps) js.push_back({{"step", s.step}, {"ok", s.ok}, {"detail", s.detail}});
  j["steps"] = js;
  j["accepted"] = accepted;
  if (!refused.ok()) j["error"] = std::string(refused.message());
  if (verdict) {
    const attestation::VerifiedQuote& q = verdict->quote;
    const attestation::TdReport& r = q.report;
    j["status"] = q.status;
    j["advisory_ids"] = q.advisory_ids;
    j["platform_status"] = q.platform_status.status;
    j["qe_status"] = q.qe_status.status;
    j["fmspc"] = absl::AsciiStrToUpper(HexEncode(q.fmspc.view()));
    j["ppid"] = HexEncode(q.ppid);
    j["collateral"] = {{"not_before", Time(q.collateral_not_before)},
                       {"not_after", Time(q.collateral_not_after)}};
    j["measurements"] = {{"mr_td", HexEncode(r.mr_td.view())},
                         {"rtmr0", HexEncode(r.rtmr0.view())},
                         {"rtmr1", HexEncode(r.rtmr1.view())},
                         {"rtmr2", HexEncode(r.rtmr2.view())},
                         {"rtmr3", HexEncode(r.rtmr3.view())},
                         {"mr_config_id", HexEncode(r.mr_config_id.view())},
                         {"mr_owner", HexEncode(r.mr_owner.view())},
                         {"mr_owner_config", HexEncode(r.mr_owner_config.view())},
                         {"mr_seam", HexEncode(r.mr_seam.view())},
                         {"td_attributes", HexEncode(r.td_attributes.view())},
                         {"tee_tcb_svn", HexEncode(r.tee_tcb_svn.view())}};
    j["report_data"] = HexEncode(r.report_data.view());
    if (!evidence.event_log.empty()) {
      const attestation::DstackBoot& b = verdict->boot;
      j["boot_info"] = {{"app_id", Hex0x(b.app_id.view())},
                        {"compose_hash", Hex0x(b.compose_hash.view())},
                        {"instance_id", Hex0x(b.instance_id.view())},
                        {"device_id", Hex0x(b.device_id.view())},
                        {"mr_aggregated", Hex0x(b.mr_aggregated.view())},
                        {"mr_system", Hex0x(b.mr_system.view())},
                        {"key_provider_id", HexEncode(b.key_provider_id)},
                        {"tcb_status", q.status},
                        {"advisory_ids", q.advisory_ids}};
      if (!evidence.vm_config.empty()) {
        j["boot_info"]["os_image_hash"] = Hex0x(verdict->os_image_hash.view());
      }
    }
  }
  if (as_json) {
    out << j.dump(2) << "\n";
  } else {
    out << "TDX quote verification at " << Time(now) << "\n";
    for (const auto& s : steps) {
      out << (s.ok ? "  ok    " : "  FAIL  ") << s.step << ": " << s.detail << "\n";
    }
    if (accepted) {
      out << "ACCEPTED: " << j["status"].get<std::string>();
      for (const auto& a : j["advisory_ids"]) out << " " << a.get<std::string>();
      out << " (FMSPC " << j["fmspc"].get<std::string>() << ", collateral valid "
          << j["collateral"]["not_before"].get<std::string>() << " to "
          << j["collateral"]["not_after"].get<std::string>() << ")\n";
      if (j.contains("boot_info")) {
        for (const auto& [k, val] : j["boot_info"].items()) {
          out << "  " << k << ": " << (val.is_string() ? val.get<std::string>() : val.dump())
              << "\n";
        }
      }
    } else {
      out << "REFUSED: " << refused.message() << "\n";
    }
  }
  return accepted ? 0 : 1;
}

}  // namespace chainkms::kms
