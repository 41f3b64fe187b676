-- kiln-app schema. `@ID@` is the dialect's auto-increment primary key
-- (SQLite: INTEGER PRIMARY KEY AUTOINCREMENT, PostgreSQL: BIGSERIAL PRIMARY KEY).
CREATE TABLE IF NOT EXISTS deliveries (
    id          TEXT PRIMARY KEY,
    event       TEXT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
    id              @ID@,
    delivery_id     TEXT NOT NULL,
    kind            TEXT NOT NULL,
    installation_id BIGINT NOT NULL,
    repo            TEXT NOT NULL,
    pr_key          TEXT NOT NULL,
    head_sha        TEXT NOT NULL,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    run_after       BIGINT NOT NULL DEFAULT 0,
    lease_token     TEXT,
    lease_until     BIGINT NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    finished_at     BIGINT,
    result          TEXT,
    check_run_id    BIGINT
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state, run_after);
CREATE INDEX IF NOT EXISTS jobs_pr_key ON jobs (pr_key, state);
CREATE TABLE IF NOT EXISTS installations (
    id         BIGINT PRIMARY KEY,
    account    TEXT NOT NULL,
    active     BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS installation_repos (
    installation_id BIGINT NOT NULL,
    repo            TEXT NOT NULL,
    PRIMARY KEY (installation_id, repo)
);
