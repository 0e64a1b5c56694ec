-- Which associated data a credential's secret is sealed with: 1 = its id only (before 0.2),
-- 2 = project, user, integration and id. `paragon-local rekey` moves rows to 2.
ALTER TABLE credentials ADD COLUMN aad_version BIGINT NOT NULL DEFAULT 1;
