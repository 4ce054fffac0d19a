-- Jobs are tenant content too (what was ingested, by whom, and why it failed): row-level
-- security as on documents, so a job record is read through runAsTenant only.
ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON jobs
  USING (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
