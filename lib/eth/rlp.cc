#include "lib/eth/rlp.h"

#include <cassert>
#include <string>

#include "absl/strings/str_cat.h"
#include "lib/common/status_macros.h"

namespace chainkms {
namespace {

// Writes the header for a payload of `len` bytes; `offset` is 0x80 for strings, 0xc0 for lists.
// Returns the number of bytes written into `hdr` (at most 9).
size_t WriteHeader(uint8_t offset, size_t len, uint8_t hdr[9]) {
  if (len < 56) {
    hdr[0] = static_cast<uint8_t>(offset + len);
    return 1;
  }
  uint8_t be[8];
  size_t n = 0;
  for (uint64_t v = len; v != 0; v >>= 8) be[n++] = static_cast<uint8_t>(v & 0xff);
  hdr[0] = static_cast<uint8_t>(offset + 55 + n);
  for (size_t i = 0; i < n; ++i) hdr[1 + i] = be[n - 1 - i];
  return 1 + n;
}

void AppendBytes(Bytes& out, ByteView b) {
  if (b.size() == 1 && b[0] < 0x80) {
    out.push_back(b[0]);
    return;
  }
  uint8_t hdr[9];
  size_t h = WriteHeader(0x80, b.size(), hdr);
  out.insert(out.end(), hdr, hdr + h);
  out.insert(out.end(), b.begin(), b.end());
}

void AppendU64(Bytes& out, uint64_t v) {
  if (v == 0) {
    out.push_back(0x80);
    return;
  }
  if (v < 0x80) {
    out.push_back(static_cast<uint8_t>(v));
    return;
  }
  uint8_t be[8];
  size_t n = 0;
  for (; v != 0; v >>= 8) be[n++] = static_cast<uint8_t>(v & 0xff);
  out.push_back(static_cast<uint8_t>(0x80 + n));
  for (size_t i = 0; i < n; ++i) out.push_back(be[n - 1 - i]);
}

void AppendU256(Bytes& out, const U256& v) {
  if (auto small = v.ToU64()) {
    AppendU64(out, *small);
    return;
  }
  Hash32 be = v.ToBigEndian();
  size_t skip = 0;
  while (skip < 32 && be[skip] == 0) ++skip;
  out.push_back(static_cast<uint8_t>(0x80 + (32 - skip)));
  out.insert(out.end(), be.begin() + static_cast<std::ptrdiff_t>(skip), be.end());
}

void AppendItem(Bytes& out, const RlpItem& item) {
  if (!item.is_list()) {
    AppendBytes(out, item.bytes());
    return;
  }
  Bytes payload;
  for (const RlpItem& child : item.items()) AppendItem(payload, child);
  uint8_t hdr[9];
  size_t h = WriteHeader(0xc0, payload.size(), hdr);
  out.insert(out.end(), hdr, hdr + h);
  out.insert(out.end(), payload.begin(), payload.end());
}

absl::Status Invalid(std::string_view what, size_t pos) {
  return absl::InvalidArgumentError(absl::StrCat("rlp: ", std::string(what), " at offset ", pos));
}

struct Header {
  bool is_list;
  size_t payload_start;
  size_t payload_len;
};

// Parses the header at `pos`, checking canonical form and that the payload fits in `end`.
absl::StatusOr<Header> ReadHeader(ByteView in, size_t pos, size_t end) {
  if (pos >= end) return Invalid("truncated input (missing header)", pos);
  const uint8_t b = in[pos];
  if (b < 0x80) return Header{false, pos, 1};
  const bool is_list = b >= 0xc0;
  const uint8_t base = is_list ? 0xc0 : 0x80;
  const size_t avail = end - pos - 1;
  if (b - base < 56) {
    size_t len = b - base;
    if (len > avail) return Invalid("truncated input (payload shorter than header says)", pos);
    if (!is_list && len == 1 && in[pos + 1] < 0x80) {
      return Invalid("non-canonical single byte (must be encoded as itself)", pos);
    }
    return Header{is_list, pos + 1, len};
  }
  const size_t len_of_len = static_cast<size_t>(b - base - 55);
  if (len_of_len > avail) return Invalid("truncated input (length bytes missing)", pos);
  if (in[pos + 1] == 0) return Invalid("non-canonical length (leading zero)", pos);
  if (len_of_len > sizeof(size_t)) return Invalid("length does not fit in memory", pos);
  size_t len = 0;
  for (size_t i = 0; i < len_of_len; ++i) len = (len << 8) | in[pos + 1 + i];
  if (len < 56) return Invalid("non-canonical length (long form for a short payload)", pos);
  if (len > avail - len_of_len) return Invalid("truncated input (payload shorter than header says)", pos);
  return Header{is_list, pos + 1 + len_of_len, len};
}

absl::StatusOr<RlpItem> DecodeAt(ByteView in, size_t pos, size_t end, int depth, size_t* next) {
  ASSIGN_OR_RETURN(Header h, ReadHeader(in, pos, end));
  const size_t payload_end = h.payload_start + h.payload_len;
  *next = payload_end;
  if (!h.is_list) return RlpItem::String(in.subspan(h.payload_start, h.payload_len));
  if (depth >= kRlpMaxDepth) return Invalid("nesting deeper than the limit", pos);
  std::vector<RlpItem> items;
  size_t cur = h.payload_start;
  while (cur < payload_end) {
    size_t after = 0;
    ASSIGN_OR_RETURN(RlpItem child, DecodeAt(in, cur, payload_end, depth + 1, &after));
    items.push_back(std::move(child));
    cur = after;
  }
  return RlpItem::List(std::move(items));
}

}  // namespace

RlpItem RlpItem::String(Bytes b) {
  RlpItem item;
  item.bytes_ = std::move(b);
  return item;
}

RlpItem RlpItem::List(std::vector<RlpItem> items) {
  RlpItem item;
  item.is_list_ = true;
  item.items_ = std::move(items);
  return item;
}

absl::StatusOr<U256> RlpItem::AsU256(std::string_view field) const {
  if (is_list_) return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": expected an integer, got a list"));
  if (!bytes_.empty() && bytes_[0] == 0) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": integer has leading zero bytes"));
  }
  if (bytes_.size() > 32) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": integer longer than 32 bytes"));
  }
  return U256::FromBigEndian(bytes_);
}

absl::StatusOr<uint64_t> RlpItem::AsU64(std::string_view field) const {
  ASSIGN_OR_RETURN(U256 v, AsU256(field));
  std::optional<uint64_t> small = v.ToU64();
  if (!small) return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": integer exceeds 2^64-1"));
  return *small;
}

absl::StatusOr<RlpItem> RlpDecode(ByteView in) {
  if (in.empty()) return Invalid("empty input", 0);
  size_t next = 0;
  ASSIGN_OR_RETURN(RlpItem item, DecodeAt(in, 0, in.size(), 0, &next));
  if (next != in.size()) return Invalid("trailing bytes after the item", next);
  return item;
}

Bytes RlpEncode(const RlpItem& item) {
  Bytes out;
  AppendItem(out, item);
  return out;
}

Bytes RlpEncodeBytes(ByteView b) {
  Bytes out;
  out.reserve(b.size() + 9);
  AppendBytes(out, b);
  return out;
}

Bytes RlpEncodeU64(uint64_t v) {
  Bytes out;
  AppendU64(out, v);
  return out;
}

Bytes RlpEncodeU256(const U256& v) {
  Bytes out;
  AppendU256(out, v);
  return out;
}

Bytes RlpEncodeList(const std::vector<Bytes>& encoded_items) {
  size_t len = 0;
  for (const Bytes& e : encoded_items) len += e.size();
  uint8_t hdr[9];
  size_t h = WriteHeader(0xc0, len, hdr);
  Bytes out;
  out.reserve(h + len);
  out.insert(out.end(), hdr, hdr + h);
  for (const Bytes& e : encoded_items) out.insert(out.end(), e.begin(), e.end());
  return out;
}

void RlpEncoder::AddBytes(ByteView b) { AppendBytes(out_, b); }
void RlpEncoder::AddU64(uint64_t v) { AppendU64(out_, v); }
void RlpEncoder::AddU256(const U256& v) { AppendU256(out_, v); }
void RlpEncoder::AddRaw(ByteView encoded) { out_.insert(out_.end(), encoded.begin(), encoded.end()); }

void RlpEncoder::BeginList() { open_lists_.push_back(out_.size()); }

void RlpEncoder::EndList() {
  assert(!open_lists_.empty());
  const size_t start = open_lists_.back();
  open_lists_.pop_back();
  uint8_t hdr[9];
  size_t h = WriteHeader(0xc0, out_.size() - start, hdr);
  out_.insert(out_.begin() + static_cast<std::ptrdiff_t>(start), hdr, hdr + h);
}

Bytes RlpEncoder::Finish() && {
  assert(open_lists_.empty());
  return std::move(out_);
}

}  // namespace chainkms
