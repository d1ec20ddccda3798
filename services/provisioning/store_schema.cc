// The provisioning Store's schema, as versioned migrations (lib/store/migrations.h). Append new
// versions; never edit an applied one.
#include "services/provisioning/store_internal.h"

namespace chainkms::provisioning::store_internal {
namespace {

// One schema for both engines: BIGINT, TEXT and BYTEA are accepted by SQLite and PostgreSQL.
constexpr store::Migration kMigrations[] = {
    {1, "provisioning schema",
     R"sql(
CREATE TABLE provisions (
  workspace TEXT NOT NULL, compose_hash BYTEA NOT NULL, name TEXT NOT NULL,
  app_compose TEXT NOT NULL, kms_slug TEXT NOT NULL, node TEXT NOT NULL,
  device_id BYTEA NOT NULL, os_image_hash BYTEA NOT NULL,
  created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL,
  PRIMARY KEY (workspace, compose_hash));
CREATE TABLE cvms (
  id TEXT PRIMARY KEY, workspace TEXT NOT NULL, name TEXT NOT NULL,
  app_id BYTEA NOT NULL UNIQUE, compose_hash BYTEA NOT NULL, app_compose TEXT NOT NULL,
  kms_slug TEXT NOT NULL, node TEXT NOT NULL, device_id BYTEA NOT NULL,
  os_image_hash BYTEA NOT NULL, encrypted_env BYTEA NOT NULL, env_keys TEXT NOT NULL,
  deployer BYTEA NOT NULL, status TEXT NOT NULL, status_reason TEXT NOT NULL,
  created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, revision BIGINT NOT NULL);
CREATE INDEX cvms_by_workspace ON cvms (workspace, created_at, id);
CREATE TABLE pending_updates (
  id TEXT PRIMARY KEY, cvm_id TEXT NOT NULL, workspace TEXT NOT NULL,
  compose_hash BYTEA NOT NULL, app_compose TEXT NOT NULL, has_env BIGINT NOT NULL,
  encrypted_env BYTEA NOT NULL, env_keys TEXT NOT NULL, token_hash BYTEA UNIQUE,
  state TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL,
  used_at BIGINT NOT NULL);
CREATE INDEX pending_by_cvm ON pending_updates (cvm_id, state);
CREATE TABLE webhooks (
  id TEXT PRIMARY KEY, workspace TEXT NOT NULL, url TEXT NOT NULL, secret TEXT NOT NULL,
  events TEXT NOT NULL, created_at BIGINT NOT NULL);
CREATE INDEX webhooks_by_workspace ON webhooks (workspace);
CREATE TABLE webhook_deliveries (
  id TEXT PRIMARY KEY, webhook_id TEXT NOT NULL, workspace TEXT NOT NULL,
  event_id TEXT NOT NULL, event TEXT NOT NULL, payload TEXT NOT NULL, state TEXT NOT NULL,
  attempts BIGINT NOT NULL, next_attempt_at BIGINT NOT NULL, lease_owner TEXT NOT NULL,
  lease_until BIGINT NOT NULL, last_http_status BIGINT NOT NULL, last_error TEXT NOT NULL,
  created_at BIGINT NOT NULL, delivered_at BIGINT NOT NULL);
CREATE INDEX deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX deliveries_by_webhook ON webhook_deliveries (webhook_id, created_at, id)
)sql"},
    {2, "api keys",
     R"sql(
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY, workspace TEXT NOT NULL, name TEXT NOT NULL,
  secret_sha256 BYTEA NOT NULL, created_at BIGINT NOT NULL, revoked_at BIGINT NOT NULL);
CREATE INDEX api_keys_by_workspace ON api_keys (workspace, created_at, id)
)sql"},
};

}  // namespace

std::span<const store::Migration> Migrations() { return kMigrations; }

}  // namespace chainkms::provisioning::store_internal
