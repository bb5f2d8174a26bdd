-- lakegate control plane, part 7: the execution context a simple Query on mirrors reads in the same round trip
-- as its Describe (src/engine/exec-context.ts): now(), the settings that shape results, the WAL position for
-- read-your-writes and, per mirror view, the caller's SELECT privileges. In PL/pgSQL for the same reason as
-- relation_columns (006): the session keeps the plan instead of planning the statement on every query.
CREATE OR REPLACE FUNCTION mooncake.query_context(mirrors text[], want_lsn boolean)
RETURNS TABLE (now_us text, time_zone text, date_style text, interval_style text, float_digits text,
               bytea_out text, wal_lsn text, access text)
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
            FROM (SELECT pg_catalog.to_regclass(m) AS rel, i FROM pg_catalog.unnest(mirrors) WITH ORDINALITY AS x(m, i)) u);
END $$;
GRANT EXECUTE ON FUNCTION mooncake.query_context(text[], boolean) TO PUBLIC;
