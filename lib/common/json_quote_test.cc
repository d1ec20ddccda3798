#include "lib/common/json_quote.h"

#include "gtest/gtest.h"

namespace chainkms {
namespace {

TEST(JsonQuote, EscapesAsJsonStringifyAndNothingElse) {
  EXPECT_EQ(JsonQuote(""), R"("")");
  EXPECT_EQ(JsonQuote("a\"b\\c/"), R"("a\"b\\c/")");
  EXPECT_EQ(JsonQuote("\b\f\n\r\t"), R"("\b\f\n\r\t")");
  EXPECT_EQ(JsonQuote(std::string("\x00\x01\x1f", 3)), R"("\u0000\u0001\u001f")");
  EXPECT_EQ(JsonQuote("\x7f é \xe2\x80\xa8 😀"), "\"\x7f é \xe2\x80\xa8 😀\"");
}

}  // namespace
}  // namespace chainkms
