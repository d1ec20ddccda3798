// Byte containers with their size in the type.
//
//   Bytes b = {0x01, 0x02};                 // variable length
//   Hash32 h;                                // exactly 32 bytes, zero-initialised
//   Address a = Address::FromSpan(span20);  // exactly 20 bytes
//   ByteView v = h.view();
#pragma once

#include <algorithm>
#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace chainkms {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

// A value of exactly N bytes. Construction from a view of another size is impossible without
// going through TryFrom (which returns nullopt) — nothing is ever padded or truncated.
template <size_t N>
struct FixedBytes {
  std::array<uint8_t, N> bytes{};

  static constexpr size_t kSize = N;

  constexpr FixedBytes() = default;
  constexpr explicit FixedBytes(const std::array<uint8_t, N>& b) : bytes(b) {}
  explicit FixedBytes(std::span<const uint8_t, N> b) { std::copy(b.begin(), b.end(), bytes.begin()); }

  // Returns nullopt unless `b` has exactly N bytes.
  static std::optional<FixedBytes> TryFrom(ByteView b) {
    if (b.size() != N) return std::nullopt;
    FixedBytes out;
    std::copy(b.begin(), b.end(), out.bytes.begin());
    return out;
  }

  constexpr uint8_t* data() { return bytes.data(); }
  constexpr const uint8_t* data() const { return bytes.data(); }
  static constexpr size_t size() { return N; }
  constexpr auto begin() const { return bytes.begin(); }
  constexpr auto end() const { return bytes.end(); }
  constexpr auto begin() { return bytes.begin(); }
  constexpr auto end() { return bytes.end(); }
  constexpr uint8_t& operator[](size_t i) { return bytes[i]; }
  constexpr const uint8_t& operator[](size_t i) const { return bytes[i]; }
  std::span<const uint8_t, N> view() const { return std::span<const uint8_t, N>(bytes); }
  std::span<uint8_t, N> mut() { return std::span<uint8_t, N>(bytes); }
  Bytes ToBytes() const { return Bytes(bytes.begin(), bytes.end()); }
  bool IsZero() const {
    return std::all_of(bytes.begin(), bytes.end(), [](uint8_t c) { return c == 0; });
  }

  friend constexpr bool operator==(const FixedBytes&, const FixedBytes&) = default;
  friend constexpr auto operator<=>(const FixedBytes&, const FixedBytes&) = default;

  template <typename H>
  friend H AbslHashValue(H h, const FixedBytes& v) {
    return H::combine(std::move(h), v.bytes);
  }
};

using Hash32 = FixedBytes<32>;
using Address = FixedBytes<20>;

inline Bytes Concat(std::initializer_list<ByteView> parts) {
  size_t n = 0;
  for (auto p : parts) n += p.size();
  Bytes out;
  out.reserve(n);
  for (auto p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline ByteView AsBytes(std::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

}  // namespace chainkms
