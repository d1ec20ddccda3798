#include "lib/testing/fake_transport.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"
#include "lib/jsonrpc/errors.h"

namespace chainkms::testutil {
namespace {

using json = nlohmann::json;

json IdOf(const json& request) {
  if (request.is_object() && request.contains("id")) return request["id"];
  return nullptr;
}

json ErrorObject(int64_t code, std::string_view message, const std::optional<std::string>& data) {
  json e = {{"code", code}, {"message", std::string(message)}};
  if (data) e["data"] = *data;
  return e;
}

}  // namespace

std::string JsonRpcResult(const json& id, const json& result) {
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"result", result}}.dump();
}

std::string JsonRpcError(const json& id, int64_t code, std::string_view message,
                         std::optional<std::string> data) {
  return json{{"jsonrpc", "2.0"}, {"id", id}, {"error", ErrorObject(code, message, data)}}.dump();
}

void FakeTransport::Push(Scripted reply) {
  chainkms::MutexLock l(&mu_);
  script_.push_back(std::move(reply));
}

void FakeTransport::PushRaw(absl::StatusOr<std::string> body) {
  Push([body = std::move(body)](const json&) { return body; });
}

void FakeTransport::PushResult(json result) {
  Push([result = std::move(result)](const json& request) -> absl::StatusOr<std::string> {
    return JsonRpcResult(IdOf(request), result);
  });
}

void FakeTransport::PushError(int64_t code, std::string message, std::optional<std::string> data) {
  Push([=](const json& request) -> absl::StatusOr<std::string> {
    return JsonRpcError(IdOf(request), code, message, data);
  });
}

void FakeTransport::OnMethod(std::string method, MethodHandler handler) {
  chainkms::MutexLock l(&mu_);
  handlers_[std::move(method)] = std::move(handler);
}

absl::StatusOr<std::string> FakeTransport::Post(std::string_view body) {
  const json request = json::parse(body, nullptr, /*allow_exceptions=*/false);
  Scripted scripted;
  std::map<std::string, MethodHandler, std::less<>> handlers;
  {
    chainkms::MutexLock l(&mu_);
    requests_.emplace_back(body);
    if (next_script_ < script_.size()) {
      scripted = script_[next_script_++];
    } else {
      handlers = handlers_;
    }
  }
  if (scripted) return scripted(request);
  auto answer = [&](const json& call) -> json {
    const json id = IdOf(call);
    const std::string method =
        call.is_object() && call.contains("method") && call["method"].is_string()
            ? call["method"].get<std::string>()
            : "";
    auto it = handlers.find(method);
    if (it == handlers.end()) {
      return json::parse(JsonRpcError(
          id, -32601, absl::StrCat("the method ", method, " does not exist/is not available")));
    }
    absl::StatusOr<json> r = it->second(call.value("params", json::array()));
    if (r.ok()) return json::parse(JsonRpcResult(id, *r));
    if (std::optional<RpcError> e = GetRpcError(r.status())) {
      std::optional<std::string> data;
      if (!e->data.empty()) data = Hex0x(e->data);
      return json::parse(JsonRpcError(id, e->code, e->message, data));
    }
    return json::parse(JsonRpcError(id, -32000, std::string(r.status().message())));
  };
  if (request.is_array()) {
    json out = json::array();
    for (const json& call : request) out.push_back(answer(call));
    return out.dump();
  }
  if (request.is_discarded()) {
    return absl::UnavailableError(absl::StrCat(description_, ": request is not JSON"));
  }
  if (handlers.empty()) {
    return absl::UnavailableError(absl::StrCat(description_, ": no scripted reply left"));
  }
  return answer(request).dump();
}

std::vector<std::string> FakeTransport::requests() const {
  chainkms::MutexLock l(&mu_);
  return requests_;
}

std::vector<std::string> FakeTransport::methods() const {
  std::vector<std::string> out;
  for (const std::string& body : requests()) {
    const json j = json::parse(body, nullptr, false);
    auto add = [&](const json& call) {
      if (call.is_object() && call.contains("method") && call["method"].is_string()) {
        out.push_back(call["method"].get<std::string>());
      }
    };
    if (j.is_array()) {
      for (const json& c : j) add(c);
    } else {
      add(j);
    }
  }
  return out;
}

size_t FakeTransport::post_count() const {
  chainkms::MutexLock l(&mu_);
  return requests_.size();
}

size_t FakeTransport::pending_scripted() const {
  chainkms::MutexLock l(&mu_);
  return script_.size() - next_script_;
}

}  // namespace chainkms::testutil
