#include "lib/server/status.h"

#include <cstdint>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace chainkms::server {
namespace {

using google::protobuf::io::CodedInputStream;
using google::protobuf::io::CodedOutputStream;
using google::protobuf::io::StringOutputStream;

constexpr uint32_t Tag(int field, int wire_type) {
  return static_cast<uint32_t>(field << 3 | wire_type);
}
constexpr int kVarint = 0;
constexpr int kLengthDelimited = 2;

void WriteString(CodedOutputStream& out, int field, std::string_view value) {
  out.WriteTag(Tag(field, kLengthDelimited));
  out.WriteVarint32(static_cast<uint32_t>(value.size()));
  out.WriteRaw(value.data(), static_cast<int>(value.size()));
}

template <typename Fn>
std::string Serialize(Fn&& fn) {
  std::string bytes;
  {
    StringOutputStream stream(&bytes);
    CodedOutputStream out(&stream);
    fn(out);
  }
  return bytes;
}

// Calls on_field(number, wire_type, input) for each field; skips what on_field does not read.
template <typename Fn>
bool ForEachField(std::string_view bytes, Fn&& on_field) {
  CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                      static_cast<int>(bytes.size()));
  while (true) {
    uint32_t tag = in.ReadTag();
    if (tag == 0) return in.CurrentPosition() == static_cast<int>(bytes.size());
    if (!on_field(static_cast<int>(tag >> 3), static_cast<int>(tag & 7), in)) return false;
  }
}

bool ReadBytes(CodedInputStream& in, std::string* out) {
  uint32_t size = 0;
  return in.ReadVarint32(&size) && in.ReadString(out, static_cast<int>(size));
}

bool Skip(int wire_type, CodedInputStream& in) {
  switch (wire_type) {
    case 0: {
      uint64_t ignored;
      return in.ReadVarint64(&ignored);
    }
    case 1: {
      uint64_t ignored;
      return in.ReadLittleEndian64(&ignored);
    }
    case 2: {
      std::string ignored;
      return ReadBytes(in, &ignored);
    }
    case 5: {
      uint32_t ignored;
      return in.ReadLittleEndian32(&ignored);
    }
    default:
      return false;
  }
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  auto code = static_cast<grpc::StatusCode>(static_cast<int>(status.code()));
  std::string message(status.message());
  std::optional<Reason> reason = ::chainkms::ReasonOf(status);
  if (!reason.has_value()) return grpc::Status(code, message);

  const ReasonMetadata metadata = MetadataOf(status);
  std::string error_info = Serialize([&](CodedOutputStream& out) {
    WriteString(out, 1, ReasonName(*reason));
    WriteString(out, 2, kErrorDomain);
    // map<string, string> metadata = 3: one entry message {key = 1, value = 2} per pair.
    // A pair, not a structured binding: clang 14 cannot capture bindings in a lambda.
    for (const auto& pair : metadata) {
      WriteString(out, 3, Serialize([&](CodedOutputStream& entry) {
                    WriteString(entry, 1, pair.first);
                    WriteString(entry, 2, pair.second);
                  }));
    }
  });
  std::string any = Serialize([&](CodedOutputStream& out) {
    WriteString(out, 1, kErrorInfoTypeUrl);
    WriteString(out, 2, error_info);
  });
  std::string rpc_status = Serialize([&](CodedOutputStream& out) {
    out.WriteTag(Tag(1, kVarint));
    out.WriteVarint32(static_cast<uint32_t>(code));
    WriteString(out, 2, message);
    WriteString(out, 3, any);
  });
  return grpc::Status(code, message, rpc_status);
}

absl::StatusOr<DecodedDetails> DecodeStatusDetails(std::string_view details) {
  DecodedDetails decoded;
  auto malformed = [] { return absl::InvalidArgumentError("malformed google.rpc.Status details"); };
  bool ok = ForEachField(details, [&](int field, int wire, CodedInputStream& in) {
    if (field == 1 && wire == kVarint) {
      uint32_t code = 0;
      if (!in.ReadVarint32(&code)) return false;
      decoded.code = static_cast<int>(code);
      return true;
    }
    if (field == 2 && wire == kLengthDelimited) return ReadBytes(in, &decoded.message);
    if (field == 3 && wire == kLengthDelimited) {
      std::string any;
      if (!ReadBytes(in, &any)) return false;
      std::string type_url;
      std::string value;
      bool any_ok = ForEachField(any, [&](int f, int w, CodedInputStream& a) {
        if (f == 1 && w == kLengthDelimited) return ReadBytes(a, &type_url);
        if (f == 2 && w == kLengthDelimited) return ReadBytes(a, &value);
        return Skip(w, a);
      });
      if (!any_ok) return false;
      if (type_url != kErrorInfoTypeUrl) return true;
      return ForEachField(value, [&](int f, int w, CodedInputStream& e) {
        if (f == 1 && w == kLengthDelimited) return ReadBytes(e, &decoded.reason);
        if (f == 2 && w == kLengthDelimited) return ReadBytes(e, &decoded.domain);
        if (f == 3 && w == kLengthDelimited) {
          std::string entry, key, entry_value;
          if (!ReadBytes(e, &entry)) return false;
          bool entry_ok = ForEachField(entry, [&](int ef, int ew, CodedInputStream& m) {
            if (ef == 1 && ew == kLengthDelimited) return ReadBytes(m, &key);
            if (ef == 2 && ew == kLengthDelimited) return ReadBytes(m, &entry_value);
            return Skip(ew, m);
          });
          if (!entry_ok) return false;
          decoded.metadata[key] = entry_value;
          return true;
        }
        return Skip(w, e);
      });
    }
    return Skip(wire, in);
  });
  if (!ok) return malformed();
  return decoded;
}

std::optional<std::string> ReasonOf(const grpc::Status& status) {
  if (status.error_details().empty()) return std::nullopt;
  absl::StatusOr<DecodedDetails> decoded = DecodeStatusDetails(status.error_details());
  if (!decoded.ok() || decoded->reason.empty()) return std::nullopt;
  return decoded->reason;
}

absl::Status FromGrpcStatus(const grpc::Status& status, std::string_view context) {
  if (status.ok()) return absl::OkStatus();
  std::string message = context.empty()
                            ? status.error_message()
                            : absl::StrCat(std::string(context), ": ", status.error_message());
  absl::Status out(static_cast<absl::StatusCode>(status.error_code()), message);
  if (status.error_details().empty()) return out;
  absl::StatusOr<DecodedDetails> decoded = DecodeStatusDetails(status.error_details());
  if (!decoded.ok()) return out;
  const std::optional<Reason> reason = ParseReason(decoded->reason);
  if (!reason.has_value()) return out;
  ReasonMetadata metadata;
  for (const auto& [k, v] : decoded->metadata) metadata[k] = v;
  return WithReason(std::move(out), *reason, metadata);
}

absl::Status OverloadedError(std::string_view message) {
  return WithReason(absl::ResourceExhaustedError(std::string(message)), Reason::kOverloaded);
}

}  // namespace chainkms::server
