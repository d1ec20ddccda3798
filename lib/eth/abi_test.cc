#include "lib/eth/abi.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "lib/common/hex.h"
#include "lib/eth/abi_type.h"

namespace chainkms {
namespace {

using ::testing::HasSubstr;

Bytes H(std::string_view hex) { return HexDecode(hex).value(); }
std::string Word(std::string_view hex_tail) {
  return std::string(64 - hex_tail.size(), '0') + std::string(hex_tail);
}
Address A(uint8_t fill) {
  Address a;
  a.bytes.fill(fill);
  return a;
}

std::string SelectorHex(std::string_view sig) {
  auto s = Selector(sig);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? Hex0x(s->view()) : "";
}

// cast sig '<sig>' for each.
TEST(AbiSelector, MatchesDesignDocSelectors) {
  EXPECT_EQ(SelectorHex("isAppAllowed((address,bytes32,address,bytes32,bytes32,bytes32,bytes32,"
                        "string,string[]))"),
            "0x1e079198");
  EXPECT_EQ(SelectorHex("addComposeHash(bytes32)"), "0xdfc77223");
  EXPECT_EQ(SelectorHex("deployAndRegisterApp(address,bool,bool,bool,bytes32,bytes32)"),
            "0x9cb9c31f");
  EXPECT_EQ(SelectorHex("Error(string)"), "0x08c379a0");
  EXPECT_EQ(SelectorHex("Panic(uint256)"), "0x4e487b71");
  EXPECT_EQ(SelectorHex("OwnableUnauthorizedAccount(address)"), "0x118cdaa7");
  // cast sig 'aggregate3((address,bool,bytes)[])' → 0x82ad56cb
  EXPECT_EQ(SelectorHex("aggregate3((address target,bool allowFailure,bytes callData)[])"),
            "0x82ad56cb");
}

TEST(AbiSelector, IgnoresNamesKeywordsModifiersAndOutputs) {
  EXPECT_EQ(SelectorHex("transfer(address, uint)"), "0xa9059cbb");
  EXPECT_EQ(SelectorHex("function transfer(address to, uint256 amount) external returns (bool)"),
            "0xa9059cbb");
  // cast sig 'foo(uint256)(bool)' → 0x2fbebd38
  EXPECT_EQ(SelectorHex("foo(uint256)(bool)"), "0x2fbebd38");
  EXPECT_EQ(SelectorHex("foo(uint256 memory x)"), "0x2fbebd38");
  // cast sig 'foo(tuple(uint256,address))' → 0xaae0eb78; 'foo(address payable)' → 0xfdf80bda
  EXPECT_EQ(SelectorHex("foo(tuple(uint256,address))"), "0xaae0eb78");
  EXPECT_EQ(SelectorHex("foo(address payable)"), "0xfdf80bda");
  EXPECT_EQ(SelectorHex("foo()"), "0xc2985578");
}

TEST(AbiSelector, RejectsMalformedSignatures) {
  for (std::string_view bad : {"transfer", "foo(uint256", "foo(uint256 a,,)", "", "0xa9059cbb",
                               " foo(uint)", "foo(uint) ", "foo(uint7)", "foo(bar)"}) {
    EXPECT_EQ(Selector(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(AbiEventTopic, HashesCanonicalSignatureWithoutIndexedMarkers) {
  // cast sig-event 'Transfer(address indexed from, address indexed to, uint256 value)'
  auto t = EventTopic("Transfer(address indexed,address indexed,uint256)");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(Hex0x(t->view()), "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
  // cast sig-event 'PolicyChanged(address indexed actor, bytes32 indexed policy, bytes32 indexed
  // value, bool enabled)'
  auto p = EventTopic(
      "event PolicyChanged(address indexed actor, bytes32 indexed policy, bytes32 indexed value, "
      "bool enabled)");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(Hex0x(p->view()), "0x341d3bc64e32172fc5bcf27b0f7f69dc5adc19af64b7aa1dee361e5883c32375");
}

TEST(AbiSignature, RecordsNamesIndexedMarkersAndOutputs) {
  auto s = ParseSignature("Transfer(address indexed from,address indexed to,uint256 value)");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->inputs.size(), 3u);
  EXPECT_TRUE(s->inputs[0].indexed);
  EXPECT_EQ(s->inputs[1].name, "to");
  EXPECT_FALSE(s->inputs[2].indexed);
  EXPECT_EQ(s->Canonical(), "Transfer(address,address,uint256)");

  auto f = ParseSignature("f(uint256)(bool,string)");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->Canonical(), "f(uint256)");
  ASSERT_EQ(f->outputs.size(), 2u);
  EXPECT_EQ(f->outputs[1].type, AbiType::String());

  auto r = ParseSignature("isAppAllowed((address,bytes32)) view returns (bool ok, string)");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->OutputTypes(), (std::vector<AbiType>{AbiType::Bool(), AbiType::String()}));

  // "event" followed directly by "(" is a function named event, not the keyword.
  auto e = ParseSignature("event(uint)");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->Canonical(), "event(uint256)");
}

TEST(AbiType, ParsesAndCanonicalisesEveryFamily) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"uint", "uint256"},
      {"int", "int256"},
      {"uint8", "uint8"},
      {"int256", "int256"},
      {"address", "address"},
      {"bool", "bool"},
      {"bytes1", "bytes1"},
      {"bytes32", "bytes32"},
      {"bytes", "bytes"},
      {"string", "string"},
      {"uint[]", "uint256[]"},
      {"int8[3][]", "int8[3][]"},
      {"(uint,bool)", "(uint256,bool)"},
      {"tuple(uint, (bytes,string[])[2])[]", "(uint256,(bytes,string[])[2])[]"},
  };
  for (const auto& [in, want] : cases) {
    auto t = ParseAbiType(in);
    ASSERT_TRUE(t.ok()) << in << ": " << t.status();
    EXPECT_EQ(t->Canonical(), want);
  }
}

TEST(AbiType, RejectsInvalidTypes) {
  for (std::string_view bad : {"uint7", "uint264", "uint0", "uint08", "int9", "bytes0", "bytes33",
                               "byte", "function", "uint[0]", "()", "(uint,)", "uint[", "uint[x]",
                               "uint256 x", "foo", "uint[1048577]"}) {
    EXPECT_EQ(ParseAbiType(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(AbiType, RejectsNestingDeeperThanTheLimit) {
  std::string ok = "uint";
  for (size_t i = 0; i < kMaxAbiTypeDepth; ++i) ok += "[]";
  EXPECT_TRUE(ParseAbiType(ok).ok());
  EXPECT_EQ(ParseAbiType(ok + "[]").status().code(), absl::StatusCode::kInvalidArgument);
  std::string tuple = std::string(kMaxAbiTypeDepth + 2, '(') + "uint" +
                      std::string(kMaxAbiTypeDepth + 2, ')');
  EXPECT_EQ(ParseAbiType(tuple).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(AbiType, ReportsDynamicnessAndHeadSize) {
  EXPECT_FALSE(ParseAbiType("(uint,bool)[3]")->IsDynamic());
  EXPECT_EQ(ParseAbiType("(uint,bool)[3]")->HeadSize(), 192u);
  EXPECT_TRUE(ParseAbiType("string[2]")->IsDynamic());
  EXPECT_EQ(ParseAbiType("string[2]")->HeadSize(), 32u);
  EXPECT_TRUE(ParseAbiType("(uint,bytes)")->IsDynamic());
  EXPECT_TRUE(AbiType::Bool().IsValueType());
  EXPECT_FALSE(AbiType::Bytes().IsValueType());
}

struct Case {
  std::string types;  // a parenthesised type list
  std::vector<AbiValue> values;
  std::string hex;  // from cast abi-encode
};

void ExpectRoundTrip(const Case& c) {
  auto tuple = ParseAbiType(c.types);
  ASSERT_TRUE(tuple.ok()) << tuple.status();
  const std::vector<AbiType>& types = tuple->components;
  auto enc = AbiEncode(types, c.values);
  ASSERT_TRUE(enc.ok()) << enc.status();
  EXPECT_EQ(Hex0x(*enc), c.hex) << c.types;
  auto dec = AbiDecode(types, H(c.hex));
  ASSERT_TRUE(dec.ok()) << c.types << ": " << dec.status();
  EXPECT_EQ(*dec, c.values) << c.types;
}

TEST(AbiEncode, StaticValuesMatchCast) {
  // cast abi-encode 'f(uint8,int16,bool,address,bytes4)' 255 -2 true
  //   0xcd2a3d9f938e13cd947ec05abc7fe734df8dd826 0xdeadbeef
  ExpectRoundTrip(
      {"(uint8,int16,bool,address,bytes4)",
       {AbiValue::Uint(255, 8), AbiValue::Int64(-2, 16), AbiValue::Bool(true),
        AbiValue::Address(*Address::TryFrom(H("cd2a3d9f938e13cd947ec05abc7fe734df8dd826"))),
        AbiValue::FixedBytes(H("deadbeef"))},
       "0x" + Word("ff") + std::string(63, 'f') + "e" + Word("1") +
           Word("cd2a3d9f938e13cd947ec05abc7fe734df8dd826") + "deadbeef" + std::string(56, '0')});
}

TEST(AbiEncode, BytesAndStringMatchCast) {
  // cast abi-encode 'f(bytes,string)' 0x0102 hello
  ExpectRoundTrip({"(bytes,string)",
                   {AbiValue::Bytes(H("0102")), AbiValue::String("hello")},
                   "0x" + Word("40") + Word("80") + Word("2") + "0102" + std::string(60, '0') +
                       Word("5") + "68656c6c6f" + std::string(54, '0')});
}

TEST(AbiEncode, DynamicArraysAndFixedArraysOfDynamicTypesMatchCast) {
  // cast abi-encode 'f(uint256[],string[2])' '[1,2,3]' '[a,bc]'
  ExpectRoundTrip(
      {"(uint256[],string[2])",
       {AbiValue::Array({AbiValue::Uint(1), AbiValue::Uint(2), AbiValue::Uint(3)}),
        AbiValue::FixedArray({AbiValue::String("a"), AbiValue::String("bc")})},
       "0x" + Word("40") + Word("c0") + Word("3") + Word("1") + Word("2") + Word("3") + Word("40") +
           Word("80") + Word("1") + "61" + std::string(62, '0') + Word("2") + "6263" +
           std::string(60, '0')});
}

TEST(AbiEncode, NestedTuplesAndArraysMatchCast) {
  // cast abi-encode 'f((uint64,(bool,bytes)[]),int256[2][])' '(7,[(true,0xaa),(false,0x)])'
  //   '[[-1,1],[2,-2]]'
  const std::string ones(64, 'f');
  ExpectRoundTrip(
      {"((uint64,(bool,bytes)[]),int256[2][])",
       {AbiValue::Tuple({AbiValue::Uint(7, 64),
                         AbiValue::Array({AbiValue::Tuple({AbiValue::Bool(true),
                                                           AbiValue::Bytes(H("aa"))}),
                                          AbiValue::Tuple({AbiValue::Bool(false),
                                                           AbiValue::Bytes({})})})}),
        AbiValue::Array({AbiValue::FixedArray({AbiValue::Int64(-1), AbiValue::Int64(1)}),
                         AbiValue::FixedArray({AbiValue::Int64(2), AbiValue::Int64(-2)})})},
       "0x" + Word("40") + Word("1c0") + Word("7") + Word("40") + Word("2") + Word("40") +
           Word("c0") + Word("1") + Word("40") + Word("1") + "aa" + std::string(62, '0') +
           Word("0") + Word("40") + Word("0") + Word("2") + ones + Word("1") + Word("2") +
           std::string(63, 'f') + "e"});
}

TEST(AbiEncode, NestedDynamicArraysMatchCast) {
  // cast abi-encode 'f(string[][])' '[[a],[],[b,c]]'
  ExpectRoundTrip({"(string[][])",
                   {AbiValue::Array({AbiValue::Array({AbiValue::String("a")}), AbiValue::Array({}),
                                     AbiValue::Array({AbiValue::String("b"),
                                                      AbiValue::String("c")})})},
                   "0x" + Word("20") + Word("3") + Word("60") + Word("e0") + Word("100") +
                       Word("1") + Word("20") + Word("1") + "61" + std::string(62, '0') +
                       Word("0") + Word("2") + Word("40") + Word("80") + Word("1") + "62" +
                       std::string(62, '0') + Word("1") + "63" + std::string(62, '0')});
}

TEST(AbiEncode, AppBootInfoMatchesCast) {
  // cast abi-encode 'f((address,bytes32,address,bytes32,bytes32,bytes32,bytes32,string,string[]))'
  //   '(0x11…11,0x22…22,0x33…33,0x44…44,0x55…55,0x66…66,0x77…77,UpToDate,[INTEL-SA-00001,INTEL-SA-00002])'
  auto h = [](char c) { return AbiValue::FixedBytes(H(std::string(64, c))); };
  ExpectRoundTrip(
      {"((address,bytes32,address,bytes32,bytes32,bytes32,bytes32,string,string[]))",
       {AbiValue::Tuple({AbiValue::Address(A(0x11)), h('2'), AbiValue::Address(A(0x33)), h('4'),
                         h('5'), h('6'), h('7'), AbiValue::String("UpToDate"),
                         AbiValue::Array({AbiValue::String("INTEL-SA-00001"),
                                          AbiValue::String("INTEL-SA-00002")})})},
       "0x" + Word("20") + Word(std::string(40, '1')) + std::string(64, '2') +
           Word(std::string(40, '3')) + std::string(64, '4') + std::string(64, '5') +
           std::string(64, '6') + std::string(64, '7') + Word("120") + Word("160") + Word("8") +
           "5570546f44617465" + std::string(48, '0') + Word("2") + Word("40") + Word("80") +
           Word("e") + "494e54454c2d53412d3030303031" + std::string(36, '0') + Word("e") +
           "494e54454c2d53412d3030303032" + std::string(36, '0')});
}

TEST(AbiEncode, EmptyTypeListEncodesToNothing) {
  auto enc = AbiEncode({}, {});
  ASSERT_TRUE(enc.ok());
  EXPECT_TRUE(enc->empty());
}

TEST(AbiEncode, RejectsValuesThatDoNotMatchTheirTypes) {
  auto code = [](const AbiType& t, const AbiValue& v) {
    std::vector<AbiType> ts{t};
    std::vector<AbiValue> vs{v};
    return AbiEncode(ts, vs).status().code();
  };
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(code(AbiType::Uint(8), AbiValue::Uint(256)), kInvalid);
  EXPECT_EQ(code(AbiType::Int(8), AbiValue::Int64(128)), kInvalid);
  EXPECT_EQ(code(AbiType::Int(8), AbiValue::Int64(-129)), kInvalid);
  EXPECT_EQ(code(AbiType::Int(8), AbiValue::Int64(-128)), absl::StatusCode::kOk);
  EXPECT_EQ(code(AbiType::Uint(), AbiValue::Bool(true)), kInvalid);
  EXPECT_EQ(code(AbiType::FixedBytes(4), AbiValue::FixedBytes(H("010203"))), kInvalid);
  EXPECT_EQ(code(AbiType::FixedArray(AbiType::Bool(), 2), AbiValue::FixedArray({AbiValue::Bool(1)})),
            kInvalid);
  EXPECT_EQ(code(AbiType::Tuple({AbiType::Bool()}), AbiValue::Tuple({})), kInvalid);
  std::vector<AbiType> two{AbiType::Bool(), AbiType::Bool()};
  std::vector<AbiValue> one{AbiValue::Bool(true)};
  EXPECT_EQ(AbiEncode(two, one).status().code(), kInvalid);
}

absl::StatusCode DecodeCode(std::string_view type_list, const std::string& hex) {
  auto t = ParseAbiType(type_list);
  EXPECT_TRUE(t.ok()) << t.status();
  return AbiDecode(t->components, H(hex)).status().code();
}

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

TEST(AbiDecode, RejectsTruncatedData) {
  EXPECT_EQ(DecodeCode("(uint256)", std::string(62, '0')), kInvalid);
  EXPECT_EQ(DecodeCode("(uint256,uint256)", Word("1")), kInvalid);
  // String of 5 bytes whose body is cut short.
  EXPECT_EQ(DecodeCode("(string)", Word("20") + Word("5") + "68656c"), kInvalid);
}

TEST(AbiDecode, RejectsOffsetPointingPastEnd) {
  EXPECT_EQ(DecodeCode("(bytes)", Word("60") + Word("0")), kInvalid);
  EXPECT_EQ(DecodeCode("(bytes)", std::string(64, 'f')), kInvalid);
}

TEST(AbiDecode, RejectsLengthsBeyondTheData) {
  EXPECT_EQ(DecodeCode("(bytes)", Word("20") + Word("21") + std::string(64, '0')), kInvalid);
  // 2^60 elements must fail fast, before allocating anything for them.
  EXPECT_EQ(DecodeCode("(uint256[])", Word("20") + Word("1000000000000000")), kInvalid);
  EXPECT_EQ(DecodeCode("(uint256[])", Word("20") + std::string(64, 'f')), kInvalid);
  EXPECT_EQ(DecodeCode("(uint256[])", Word("20") + Word("2") + Word("1")), kInvalid);
}

TEST(AbiDecode, RejectsUintWithBitsAboveItsWidth) {
  EXPECT_EQ(DecodeCode("(uint8)", Word("100")), kInvalid);
  EXPECT_EQ(DecodeCode("(uint8)", Word("ff")), absl::StatusCode::kOk);
  EXPECT_EQ(DecodeCode("(uint248)", "01" + std::string(62, '0')), kInvalid);
}

TEST(AbiDecode, RejectsIntNotSignExtended) {
  EXPECT_EQ(DecodeCode("(int8)", Word("80")), kInvalid);
  EXPECT_EQ(DecodeCode("(int8)", std::string(62, 'f') + "7f"), kInvalid);
  EXPECT_EQ(DecodeCode("(int8)", std::string(62, 'f') + "80"), absl::StatusCode::kOk);
  EXPECT_EQ(DecodeCode("(int8)", Word("7f")), absl::StatusCode::kOk);
}

TEST(AbiDecode, RejectsBoolOtherThanZeroOrOne) {
  EXPECT_EQ(DecodeCode("(bool)", Word("2")), kInvalid);
  EXPECT_EQ(DecodeCode("(bool)", "01" + std::string(62, '0')), kInvalid);
}

TEST(AbiDecode, RejectsAddressWithDirtyUpperBytes) {
  EXPECT_EQ(DecodeCode("(address)", "01" + std::string(62, '0')), kInvalid);
  EXPECT_EQ(DecodeCode("(address)", Word(std::string(40, 'f'))), absl::StatusCode::kOk);
}

TEST(AbiDecode, RejectsFixedBytesWithNonzeroPadding) {
  EXPECT_EQ(DecodeCode("(bytes4)", "deadbeef" + std::string(55, '0') + "1"), kInvalid);
}

TEST(AbiDecode, RejectsBytesAndStringWithDirtyOrMissingPadding) {
  EXPECT_EQ(DecodeCode("(bytes)", Word("20") + Word("1") + "aa" + std::string(61, '0') + "1"),
            kInvalid);
  EXPECT_EQ(DecodeCode("(string)", Word("20") + Word("1") + "61"), kInvalid);
  EXPECT_EQ(DecodeCode("(string)", Word("20") + Word("1") + "61" + std::string(62, '0')),
            absl::StatusCode::kOk);
}

TEST(AbiDecode, RejectsOffsetsThatAliasTheSameDataTooOften) {
  // 64 outer offsets all point at one inner array whose 64 offsets all point at one 64-byte
  // string: 4096 strings out of 4 KB of input, an amplification bomb.
  std::string data = Word("20") + Word("40");
  for (int i = 0; i < 64; ++i) data += Word("800");
  data += Word("40");
  for (int i = 0; i < 64; ++i) data += Word("800");
  data += Word("40") + std::string(128, 'a');
  EXPECT_EQ(DecodeCode("(string[][])", data), kInvalid);
}

TEST(AbiDecode, IgnoresBytesAfterTheEncoding) {
  auto dec = AbiDecode(std::vector<AbiType>{AbiType::Uint()}, H(Word("7") + "ff"));
  ASSERT_TRUE(dec.ok()) << dec.status();
  EXPECT_EQ((*dec)[0], AbiValue::Uint(7));
}

TEST(AbiDecodeWord, DecodesValueTypesAndRejectsOthers) {
  Hash32 w;
  w[31] = 1;
  EXPECT_EQ(*DecodeWord(AbiType::Bool(), w), AbiValue::Bool(true));
  EXPECT_EQ(*DecodeWord(AbiType::Uint(16), w), AbiValue::Uint(1, 16));
  EXPECT_EQ(DecodeWord(AbiType::String(), w).status().code(), kInvalid);
  w[0] = 1;
  EXPECT_EQ(DecodeWord(AbiType::Bool(), w).status().code(), kInvalid);
}

TEST(AbiCall, EncodesSelectorThenArguments) {
  Hash32 h;
  h.bytes.fill(0xab);
  std::vector<AbiValue> args{AbiValue::FixedBytes(h.view())};
  auto data = EncodeCall("addComposeHash(bytes32)", args);
  ASSERT_TRUE(data.ok()) << data.status();
  std::string want = "0xdfc77223";
  for (int i = 0; i < 32; ++i) want += "ab";
  EXPECT_EQ(Hex0x(*data), want);
  auto back = DecodeCall("addComposeHash(bytes32)", *data);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, args);
}

TEST(AbiCall, DecodeRejectsWrongSelectorAndShortCalldata) {
  // cast calldata 'transfer(address,uint256)' 0xcd2a3d9f938e13cd947ec05abc7fe734df8dd826 12345
  const Bytes data = H("a9059cbb000000000000000000000000cd2a3d9f938e13cd947ec05abc7fe734df8dd826" +
                       Word("3039"));
  auto ok = DecodeCall("transfer(address,uint256)", data);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ((*ok)[1], AbiValue::Uint(12345));
  auto wrong = DecodeCall("approve(address,uint256)", data);
  EXPECT_EQ(wrong.status().code(), kInvalid);
  EXPECT_THAT(wrong.status().message(), HasSubstr("selector"));
  EXPECT_EQ(DecodeCall("transfer(address,uint256)", H("a9059c")).status().code(), kInvalid);
}

TEST(AbiValue, AsStringReturnsTheRawBytes) {
  EXPECT_EQ(AbiValue::String("h\xc3\xa9llo").AsString(), "h\xc3\xa9llo");
  EXPECT_EQ(AbiValue::Bytes(Bytes{0x00, 0x61}).AsString(), std::string("\0a", 2));
}

TEST(AbiValue, Int64BuildsTwosComplement) {
  EXPECT_EQ(AbiValue::Int64(-1).number, U256::Max());
  EXPECT_TRUE(AbiValue::Int64(-1).IsNegative());
  EXPECT_EQ(AbiValue::Int64(INT64_MIN).number,
            U256(0).WrappingSub(U256(uint64_t{1} << 63)));
  EXPECT_FALSE(AbiValue::Int64(5).IsNegative());
}

}  // namespace
}  // namespace chainkms
