-- Row-level security on tenant content: a second wall behind the tenant filter that
-- every query already has. Requests run their queries as the role nexus_tenant with
-- the setting nexus.tenant_id (see platform/db/tenant-scope.ts); under that role a
-- row of another tenant is invisible and cannot be written, whatever the SQL says.
-- The owner role (migrations, jobs) is not subject to these policies.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nexus_tenant') THEN
    BEGIN
      CREATE ROLE nexus_tenant NOLOGIN;
    EXCEPTION WHEN duplicate_object THEN
      NULL; -- created concurrently by another schema's migration
    WHEN insufficient_privilege THEN
      RAISE WARNING 'cannot create role nexus_tenant (no CREATEROLE): row-level security stays off';
    END;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nexus_tenant') THEN
    BEGIN
      EXECUTE format('GRANT nexus_tenant TO %I', current_user);
    EXCEPTION WHEN OTHERS THEN
      RAISE WARNING 'cannot grant nexus_tenant to %: %', current_user, SQLERRM;
    END;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO nexus_tenant', current_schema());
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO nexus_tenant', current_schema());
    EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO nexus_tenant', current_schema());
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO nexus_tenant', current_schema());
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO nexus_tenant', current_schema());
  END IF;
END
$$;

ALTER TABLE documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE conversations ENABLE ROW LEVEL SECURITY;
ALTER TABLE messages ENABLE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON documents
  USING (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON chunks
  USING (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON conversations
  USING (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
CREATE POLICY tenant_isolation ON messages
  USING (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);
