// SecretBytes holds key material: wiped on destruction and on reassignment, never printed,
// not copyable by accident (copies are explicit through Clone()).
//
//   SecretBytes key = SecretBytes::FromView(derived);
//   Sign(key.view(), ...);
//   // key's bytes are zeroed when it goes out of scope
#pragma once

#include <cstdint>
#include <ostream>
#include <span>
#include <vector>

#include "lib/common/bytes.h"

namespace chainkms {

// Overwrites `b` with zeros in a way the compiler may not elide.
void SecureWipe(std::span<uint8_t> b);
inline void SecureWipe(Bytes& b) { SecureWipe(std::span<uint8_t>(b)); }

// Equality whose time depends only on the lengths, for MACs and secrets.
bool ConstantTimeEquals(ByteView a, ByteView b);

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t n) : data_(n, 0) {}
  // Takes ownership of `b`; the caller's vector is left empty.
  explicit SecretBytes(Bytes&& b) : data_(std::move(b)) { b.clear(); }
  static SecretBytes FromView(ByteView b) { return SecretBytes(Bytes(b.begin(), b.end())); }
  ~SecretBytes() { Wipe(); }

  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& o) noexcept : data_(std::move(o.data_)) { o.data_.clear(); }
  SecretBytes& operator=(SecretBytes&& o) noexcept {
    if (this != &o) {
      Wipe();
      data_ = std::move(o.data_);
      o.data_.clear();
    }
    return *this;
  }

  SecretBytes Clone() const { return FromView(view()); }
  ByteView view() const { return data_; }
  std::span<uint8_t> mut() { return data_; }
  uint8_t* data() { return data_.data(); }
  const uint8_t* data() const { return data_.data(); }
  size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  void Wipe() {
    SecureWipe(data_);
    data_.clear();
  }

  // Constant-time comparison.
  bool Equals(ByteView other) const;

  // Printing shows only the length, so a stray log line cannot leak a key.
  friend std::ostream& operator<<(std::ostream& os, const SecretBytes& s) {
    return os << "SecretBytes(" << s.size() << " bytes, redacted)";
  }

 private:
  Bytes data_;
};

}  // namespace chainkms
