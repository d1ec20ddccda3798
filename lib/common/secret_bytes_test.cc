#include "lib/common/secret_bytes.h"

#include <gtest/gtest.h>

#include <sstream>


namespace chainkms {
namespace {

TEST(SecretBytesTest, PrintingNeverShowsTheBytes) {
  SecretBytes s = SecretBytes::FromView(AsBytes("hunter2"));
  std::ostringstream os;
  os << s;
  EXPECT_EQ(os.str().find("hunter2"), std::string::npos);
  EXPECT_EQ(os.str(), "SecretBytes(7 bytes, redacted)");
}

TEST(SecretBytesTest, WipeZeroesAndEmpties) {
  Bytes raw = {1, 2, 3};
  SecureWipe(raw);
  EXPECT_EQ(raw, (Bytes{0, 0, 0}));
  SecretBytes s = SecretBytes::FromView(Bytes{9, 9});
  s.Wipe();
  EXPECT_TRUE(s.empty());
}

TEST(SecretBytesTest, MoveLeavesSourceEmptyAndCloneCopies) {
  SecretBytes a = SecretBytes::FromView(Bytes{1, 2, 3});
  SecretBytes c = a.Clone();
  SecretBytes b = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): documented moved-from state
  EXPECT_TRUE(b.Equals(Bytes{1, 2, 3}));
  EXPECT_TRUE(c.Equals(Bytes{1, 2, 3}));
  EXPECT_FALSE(c.Equals(Bytes{1, 2}));
  EXPECT_FALSE(c.Equals(Bytes{1, 2, 4}));
}

TEST(SecretBytesTest, TakingOwnershipClearsCallerVector) {
  Bytes raw = {7, 7};
  SecretBytes s(std::move(raw));
  EXPECT_EQ(s.size(), 2u);
}

TEST(ConstantTimeEqualsTest, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals(Bytes{}, Bytes{}));
  EXPECT_TRUE(ConstantTimeEquals(Bytes{1, 2, 3}, Bytes{1, 2, 3}));
  EXPECT_FALSE(ConstantTimeEquals(Bytes{1, 2, 3}, Bytes{1, 2, 4}));
  EXPECT_FALSE(ConstantTimeEquals(Bytes{0x80, 2, 3}, Bytes{0, 2, 3}));
  EXPECT_FALSE(ConstantTimeEquals(Bytes{1, 2}, Bytes{1, 2, 0}));
}

}  // namespace
}  // namespace chainkms
