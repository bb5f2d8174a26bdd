-- lakegate control plane, part 9: relation_catalog, the catalog read behind every mirror query from now on.
-- It returns what relation_columns (006, kept for lakegate versions that still call it) returns, plus what
-- decides lower()/upper()/initcap() and ILIKE: each column collation's provider and locale and the database's
-- default locale (datlocale). The locale columns are read through to_jsonb so the function works on servers
-- before 17, where they are named colliculocale / daticulocale (IvorySQL 3 is PostgreSQL 16).
CREATE OR REPLACE FUNCTION mooncake.relation_catalog(names text[])
RETURNS TABLE (rel_idx int4, col_name text, type_oid int4, type_mod int4, coll_name text,
               db_collate text, db_ctype text, db_provider text, rel_kind text,
               coll_provider text, coll_locale text, db_locale text)
LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  SELECT r.idx::int4, a.attname::text, a.atttypid::int4, a.atttypmod, coalesce(c.collname::text, ''),
         d.datcollate::text, d.datctype::text, d.datlocprovider::text, cl.relkind::text,
         c.collprovider::text,
         CASE WHEN c.collprovider = 'c' THEN c.collctype::text
              ELSE coalesce(pg_catalog.to_jsonb(c) ->> 'colllocale', pg_catalog.to_jsonb(c) ->> 'colliculocale') END,
         d.loc
    FROM pg_catalog.unnest(names) WITH ORDINALITY AS r(name, idx)
    CROSS JOIN (SELECT x.datcollate, x.datctype, x.datlocprovider,
                       coalesce(pg_catalog.to_jsonb(x) ->> 'datlocale', pg_catalog.to_jsonb(x) ->> 'daticulocale') AS loc
                  FROM pg_catalog.pg_database x
                 WHERE x.datname = pg_catalog.current_database()) d
    LEFT JOIN pg_catalog.pg_class cl ON cl.oid = pg_catalog.to_regclass(r.name)
    LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = cl.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_catalog.pg_collation c ON c.oid = a.attcollation AND a.attcollation <> 100
   ORDER BY r.idx, a.attnum;
END $$;
GRANT EXECUTE ON FUNCTION mooncake.relation_catalog(text[]) TO PUBLIC;
