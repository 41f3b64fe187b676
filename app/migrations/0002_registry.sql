-- The image registry: buckets, versions (by fingerprint), builds per
-- platform/region, channels, revocation, and per-repository API tokens.
-- Times are Unix milliseconds. `region` is '' for builds without one.
CREATE TABLE IF NOT EXISTS registry_buckets (
    id         @ID@,
    name       TEXT NOT NULL UNIQUE,
    repo       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS registry_versions (
    id            @ID@,
    bucket_id     BIGINT NOT NULL,
    fingerprint   TEXT NOT NULL,
    git_sha       TEXT NOT NULL,
    repo          TEXT NOT NULL,
    run_id        BIGINT,
    commit_order  BIGINT NOT NULL,
    labels        TEXT NOT NULL,
    source_image  TEXT,
    created_at    BIGINT NOT NULL,
    revoke_at     BIGINT,
    revoke_reason TEXT,
    UNIQUE (bucket_id, fingerprint)
);
CREATE TABLE IF NOT EXISTS registry_builds (
    id             @ID@,
    version_id     BIGINT NOT NULL,
    component_type TEXT NOT NULL,
    build_name     TEXT NOT NULL,
    platform       TEXT NOT NULL,
    region         TEXT NOT NULL,
    external_id    TEXT NOT NULL,
    packer_run     TEXT NOT NULL,
    labels         TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    UNIQUE (version_id, component_type, build_name, region)
);
CREATE INDEX IF NOT EXISTS registry_builds_external ON registry_builds (external_id);
CREATE TABLE IF NOT EXISTS registry_channels (
    id         @ID@,
    bucket_id  BIGINT NOT NULL,
    name       TEXT NOT NULL,
    version_id BIGINT NOT NULL,
    -- The served version's commit_order, so intake moves a channel only
    -- forward even when runs finish out of order.
    commit_order BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    UNIQUE (bucket_id, name)
);
CREATE TABLE IF NOT EXISTS registry_tokens (
    id         @ID@,
    repo       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
