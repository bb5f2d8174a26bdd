-- lakegate control plane, part 6: the catalog read behind every mirror query. The query engine needs the
-- columns (name, type, typmod, collation) of each relation a statement reads and the database's collation,
-- in the client's own session. As a plain statement the catalog join is planned on every call (about
-- 0.7 ms, five times its run time); PL/pgSQL keeps the plan for the session, so it is planned once per
-- connection (a generic plan: custom plans would be planned per call). No SET search_path: names are
-- resolved with the caller's search_path, as in the statement.
CREATE OR REPLACE FUNCTION mooncake.relation_columns(names text[])
RETURNS TABLE (rel_idx int4, col_name text, type_oid int4, type_mod int4, coll_name text,
               db_collate text, db_ctype text, db_provider text, rel_kind text)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  SELECT r.idx::int4, a.attname::text, a.atttypid::int4, a.atttypmod, coalesce(c.collname::text, ''),
         d.datcollate::text, d.datctype::text, d.datlocprovider::text, cl.relkind::text
    FROM pg_catalog.unnest(names) WITH ORDINALITY AS r(name, idx)
    CROSS JOIN (SELECT x.datcollate, x.datctype, x.datlocprovider FROM pg_catalog.pg_database x
                 WHERE x.datname = pg_catalog.current_database()) d
    LEFT JOIN pg_catalog.pg_class cl ON cl.oid = pg_catalog.to_regclass(r.name)
    LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = cl.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_catalog.pg_collation c ON c.oid = a.attcollation AND a.attcollation <> 100
   ORDER BY r.idx, a.attnum;
END $$;
GRANT EXECUTE ON FUNCTION mooncake.relation_columns(text[]) TO PUBLIC;
