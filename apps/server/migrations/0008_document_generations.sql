-- Document versions without long transactions, and jobs that survive a dead worker.
--
-- Chunks carry the generation of the document version they belong to; a document reads
-- only the chunks of its current generation. A new version's chunks are written in many
-- short transactions under a new generation (invisible to retrieval meanwhile), then one
-- short transaction switches the document to it and removes the old chunks. Before, a
-- 20 MB document held the (embedded) database for its whole insert, and every search
-- waited behind it.
ALTER TABLE documents ADD COLUMN generation bigint NOT NULL DEFAULT 0;
ALTER TABLE chunks ADD COLUMN generation bigint NOT NULL DEFAULT 0;
ALTER TABLE chunks DROP CONSTRAINT chunks_document_id_ordinal_key;
ALTER TABLE chunks ADD CONSTRAINT chunks_document_generation_ordinal_key UNIQUE (document_id, generation, ordinal);
CREATE SEQUENCE document_generation_seq;

-- Originals are stored in parts of 1 MiB, uncompressed: one 20 MB value cost seconds to
-- compress and to pass through the embedded database in one piece (the server stalled on
-- it), and saved little (PDF, DOCX, XLSX and PPTX are compressed already). document_blobs
-- keeps what is known of the original; its bytes move to the parts.
CREATE TABLE document_blob_parts (
  document_id uuid NOT NULL REFERENCES document_blobs(document_id) ON DELETE CASCADE,
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  part integer NOT NULL CHECK (part >= 0),
  bytes bytea NOT NULL,
  PRIMARY KEY (document_id, part)
);
ALTER TABLE document_blob_parts ALTER COLUMN bytes SET STORAGE EXTERNAL;
INSERT INTO document_blob_parts (document_id, tenant_id, part, bytes)
  SELECT document_id, tenant_id, 0, bytes FROM document_blobs;
ALTER TABLE document_blobs DROP COLUMN bytes;

ALTER TABLE document_blob_parts ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON document_blob_parts
  USING (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid)
  WITH CHECK (tenant_id = nullif(current_setting('nexus.tenant_id', true), '')::uuid);

-- Uploads always create a new document (a replacement is an explicit new version), so
-- they no longer claim a source item id; the name of the file stays on the blob.
UPDATE documents SET source_item_id = NULL
WHERE source_id IN (SELECT id FROM sources WHERE kind = 'upload');

-- Every running job beats: a job whose heartbeat stops (its worker died) is failed and
-- retried by the queue's monitor (platform/queue.ts) within NEXUS_JOB_STALL_SECONDS.
CREATE TABLE job_heartbeats (
  job_id uuid PRIMARY KEY,
  queue text NOT NULL,
  worker text NOT NULL,
  attempt integer NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  beat_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX job_heartbeats_beat_idx ON job_heartbeats (beat_at);

ALTER TABLE jobs ADD COLUMN attempt integer NOT NULL DEFAULT 1;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nexus_tenant') THEN
    EXECUTE 'GRANT USAGE, SELECT ON SEQUENCE document_generation_seq TO nexus_tenant';
    EXECUTE 'GRANT SELECT, INSERT, UPDATE, DELETE ON document_blob_parts TO nexus_tenant';
  END IF;
END
$$;
