-- Workflow runs and step executions: the engine's durable state (see src/workflows/).
CREATE TABLE workflow_runs (
    id           TEXT PRIMARY KEY,
    project_id   TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    workflow_id  TEXT NOT NULL,
    status       TEXT NOT NULL,
    trigger_kind TEXT NOT NULL,
    input        TEXT NOT NULL,
    response     TEXT,
    error        TEXT,
    wake_at      BIGINT,
    lease_owner  TEXT,
    lease_until  BIGINT,
    replay_of    TEXT,
    created_at   BIGINT NOT NULL,
    ended_at     BIGINT
);
CREATE INDEX workflow_runs_due ON workflow_runs (project_id, status, lease_until);
CREATE INDEX workflow_runs_user ON workflow_runs (project_id, user_id, created_at);

CREATE TABLE workflow_steps (
    run_id          TEXT NOT NULL,
    step_key        TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    status          TEXT NOT NULL,
    attempt         BIGINT NOT NULL,
    input           TEXT,
    output          TEXT,
    error           TEXT,
    wake_at         BIGINT,
    started_at      BIGINT NOT NULL,
    ended_at        BIGINT,
    PRIMARY KEY (run_id, step_key)
);

-- One row per (workflow, user, tick): a schedule fires once per tick across replicas.
CREATE TABLE workflow_ticks (
    workflow_id TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    tick        BIGINT NOT NULL,
    PRIMARY KEY (workflow_id, user_id, tick)
);
