#include "cli/eth/abi_lenient.h"

#include "absl/strings/str_cat.h"
#include "lib/common/status_macros.h"

namespace chainkms::cli {
namespace {

absl::Status Overrun() {
  return absl::InvalidArgumentError("ABI decoding failed: buffer overrun while deserializing");
}

size_t StaticSize(const AbiType& t) {
  switch (t.kind) {
    case AbiKind::kFixedArray:
      return t.size * StaticSize(t.components[0]);
    case AbiKind::kTuple: {
      size_t n = 0;
      for (const auto& c : t.components) n += StaticSize(c);
      return n;
    }
    default:
      return 32;
  }
}

class Decoder {
 public:
  explicit Decoder(ByteView data) : data_(data) {}

  // A sequence of `types` whose encoding starts at `base`.
  absl::StatusOr<std::vector<AbiValue>> Sequence(const AbiType* types, size_t n, bool repeated,
                                                 size_t base) {
    if (++depth_ > 64) return Overrun();
    std::vector<AbiValue> out;
    out.reserve(std::min<size_t>(n, 1024));
    size_t head = base;
    for (size_t i = 0; i < n; ++i) {
      const AbiType& t = repeated ? types[0] : types[i];
      if (t.IsDynamic()) {
        ASSIGN_OR_RETURN(size_t off, Offset(head));
        if (off > data_.size() - base) return Overrun();
        ASSIGN_OR_RETURN(AbiValue v, Value(t, base + off));
        out.push_back(std::move(v));
        head += 32;
      } else {
        ASSIGN_OR_RETURN(AbiValue v, Value(t, head));
        out.push_back(std::move(v));
        head += StaticSize(t);
      }
    }
    --depth_;
    return out;
  }

 private:
  absl::StatusOr<Hash32> Word(size_t at) const {
    if (at > data_.size() || data_.size() - at < 32) return Overrun();
    Hash32 w;
    std::copy(data_.begin() + static_cast<long>(at), data_.begin() + static_cast<long>(at + 32),
              w.begin());
    return w;
  }

  absl::StatusOr<size_t> Offset(size_t at) const {
    ASSIGN_OR_RETURN(Hash32 w, Word(at));
    ASSIGN_OR_RETURN(U256 v, U256::FromBigEndian(w.view()));
    auto small = v.ToU64();
    if (!small || *small > data_.size()) return Overrun();
    return static_cast<size_t>(*small);
  }

  // The value of type t whose encoding starts at `at` (the tail for dynamic types).
  absl::StatusOr<AbiValue> Value(const AbiType& t, size_t at) {
    switch (t.kind) {
      case AbiKind::kUint:
      case AbiKind::kInt:
      case AbiKind::kBool:
      case AbiKind::kAddress:
      case AbiKind::kFixedBytes: {
        ASSIGN_OR_RETURN(Hash32 w, Word(at));
        ASSIGN_OR_RETURN(U256 v, U256::FromBigEndian(w.view()));
        if (t.kind == AbiKind::kUint) return AbiValue::Uint(v, t.size);
        if (t.kind == AbiKind::kInt) return AbiValue::Int(v, t.size);
        if (t.kind == AbiKind::kBool) return AbiValue::Bool(!v.IsZero());
        if (t.kind == AbiKind::kAddress) {
          return AbiValue::Address(*Address::TryFrom(ByteView(w.bytes).subspan(12)));
        }
        return AbiValue::FixedBytes(ByteView(w.bytes).first(t.size));
      }
      case AbiKind::kBytes:
      case AbiKind::kString: {
        ASSIGN_OR_RETURN(size_t len, Offset(at));
        if (data_.size() - at - 32 < len) return Overrun();
        const ByteView b = data_.subspan(at + 32, len);
        if (t.kind == AbiKind::kBytes) return AbiValue::Bytes(b);
        return AbiValue::String(std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
      }
      case AbiKind::kArray: {
        ASSIGN_OR_RETURN(size_t len, Offset(at));
        if (len > (data_.size() - at - 32)) return Overrun();
        ASSIGN_OR_RETURN(auto items, Sequence(&t.components[0], len, true, at + 32));
        return AbiValue::Array(std::move(items));
      }
      case AbiKind::kFixedArray: {
        if (t.size > data_.size()) return Overrun();
        ASSIGN_OR_RETURN(auto items, Sequence(&t.components[0], t.size, true, at));
        return AbiValue::FixedArray(std::move(items));
      }
      case AbiKind::kTuple: {
        ASSIGN_OR_RETURN(auto items, Sequence(t.components.data(), t.components.size(), false, at));
        return AbiValue::Tuple(std::move(items));
      }
    }
    return Overrun();
  }

  ByteView data_;
  int depth_ = 0;
};

void PackValue(const AbiType& t, const AbiValue& v, bool in_array, Bytes& out) {
  switch (t.kind) {
    case AbiKind::kUint:
    case AbiKind::kInt: {
      const Hash32 w = v.number.ToBigEndian();
      const size_t n = in_array ? 32 : t.size / 8;
      out.insert(out.end(), w.end() - static_cast<long>(n), w.end());
      return;
    }
    case AbiKind::kBool:
      if (in_array) out.insert(out.end(), 31, 0);
      out.push_back(v.AsBool() ? 1 : 0);
      return;
    case AbiKind::kAddress:
      if (in_array) out.insert(out.end(), 12, 0);
      out.insert(out.end(), v.address.begin(), v.address.end());
      return;
    case AbiKind::kFixedBytes:
      out.insert(out.end(), v.bytes.begin(), v.bytes.end());
      if (in_array) out.insert(out.end(), 32 - v.bytes.size(), 0);
      return;
    case AbiKind::kBytes:
    case AbiKind::kString:
      out.insert(out.end(), v.bytes.begin(), v.bytes.end());
      return;
    case AbiKind::kArray:
    case AbiKind::kFixedArray:
      for (const auto& item : v.items) PackValue(t.components[0], item, true, out);
      return;
    case AbiKind::kTuple:
      for (size_t i = 0; i < v.items.size() && i < t.components.size(); ++i) {
        PackValue(t.components[i], v.items[i], in_array, out);
      }
      return;
  }
}

}  // namespace

absl::StatusOr<std::vector<AbiValue>> LenientAbiDecode(std::span<const AbiType> types, ByteView data) {
  Decoder d(data);
  return d.Sequence(types.data(), types.size(), false, 0);
}

absl::StatusOr<Bytes> AbiEncodePacked(std::span<const AbiType> types, std::span<const AbiValue> values) {
  if (types.size() != values.size()) {
    return absl::InvalidArgumentError(absl::StrCat("encode length mismatch: expected ", types.size(),
                                                   " types, got ", values.size()));
  }
  Bytes out;
  for (size_t i = 0; i < types.size(); ++i) PackValue(types[i], values[i], false, out);
  return out;
}

}  // namespace chainkms::cli
