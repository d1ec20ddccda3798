// Vectors for dotenv's rules (DESIGN §5.4) as dotenv v16 documents them.
#include "cli/chainkms/dotenv.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace chainkms::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

EnvList Parse(std::string_view text) {
  absl::StatusOr<EnvList> env = ParseDotenv(text);
  EXPECT_TRUE(env.ok()) << env.status();
  return env.ok() ? *env : EnvList();
}

TEST(DotenvTest, BasicsExportAndColon) {
  EXPECT_THAT(Parse("A=1\nexport B=two\nC: three\n  D = four  \nE=\n"),
              ElementsAre(Pair("A", "1"), Pair("B", "two"), Pair("C", "three"), Pair("D", "four"),
                          Pair("E", "")));
}

TEST(DotenvTest, CommentsAndBlankLines) {
  EXPECT_THAT(Parse("# a comment\n\n  \nA=1 # trailing\nB=x#y\nC='q # not a comment'\r\n"),
              ElementsAre(Pair("A", "1"), Pair("B", "x"), Pair("C", "q # not a comment")));
}

TEST(DotenvTest, QuotesAndNewlineExpansionOnlyInDoubleQuotes) {
  EXPECT_THAT(Parse("S='a\\nb'\nD=\"a\\nb\\rc\"\nB=`a\\nb`\n"),
              ElementsAre(Pair("S", "a\\nb"), Pair("D", "a\nb\rc"), Pair("B", "a\\nb")));
}

TEST(DotenvTest, QuotedValuesSpanLines) {
  EXPECT_THAT(Parse("KEY=\"-----BEGIN-----\nabc\n-----END-----\"\nNEXT=1\n"
                    "S='one\ntwo' # comment\n"),
              ElementsAre(Pair("KEY", "-----BEGIN-----\nabc\n-----END-----"), Pair("NEXT", "1"),
                          Pair("S", "one\ntwo")));
}

TEST(DotenvTest, EscapedQuotesStayAsWritten) {
  EXPECT_THAT(Parse(R"(A="say \"hi\""
B='it\'s')"),
              ElementsAre(Pair("A", R"(say \"hi\")"), Pair("B", R"(it\'s)")));
}

TEST(DotenvTest, LastDuplicateWinsInTheFirstPosition) {
  EXPECT_THAT(Parse("A=1\nB=2\nA=3\n"), ElementsAre(Pair("A", "3"), Pair("B", "2")));
}

TEST(DotenvTest, UnclosedQuoteIsKeptAsText) {
  EXPECT_THAT(Parse("A=\"open\nB=1\n"), ElementsAre(Pair("A", "\"open"), Pair("B", "1")));
}

TEST(DotenvTest, NoTrailingNewlineAndUnicode) {
  EXPECT_THAT(Parse("GREETING=héllo wörld"), ElementsAre(Pair("GREETING", "héllo wörld")));
}

TEST(DotenvTest, BadLinesAreErrorsNamingTheLine) {
  absl::StatusOr<EnvList> env = ParseDotenv("A=1\njust text\n");
  ASSERT_FALSE(env.ok());
  EXPECT_THAT(std::string(env.status().message()), HasSubstr("line 2: expected KEY=VALUE"));
  env = ParseDotenv("A=1\n\"x\nY\"=z\n1BAD=2\n");
  ASSERT_FALSE(env.ok());
  EXPECT_THAT(std::string(env.status().message()), HasSubstr("line 2"));
  env = ParseDotenv("OK=1\nmy.key=2\n");
  ASSERT_FALSE(env.ok());
  EXPECT_THAT(std::string(env.status().message()),
              HasSubstr("line 2: \"my.key\" is not an env name"));
  env = ParseDotenv("A=1\nB='x\ny'\n9X=1\n");
  ASSERT_FALSE(env.ok());
  EXPECT_THAT(std::string(env.status().message()), HasSubstr("line 4"));
}

TEST(DotenvTest, EnvKeys) {
  EXPECT_TRUE(IsEnvKey("_A1"));
  EXPECT_FALSE(IsEnvKey(""));
  EXPECT_FALSE(IsEnvKey("1A"));
  EXPECT_FALSE(IsEnvKey("A-B"));
}

}  // namespace
}  // namespace chainkms::cli
