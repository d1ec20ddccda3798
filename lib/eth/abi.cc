#include "lib/eth/abi.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"
#include "lib/common/status_macros.h"

namespace chainkms {
namespace {

absl::Status Invalid(const std::string& what) { return absl::InvalidArgumentError(what); }

// The member types of a tuple, or one element type repeated (arrays), without copying types.
class TypeSeq {
 public:
  explicit TypeSeq(std::span<const AbiType> list) : list_(list), n_(list.size()) {}
  TypeSeq(const AbiType& repeated, size_t n) : repeated_(&repeated), n_(n) {}
  size_t size() const { return n_; }
  const AbiType& operator[](size_t i) const { return repeated_ ? *repeated_ : list_[i]; }

 private:
  std::span<const AbiType> list_;
  const AbiType* repeated_ = nullptr;
  size_t n_;
};

std::string KindName(AbiKind k) {
  switch (k) {
    case AbiKind::kUint:
      return "uint";
    case AbiKind::kInt:
      return "int";
    case AbiKind::kAddress:
      return "address";
    case AbiKind::kBool:
      return "bool";
    case AbiKind::kFixedBytes:
      return "bytesN";
    case AbiKind::kBytes:
      return "bytes";
    case AbiKind::kString:
      return "string";
    case AbiKind::kArray:
      return "array";
    case AbiKind::kFixedArray:
      return "fixed array";
    case AbiKind::kTuple:
      return "tuple";
  }
  return "?";
}

// True when bits [bits-1, 255] of `v` are all equal, i.e. `v` is an intN sign-extended to 256.
bool IsSignExtended(const U256& v, size_t bits) {
  if (bits >= 256) return true;
  const U256 top = v >> static_cast<int>(bits - 1);
  return top.IsZero() || top == (U256::Max() >> static_cast<int>(bits - 1));
}

void AppendWord(Bytes& out, const Hash32& w) { out.insert(out.end(), w.begin(), w.end()); }

Hash32 WordOf(size_t n) { return U256(static_cast<uint64_t>(n)).ToBigEndian(); }

void AppendPadded(Bytes& out, ByteView b) {
  out.insert(out.end(), b.begin(), b.end());
  out.resize(out.size() + (32 - b.size() % 32) % 32, 0);
}

absl::Status EncodeTuple(const TypeSeq& types, std::span<const AbiValue> values, Bytes& out);

absl::Status CheckKind(const AbiType& t, const AbiValue& v) {
  if (t.kind != v.kind) {
    return Invalid(absl::StrCat("value for ", t.Canonical(), " is a ", KindName(v.kind)));
  }
  return absl::OkStatus();
}

absl::Status EncodeStatic(const AbiType& t, const AbiValue& v, Bytes& out) {
  switch (t.kind) {
    case AbiKind::kUint:
      if (v.number.BitLength() > static_cast<int>(t.size)) {
        return Invalid(absl::StrCat("value ", v.number.ToDecimal(), " does not fit ", t.Canonical()));
      }
      AppendWord(out, v.number.ToBigEndian());
      return absl::OkStatus();
    case AbiKind::kInt:
      if (!IsSignExtended(v.number, t.size)) {
        return Invalid(absl::StrCat("value does not fit ", t.Canonical()));
      }
      AppendWord(out, v.number.ToBigEndian());
      return absl::OkStatus();
    case AbiKind::kBool:
      if (v.number > U256(1)) return Invalid("bool value must be 0 or 1");
      AppendWord(out, v.number.ToBigEndian());
      return absl::OkStatus();
    case AbiKind::kAddress:
      out.resize(out.size() + 12, 0);
      out.insert(out.end(), v.address.begin(), v.address.end());
      return absl::OkStatus();
    case AbiKind::kFixedBytes:
      if (v.bytes.size() != t.size) {
        return Invalid(absl::StrCat(t.Canonical(), " value has ", v.bytes.size(), " bytes"));
      }
      AppendPadded(out, v.bytes);
      return absl::OkStatus();
    default:
      return absl::InternalError("not a static leaf type");
  }
}

absl::Status EncodeValue(const AbiType& t, const AbiValue& v, Bytes& out) {
  RETURN_IF_ERROR(CheckKind(t, v));
  switch (t.kind) {
    case AbiKind::kBytes:
    case AbiKind::kString:
      AppendWord(out, WordOf(v.bytes.size()));
      AppendPadded(out, v.bytes);
      return absl::OkStatus();
    case AbiKind::kArray: {
      AppendWord(out, WordOf(v.items.size()));
      return EncodeTuple(TypeSeq(t.components[0], v.items.size()), v.items, out);
    }
    case AbiKind::kFixedArray: {
      if (v.items.size() != t.size) {
        return Invalid(absl::StrCat(t.Canonical(), " value has ", v.items.size(), " elements"));
      }
      return EncodeTuple(TypeSeq(t.components[0], t.size), v.items, out);
    }
    case AbiKind::kTuple:
      return EncodeTuple(TypeSeq(t.components), v.items, out);
    default:
      return EncodeStatic(t, v, out);
  }
}

absl::Status EncodeTuple(const TypeSeq& types, std::span<const AbiValue> values, Bytes& out) {
  if (types.size() != values.size()) {
    return Invalid(absl::StrCat("expected ", types.size(), " values, got ", values.size()));
  }
  const size_t base = out.size();
  size_t head_size = 0;
  for (size_t i = 0; i < types.size(); ++i) head_size += types[i].HeadSize();
  // Static values go straight into the head; dynamic ones leave a slot patched with the
  // offset of their tail, which is appended after the head.
  std::vector<size_t> slots;
  for (size_t i = 0; i < types.size(); ++i) {
    if (types[i].IsDynamic()) {
      slots.push_back(out.size());
      out.resize(out.size() + 32, 0);
    } else {
      RETURN_IF_ERROR(EncodeValue(types[i], values[i], out));
    }
  }
  if (out.size() - base != head_size) return absl::InternalError("ABI head size mismatch");
  size_t slot = 0;
  for (size_t i = 0; i < types.size(); ++i) {
    if (!types[i].IsDynamic()) continue;
    const Hash32 off = WordOf(out.size() - base);
    std::copy(off.begin(), off.end(), out.begin() + static_cast<ptrdiff_t>(slots[slot++]));
    RETURN_IF_ERROR(EncodeValue(types[i], values[i], out));
  }
  return absl::OkStatus();
}

// Bounds decoding work: every value charges the bytes it claims to occupy, and the total may
// not exceed twice the input. Encodings without aliasing offsets never come close.
class Decoder {
 public:
  explicit Decoder(ByteView data) : budget_(2 * data.size() + 64) {}

  absl::StatusOr<std::vector<AbiValue>> Sequence(const TypeSeq& types, ByteView frame) {
    size_t head = 0;
    for (size_t i = 0; i < types.size(); ++i) head += types[i].HeadSize();
    if (head > frame.size()) {
      return Invalid(absl::StrCat("ABI data truncated: need ", head, " bytes of heads, have ",
                                  frame.size()));
    }
    std::vector<AbiValue> out;
    out.reserve(types.size());
    size_t pos = 0;
    for (size_t i = 0; i < types.size(); ++i) {
      ASSIGN_OR_RETURN(AbiValue v, At(types[i], frame, pos));
      out.push_back(std::move(v));
      pos += types[i].HeadSize();
    }
    return out;
  }

 private:
  absl::Status Charge(size_t n) {
    if (n > budget_) return Invalid("ABI data reuses the same bytes too many times");
    budget_ -= n;
    return absl::OkStatus();
  }

  static absl::StatusOr<Hash32> Word(ByteView frame, size_t pos) {
    if (pos > frame.size() || frame.size() - pos < 32) {
      return Invalid(absl::StrCat("ABI data truncated at byte ", pos));
    }
    Hash32 w;
    std::copy_n(frame.begin() + static_cast<ptrdiff_t>(pos), 32, w.begin());
    return w;
  }

  // A word used as an offset or length: must be small enough to index `limit` bytes.
  static absl::StatusOr<size_t> SizeWord(ByteView frame, size_t pos, size_t limit,
                                         std::string_view what) {
    ASSIGN_OR_RETURN(Hash32 w, Word(frame, pos));
    ASSIGN_OR_RETURN(U256 v, U256::FromBigEndian(w));
    std::optional<uint64_t> small = v.ToU64();
    if (!small || *small > limit) {
      return Invalid(absl::StrCat("ABI ", std::string(what), " ", v.ToDecimal(), " at byte ", pos,
                                  " exceeds the ", limit, " bytes available"));
    }
    return static_cast<size_t>(*small);
  }

  absl::StatusOr<AbiValue> At(const AbiType& t, ByteView frame, size_t pos) {
    if (!t.IsDynamic()) return Static(t, frame, pos);
    ASSIGN_OR_RETURN(size_t off, SizeWord(frame, pos, frame.size(), "offset"));
    return Tail(t, frame.subspan(off));
  }

  absl::StatusOr<AbiValue> Static(const AbiType& t, ByteView frame, size_t pos) {
    switch (t.kind) {
      case AbiKind::kFixedArray: {
        AbiValue v;
        v.kind = AbiKind::kFixedArray;
        v.size = t.size;
        const size_t step = t.components[0].HeadSize();
        for (size_t i = 0; i < t.size; ++i) {
          ASSIGN_OR_RETURN(AbiValue e, Static(t.components[0], frame, pos + i * step));
          v.items.push_back(std::move(e));
        }
        return v;
      }
      case AbiKind::kTuple: {
        AbiValue v;
        v.kind = AbiKind::kTuple;
        for (const auto& c : t.components) {
          ASSIGN_OR_RETURN(AbiValue e, Static(c, frame, pos));
          v.items.push_back(std::move(e));
          pos += c.HeadSize();
        }
        return v;
      }
      default: {
        RETURN_IF_ERROR(Charge(32));
        ASSIGN_OR_RETURN(Hash32 w, Word(frame, pos));
        return DecodeWord(t, w);
      }
    }
  }

  absl::StatusOr<AbiValue> Tail(const AbiType& t, ByteView frame) {
    switch (t.kind) {
      case AbiKind::kBytes:
      case AbiKind::kString: {
        ASSIGN_OR_RETURN(size_t n, SizeWord(frame, 0, frame.size(), "length"));
        const size_t padded = n + (32 - n % 32) % 32;
        if (frame.size() - 32 < padded) {
          return Invalid(absl::StrCat("ABI ", t.Canonical(), " of ", n, " bytes is truncated"));
        }
        RETURN_IF_ERROR(Charge(32 + padded));
        ByteView body = frame.subspan(32, n);
        ByteView pad = frame.subspan(32 + n, padded - n);
        if (std::any_of(pad.begin(), pad.end(), [](uint8_t b) { return b != 0; })) {
          return Invalid(absl::StrCat("ABI ", t.Canonical(), " has nonzero padding"));
        }
        AbiValue v = t.kind == AbiKind::kBytes ? AbiValue::Bytes(body) : AbiValue::String("");
        if (t.kind == AbiKind::kString) v.bytes.assign(body.begin(), body.end());
        return v;
      }
      case AbiKind::kArray: {
        // Each element needs at least a 32-byte head, so a huge count fails before allocating.
        const size_t max_count = frame.size() < 32 ? 0 : (frame.size() - 32) / 32;
        ASSIGN_OR_RETURN(size_t n, SizeWord(frame, 0, max_count, "array length"));
        RETURN_IF_ERROR(Charge(32));
        ASSIGN_OR_RETURN(std::vector<AbiValue> items,
                         Sequence(TypeSeq(t.components[0], n), frame.subspan(32)));
        return AbiValue::Array(std::move(items));
      }
      case AbiKind::kFixedArray: {
        ASSIGN_OR_RETURN(std::vector<AbiValue> items,
                         Sequence(TypeSeq(t.components[0], t.size), frame));
        return AbiValue::FixedArray(std::move(items));
      }
      case AbiKind::kTuple: {
        ASSIGN_OR_RETURN(std::vector<AbiValue> items, Sequence(TypeSeq(t.components), frame));
        return AbiValue::Tuple(std::move(items));
      }
      default:
        return absl::InternalError("not a dynamic type");
    }
  }

  size_t budget_;
};

}  // namespace

AbiValue AbiValue::Uint(const U256& v, size_t bits) {
  AbiValue out;
  out.kind = AbiKind::kUint;
  out.size = bits;
  out.number = v;
  return out;
}

AbiValue AbiValue::Int(const U256& twos_complement, size_t bits) {
  AbiValue out;
  out.kind = AbiKind::kInt;
  out.size = bits;
  out.number = twos_complement;
  return out;
}

AbiValue AbiValue::Int64(int64_t v, size_t bits) {
  const U256 mag(v < 0 ? static_cast<uint64_t>(-(v + 1)) + 1 : static_cast<uint64_t>(v));
  return Int(v < 0 ? U256(0).WrappingSub(mag) : mag, bits);
}

AbiValue AbiValue::Bool(bool v) {
  AbiValue out;
  out.kind = AbiKind::kBool;
  out.number = U256(v ? 1 : 0);
  return out;
}

AbiValue AbiValue::Address(const chainkms::Address& a) {
  AbiValue out;
  out.kind = AbiKind::kAddress;
  out.address = a;
  return out;
}

AbiValue AbiValue::FixedBytes(ByteView b) {
  AbiValue out;
  out.kind = AbiKind::kFixedBytes;
  out.size = b.size();
  out.bytes.assign(b.begin(), b.end());
  return out;
}

AbiValue AbiValue::Bytes(ByteView b) {
  AbiValue out;
  out.kind = AbiKind::kBytes;
  out.bytes.assign(b.begin(), b.end());
  return out;
}

AbiValue AbiValue::String(std::string_view s) {
  AbiValue out;
  out.kind = AbiKind::kString;
  out.bytes.assign(s.begin(), s.end());
  return out;
}

AbiValue AbiValue::Array(std::vector<AbiValue> items) {
  AbiValue out;
  out.kind = AbiKind::kArray;
  out.items = std::move(items);
  return out;
}

AbiValue AbiValue::FixedArray(std::vector<AbiValue> items) {
  AbiValue out;
  out.kind = AbiKind::kFixedArray;
  out.size = items.size();
  out.items = std::move(items);
  return out;
}

AbiValue AbiValue::Tuple(std::vector<AbiValue> items) {
  AbiValue out;
  out.kind = AbiKind::kTuple;
  out.items = std::move(items);
  return out;
}

absl::StatusOr<AbiValue> DecodeWord(const AbiType& t, const Hash32& w) {
  switch (t.kind) {
    case AbiKind::kUint: {
      ASSIGN_OR_RETURN(U256 v, U256::FromBigEndian(w));
      if (v.BitLength() > static_cast<int>(t.size)) {
        return Invalid(absl::StrCat("ABI ", t.Canonical(), " has bits set above bit ", t.size));
      }
      return AbiValue::Uint(v, t.size);
    }
    case AbiKind::kInt: {
      ASSIGN_OR_RETURN(U256 v, U256::FromBigEndian(w));
      if (!IsSignExtended(v, t.size)) {
        return Invalid(absl::StrCat("ABI ", t.Canonical(), " is not sign-extended"));
      }
      return AbiValue::Int(v, t.size);
    }
    case AbiKind::kBool: {
      ASSIGN_OR_RETURN(U256 v, U256::FromBigEndian(w));
      if (v > U256(1)) return Invalid("ABI bool is neither 0 nor 1");
      return AbiValue::Bool(v == U256(1));
    }
    case AbiKind::kAddress: {
      if (std::any_of(w.begin(), w.begin() + 12, [](uint8_t b) { return b != 0; })) {
        return Invalid("ABI address has nonzero upper 12 bytes");
      }
      return AbiValue::Address(*chainkms::Address::TryFrom(w.view().subspan(12)));
    }
    case AbiKind::kFixedBytes: {
      if (std::any_of(w.begin() + static_cast<ptrdiff_t>(t.size), w.end(),
                      [](uint8_t b) { return b != 0; })) {
        return Invalid(absl::StrCat("ABI ", t.Canonical(), " has nonzero padding"));
      }
      return AbiValue::FixedBytes(w.view().subspan(0, t.size));
    }
    default:
      return Invalid(absl::StrCat(t.Canonical(), " is not a single-word type"));
  }
}

absl::StatusOr<Bytes> AbiEncode(std::span<const AbiType> types, std::span<const AbiValue> values) {
  Bytes out;
  RETURN_IF_ERROR(EncodeTuple(TypeSeq(types), values, out));
  return out;
}

absl::StatusOr<std::vector<AbiValue>> AbiDecode(std::span<const AbiType> types, ByteView data) {
  Decoder d(data);
  return d.Sequence(TypeSeq(types), data);
}

absl::StatusOr<Bytes> EncodeCall(const AbiSignature& sig, std::span<const AbiValue> values) {
  const std::vector<AbiType> types = sig.InputTypes();
  ASSIGN_OR_RETURN(Bytes args, AbiEncode(types, values));
  const FunctionSelector sel = SelectorOf(sig);
  return Concat({sel.view(), args});
}

absl::StatusOr<Bytes> EncodeCall(std::string_view signature, std::span<const AbiValue> values) {
  ASSIGN_OR_RETURN(AbiSignature sig, ParseSignature(signature));
  return EncodeCall(sig, values);
}

absl::StatusOr<std::vector<AbiValue>> DecodeCall(const AbiSignature& sig, ByteView calldata) {
  const FunctionSelector sel = SelectorOf(sig);
  if (calldata.size() < 4) return Invalid("calldata shorter than a 4-byte selector");
  if (!std::equal(sel.begin(), sel.end(), calldata.begin())) {
    return Invalid(absl::StrCat("calldata selector ", Hex0x(calldata.subspan(0, 4)),
                                " does not match ", sig.Canonical(), " (", Hex0x(sel.view()),
                                ")"));
  }
  const std::vector<AbiType> types = sig.InputTypes();
  return AbiDecode(types, calldata.subspan(4));
}

absl::StatusOr<std::vector<AbiValue>> DecodeCall(std::string_view signature, ByteView calldata) {
  ASSIGN_OR_RETURN(AbiSignature sig, ParseSignature(signature));
  return DecodeCall(sig, calldata);
}

}  // namespace chainkms
