-- lakegate control plane, part 8: what a mirror query must know about the client's transaction. A mirror shows
-- the committed data at the WAL position the query started at; Postgres answers from the transaction's own view.
-- The two differ when the transaction has changed a source itself (uncommitted rows, TRUNCATE, ALTER TABLE), or
-- when it runs under REPEATABLE READ / SERIALIZABLE inside a transaction block (its snapshot is older than the
-- statement). lakegate refuses
-- the query then (src/engine/exec-context.ts); the context query reads transaction_isolation and this function
-- next to query_context (007), in the round trip it makes anyway.

-- The 1-based position in `sources` of the first table (with its partitions) this transaction has changed, else
-- NULL. Only a transaction with an xid can have changed anything, so the usual read-only case costs one call.
-- Rows: the backend's pending per-table counters (they may also hold a moment of earlier, committed transactions'
-- counts: a false alarm refuses, it never answers wrongly). TRUNCATE and ALTER TABLE write the table's pg_class
-- row: its xmin is then this transaction's xid or one of its subtransactions' (age <= 0).
CREATE OR REPLACE FUNCTION mooncake.changed_source(sources oid[]) RETURNS integer
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
  SELECT CASE WHEN pg_catalog.pg_current_xact_id_if_assigned() IS NULL THEN NULL ELSE (
    SELECT min(s.i)::integer
      FROM pg_catalog.unnest(sources) WITH ORDINALITY AS s(rel, i)
     WHERE EXISTS (
       SELECT 1
         FROM (SELECT s.rel AS relid UNION SELECT t.relid FROM pg_catalog.pg_partition_tree(s.rel::regclass) t) p
         JOIN pg_catalog.pg_class c ON c.oid = p.relid
        WHERE pg_catalog.age(c.xmin) <= 0
           OR pg_catalog.pg_stat_get_xact_tuples_inserted(p.relid) > 0
           OR pg_catalog.pg_stat_get_xact_tuples_updated(p.relid) > 0
           OR pg_catalog.pg_stat_get_xact_tuples_deleted(p.relid) > 0)) END
$$;
GRANT EXECUTE ON FUNCTION mooncake.changed_source(oid[]) TO PUBLIC;
