#include "lib/eth/abi_text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lib/common/hex.h"

namespace chainkms {
namespace {

AbiType T(std::string_view s) { return ParseAbiType(s).value(); }
Bytes H(std::string_view hex) { return HexDecode(hex).value(); }
std::string W(std::string_view tail) { return std::string(64 - tail.size(), '0') + std::string(tail); }

AbiValue P(std::string_view type, std::string_view text) {
  auto v = ParseAbiValueText(T(type), text);
  EXPECT_TRUE(v.ok()) << type << " " << text << ": " << v.status();
  return v.ok() ? *v : AbiValue();
}

// The hex cast abi-encode prints for one argument.
std::string Enc(std::string_view type, std::string_view text) {
  std::vector<AbiType> types{T(type)};
  std::vector<AbiValue> values{P(type, text)};
  auto e = AbiEncode(types, values);
  EXPECT_TRUE(e.ok()) << e.status();
  return e.ok() ? Hex0x(*e) : "";
}

std::string ParseError(std::string_view type, std::string_view text) {
  auto v = ParseAbiValueText(T(type), text);
  EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument) << type << " " << text;
  return std::string(v.status().message());
}

TEST(ParseAbiValueText, ReadsIntegersInEveryNotation) {
  EXPECT_EQ(P("uint256", "1000000000000000000"), AbiValue::Uint(U256(1000000000000000000ull)));
  EXPECT_EQ(P("uint8", "0xff"), AbiValue::Uint(255, 8));
  EXPECT_EQ(P("uint8", "0XfF"), AbiValue::Uint(255, 8));
  EXPECT_EQ(P("uint8", "0b101"), AbiValue::Uint(5, 8));
  EXPECT_EQ(P("uint8", "0o17"), AbiValue::Uint(15, 8));
  EXPECT_EQ(P("uint8", "010"), AbiValue::Uint(10, 8));
  EXPECT_EQ(P("uint256", "1e3"), AbiValue::Uint(1000));
  EXPECT_EQ(P("uint256", "1.5e1"), AbiValue::Uint(15));
  EXPECT_EQ(P("uint8", "5 "), AbiValue::Uint(5, 8));
  // cast abi-encode 'f(uint256)' 1.5ether → 0x…14d1120d7b160000
  EXPECT_EQ(P("uint256", "1.5ether"), AbiValue::Uint(U256(1500000000000000000ull)));
  EXPECT_EQ(P("uint256", "1 ether"), AbiValue::Uint(U256(1000000000000000000ull)));
  EXPECT_EQ(P("uint256", "2.5gwei"), AbiValue::Uint(U256(2500000000ull)));
  EXPECT_EQ(P("uint256", "7wei"), AbiValue::Uint(7));
  EXPECT_EQ(P("uint256", "0x" + std::string(70, '0') + "1"), AbiValue::Uint(1));
}

TEST(ParseAbiValueText, ReadsSignedIntegers) {
  // cast abi-encode 'f(int8)' -128 → 0xff…ff80
  EXPECT_EQ(Enc("int8", "-128"), "0x" + std::string(62, 'f') + "80");
  EXPECT_EQ(P("int256", "-1"), AbiValue::Int(U256::Max()));
  EXPECT_EQ(P("int16", "+5"), AbiValue::Int64(5, 16));
  EXPECT_EQ(P("int256", "-0x1"), AbiValue::Int(U256::Max()));
  EXPECT_EQ(P("int256", "-1e3"), AbiValue::Int64(-1000));
  EXPECT_EQ(P("int8", "127"), AbiValue::Int64(127, 8));
}

TEST(ParseAbiValueText, RejectsOutOfRangeIntegersWithCastMessages) {
  EXPECT_EQ(ParseError("uint8", "256"),
            "parser error:\n256\n   ^\nnumber too large to fit in target type");
  EXPECT_THAT(ParseError("int8", "128"), ::testing::EndsWith("number too large to fit in target type"));
  // Deliberate deviation: cast 1.7.1 encodes int8 -129 unwrapped.
  EXPECT_THAT(ParseError("int8", "-129"), ::testing::EndsWith("number too large to fit in target type"));
  EXPECT_EQ(ParseError("uint256", "1e-1"), "parser error:\n1e-1\n    ^\nnegative units not allowed");
  EXPECT_EQ(ParseError("uint256", "1.5"), "parser error:\n1.5\n   ^\nnon-zero fraction .5 not allowed");
  EXPECT_EQ(ParseError("uint256", "1.0"), "parser error:\n1.0\n   ^\nexpected at most 0 decimals, got 1");
  EXPECT_EQ(ParseError("uint256", "1_000"), "parser error:\n1_000\n ^");
  EXPECT_EQ(ParseError("uint8", "abc"), "parser error:\nabc\n^\nexpected at least one digit");
  EXPECT_EQ(ParseError("uint8", " 5"), "parser error:\n 5\n^\nexpected at least one digit");
  EXPECT_EQ(ParseError("uint8", "0xzz"), "parser error:\n0xzz\n  ^\nexpected at least one digit");
  // cast abi-encode 'f(uint256)' 0b102; 2^256 in decimal
  EXPECT_EQ(ParseError("uint256", "0b102"), "parser error:\n0b102\n     ^\ndigit 2 is out of range for base 2");
  EXPECT_THAT(ParseError("uint256", "1" + std::string(78, '0')),
              ::testing::EndsWith(std::string(79, ' ') + "^\nthe value is too large to fit the target type"));
  EXPECT_EQ(ParseError("uint256", "1abc"), "parser error:\n1abc\n    ^");
  EXPECT_THAT(ParseError("uint256", "1abc"), ::testing::StartsWith("parser error:"));
  EXPECT_THAT(ParseError("uint256", "-1"), ::testing::StartsWith("parser error:"));
}

TEST(ParseAbiValueText, ReadsBoolsAddressesAndHex) {
  EXPECT_EQ(P("bool", "true"), AbiValue::Bool(true));
  EXPECT_EQ(P("bool", "false"), AbiValue::Bool(false));
  EXPECT_EQ(ParseError("bool", "True"), "parser error:\nTrue\n    ^\ninvalid boolean");
  EXPECT_THAT(ParseError("bool", "1"), ::testing::EndsWith("invalid boolean"));
  // The checksum is not validated: wrong mixed case is accepted, as cast does.
  const AbiValue a = P("address", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD");
  EXPECT_EQ(Hex0x(a.address.view()), "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed");
  EXPECT_EQ(P("address", "5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"), a);
  EXPECT_EQ(ParseError("address", "0x1234"), "parser error:\n0x1234\n^\ninvalid string length");
  EXPECT_EQ(ParseError("address", "vitalik.eth"),
            "parser error:\nvitalik.eth\n^\nexpected hex digits or the `0x` prefix for an empty "
            "hex string");
  EXPECT_EQ(P("bytes3", "010203"), AbiValue::FixedBytes(H("010203")));
  EXPECT_EQ(ParseError("bytes4", "0x12"), "parser error:\n0x12\n    ^\ninvalid string length");
  EXPECT_EQ(P("bytes", "0x"), AbiValue::Bytes({}));
  EXPECT_EQ(P("bytes", "1234"), AbiValue::Bytes(H("1234")));
  EXPECT_THAT(ParseError("bytes", "0xabc"), ::testing::EndsWith("odd number of digits"));
}

TEST(ParseAbiValueText, ReadsStringsWithCastTrimmingAndQuoting) {
  EXPECT_EQ(P("string", "  hi  "), AbiValue::String("  hi"));
  EXPECT_EQ(P("string", "\"a,b\""), AbiValue::String("a,b"));
  EXPECT_EQ(P("string", "'q'"), AbiValue::String("q"));
  EXPECT_EQ(P("string", "[a]"), AbiValue::String("[a]"));
  EXPECT_EQ(P("string", ""), AbiValue::String(""));
  EXPECT_EQ(P("string", "a\\\"b"), AbiValue::String("a\\\"b"));
  EXPECT_EQ(ParseError("string", "\"unterminated"),
            "parser error:\n\"unterminated\n             ^\ninvalid string\nexpected `\"`");
  EXPECT_EQ(ParseError("string", "\"a\" "), "parser error:\n\"a\" \n   ^");
}

TEST(ParseAbiValueText, ReadsArraysAndTuplesWithCastWhitespaceRules) {
  // cast abi-encode 'f(uint256[],(bool,string))' '[1,2]' '(true,hi)'
  std::vector<AbiType> types{T("uint256[]"), T("(bool,string)")};
  std::vector<std::string> args{"[1,2]", "(true,hi)"};
  auto values = ParseAbiArgsText(types, args);
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_EQ(Hex0x(*AbiEncode(types, *values)),
            "0x" + W("40") + W("a0") + W("2") + W("1") + W("2") + W("1") + W("40") + W("2") +
                "6869" + std::string(60, '0'));
  EXPECT_EQ(P("uint8[]", "[1 ,2]"), P("uint8[]", "[ 1, 2 ]"));
  EXPECT_EQ(P("uint8[]", "[1,2,]").items.size(), 2u);
  EXPECT_EQ(P("uint8[]", "[ ]"), AbiValue::Array({}));
  EXPECT_EQ(P("string[]", "[a ,b]"), AbiValue::Array({AbiValue::String("a"), AbiValue::String("b")}));
  EXPECT_EQ(P("string[]", "[a, b c,\"d,e\"]"),
            AbiValue::Array({AbiValue::String("a"), AbiValue::String("b c"), AbiValue::String("d,e")}));
  EXPECT_EQ(P("string[]", "[\" a \", b ]"),
            AbiValue::Array({AbiValue::String(" a "), AbiValue::String("b")}));
  EXPECT_EQ(P("(uint8,string)", "( 1 , x y )"),
            AbiValue::Tuple({AbiValue::Uint(1, 8), AbiValue::String("x y")}));
  EXPECT_EQ(P("(uint8,bool)[]", "[(1,true),(2,false)]").items.size(), 2u);
  EXPECT_EQ(P("uint256[][]", "[[1,2],[],[3]]").items[1], AbiValue::Array({}));
}

TEST(ParseAbiValueText, RejectsMalformedListsWithCastMessages) {
  EXPECT_EQ(ParseError("uint8[]", "[1,x]"), "parser error:\n[1,x]\n   ^\nexpected `]`");
  EXPECT_EQ(ParseError("uint8[]", "1"), "parser error:\n1\n^\nexpected `[`");
  EXPECT_EQ(ParseError("bool[]", "[true ,false]"), "parser error:\n[true ,false]\n      ^\nexpected `]`");
  EXPECT_EQ(ParseError("string[]", "[\"a\" ,b]"), "parser error:\n[\"a\" ,b]\n     ^\nexpected `]`");
  EXPECT_EQ(ParseError("string[]", "[a,,b]"), "parser error:\n[a,,b]\n   ^\nexpected `]`");
  EXPECT_EQ(ParseError("uint8[]", "[,]"), "parser error:\n[,]\n ^\nexpected at least one digit");
  EXPECT_EQ(ParseError("bytes2[]", "[0x01]"), "parser error:\n[0x01]\n     ^\ninvalid string length");
  EXPECT_EQ(ParseError("(uint8,bool)[]", "[(1,x)]"), "parser error:\n[(1,x)]\n     ^\ninvalid boolean");
  EXPECT_EQ(ParseError("(uint8,bool)", "(1)"), "parser error:\n(1)\n  ^\nexpected `,`");
  EXPECT_EQ(ParseError("uint8[2]", "[1,2,3]"),
            "parser error:\n[1,2,3]\n^\nfixed array length mismatch: expected 2 elements, got 3");
}

TEST(ParseAbiArgsText, RejectsWrongArgumentCount) {
  std::vector<AbiType> types{T("uint256")};
  std::vector<std::string> none;
  auto r = ParseAbiArgsText(types, none);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "encode length mismatch: expected 1 types, got 0");
}

TEST(FormatUintExp, MatchesFoundryHints) {
  const std::pair<uint64_t, std::string_view> cases[] = {
      {0, "0"},
      {9999, "9999"},
      {10000, "10000 [1e4]"},
      {20000, "20000 [2e4]"},
      {123456789, "123456789 [1.234e8]"},
      {1000000000000000000ull, "1000000000000000000 [1e18]"},
      {1000000000000000001ull, "1000000000000000001 [1e18]"},
      {12000000000000000000ull, "12000000000000000000 [1.2e19]"},
  };
  for (const auto& [v, want] : cases) EXPECT_EQ(FormatUintExp(U256(v)), want);
  EXPECT_EQ(FormatUintExp(U256::Max()),
            "115792089237316195423570985008687907853269984665640564039457584007913129639935 "
            "[1.157e77]");
}

TEST(FormatIntExp, PrintsSignAndHint) {
  EXPECT_EQ(FormatIntExp(AbiValue::Int64(-5).number), "-5");
  EXPECT_EQ(FormatIntExp(AbiValue::Int64(-1000000).number), "-1000000 [-1e6]");
  EXPECT_EQ(FormatIntExp(AbiValue::Int64(-123456789).number), "-123456789 [-1.234e8]");
  EXPECT_EQ(FormatIntExp(AbiValue::Int64(1234).number), "1234");
  EXPECT_EQ(FormatIntExp(U256(1) << 255),
            "-57896044618658097711785492504343953926634992332820282019728792003956564819968 "
            "[-5.789e76]");
}

TEST(RustDebugString, EscapesLikeRust) {
  // printf 'a"b\\c\nd\te\x01\x7f é\r\0' | cast decode-abi 'f()(string)' … → the line below
  EXPECT_EQ(RustDebugString(std::string("a\"b\\c\nd\te\x01\x7f \xc3\xa9\r\0", 16)),
            "\"a\\\"b\\\\c\\nd\\te\\u{1}\\u{7f} \xc3\xa9\\r\\0\"");
  EXPECT_EQ(RustDebugString(std::string("\xff\0", 2)), "\"\xef\xbf\xbd\\0\"");
  EXPECT_EQ(RustDebugString("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"");
}

TEST(FormatAbiValues, MatchesCastDecodeAbiOutput) {
  // cast decode-abi 'f()(uint256,string[],int8,bytes3,address,bool,bytes)' $(cast abi-encode
  //   'f(uint256,string[],int8,bytes3,address,bool,bytes)' 1000000000000000000 '["a b","c d"]' -5
  //   0x010203 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed true 0xdead)
  std::vector<AbiValue> values{
      AbiValue::Uint(U256(1000000000000000000ull)),
      AbiValue::Array({AbiValue::String("a b"), AbiValue::String("c d")}),
      AbiValue::Int64(-5, 8),
      AbiValue::FixedBytes(H("010203")),
      AbiValue::Address(*Address::TryFrom(H("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"))),
      AbiValue::Bool(true),
      AbiValue::Bytes(H("dead")),
  };
  EXPECT_EQ(FormatAbiValues(values),
            "1000000000000000000 [1e18]\n[\"a b\", \"c d\"]\n-5\n0x010203\n"
            "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed\ntrue\n0xdead\n");
  // cast decode-abi 'f()((uint256,string[]),int256[2])' … → (5, ["x", "y"]) / [-1000000 [-1e6], 3]
  EXPECT_EQ(FormatAbiValue(AbiValue::Tuple(
                {AbiValue::Uint(5), AbiValue::Array({AbiValue::String("x"), AbiValue::String("y")})})),
            "(5, [\"x\", \"y\"])");
  EXPECT_EQ(FormatAbiValue(AbiValue::FixedArray({AbiValue::Int64(-1000000), AbiValue::Int64(3)})),
            "[-1000000 [-1e6], 3]");
  EXPECT_EQ(FormatAbiValue(AbiValue::Array({})), "[]");
  EXPECT_EQ(FormatAbiValue(AbiValue::Bytes({})), "0x");
}

TEST(AbiValuesToJson, MatchesCastJsonShapes) {
  std::vector<AbiValue> values{
      AbiValue::Address(*Address::TryFrom(H("5b38da6a701c568545dcfcb03fcb875f56beddc4"))),
      AbiValue::Uint(U256(1000000000000000000ull)),
      AbiValue::Uint(U256::Max()),
      AbiValue::Int64(-5),
      AbiValue::Tuple({AbiValue::Bool(true), AbiValue::String("{\"a\":1}"), AbiValue::String("x\x01")}),
  };
  EXPECT_EQ(AbiValuesToJson(values).dump(2),
            "[\n  \"0x5B38Da6a701c568545dCfcB03FcB875f56beddC4\",\n  1000000000000000000,\n  "
            "\"115792089237316195423570985008687907853269984665640564039457584007913129639935\",\n"
            "  -5,\n  [\n    true,\n    {\n      \"a\": 1\n    },\n    \"x\\u0001\"\n  ]\n]");
}

}  // namespace
}  // namespace chainkms
