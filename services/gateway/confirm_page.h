// The Confirm Update page: GET /cvms/{cvm}/confirm-update?token=… — what a Safe signer or a
// timelock proposer opens from a commit URL. One self-contained HTML document (no external
// assets; the inline style and script are allowed by their SHA-256 in the Content-Security-Policy,
// nothing else is): the pending compose hash, the app, the chain, the on-chain status read now, the
// addComposeHash(bytes32) calldata to propose, and a Confirm button that POSTs the commit to
// /api/v1/cvms/{cvm}/commit-update with the token (an optional transaction hash, else
// already-registered). Every value it prints is HTML-escaped. The token is the credential.
#pragma once

#include <string>
#include <string_view>

#include "services/gateway/rest_internal.h"

namespace chainkms::gateway {

// `&<>"'` as entities.
std::string HtmlEscape(std::string_view text);

namespace rest {
HttpResponse ConfirmPage(Call& c);
}  // namespace rest

}  // namespace chainkms::gateway
