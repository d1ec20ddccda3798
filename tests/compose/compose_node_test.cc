// chainkms's compose hashes against the dstack SDK's getComposeHash (Node, @phala/dstack-sdk
// pinned): a few hundred generated app-compose documents — every DESIGN §5.2 field, unicode and
// control characters (raw and \u-escaped in the text), nested objects, numeric-looking keys,
// numbers like 3.14, 1e21, 1e-7, -0, 2^53+1, empty strings, runner-specific fields with and
// without normalization — plus app-compose files BuildAppCompose wrote from generated specs.
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "lib/common/hex.h"
#include "lib/compose/app_compose.h"
#include "lib/compose/deterministic_json.h"
#include "lib/testing/command.h"
#include "nlohmann/json.hpp"

namespace chainkms::compose {
namespace {

using json = nlohmann::json;

class Gen {
 public:
  explicit Gen(uint32_t seed) : rng_(seed) {}
  size_t Pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool Coin() { return Pick(2) == 0; }

  // A JSON string literal for `s`, escaping at random what may be escaped.
  std::string Str(const std::string& s) {
    std::string out = "\"";
    for (size_t i = 0; i < s.size(); ++i) {
      const auto c = static_cast<unsigned char>(s[i]);
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c < 0x20) {
        out += absl::StrFormat("\\u%04X", c);
      } else if (c < 0x80 && Pick(8) == 0) {
        out += absl::StrFormat("\\u%04x", c);
      } else if (c == '/' && Coin()) {
        out += "\\/";
      } else {
        out += static_cast<char>(c);
      }
    }
    return out + "\"";
  }
  std::string Space() {
    return Pick(4) == 0 ? std::string(Pick(3), ' ') + (Coin() ? "\n" : "") : "";
  }

  std::string Text() {
    static const std::vector<std::string> kPieces = {"a",
                                                     "Z",
                                                     "web",
                                                     " ",
                                                     "é",
                                                     "中文",
                                                     "😀",
                                                     "\xee\x80\x80",
                                                     "\xe2\x80\xa8",
                                                     "\x7f",
                                                     "\"",
                                                     "\\",
                                                     "/",
                                                     "\n",
                                                     "\t",
                                                     std::string(1, '\0'),
                                                     "\x01",
                                                     "\x1f",
                                                     "services:\n  app:\n",
                                                     "${VAR}",
                                                     "'q'",
                                                     "<>&",
                                                     ""};
    std::string s;
    const size_t n = Pick(6);
    for (size_t i = 0; i < n; ++i) s += kPieces[Pick(kPieces.size())];
    return s;
  }
  std::string Number() {
    static const std::vector<std::string> kNumbers = {"0",
                                                      "-0",
                                                      "1",
                                                      "-1",
                                                      "3.14",
                                                      "1e21",
                                                      "1E21",
                                                      "1e-7",
                                                      "0.000001",
                                                      "100.0",
                                                      "2e0",
                                                      "9007199254740993",
                                                      "12345678901234567890",
                                                      "123456789012345678901234567890",
                                                      "5e-324",
                                                      "1.7976931348623157e308",
                                                      "0.1",
                                                      "0.30000000000000004",
                                                      "-2.5e-10",
                                                      "4294967295",
                                                      "1e20",
                                                      "123456789012345678901",
                                                      "1.5e-6",
                                                      "0.0000015"};
    return kNumbers[Pick(kNumbers.size())];
  }
  std::string Key() {
    static const std::vector<std::string> kKeys = {
        "0", "1", "9", "10", "01", "4294967294",   "4294967295",     "-1",
        "",  "a", "B", "é",  "😀",  "\xee\x80\x80", "key_provider_id"};
    return kKeys[Pick(kKeys.size())];
  }
  std::string Value(int depth) {
    switch (Pick(depth > 2 ? 4 : 6)) {
      case 0:
        return Str(Text());
      case 1:
        return Number();
      case 2:
        return Coin() ? "true" : (Coin() ? "false" : "null");
      case 3:
        return Str("");
      case 4: {
        std::string out = "[";
        const size_t n = Pick(4);
        for (size_t i = 0; i < n; ++i) out += (i ? "," : "") + Space() + Value(depth + 1);
        return out + "]";
      }
      default: {
        std::map<std::string, std::string> fields;
        const size_t n = Pick(5);
        for (size_t i = 0; i < n; ++i) fields[Key()] = Value(depth + 1);
        return Object(fields);
      }
    }
  }
  // An object with its members in a random order.
  std::string Object(const std::map<std::string, std::string>& fields) {
    std::vector<std::pair<std::string, std::string>> v(fields.begin(), fields.end());
    std::shuffle(v.begin(), v.end(), rng_);
    std::string out = "{";
    for (size_t i = 0; i < v.size(); ++i) {
      out += (i ? "," : "") + Space() + Str(v[i].first) + Space() + ":" + v[i].second;
    }
    return out + Space() + "}";
  }

  // An app-compose document with every DESIGN §5.2 field present or not, of plausible or odd types.
  std::string AppCompose() {
    std::map<std::string, std::string> f;
    auto maybe = [&](const std::string& k, const std::string& v) {
      if (Pick(4) != 0) f[k] = v;
    };
    const std::vector<std::string> runners = {"docker-compose", "bash", "other"};
    f["runner"] = Str(runners[Pick(runners.size())]);
    maybe("manifest_version", Coin() ? "2" : Number());
    maybe("name", Str(Text()));
    maybe("docker_compose_file", Str(Text()));
    maybe("bash_script", Str(Text()));
    maybe("pre_launch_script",
          Pick(3) == 0 ? Str(Text()) : (Coin() ? "\"\"" : (Coin() ? "null" : "0")));
    for (const char* b :
         {"kms_enabled", "gateway_enabled", "local_key_provider_enabled", "public_logs",
          "public_sysinfo", "public_tcbinfo", "no_instance_id", "secure_time", "tproxy_enabled"}) {
      maybe(b, Coin() ? "true" : "false");
    }
    maybe("key_provider", Str(Coin() ? "kms" : "none"));
    maybe("key_provider_id", Str(Coin() ? "" : "3059301306072a8648ce3d0201"));
    maybe("allowed_envs", Value(3));
    maybe("storage_fs", Str(Coin() ? "zfs" : "ext4"));
    maybe("swap_size", Number());
    maybe("features", Value(2));
    maybe("docker_config", Value(1));
    maybe(Key(), Value(0));
    return Object(f);
  }

 private:
  std::mt19937 rng_;
};

TEST(ComposeHashVsDstackSdk, GeneratedDocumentsHashIdentically) {
  Gen g(20261202);
  struct Case {
    std::string text;
    bool normalize;
    std::string ours;  // hex, or the refusal
  };
  std::vector<Case> cases;
  for (int i = 0; i < 400; ++i) {
    Case c{g.AppCompose(), g.Coin(), ""};
    absl::StatusOr<std::string> bytes = CanonicalAppCompose(c.text, c.normalize);
    ASSERT_TRUE(bytes.ok()) << c.text << ": " << bytes.status();
    c.ours = HexEncode(ComposeHash(*bytes).view());
    cases.push_back(std::move(c));
  }
  // What BuildAppCompose writes is what the SDK hashes from the parsed object, byte for byte.
  for (int i = 0; i < 100; ++i) {
    AppComposeSpec spec;
    spec.name = absl::StrCat("app-", i);
    spec.docker_compose_file = "services:\n  web:\n    image: \"nginx\"\n" + g.Text() + "x";
    if (g.Coin()) spec.pre_launch_script = g.Text();
    if (g.Coin()) spec.allowed_envs = {"A", "B_2", "_c"};
    spec.kms_enabled = g.Coin();
    spec.public_logs = g.Coin();
    if (g.Coin()) spec.storage_fs = "zfs";
    if (g.Coin()) spec.swap_size = 1 << 30;
    absl::StatusOr<std::string> bytes = BuildAppCompose(spec);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    // The built bytes are already deterministic: re-canonicalizing changes nothing.
    ASSERT_EQ(*CanonicalAppCompose(*bytes, false), *bytes);
    cases.push_back({*bytes, false, HexEncode(ComposeHash(*bytes).view())});
  }
  json all = json::array();
  for (const Case& c : cases) all.push_back({{"text", c.text}, {"normalize", c.normalize}});
  absl::StatusOr<std::vector<json>> ran =
      testutil::RunNodeOnCases("tests/compose/compose_hash_check.mjs", all);
  ASSERT_TRUE(ran.ok()) << ran.status();
  size_t i = 0;
  for (; i < ran->size(); ++i) {
    ASSERT_LT(i, cases.size());
    const json& sdk = (*ran)[i];
    ASSERT_TRUE(sdk.contains("hash")) << cases[i].text << ": " << sdk.dump();
    EXPECT_EQ(cases[i].ours, sdk["hash"].get<std::string>())
        << "case " << i << " normalize=" << cases[i].normalize << "\n"
        << cases[i].text << "\nours: " << *CanonicalAppCompose(cases[i].text, cases[i].normalize);
  }
  EXPECT_EQ(i, cases.size());
}

}  // namespace
}  // namespace chainkms::compose
