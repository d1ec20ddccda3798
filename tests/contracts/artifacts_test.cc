// The committed contract artifacts expose exactly the ABI of DESIGN §5.1: every function with its
// selector, return types and mutability, every event with its topic and indexed arguments, the
// errors callers decode. Canonical signatures are rebuilt from the artifact's ABI JSON (tuples
// included), so the ABI itself is what is checked; expected selectors and topics come from
// DESIGN or were computed with ethers, an implementation independent of ours.
#include <cstdint>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "lib/common/hex.h"
#include "lib/eth/abi_type.h"
#include "nlohmann/json.hpp"

#ifndef CHAINKMS_CONTRACTS_DIR
#error "CHAINKMS_CONTRACTS_DIR must name contracts/artifacts"
#endif

namespace chainkms {
namespace {

using nlohmann::json;

constexpr std::string_view kAppBootInfo =
    "(address,bytes32,address,bytes32,bytes32,bytes32,bytes32,string,string[])";

json LoadArtifact(const std::string& name) {
  const std::string path = std::string(CHAINKMS_CONTRACTS_DIR) + "/" + name + ".json";
  std::ifstream in(path);
  if (!in) {
    ADD_FAILURE() << "cannot open " << path;
    return json();
  }
  return json::parse(in, nullptr, /*allow_exceptions=*/false);
}

std::string ReadText(const std::string& name) {
  std::ifstream in(std::string(CHAINKMS_CONTRACTS_DIR) + "/" + name + ".json");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "uint256", "(address,bool,bytes)[]": a parameter's canonical type, tuples expanded from their
// components as solc writes them ("tuple[]" + components).
std::string CanonicalType(const json& param) {
  const std::string type = param.at("type").get<std::string>();
  if (type.rfind("tuple", 0) != 0) return type;
  std::string out = "(";
  const json& components = param.at("components");
  for (size_t i = 0; i < components.size(); ++i) {
    if (i > 0) out += ",";
    out += CanonicalType(components[i]);
  }
  return out + ")" + type.substr(5);
}

std::string CanonicalList(const json& params) {
  std::string out = "(";
  for (size_t i = 0; i < params.size(); ++i) {
    if (i > 0) out += ",";
    out += CanonicalType(params[i]);
  }
  return out + ")";
}

// "name(t1,t2)" from an ABI entry, checked to round-trip through our own type parser.
std::string CanonicalSignature(const json& entry) {
  std::string sig = entry.at("name").get<std::string>() + CanonicalList(entry.at("inputs"));
  absl::StatusOr<AbiSignature> parsed = ParseSignature(sig);
  EXPECT_TRUE(parsed.ok()) << sig << ": " << parsed.status();
  if (parsed.ok()) {
    EXPECT_EQ(parsed->Canonical(), sig);
  }
  return sig;
}

std::string SelectorHex(std::string_view canonical) {
  absl::StatusOr<FunctionSelector> s = Selector(canonical);
  EXPECT_TRUE(s.ok()) << canonical << ": " << s.status();
  return s.ok() ? HexEncode(s->view()) : "";
}

// Every entry of one kind ("function", "event", "error"), by canonical signature.
std::map<std::string, json> EntriesOfType(const json& abi, std::string_view kind) {
  std::map<std::string, json> out;
  for (const json& entry : abi) {
    if (entry.at("type").get<std::string>() != kind) continue;
    const std::string sig = CanonicalSignature(entry);
    EXPECT_TRUE(out.emplace(sig, entry).second) << "duplicate " << sig;
  }
  return out;
}

struct ExpectedFunction {
  std::string signature;  // canonical
  std::string selector;   // 8 hex digits
  std::string returns;    // canonical output list
  std::string mutability;
};

struct ExpectedEvent {
  std::string signature;
  std::vector<bool> indexed;
  std::string topic;  // 64 hex digits
};

// Functions every UUPS + Ownable2Step contract of ours exposes.
std::vector<ExpectedFunction> OwnableUupsFunctions() {
  return {
      {"owner()", "8da5cb5b", "(address)", "view"},
      {"pendingOwner()", "e30c3978", "(address)", "view"},
      {"transferOwnership(address)", "f2fde38b", "()", "nonpayable"},
      {"acceptOwnership()", "79ba5097", "()", "nonpayable"},
      {"renounceOwnership()", "715018a6", "()", "nonpayable"},
      {"upgradeToAndCall(address,bytes)", "4f1ef286", "()", "payable"},
      {"proxiableUUID()", "52d1902d", "(bytes32)", "view"},
      {"UPGRADE_INTERFACE_VERSION()", "ad3cb1cc", "(string)", "view"},
      {"supportsInterface(bytes4)", "01ffc9a7", "(bool)", "view"},
  };
}

std::vector<ExpectedEvent> OwnableUupsEvents() {
  return {
      {"OwnershipTransferred(address,address)", {true, true},
       "8be0079c531659141344cd1fd0a4f28419497f9722a3daafe3b4186f6b6457e0"},
      {"OwnershipTransferStarted(address,address)", {true, true},
       "38d16b8cac22d99fc7c124b9cd0de2d3fa1faef420bfe791d8c362d765e22700"},
      {"Upgraded(address)", {true}, "bc7cd75a20ee27fd9adebab32041f755214dbc6bffa90cc0225b39da2e5c2d3b"},
      {"Initialized(uint64)", {false}, "c7f505b2f371ae2175ee4913f4499e1f2633a7b5936321eed1cdaeb6115181d2"},
  };
}

std::vector<ExpectedFunction> DstackAppFunctions() {
  std::vector<ExpectedFunction> f = {
      {"addComposeHash(bytes32)", "dfc77223", "()", "nonpayable"},
      {"removeComposeHash(bytes32)", "67b3f22c", "()", "nonpayable"},
      {"addDevice(bytes32)", "2a819728", "()", "nonpayable"},
      {"removeDevice(bytes32)", "1d266200", "()", "nonpayable"},
      {"setAllowAnyDevice(bool)", "7c4beeb8", "()", "nonpayable"},
      {"setRequireTcbUpToDate(bool)", "6e4c7422", "()", "nonpayable"},
      {"disableUpgrades()", "ec669036", "()", "nonpayable"},
      {"allowedComposeHashes(bytes32)", "2f6622e5", "(bool)", "view"},
      {"allowAnyDevice()", "3440a16a", "(bool)", "view"},
      {"allowedDeviceIds(bytes32)", "bf8b211b", "(bool)", "view"},
      {"requireTcbUpToDate()", "0aa58c83", "(bool)", "view"},
      {"upgradesDisabled()", "f9b278c0", "(bool)", "view"},
      {"initialize(address,bool,bool,bool,bytes32,bytes32)", "9ed28193", "()", "nonpayable"},
      {"initialize(address,bool,bool,bytes32,bytes32)", "187515ca", "()", "nonpayable"},
      {"isAppAllowed(" + std::string(kAppBootInfo) + ")", "1e079198", "(bool,string)", "view"},
      {"version()", "54fd4d50", "(uint256)", "pure"},
  };
  for (ExpectedFunction& e : OwnableUupsFunctions()) f.push_back(std::move(e));
  return f;
}

std::vector<ExpectedEvent> DstackAppEvents() {
  std::vector<ExpectedEvent> e = {
      {"ComposeHashAdded(bytes32)", {false},
       "fecb34306dd9d8b785b54d65489d06afc8822a0893ddacedff40c50a4942d0af"},
      {"ComposeHashRemoved(bytes32)", {false},
       "755b79bd4b0eeab344d032284a99003b2ddc018b646752ac72d681593a6e8947"},
      {"DeviceAdded(bytes32)", {false}, "67fc71ab96fe3fa3c6f78e9a00e635d591b7333ce611c0380bc577aac702243b"},
      {"DeviceRemoved(bytes32)", {false}, "e0862975ac517b0478d308012afabc4bc37c23874a18144d7f2dfb852ff95c2c"},
      {"AllowAnyDeviceSet(bool)", {false}, "bb2cdb6c7b362202d40373f87bc4788301cca658f91711ac1662e1ad2cba4a20"},
      {"RequireTcbUpToDateSet(bool)", {false},
       "afae60561b2481a349b45b3a47357f70eef6ae67e5b6e1749d74de7f19a25aa1"},
      {"UpgradesDisabled()", {}, "0e5daa943fcd7e7182d0e893d180695c2ea9f6f1b4a1c5432faf14cf17b774e8"},
      {"PolicyChanged(address,bytes32,bytes32,bool)", {true, true, true, false},
       "341d3bc64e32172fc5bcf27b0f7f69dc5adc19af64b7aa1dee361e5883c32375"},
  };
  for (ExpectedEvent& o : OwnableUupsEvents()) e.push_back(std::move(o));
  return e;
}

std::vector<ExpectedFunction> DstackKmsFunctions() {
  std::vector<ExpectedFunction> f = {
      {"deployAndRegisterApp(address,bool,bool,bool,bytes32,bytes32)", "9cb9c31f", "(address)",
       "nonpayable"},
      {"deployAndRegisterApp(address,bool,bool,bytes32,bytes32)", "8618169d", "(address)", "nonpayable"},
      {"registerApp(address)", "17a1d80f", "()", "nonpayable"},
      {"registeredApps(address)", "a6c4cce9", "(bool)", "view"},
      {"appImplementation()", "25a992da", "(address)", "view"},
      {"setAppImplementation(address)", "3ceaaa11", "()", "nonpayable"},
      {"addOsImageHash(bytes32)", "06a3ae96", "()", "nonpayable"},
      {"removeOsImageHash(bytes32)", "9425bac6", "()", "nonpayable"},
      {"allowedOsImages(bytes32)", "9a4e1d18", "(bool)", "view"},
      {"addKmsAggregatedMr(bytes32)", "3e32d346", "()", "nonpayable"},
      {"removeKmsAggregatedMr(bytes32)", "2adee48d", "()", "nonpayable"},
      {"kmsAllowedAggregatedMrs(bytes32)", "f6fe4f40", "(bool)", "view"},
      {"addKmsDevice(bytes32)", "4d5922a1", "()", "nonpayable"},
      {"removeKmsDevice(bytes32)", "9e6f3114", "()", "nonpayable"},
      {"kmsAllowedDeviceIds(bytes32)", "13eb9770", "(bool)", "view"},
      {"setKmsInfo((bytes,bytes,bytes,bytes))", "7d025352", "()", "nonpayable"},
      // The public struct getter: four values, not one tuple (their encodings differ).
      {"kmsInfo()", "09177063", "(bytes,bytes,bytes,bytes)", "view"},
      {"setGatewayAppId(string)", "3971db27", "()", "nonpayable"},
      {"gatewayAppId()", "95f51931", "(string)", "view"},
      {"initialize(address,address)", "485cc955", "()", "nonpayable"},
      {"isAppAllowed(" + std::string(kAppBootInfo) + ")", "1e079198", "(bool,string)", "view"},
      {"isKmsAllowed(" + std::string(kAppBootInfo) + ")", "e067ec9d", "(bool,string)", "view"},
  };
  for (ExpectedFunction& e : OwnableUupsFunctions()) f.push_back(std::move(e));
  return f;
}

std::vector<ExpectedEvent> DstackKmsEvents() {
  std::vector<ExpectedEvent> e = {
      {"AppDeployedViaFactory(address,address)", {true, true},
       "fd86d7f6962eba3b7a3bf9129c06c0b2f885e1c61ef2c9f0dbb856be0deefdee"},
      {"AppRegistered(address)", {false}, "0d540ad8f39e07d19909687352b9fa017405d93c91a6760981fbae9cf28bfef7"},
      {"AppImplementationSet(address)", {false},
       "08bb433f12b5fd81d2d5e0deeb3b4d28371781ddbd80e9d053e7468d2b1aa82d"},
      {"KmsInfoSet(bytes)", {false}, "77cdad119a452bbd96c45635758fc4af8a6bde3deaccf3fada634ddf9a162706"},
      {"GatewayAppIdSet(string)", {false}, "5b2b64f770ea5266055ebd3ebf205ef06cbfa738e62684edf0e28356e34acf06"},
      {"OsImageHashAdded(bytes32)", {false},
       "4911843506849c85a5ca6e6e2c01eed2d3ab86baba619517a2aad9d5ab2aeff2"},
      {"OsImageHashRemoved(bytes32)", {false},
       "99b3cee95daf3138d0c982299cd0264f5b7a61aa629b42b92f3ec8966aa7f6fe"},
      {"KmsAggregatedMrAdded(bytes32)", {false},
       "68615a0b92795750b3d180ff73429e1291d225e449eee954a567b91104fd9837"},
      {"KmsAggregatedMrRemoved(bytes32)", {false},
       "54cd662e41eec7ddf0f32f034b2533e481b471dd3ea978222d609ec8fffb1bb0"},
      {"KmsDeviceAdded(bytes32)", {false}, "f2b290637b1193e12eb38ab32b986303639b1687cc2cd1e25f993e6eae2f4041"},
      {"KmsDeviceRemoved(bytes32)", {false}, "1a9888a45e3df8b7e6bb3090747d598d2a0d78e61388161a90799f54df8f4434"},
  };
  for (ExpectedEvent& o : OwnableUupsEvents()) e.push_back(std::move(o));
  return e;
}

// The ABI declares exactly `expected` (nothing missing, nothing extra), each with its selector,
// outputs and mutability.
void ExpectFunctions(const json& abi, const std::vector<ExpectedFunction>& expected) {
  std::map<std::string, json> functions = EntriesOfType(abi, "function");
  std::set<std::string> seen;
  for (const ExpectedFunction& e : expected) {
    SCOPED_TRACE(e.signature);
    seen.insert(e.signature);
    auto it = functions.find(e.signature);
    if (it == functions.end()) {
      ADD_FAILURE() << "missing function " << e.signature;
      continue;
    }
    EXPECT_EQ(SelectorHex(it->first), e.selector);
    EXPECT_EQ(CanonicalList(it->second.at("outputs")), e.returns);
    EXPECT_EQ(it->second.at("stateMutability").get<std::string>(), e.mutability);
  }
  for (const auto& [sig, entry] : functions) {
    EXPECT_TRUE(seen.count(sig)) << "unexpected function " << sig << " (selector " << SelectorHex(sig)
                                 << "); add it to DESIGN and to this test";
  }
}

void ExpectEvents(const json& abi, const std::vector<ExpectedEvent>& expected) {
  std::map<std::string, json> events = EntriesOfType(abi, "event");
  std::set<std::string> seen;
  for (const ExpectedEvent& e : expected) {
    SCOPED_TRACE(e.signature);
    seen.insert(e.signature);
    auto it = events.find(e.signature);
    if (it == events.end()) {
      ADD_FAILURE() << "missing event " << e.signature;
      continue;
    }
    const json& entry = it->second;
    EXPECT_FALSE(entry.at("anonymous").get<bool>());
    std::vector<bool> indexed;
    std::string with_indexed = entry.at("name").get<std::string>() + "(";
    for (size_t i = 0; i < entry.at("inputs").size(); ++i) {
      const json& input = entry.at("inputs")[i];
      indexed.push_back(input.at("indexed").get<bool>());
      if (i > 0) with_indexed += ",";
      with_indexed += CanonicalType(input) + (indexed.back() ? " indexed" : "");
    }
    with_indexed += ")";
    EXPECT_EQ(indexed, e.indexed);
    absl::StatusOr<Hash32> topic = EventTopic(with_indexed);
    ASSERT_TRUE(topic.ok()) << with_indexed << ": " << topic.status();
    EXPECT_EQ(HexEncode(topic->view()), e.topic);
  }
  for (const auto& [sig, entry] : events) {
    EXPECT_TRUE(seen.count(sig)) << "unexpected event " << sig << "; add it to contracts/README.md and this test";
  }
}

std::string ErrorSelector(const json& abi, const std::string& signature) {
  std::map<std::string, json> errors = EntriesOfType(abi, "error");
  return errors.count(signature) ? SelectorHex(signature) : "";
}

TEST(ContractArtifacts, EachHasExactlyNameAbiBytecodeAndDeployedBytecodeInThatOrder) {
  for (const std::string name : {"DstackApp", "DstackKms", "Multicall3", "ERC1967Proxy"}) {
    SCOPED_TRACE(name);
    const std::string text = ReadText(name);
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text.back(), '\n');
    const json artifact = json::parse(text, nullptr, false);
    ASSERT_TRUE(artifact.is_object());
    EXPECT_EQ(artifact.size(), 4u);
    EXPECT_EQ(artifact.value("contractName", ""), name);
    EXPECT_TRUE(artifact.at("abi").is_array());
    const size_t p_name = text.find("\"contractName\"");
    const size_t p_abi = text.find("\"abi\"");
    const size_t p_code = text.find("\"bytecode\"");
    const size_t p_runtime = text.find("\"deployedBytecode\"");
    EXPECT_TRUE(p_name < p_abi && p_abi < p_code && p_code < p_runtime);
    for (const char* key : {"bytecode", "deployedBytecode"}) {
      const std::string hex = artifact.at(key).get<std::string>();
      EXPECT_EQ(hex.substr(0, 2), "0x") << key;
      absl::StatusOr<Bytes> code = HexDecode(hex, HexPrefix::kRequired);
      ASSERT_TRUE(code.ok()) << key << ": " << code.status();
      EXPECT_GT(code->size(), 0u) << key;
      EXPECT_LE(code->size(), key == std::string_view("deployedBytecode") ? 24576u : 49152u) << key;
    }
  }
}

TEST(ContractArtifacts, DstackAppHasEveryDesignFunctionWithItsSelector) {
  const json app = LoadArtifact("DstackApp");
  ExpectFunctions(app.at("abi"), DstackAppFunctions());
}

TEST(ContractArtifacts, DstackAppHasEveryEventWithItsTopicAndIndexedArguments) {
  const json app = LoadArtifact("DstackApp");
  ExpectEvents(app.at("abi"), DstackAppEvents());
}

TEST(ContractArtifacts, IsAppAllowedIsTheIAppAuthInterfaceId) {
  const json app = LoadArtifact("DstackApp");
  std::map<std::string, json> functions = EntriesOfType(app.at("abi"), "function");
  const std::string sig = "isAppAllowed(" + std::string(kAppBootInfo) + ")";
  ASSERT_TRUE(functions.count(sig));
  // A one-function interface's ERC-165 id is that function's selector.
  EXPECT_EQ(SelectorHex(sig), "1e079198");
  // Member names are part of what JSON-ABI consumers (ethers, viem) see.
  std::vector<std::string> names;
  const json& input = functions.at(sig).at("inputs").at(0);
  for (const json& c : input.at("components")) names.push_back(c.at("name").get<std::string>());
  EXPECT_EQ(names, (std::vector<std::string>{"appId", "composeHash", "instanceId", "deviceId", "mrAggregated",
                                             "mrSystem", "osImageHash", "tcbStatus", "advisoryIds"}));
  std::vector<std::string> outputs;
  for (const json& o : functions.at(sig).at("outputs")) outputs.push_back(o.at("name").get<std::string>());
  EXPECT_EQ(outputs, (std::vector<std::string>{"isAllowed", "reason"}));
}

TEST(ContractArtifacts, ManagementInterfaceIdIsTheXorOfTheFourWhitelistSelectors) {
  const json app = LoadArtifact("DstackApp");
  std::map<std::string, json> functions = EntriesOfType(app.at("abi"), "function");
  FunctionSelector id;
  for (const char* sig : {"addComposeHash(bytes32)", "removeComposeHash(bytes32)", "addDevice(bytes32)",
                          "removeDevice(bytes32)"}) {
    ASSERT_TRUE(functions.count(sig)) << sig;
    absl::StatusOr<FunctionSelector> s = Selector(sig);
    ASSERT_TRUE(s.ok());
    for (size_t i = 0; i < id.size(); ++i) id[i] ^= (*s)[i];
  }
  EXPECT_EQ(HexEncode(id.view()), "8fd37527");
}

TEST(ContractArtifacts, NonOwnerRevertErrorIsOwnableUnauthorizedAccount) {
  for (const std::string name : {"DstackApp", "DstackKms"}) {
    const json artifact = LoadArtifact(name);
    EXPECT_EQ(ErrorSelector(artifact.at("abi"), "OwnableUnauthorizedAccount(address)"), "118cdaa7") << name;
  }
}

TEST(ContractArtifacts, DstackKmsHasEveryDesignFunctionWithItsSelector) {
  const json kms = LoadArtifact("DstackKms");
  ExpectFunctions(kms.at("abi"), DstackKmsFunctions());
}

TEST(ContractArtifacts, DstackKmsHasEveryEventWithItsTopicAndIndexedArguments) {
  const json kms = LoadArtifact("DstackKms");
  ExpectEvents(kms.at("abi"), DstackKmsEvents());
}

TEST(ContractArtifacts, Multicall3HasTheCanonicalInterface) {
  const json mc = LoadArtifact("Multicall3");
  ExpectFunctions(mc.at("abi"),
                  {
                      {"aggregate3((address,bool,bytes)[])", "82ad56cb", "((bool,bytes)[])", "payable"},
                      {"aggregate3Value((address,bool,uint256,bytes)[])", "174dea71", "((bool,bytes)[])",
                       "payable"},
                      {"aggregate((address,bytes)[])", "252dba42", "(uint256,bytes[])", "payable"},
                      {"tryAggregate(bool,(address,bytes)[])", "bce38bd7", "((bool,bytes)[])", "payable"},
                      {"tryBlockAndAggregate(bool,(address,bytes)[])", "399542e9",
                       "(uint256,bytes32,(bool,bytes)[])", "payable"},
                      {"blockAndAggregate((address,bytes)[])", "c3077fa9", "(uint256,bytes32,(bool,bytes)[])",
                       "payable"},
                      {"getBlockHash(uint256)", "ee82ac5e", "(bytes32)", "view"},
                      {"getBlockNumber()", "42cbb15c", "(uint256)", "view"},
                      {"getCurrentBlockCoinbase()", "a8b0574e", "(address)", "view"},
                      {"getCurrentBlockDifficulty()", "72425d9d", "(uint256)", "view"},
                      {"getCurrentBlockGasLimit()", "86d516e8", "(uint256)", "view"},
                      {"getCurrentBlockTimestamp()", "0f28c97d", "(uint256)", "view"},
                      {"getEthBalance(address)", "4d2301cc", "(uint256)", "view"},
                      {"getLastBlockHash()", "27e86d6e", "(bytes32)", "view"},
                      {"getBasefee()", "3e64a696", "(uint256)", "view"},
                      {"getChainId()", "3408e470", "(uint256)", "view"},
                  });
  // Placed with anvil_setCode, the runtime code must not need a constructor.
  for (const json& entry : mc.at("abi")) EXPECT_NE(entry.at("type").get<std::string>(), "constructor");
}

TEST(ContractArtifacts, Erc1967ProxyIsConstructedWithImplementationAndInitCalldata) {
  const json proxy = LoadArtifact("ERC1967Proxy");
  bool found = false;
  for (const json& entry : proxy.at("abi")) {
    if (entry.at("type").get<std::string>() != "constructor") continue;
    found = true;
    EXPECT_EQ(CanonicalList(entry.at("inputs")), "(address,bytes)");
    EXPECT_EQ(entry.at("stateMutability").get<std::string>(), "payable");
  }
  EXPECT_TRUE(found);
  ExpectEvents(proxy.at("abi"), {{"Upgraded(address)", {true},
                                  "bc7cd75a20ee27fd9adebab32041f755214dbc6bffa90cc0225b39da2e5c2d3b"}});
}

}  // namespace
}  // namespace chainkms
