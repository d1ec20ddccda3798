// Recursive Length Prefix (RLP) encoding, as Ethereum serialises transactions and trie nodes.
// The decoder is strict: only the one canonical encoding of a value is accepted.
//
//   RlpEncoder e;  e.BeginList(); e.AddU64(nonce); e.AddBytes(to.view()); e.EndList();
//   Bytes raw = e.Finish();
//   ASSIGN_OR_RETURN(RlpItem item, RlpDecode(raw));
//   ASSIGN_OR_RETURN(uint64_t n, item.items()[0].AsU64("nonce"));
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/common/bytes.h"
#include "lib/common/u256.h"

namespace chainkms {

// One decoded RLP value: a byte string or a list of values.
class RlpItem {
 public:
  RlpItem() = default;  // the empty string
  static RlpItem String(Bytes b);
  static RlpItem String(ByteView b) { return String(Bytes(b.begin(), b.end())); }
  static RlpItem List(std::vector<RlpItem> items);

  bool is_list() const { return is_list_; }
  // The string payload (empty for a list).
  const Bytes& bytes() const { return bytes_; }
  // The list elements (empty for a string).
  const std::vector<RlpItem>& items() const { return items_; }

  // Integer views of a string: big-endian without leading zero bytes (zero is the empty string).
  // INVALID_ARGUMENT naming `field` for a list, a leading zero, or a value that does not fit.
  absl::StatusOr<U256> AsU256(std::string_view field = "integer") const;
  absl::StatusOr<uint64_t> AsU64(std::string_view field = "integer") const;

  friend bool operator==(const RlpItem&, const RlpItem&) = default;

 private:
  bool is_list_ = false;
  Bytes bytes_;
  std::vector<RlpItem> items_;
};

// Deeper nesting than this is rejected by the decoder (it recurses once per level).
inline constexpr int kRlpMaxDepth = 1024;

// Strict decoding of exactly one item spanning all of `in`. INVALID_ARGUMENT for truncated
// input, trailing bytes, non-minimal length prefixes, a single byte < 0x80 encoded as a string,
// list payloads that do not split exactly into items, and nesting deeper than kRlpMaxDepth.
absl::StatusOr<RlpItem> RlpDecode(ByteView in);

Bytes RlpEncode(const RlpItem& item);
Bytes RlpEncodeBytes(ByteView b);
Bytes RlpEncodeU64(uint64_t v);
Bytes RlpEncodeU256(const U256& v);
// Wraps already-encoded items in a list header.
Bytes RlpEncodeList(const std::vector<Bytes>& encoded_items);

// Streaming encoder: writes straight into one buffer, with no intermediate tree. List headers
// are inserted when the list is closed, once the payload length is known.
class RlpEncoder {
 public:
  RlpEncoder() = default;
  explicit RlpEncoder(size_t reserve) { out_.reserve(reserve); }

  void AddBytes(ByteView b);
  void AddString(std::string_view s) { AddBytes(AsBytes(s)); }
  void AddU64(uint64_t v);
  void AddU256(const U256& v);
  // Appends bytes that are already a complete RLP encoding.
  void AddRaw(ByteView encoded);
  void BeginList();
  void EndList();
  // Returns the encoding; every BeginList must have been closed (asserted).
  Bytes Finish() &&;

 private:
  Bytes out_;
  std::vector<size_t> open_lists_;
};

}  // namespace chainkms
