#include "lib/jsonrpc/client.h"

#include <map>
#include <span>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"
#include "lib/jsonrpc/errors.h"

namespace chainkms {
namespace {

using json = nlohmann::json;

absl::Status Malformed(const JsonRpcTransport& t, std::string_view method, std::string_view what) {
  return absl::UnavailableError(
      absl::StrCat(std::string(method), ": bad reply from ", t.Describe(), ": ", std::string(what)));
}

absl::Status RateLimited(const JsonRpcTransport& t, std::string_view method) {
  return absl::ResourceExhaustedError(absl::StrCat(std::string(method), ": rate limited by ",
                                                   t.Describe(), " (body is a rate-limit notice)"));
}

// Parses the whole body; a non-JSON body that reads like a rate-limit page is RESOURCE_EXHAUSTED.
absl::StatusOr<json> ParseBody(const JsonRpcTransport& t, std::string_view method,
                               const std::string& body) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Malformed(t, method, "empty body");
  }
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    if (LooksRateLimited(body)) return RateLimited(t, method);
    return Malformed(t, method, "not JSON");
  }
  return j;
}

// Validates one reply object (id checked by the caller) and turns it into result or status.
absl::StatusOr<json> ReplyToResult(const JsonRpcTransport& t, std::string_view method,
                                   const json& reply, std::span<const std::string> customs) {
  if (!reply.is_object()) return Malformed(t, method, "reply is not an object");
  auto version = reply.find("jsonrpc");
  auto result = reply.find("result");
  auto error = reply.find("error");
  const bool has_error = error != reply.end() && !error->is_null();
  if (version == reply.end() || *version != "2.0") {
    // Rate limiters in front of nodes answer {"message":"Too Many Requests"} and the like.
    if (LooksRateLimited(reply.dump(-1, ' ', false, json::error_handler_t::replace))) {
      return RateLimited(t, method);
    }
    return Malformed(t, method, "not a JSON-RPC 2.0 reply");
  }
  if (has_error) {
    std::optional<RpcError> e = ParseRpcError(*error);
    if (!e) return Malformed(t, method, "error object without an integer code");
    absl::Status s = RpcErrorToStatus(*e, method, customs);
    return s;
  }
  if (result == reply.end()) return Malformed(t, method, "neither result nor error");
  return *result;
}

std::optional<int64_t> ReplyId(const json& reply) {
  if (!reply.is_object()) return std::nullopt;
  auto id = reply.find("id");
  if (id == reply.end() || !id->is_number_integer()) return std::nullopt;
  return id->get<int64_t>();
}

json Envelope(int64_t id, std::string_view method, json params) {
  if (params.is_null()) params = json::array();
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"method", std::string(method)},
              {"params", std::move(params)}};
}

}  // namespace

JsonRpcClient::JsonRpcClient(std::shared_ptr<JsonRpcTransport> transport,
                             JsonRpcClientOptions options)
    : transport_(std::move(transport)), options_(std::move(options)) {}

absl::StatusOr<json> JsonRpcClient::Call(std::string_view method, json params) {
  const int64_t id = next_id_.fetch_add(1, std::memory_order_relaxed);
  const std::string body =
      Envelope(id, method, std::move(params)).dump(-1, ' ', false, json::error_handler_t::replace);
  absl::StatusOr<std::string> raw = transport_->Post(body);
  if (!raw.ok()) return raw.status();
  absl::StatusOr<json> reply = ParseBody(*transport_, method, *raw);
  if (!reply.ok()) return reply.status();
  if (reply->is_object()) {
    const std::optional<int64_t> got = ReplyId(*reply);
    // An error with id null is how nodes answer requests they could not read (and rate limits).
    const bool null_id_error = reply->contains("error") && reply->contains("id") &&
                               (*reply)["id"].is_null();
    if (got != id && !null_id_error) {
      absl::StatusOr<json> r = ReplyToResult(*transport_, method, *reply, options_.custom_error_signatures);
      if (!r.ok() && r.status().code() == absl::StatusCode::kResourceExhausted) return r.status();
      return Malformed(*transport_, method, "reply id does not match the request");
    }
  }
  return ReplyToResult(*transport_, method, *reply, options_.custom_error_signatures);
}

absl::StatusOr<std::vector<absl::StatusOr<json>>> JsonRpcClient::Batch(
    std::vector<Request> requests) {
  std::vector<absl::StatusOr<json>> out;
  if (requests.empty()) return out;
  const auto n = static_cast<int64_t>(requests.size());
  const int64_t first = next_id_.fetch_add(n, std::memory_order_relaxed);
  json batch = json::array();
  for (int64_t i = 0; i < n; ++i) {
    Request& r = requests[static_cast<size_t>(i)];
    batch.push_back(Envelope(first + i, r.method, std::move(r.params)));
  }
  const std::string label = absl::StrCat("batch of ", n, " (", requests[0].method, ", ...)");
  absl::StatusOr<std::string> raw =
      transport_->Post(batch.dump(-1, ' ', false, json::error_handler_t::replace));
  if (!raw.ok()) return raw.status();
  absl::StatusOr<json> reply = ParseBody(*transport_, label, *raw);
  if (!reply.ok()) return reply.status();
  if (reply->is_object()) {
    // One error for the whole batch (rate limit, batches unsupported, ...).
    absl::StatusOr<json> r = ReplyToResult(*transport_, label, *reply, options_.custom_error_signatures);
    if (!r.ok()) return r.status();
    return Malformed(*transport_, label, "a single result for a batch");
  }
  if (!reply->is_array()) return Malformed(*transport_, label, "batch reply is not an array");
  std::map<int64_t, const json*> by_id;
  for (const json& item : *reply) {
    const std::optional<int64_t> id = ReplyId(item);
    if (!id || *id < first || *id >= first + n) {
      absl::StatusOr<json> r = ReplyToResult(*transport_, label, item, options_.custom_error_signatures);
      if (!r.ok() && r.status().code() == absl::StatusCode::kResourceExhausted) return r.status();
      return Malformed(*transport_, label, "reply with an unexpected id");
    }
    if (!by_id.emplace(*id, &item).second) {
      return Malformed(*transport_, label, absl::StrCat("duplicate reply for id ", *id));
    }
  }
  out.reserve(requests.size());
  for (int64_t i = 0; i < n; ++i) {
    const std::string& method = requests[static_cast<size_t>(i)].method;
    auto it = by_id.find(first + i);
    if (it == by_id.end()) {
      out.push_back(Malformed(*transport_, method, "no reply for this batch entry"));
      continue;
    }
    absl::StatusOr<json> r = ReplyToResult(*transport_, method, *it->second,
                                           options_.custom_error_signatures);
    // A rate-limited entry is not an answer, and retrying just that entry would split the batch.
    if (!r.ok() && r.status().code() == absl::StatusCode::kResourceExhausted) return r.status();
    out.push_back(std::move(r));
  }
  return out;
}

absl::StatusOr<uint64_t> ParseQuantity(const json& value, std::string_view field) {
  auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(field), ": not a JSON-RPC quantity: ",
                     value.dump(-1, ' ', false, json::error_handler_t::replace).substr(0, 80)));
  };
  if (!value.is_string()) return bad();
  const std::string& s = value.get_ref<const std::string&>();
  if (s.size() < 3 || s[0] != '0' || s[1] != 'x' || s.size() > 18) return bad();
  if (s[2] == '0' && s.size() != 3) return bad();
  uint64_t v = 0;
  for (size_t i = 2; i < s.size(); ++i) {
    const int d = HexDigitValue(s[i]);
    if (d < 0) return bad();
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  return v;
}

}  // namespace chainkms
