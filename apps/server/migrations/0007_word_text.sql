-- Words as the stemmed-word field reads them: a run of letters and a run of digits inside
-- one word are split apart, so "IL6", "IL-6" and "IL 6" meet, as do "Bcl2" and "BCL-2",
-- "PGE2" and "PGE-2", "CD4+" and "CD4" (the word-delimiter rule of Lucene's
-- WordDelimiterFilter, common in technical and biomedical search). Postgres' parser keeps
-- "bcl2" as one token but cuts "bcl-2" into "bcl" and "2", so without this a gene, part
-- or product code matches only when written the same way. ASCII letters and digits only,
-- so every database splits alike whatever its locale.
--
-- search_text itself is unchanged (the character grams, snippets and embeddings read it);
-- search_words, the BM25 index's column, and tsv (the fallback's postings) are generated
-- from it. Queries go through the same function (retrieval.service.ts).

CREATE FUNCTION nexus_word_text(input text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
  SELECT regexp_replace(regexp_replace(input, '([A-Za-z])([0-9])', '\1 \2', 'g'), '([0-9])([A-Za-z])', '\1 \2', 'g')
$$;

ALTER TABLE chunks ADD COLUMN search_words text GENERATED ALWAYS AS (nexus_word_text(search_text)) STORED;
-- (a generated column cannot read another, so tsv applies the function itself)
ALTER TABLE chunks DROP COLUMN tsv;
ALTER TABLE chunks ADD COLUMN tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', nexus_word_text(search_text))) STORED;
CREATE INDEX chunks_tsv_idx ON chunks USING gin (tsv);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'chunks_search_bm25_idx') THEN
    EXECUTE 'DROP INDEX chunks_search_bm25_idx';
    EXECUTE 'CREATE INDEX chunks_search_bm25_idx ON chunks USING bm25 (search_words) WITH (text_config = ''english'')';
  ELSE
    -- The fallback's postings, rebuilt from the new tsv.
    DELETE FROM chunk_terms;
    INSERT INTO chunk_terms (tenant_id, chunk_id, term, tf, dl)
      SELECT chunks.tenant_id, chunks.id, entry.lexeme, greatest(cardinality(entry.positions), 1), greatest(chunks.token_count, 1)
      FROM chunks, unnest(chunks.tsv) AS entry(lexeme, positions, weights);
  END IF;
END
$$;
