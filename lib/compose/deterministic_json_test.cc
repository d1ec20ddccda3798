#include "lib/compose/deterministic_json.h"

#include <cmath>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chainkms::compose {
namespace {

using ::testing::HasSubstr;

std::string D(std::string_view text) {
  absl::StatusOr<std::string> out = DeterministicJsonFromText(text);
  EXPECT_TRUE(out.ok()) << text << ": " << out.status();
  return out.ok() ? *out : "";
}

TEST(JsNumberToString, MatchesNumberPrototypeToString) {
  EXPECT_EQ(JsNumberToString(0.0), "0");
  EXPECT_EQ(JsNumberToString(-0.0), "0");
  EXPECT_EQ(JsNumberToString(1), "1");
  EXPECT_EQ(JsNumberToString(-42), "-42");
  EXPECT_EQ(JsNumberToString(3.14), "3.14");
  EXPECT_EQ(JsNumberToString(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(JsNumberToString(100), "100");
  EXPECT_EQ(JsNumberToString(1e20), "100000000000000000000");
  EXPECT_EQ(JsNumberToString(1e21), "1e+21");
  EXPECT_EQ(JsNumberToString(1.5e300), "1.5e+300");
  EXPECT_EQ(JsNumberToString(123456789012345680000.0), "123456789012345680000");
  EXPECT_EQ(JsNumberToString(0.000001), "0.000001");
  EXPECT_EQ(JsNumberToString(1e-7), "1e-7");
  EXPECT_EQ(JsNumberToString(1.23e-18), "1.23e-18");
  EXPECT_EQ(JsNumberToString(5e-324), "5e-324");
  EXPECT_EQ(JsNumberToString(std::numeric_limits<double>::max()), "1.7976931348623157e+308");
  EXPECT_EQ(JsNumberToString(9007199254740993.0), "9007199254740992");
}

TEST(DeterministicJson, SortsKeysTheWayJavaScriptLaysThemOut) {
  // Array-index keys first, numerically; then UTF-16 code unit order.
  EXPECT_EQ(D(R"({"b":1,"a":2,"10":3,"9":4,"":5,"01":6,"4294967295":7})"),
            R"({"9":4,"10":3,"":5,"01":6,"4294967295":7,"a":2,"b":1})");
  // U+1F600 (surrogates D83D DE00) sorts before U+E000 in UTF-16, after it by code point.
  EXPECT_EQ(D("{\"\xee\x80\x80\":1,\"\xf0\x9f\x98\x80\":2}"),
            "{\"\xf0\x9f\x98\x80\":2,\"\xee\x80\x80\":1}");
  EXPECT_EQ(D(R"({"z":{"y":[{"b":1,"a":0}],"x":null}})"),
            R"({"z":{"x":null,"y":[{"a":0,"b":1}]}})");
}

TEST(DeterministicJson, WritesNumbersAndStringsAsJsonStringify) {
  EXPECT_EQ(D(R"([3.14,1e21,1E-7,-0,100.0,2e0,9007199254740993,12345678901234567890])"),
            R"([3.14,1e+21,1e-7,0,100,2,9007199254740992,12345678901234567000])");
  EXPECT_EQ(D(R"(["\u0001\u001f\u007f","\"\\\/\b\f\n\r\t","é\u2028😀",""])"),
            "[\"\\u0001\\u001f\x7f\",\"\\\"\\\\/\\b\\f\\n\\r\\t\",\"é\xe2\x80\xa8😀\",\"\"]");
  EXPECT_EQ(D("[true,false,null,{}]"), "[true,false,null,{}]");
  EXPECT_EQ(DeterministicJson(nlohmann::json(std::nan(""))), "null");
  EXPECT_EQ(DeterministicJson(nlohmann::json(std::numeric_limits<double>::infinity())), "null");
}

TEST(DeterministicJson, RefusesWhatJavaScriptWouldReadDifferently) {
  EXPECT_THAT(std::string(DeterministicJsonFromText(R"({"a":1,"a":2})").status().message()),
              HasSubstr("duplicate key"));
  EXPECT_FALSE(DeterministicJsonFromText("{").ok());
  EXPECT_FALSE(DeterministicJsonFromText("\"\\ud800\"").ok());  // a lone surrogate
  EXPECT_FALSE(DeterministicJsonFromText("\"\xff\"").ok());     // not UTF-8
  EXPECT_THAT(std::string(DeterministicJsonFromText(std::string(65, '[') + std::string(65, ']'))
                              .status()
                              .message()),
              HasSubstr("64 levels"));
  EXPECT_TRUE(DeterministicJsonFromText(std::string(64, '[') + std::string(64, ']')).ok());
}

}  // namespace
}  // namespace chainkms::compose
