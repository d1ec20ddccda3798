#include "lib/eth/log.h"

#include "absl/strings/str_cat.h"
#include "lib/common/hex.h"
#include "lib/common/status_macros.h"

namespace chainkms {

absl::StatusOr<std::vector<AbiValue>> DecodeLog(const AbiSignature& event, const Log& log) {
  size_t indexed = 0;
  std::vector<AbiType> data_types;
  for (const auto& p : event.inputs) {
    if (p.indexed) {
      ++indexed;
    } else {
      data_types.push_back(p.type);
    }
  }
  if (log.topics.size() != indexed + 1) {
    return absl::InvalidArgumentError(absl::StrCat("log has ", log.topics.size(), " topics, ",
                                                   event.Canonical(), " needs ", indexed + 1));
  }
  const Hash32 topic0 = EventTopicOf(event);
  if (log.topics[0] != topic0) {
    return absl::InvalidArgumentError(absl::StrCat("log topic0 ", Hex0x(log.topics[0].view()),
                                                   " is not ", event.Canonical(), " (",
                                                   Hex0x(topic0.view()), ")"));
  }
  ASSIGN_OR_RETURN(std::vector<AbiValue> data_values, AbiDecode(data_types, log.data));
  std::vector<AbiValue> out;
  size_t next_topic = 1, next_data = 0;
  for (const auto& p : event.inputs) {
    if (!p.indexed) {
      out.push_back(std::move(data_values[next_data++]));
      continue;
    }
    const Hash32& topic = log.topics[next_topic++];
    if (p.type.IsValueType()) {
      ASSIGN_OR_RETURN(AbiValue v, DecodeWord(p.type, topic));
      out.push_back(std::move(v));
    } else {
      out.push_back(AbiValue::FixedBytes(topic.view()));
    }
  }
  return out;
}

absl::StatusOr<std::vector<AbiValue>> DecodeLog(std::string_view event_signature, const Log& log) {
  ASSIGN_OR_RETURN(AbiSignature event, ParseSignature(event_signature));
  return DecodeLog(event, log);
}

}  // namespace chainkms
