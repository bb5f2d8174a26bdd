-- lakegate control plane, part 8: what a mirror query must know about the client's transaction. A mirror shows
-- the committed data at the WAL position the query started at; Postgres answers from the transaction's own view.
-- The two differ when the transaction has changed a source itself (uncommitted rows, TRUNCATE, ALTER TABLE), or
-- when it runs under REPEATABLE READ / SERIALIZABLE inside a transaction block (its snapshot is older than the
-- statement). lakegate refuses
-- the query then (src/engine/exec-context.ts); these columns tell it, in the round trip it makes anyway.

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

-- query_context (007) with the transaction's isolation level and changed_source() of the mirrors' sources.
DROP FUNCTION IF EXISTS mooncake.query_context(text[], boolean);
CREATE OR REPLACE FUNCTION mooncake.query_context(mirrors text[], sources oid[], want_lsn boolean)
RETURNS TABLE (now_us text, time_zone text, date_style text, interval_style text, float_digits text,
               bytea_out text, wal_lsn text, access text, isolation text, changed text)
LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  SELECT ((extract(epoch FROM pg_catalog.now()) * 1000000)::int8)::text,
         pg_catalog.current_setting('TimeZone'),
         pg_catalog.current_setting('DateStyle'),
         pg_catalog.current_setting('IntervalStyle'),
         pg_catalog.current_setting('extra_float_digits'),
         pg_catalog.current_setting('bytea_output'),
         CASE WHEN want_lsn THEN pg_catalog.pg_current_wal_insert_lsn()::text END,
         -- per mirror: [table privilege (null: no such relation), any column privilege, readable columns
         -- (only without the table privilege)]
         (SELECT pg_catalog.json_agg(pg_catalog.json_build_array(
                   pg_catalog.has_table_privilege(u.rel, 'SELECT'),
                   pg_catalog.has_any_column_privilege(u.rel, 'SELECT'),
                   CASE WHEN NOT pg_catalog.has_table_privilege(u.rel, 'SELECT') THEN
                     (SELECT pg_catalog.json_agg(a.attname) FROM pg_catalog.pg_attribute a
                       WHERE a.attrelid = u.rel AND a.attnum > 0 AND NOT a.attisdropped
                         AND pg_catalog.has_column_privilege(u.rel, a.attnum, 'SELECT')) END) ORDER BY u.i)::text
            FROM (SELECT pg_catalog.to_regclass(m) AS rel, i FROM pg_catalog.unnest(mirrors) WITH ORDINALITY AS x(m, i)) u),
         pg_catalog.current_setting('transaction_isolation'),
         mooncake.changed_source(sources)::text;
END $$;
GRANT EXECUTE ON FUNCTION mooncake.query_context(text[], oid[], boolean) TO PUBLIC;
