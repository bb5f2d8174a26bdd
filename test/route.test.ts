// Statement classifier: a broad table of queries with the expected route, plus ground truth for the
// relation sets from a real Postgres' own EXPLAIN (VERBOSE, FORMAT JSON, GENERIC_PLAN).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  classify,
  createMirrorCatalog,
  loadParser,
  mirrorReferences,
  parseCache,
  effectiveSearchPath,
  parseSearchPath,
  oracleCase,
  type Classification,
  type MirrorRef,
  type UpstreamReason,
} from '../src/route/index.js';
import { parseSql } from '../src/route/parser.js';
import { Lru } from '../src/route/lru.js';
import { startPostgres } from './helpers/postgres.js';

const T = 'public.trades_iceberg';
const O = 'public.orders_iceberg';
const E = 'analytics.events_iceberg';
const Q = 'public.Quotes_Mirror';
const P = 'public.positions'; // a mirror whose name has no _iceberg suffix
const U = 'public.UPPER_MIRROR';
const MIRRORS = [T, O, E, Q, P, U].map((s) => {
  const [schema, name] = s.split('.') as [string, string];
  return { schema, name };
});
const catalog = createMirrorCatalog(MIRRORS);

interface Case {
  sql: string;
  route: 'engine' | 'upstream' | 'reject';
  /** engine: the mirrors referenced */
  mirrors?: string[];
  reason?: UpstreamReason;
  oracle?: boolean;
  searchPath?: string[];
  user?: string;
  /** also compare the relation set with Postgres' EXPLAIN (default: every single PG-mode DML/SELECT) */
  gt?: false;
  /** reject: message must match */
  message?: RegExp;
  /** engine: per-statement routes */
  routes?: Array<'engine' | 'upstream'>;
  explain?: { analyze: boolean };
  dropped?: string[];
}

const CASES: Case[] = [
  // ---- analytics shapes over mirrors -------------------------------------------------------------
  { sql: 'select symbol, count(*) as n, avg(price) as avg_price from trades_iceberg group by symbol order by n desc limit 10', route: 'engine', mirrors: [T] },
  { sql: "with recent as (select * from trades_iceberg where ts > now() - interval '1 day') select c.name, sum(r.qty) from recent r join customers c on c.id = r.customer_id group by c.name", route: 'engine', mirrors: [T] },
  { sql: 'select symbol, ts, price, avg(price) over (partition by symbol order by ts rows between 5 preceding and current row) as ma from trades_iceberg', route: 'engine', mirrors: [T] },
  { sql: "select ts, sum(qty) over (order by ts range between interval '1 hour' preceding and current row) from trades_iceberg", route: 'engine', mirrors: [T] },
  { sql: 'select id, sum(qty) over (order by ts groups between 1 preceding and 1 following exclude current row) from trades_iceberg', route: 'engine', mirrors: [T] },
  { sql: 'select symbol, side, sum(qty) from trades_iceberg group by grouping sets ((symbol), (side), ())', route: 'engine', mirrors: [T] },
  { sql: "select date_trunc('day', ts) as d, symbol, sum(price * qty) from trades_iceberg group by rollup (1, 2)", route: 'engine', mirrors: [T] },
  { sql: 'select symbol, side, count(*) from trades_iceberg group by cube (symbol, side) order by 1 nulls last', route: 'engine', mirrors: [T] },
  { sql: "select meta->>'venue' as venue, meta #>> '{fees,total}' as fee from trades_iceberg where meta ? 'venue' and meta ?| array['a','b'] and meta @? '$.fees'", route: 'engine', mirrors: [T] },
  { sql: `select t.id, e.value from trades_iceberg t cross join lateral jsonb_array_elements(t.meta->'fills') e where t.meta @> '{"kind":"limit"}'`, route: 'engine', mirrors: [T] },
  { sql: "select tags[1:2], array_length(tags, 1) from trades_iceberg where symbol = any($1::text[]) and 'x' = any(tags)", route: 'engine', mirrors: [T] },
  { sql: 'select o.id, l.price from orders_iceberg o cross join lateral (select t.price from trades_iceberg t where t.order_id = o.id order by t.ts desc limit 3) l', route: 'engine', mirrors: [O, T] },
  { sql: 'select o.id, u.tag, u.n from orders_iceberg o cross join lateral unnest(o.tags) with ordinality as u(tag, n)', route: 'engine', mirrors: [O] },
  { sql: 'with recursive r(n) as (select 1 union all select n + 1 from r where n < 10) select sum(n) from r', route: 'upstream', reason: 'no-mirror' },
  { sql: 'with recursive tree as (select id, parent_id, 1 as depth from positions where parent_id is null union all select p.id, p.parent_id, t.depth + 1 from positions p join tree t on p.parent_id = t.id) select * from tree', route: 'engine', mirrors: [P] },
  { sql: 'select symbol from trades_iceberg union select symbol from orders_iceberg', route: 'engine', mirrors: [O, T] },
  { sql: '(select symbol from trades_iceberg intersect select symbol from orders_iceberg) except select symbol from orders', route: 'engine', mirrors: [O, T] },
  { sql: 'select * from trades_iceberg where symbol = $1 and ts between $2 and $3 order by ts limit $4', route: 'engine', mirrors: [T] },
  { sql: `select "Symbol", bid, ask from "Quotes_Mirror" where "Symbol" = 'AAPL'`, route: 'engine', mirrors: [Q] },
  { sql: 'select o.id, (select max(t.price) from trades_iceberg t where t.symbol = o.symbol) as max_price from orders o', route: 'engine', mirrors: [T] },
  { sql: 'select * from orders o where exists (select 1 from trades_iceberg t where t.order_id = o.id)', route: 'engine', mirrors: [T] },
  { sql: "select * from customers where id in (select customer_id from orders_iceberg where status = 'open')", route: 'engine', mirrors: [O] },
  { sql: 'select * from customers c where c.id not in (select customer_id from trades_iceberg where customer_id is not null)', route: 'engine', mirrors: [T] },
  { sql: "select d::date as day, count(t.id) from generate_series(date '2024-01-01', date '2024-01-31', interval '1 day') as d left join trades_iceberg t on t.ts::date = d::date group by 1 order by 1", route: 'engine', mirrors: [T] },
  { sql: "select symbol, count(*) filter (where side = 'buy') over (partition by symbol) from trades_iceberg", route: 'engine', mirrors: [T] },
  { sql: 'select symbol, percentile_cont(0.5) within group (order by price) from trades_iceberg group by symbol', route: 'engine', mirrors: [T] },
  { sql: 'select distinct on (symbol) symbol, ts, price from trades_iceberg order by symbol, ts desc', route: 'engine', mirrors: [T] },
  { sql: 'select * from trades_iceberg order by ts offset 10 rows fetch first 5 rows only', route: 'engine', mirrors: [T] },
  { sql: 'select avg(price) from trades_iceberg tablesample system (10)', route: 'engine', mirrors: [T] },
  { sql: 'select count(*) from only trades_iceberg', route: 'engine', mirrors: [T] },
  { sql: 'select kind, count(*) from analytics.events_iceberg group by kind', route: 'engine', mirrors: [E] },
  { sql: `select * from trades_iceberg where side is distinct from 'buy' and symbol similar to 'A%' order by symbol collate "C"`, route: 'engine', mirrors: [T] },
  { sql: "select case when qty > 100 then 'big' else 'small' end, coalesce(nullif(side, ''), 'n/a'), date '2024-01-01', E'a\\tb', $$ from trades_iceberg $$ from trades_iceberg", route: 'engine', mirrors: [T] },
  { sql: "select v.name, t.price from (values (1, 'one'), (2, 'two')) as v(id, name) join trades_iceberg t on t.id = v.id", route: 'engine', mirrors: [T] },
  { sql: 'select * from (select * from (select symbol, price from trades_iceberg) a) b where price > 0', route: 'engine', mirrors: [T] },
  { sql: 'with a as (select * from trades_iceberg), b as (select symbol, sum(qty) q from a group by symbol) select * from b order by q desc', route: 'engine', mirrors: [T] },
  { sql: 'with m as materialized (select * from trades_iceberg), n as not materialized (select * from orders_iceberg) select count(*) from m, n where m.order_id = n.id', route: 'engine', mirrors: [O, T] },
  { sql: 'select symbol, rank() over w, lag(price) over w from trades_iceberg window w as (partition by symbol order by ts)', route: 'engine', mirrors: [T] },
  { sql: 'select * from trades_iceberg t join orders_iceberg o using (symbol) full join customers c on c.id = o.customer_id', route: 'engine', mirrors: [O, T] },
  { sql: 'select * from orders natural join orders_iceberg', route: 'engine', mirrors: [O] },
  { sql: "select jt.* from orders_iceberg o, json_table(o.meta, '$.items[*]' columns (sku text path '$.sku', qty int path '$.qty')) as jt", route: 'engine', mirrors: [O] },
  { sql: "select customer_id, string_agg(symbol, ',' order by created_at) from orders_iceberg group by customer_id", route: 'engine', mirrors: [O] },
  { sql: 'select symbol from trades_iceberg group by symbol having sum(qty) > (select avg(qty) from positions)', route: 'engine', mirrors: [P, T] },
  { sql: 'select * from orders o join customers c on c.id = o.customer_id and exists (select 1 from trades_iceberg t where t.customer_id = c.id)', route: 'engine', mirrors: [T] },
  { sql: 'SELECT Symbol FROM Trades_Iceberg', route: 'engine', mirrors: [T] },
  { sql: 'select * from PUBLIC.TRADES_ICEBERG', route: 'engine', mirrors: [T] },
  { sql: 'select * from "UPPER_MIRROR"', route: 'engine', mirrors: [U] },
  { sql: 'select * from upper_mirror', route: 'upstream', reason: 'no-mirror', gt: false },
  { sql: 'select * from "Trades_Iceberg"', route: 'upstream', reason: 'no-mirror', gt: false },
  { sql: 'select * from "trades_iceberg"', route: 'engine', mirrors: [T] },
  { sql: 'select count(*) from postgres.public.trades_iceberg', route: 'engine', mirrors: [T] },
  { sql: 'select * from U&"trades\\005Ficeberg"', route: 'engine', mirrors: [T] },
  { sql: 'select * from public /* c */ . -- x\n trades_iceberg', route: 'engine', mirrors: [T] },
  { sql: 'select t.*, p.qty from trades_iceberg t left join lateral (select qty from positions where symbol = t.symbol limit 1) p on true', route: 'engine', mirrors: [P, T] },
  { sql: 'table trades_iceberg', route: 'engine', mirrors: [T] },
  { sql: 'select count(*) from trades_iceberg*', route: 'engine', mirrors: [T] },
  { sql: "select x.a from xmltable('/r' passing (select meta::text::xml from trades_iceberg limit 1) columns a int) x", route: 'engine', mirrors: [T] },
  { sql: 'select * from trades_iceberg t where t.id = any(array(select order_id from orders_iceberg))', route: 'engine', mirrors: [O, T] },
  // ---- mirror names only in literals, comments, columns, aliases, functions ------------------------
  { sql: "select 'trades_iceberg' as name", route: 'upstream', reason: 'no-mirror' },
  { sql: 'select 1 -- from trades_iceberg', route: 'upstream', reason: 'no-mirror' },
  { sql: 'select trades_iceberg.id from orders trades_iceberg', route: 'upstream', reason: 'no-mirror' },
  { sql: 'select * from trades_iceberg()', route: 'upstream', reason: 'no-mirror', gt: false },
  { sql: "select count(*) from orders where status = 'trades_iceberg'", route: 'upstream', reason: 'no-mirror' },
  { sql: 'select * from orders o where o.symbol in (select symbol from analytics.daily)', route: 'upstream', reason: 'no-mirror' },
  // ---- search_path ---------------------------------------------------------------------------------
  { sql: 'select * from events_iceberg', route: 'upstream', reason: 'no-mirror', gt: false },
  { sql: 'select * from events_iceberg', route: 'engine', mirrors: [E], searchPath: ['analytics', 'public'] },
  { sql: 'select * from events_iceberg e join trades_iceberg t on t.id = e.id', route: 'engine', mirrors: [E, T], searchPath: ['$user', 'public'], user: 'analytics' },
  { sql: 'select * from trades_iceberg', route: 'upstream', reason: 'no-mirror', searchPath: ['analytics'], gt: false },
  // ---- CTE scoping -----------------------------------------------------------------------------------
  { sql: 'with trades_iceberg as (select 1 as id) select * from trades_iceberg', route: 'upstream', reason: 'no-mirror' },
  { sql: 'with trades_iceberg as (select * from trades_iceberg where qty > 0) select count(*) from trades_iceberg', route: 'engine', mirrors: [T] },
  { sql: 'with recursive positions as (select 1 as id union all select id + 1 from positions where id < 3) select * from positions', route: 'upstream', reason: 'no-mirror' },
  { sql: 'select * from (with trades_iceberg as (select 1 as id) select * from trades_iceberg) s cross join trades_iceberg', route: 'engine', mirrors: [T] },
  { sql: 'with trades_iceberg as (select 1 as id) select * from public.trades_iceberg', route: 'engine', mirrors: [T] },
  { sql: 'with a as (select * from positions), positions as (select 1 as id) select * from a', route: 'engine', mirrors: [P] },
  { sql: 'with positions as (select 1 as id), a as (select * from positions) select * from a', route: 'upstream', reason: 'no-mirror' },
  { sql: 'select * from trades_iceberg where exists (with trades_iceberg as (select 1 as id) select 1 from trades_iceberg)', route: 'engine', mirrors: [T] },
  { sql: '(with orders_iceberg as (select 1 as id) select id from orders_iceberg) union all select id from orders_iceberg', route: 'engine', mirrors: [O] },
  { sql: 'with x as (select 1 as id) select * from x where id in (with y as (select * from x) select id from y)', route: 'upstream', reason: 'no-mirror' },
  { sql: 'with recursive t as (select id from trades_iceberg union all select id + 1 from t where id < 0) select * from t', route: 'engine', mirrors: [T] },
  { sql: 'with "Quotes_Mirror" as (select 1 as x) select * from "Quotes_Mirror"', route: 'upstream', reason: 'no-mirror' },
  { sql: 'with positions as (select 1 as id) select * from trades_iceberg t, lateral (select * from positions p where p.id = t.id) x', route: 'engine', mirrors: [T] },
  { sql: 'with w as (select * from orders_iceberg) select * from w union all select * from w', route: 'engine', mirrors: [O] },
  // ---- writes and locks on mirrors -----------------------------------------------------------------
  { sql: 'insert into trades_iceberg (id) values (1)', route: 'reject', message: /INSERT cannot modify mirror "public.trades_iceberg"/ },
  { sql: 'update trades_iceberg set qty = 0 where id = 1', route: 'reject', message: /UPDATE cannot modify/ },
  { sql: 'delete from public.trades_iceberg where id = $1', route: 'reject', message: /DELETE cannot modify/ },
  { sql: 'merge into trades_iceberg t using orders o on t.id = o.id when matched then delete', route: 'reject', message: /MERGE cannot modify/ },
  { sql: 'copy trades_iceberg from stdin', route: 'reject', message: /COPY FROM cannot modify/ },
  { sql: 'truncate trades_iceberg', route: 'reject', message: /TRUNCATE cannot modify/ },
  { sql: 'alter table trades_iceberg add column x int', route: 'reject', message: /ALTER TABLE on mirror/ },
  { sql: 'create index on trades_iceberg (symbol)', route: 'reject', message: /CREATE INDEX on mirror/ },
  { sql: 'alter table trades_iceberg rename to t2', route: 'reject', message: /RENAME on mirror/ },
  { sql: 'select * from trades_iceberg for update', route: 'reject', message: /cannot lock rows of mirror/ },
  { sql: 'select * from trades_iceberg t join orders o on o.id = t.order_id for share of t', route: 'reject', message: /cannot lock rows of mirror/ },
  { sql: 'select * from trades_iceberg t join orders o on o.id = t.order_id for update of o', route: 'reject', message: /FOR UPDATE\/SHARE cannot be used/ },
  { sql: 'insert into orders (id, symbol) select id, symbol from trades_iceberg', route: 'reject', message: /INSERT cannot read mirror/ },
  { sql: 'update orders o set amount = t.price from trades_iceberg t where t.order_id = o.id', route: 'reject', message: /UPDATE cannot read mirror/ },
  { sql: 'delete from orders where id in (select order_id from trades_iceberg)', route: 'reject', message: /DELETE cannot read mirror/ },
  { sql: 'with d as (delete from orders where id = 1 returning *) select * from d join trades_iceberg t on t.order_id = d.id', route: 'reject', message: /data-modifying WITH/ },
  { sql: 'with t as (select * from trades_iceberg) insert into orders (id) select id from t', route: 'reject', message: /INSERT cannot read mirror/ },
  { sql: 'insert into trades_iceberg select * from trades_iceberg', route: 'reject', message: /INSERT cannot modify/ },
  { sql: 'create table snap as select * from trades_iceberg', route: 'reject', message: /CREATE TABLE AS cannot read mirror/ },
  { sql: 'create materialized view mv as select * from trades_iceberg', route: 'reject', message: /CREATE TABLE AS cannot read/ },
  { sql: 'select * into snap from trades_iceberg', route: 'reject', message: /SELECT INTO cannot read mirror/ },
  { sql: "copy trades_iceberg to '/tmp/trades.csv'", route: 'reject', message: /server file or program/ },
  { sql: 'declare c cursor for select * from trades_iceberg', route: 'engine', mirrors: [T] },
  { sql: 'declare c cursor for with d as (delete from orders returning *) select * from d join trades_iceberg t on t.order_id = d.id', route: 'reject', message: /DECLARE CURSOR cannot read mirror/ },
  { sql: 'prepare p (text) as select * from trades_iceberg where symbol = $1', route: 'reject', message: /PREPARE over mirror/ },
  { sql: 'with x as (select 1) delete from trades_iceberg', route: 'reject', message: /DELETE cannot modify/ },
  { sql: 'call p((select count(*) from trades_iceberg))', route: 'reject', message: /CALL over mirror/ },
  { sql: 'select * from trades_iceberg limit 1 for no key update skip locked', route: 'reject', message: /cannot lock rows/ },
  { sql: 'explain insert into trades_iceberg (id) values (1)', route: 'reject', message: /EXPLAIN INSERT cannot modify/ },
  { sql: 'create table x (id int references trades_iceberg (id))', route: 'reject', message: /CREATE TABLE on mirror/ },
  // ---- statements that name a mirror but belong upstream -------------------------------------------
  { sql: 'drop table trades_iceberg', route: 'upstream', reason: 'drop-mirror', dropped: [T] },
  { sql: 'drop table if exists orders, public.positions cascade', route: 'upstream', reason: 'drop-mirror', dropped: [P] },
  { sql: 'drop table orders', route: 'upstream', reason: 'no-mirror', dropped: [] },
  { sql: 'create view v as select * from trades_iceberg', route: 'upstream', reason: 'definition' },
  { sql: 'create function f() returns bigint language sql begin atomic select count(*) from trades_iceberg; end', route: 'upstream', reason: 'definition' },
  { sql: 'grant select on trades_iceberg to public', route: 'upstream', reason: 'no-mirror' },
  { sql: 'vacuum analyze trades_iceberg', route: 'upstream', reason: 'no-mirror' },
  { sql: "comment on table trades_iceberg is 'mirror'", route: 'upstream', reason: 'no-mirror' },
  { sql: 'lock table trades_iceberg in access share mode', route: 'upstream', reason: 'no-mirror' },
  { sql: 'create table t2 (like trades_iceberg including all)', route: 'upstream', reason: 'no-mirror' },
  { sql: 'create table trades_iceberg_copy (id int)', route: 'upstream', reason: 'no-mirror' },
  { sql: "call mooncake.create_table('trades_iceberg', 'trades')", route: 'upstream', reason: 'control-plane' },
  { sql: 'select * from mooncake.tables', route: 'upstream', reason: 'control-plane', gt: false },
  { sql: 'select * from mooncake.tables m join trades_iceberg t on t.symbol = m.name', route: 'upstream', reason: 'control-plane', gt: false },
  { sql: 'insert into orders (id) values (1)', route: 'upstream', reason: 'no-mirror' },
  { sql: 'show search_path', route: 'upstream', reason: 'session' },
  // ---- catalog queries (psql, JDBC, information_schema) --------------------------------------------
  {
    sql: `SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relname OPERATOR(pg_catalog.~) '^(trades_iceberg)$' COLLATE pg_catalog.default AND pg_catalog.pg_table_is_visible(c.oid) ORDER BY 2, 3`,
    route: 'upstream', reason: 'catalog',
  },
  {
    sql: `SELECT n.nspname as "Schema", c.relname as "Name", CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'f' THEN 'foreign table' END as "Type",
          pg_catalog.pg_get_userbyid(c.relowner) as "Owner" FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r','p','v','m','f','') AND n.nspname <> 'pg_catalog' AND n.nspname !~ '^pg_toast' AND n.nspname <> 'information_schema'
          AND pg_catalog.pg_table_is_visible(c.oid) ORDER BY 1,2`,
    route: 'upstream', reason: 'catalog',
  },
  {
    sql: `SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
          (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid, true) FROM pg_catalog.pg_attrdef d WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef),
          a.attnotnull, (SELECT c.collname FROM pg_catalog.pg_collation c, pg_catalog.pg_type t WHERE c.oid = a.attcollation AND t.oid = a.atttypid AND a.attcollation <> t.typcollation) AS attcollation
          FROM pg_catalog.pg_attribute a WHERE a.attrelid = 'trades_iceberg'::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    route: 'upstream', reason: 'catalog',
  },
  {
    sql: `SELECT NULL AS TABLE_CAT, n.nspname AS TABLE_SCHEM, c.relname AS TABLE_NAME,
          CASE n.nspname ~ '^pg_' OR n.nspname = 'information_schema' WHEN true THEN 'SYSTEM TABLE' ELSE 'TABLE' END AS TABLE_TYPE, d.description AS REMARKS
          FROM pg_catalog.pg_namespace n, pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_description d ON (c.oid = d.objoid AND d.objsubid = 0 AND d.classoid = 'pg_class'::regclass)
          WHERE c.relnamespace = n.oid AND c.relname LIKE 'trades\\_iceberg' ORDER BY TABLE_TYPE, TABLE_SCHEM, TABLE_NAME`,
    route: 'upstream', reason: 'catalog',
  },
  { sql: "select column_name, data_type from information_schema.columns where table_schema = 'public' and table_name = 'trades_iceberg' order by ordinal_position", route: 'upstream', reason: 'catalog', gt: false },
  { sql: "select * from information_schema.tables where table_name like '%iceberg'", route: 'upstream', reason: 'catalog', gt: false },
  { sql: "select * from pg_class where relname = 'trades_iceberg'", route: 'upstream', reason: 'catalog' },
  { sql: 'select * from "pg_catalog"."pg_class" c where c.relname = $1', route: 'upstream', reason: 'catalog' },
  { sql: "select count(*) from trades_iceberg t, pg_namespace n where n.nspname = 'public'", route: 'upstream', reason: 'catalog' },
  { sql: "select 'trades_iceberg'::regclass", route: 'upstream', reason: 'no-mirror' },
  { sql: "select pg_total_relation_size('public.trades_iceberg')", route: 'upstream', reason: 'no-mirror' },
  { sql: "SELECT t.oid, t.typname, t.typtype FROM pg_type t JOIN pg_namespace ns ON ns.oid = t.typnamespace WHERE t.typname = 'jsonb'", route: 'upstream', reason: 'catalog' },
  // ---- EXPLAIN and COPY TO -------------------------------------------------------------------------
  { sql: 'explain select * from trades_iceberg', route: 'engine', mirrors: [T], explain: { analyze: false }, gt: false },
  { sql: 'explain analyze select count(*) from trades_iceberg', route: 'engine', mirrors: [T], explain: { analyze: true }, gt: false },
  { sql: 'explain (analyze, format json) select * from trades_iceberg t join orders o on o.id = t.order_id', route: 'engine', mirrors: [T], explain: { analyze: true }, gt: false },
  { sql: 'explain (analyze off, costs off) select * from trades_iceberg', route: 'engine', mirrors: [T], explain: { analyze: false }, gt: false },
  { sql: 'explain select * from orders', route: 'upstream', reason: 'no-mirror', gt: false },
  { sql: 'copy trades_iceberg to stdout', route: 'engine', mirrors: [T] },
  { sql: 'copy (select symbol, sum(qty) from trades_iceberg group by 1) to stdout with (format csv)', route: 'engine', mirrors: [T] },
  { sql: 'copy orders to stdout', route: 'upstream', reason: 'no-mirror' },
  // ---- multi-statement simple-query strings --------------------------------------------------------
  { sql: 'begin; select count(*) from trades_iceberg; commit;', route: 'engine', mirrors: [T], routes: ['upstream', 'engine', 'upstream'] },
  { sql: 'set search_path = analytics, public; select count(*) from events_iceberg', route: 'engine', mirrors: [E], routes: ['upstream', 'engine'] },
  { sql: 'set search_path = analytics; reset search_path; select * from events_iceberg', route: 'upstream', reason: 'no-mirror' },
  { sql: 'select 1; select 2;', route: 'upstream', reason: 'no-mirror' },
  { sql: 'select * from orders; select * from trades_iceberg', route: 'engine', mirrors: [T], routes: ['upstream', 'engine'] },
  { sql: 'select * from trades_iceberg; select * from pg_class', route: 'engine', mirrors: [T], routes: ['engine', 'upstream'] },
  { sql: 'insert into orders (id) values (1); select count(*) from trades_iceberg', route: 'reject', message: /cannot mix INSERT with a query on mirror "public.trades_iceberg"/ },
  { sql: 'select * from trades_iceberg; delete from orders', route: 'reject', message: /cannot mix DELETE/ },
  { sql: 'create table x (id int); select * from trades_iceberg', route: 'reject', message: /cannot mix CREATE TABLE/ },
  { sql: 'select * from trades_iceberg; drop table trades_iceberg', route: 'reject', message: /cannot mix DROP/ },
  { sql: 'begin; insert into orders (id) values (1); commit', route: 'upstream', reason: 'no-mirror' },
  { sql: 'begin; drop table positions; commit', route: 'upstream', reason: 'drop-mirror', dropped: [P] },
  { sql: '', route: 'upstream', reason: 'empty' },
  { sql: ' ; ', route: 'upstream', reason: 'empty' },
  { sql: '-- only a comment', route: 'upstream', reason: 'empty' },
  { sql: 'select * from trades_iceberg where', route: 'upstream', reason: 'unparseable' },
  // ---- Oracle mode (IvorySQL) ----------------------------------------------------------------------
  { sql: 'select * from TRADES_ICEBERG', oracle: true, route: 'engine', mirrors: [T] },
  { sql: 'select * from "TRADES_ICEBERG"', oracle: true, route: 'engine', mirrors: [T] },
  { sql: 'select * from "trades_iceberg"', oracle: true, route: 'upstream', reason: 'no-mirror' },
  { sql: 'select * from "trades_ICEBERG"', oracle: true, route: 'upstream', reason: 'no-mirror' },
  { sql: 'select * from "Quotes_Mirror"', oracle: true, route: 'engine', mirrors: [Q] },
  { sql: 'select * from "upper_mirror"', oracle: true, route: 'engine', mirrors: [U] },
  { sql: 'select * from "UPPER_MIRROR"', oracle: true, route: 'upstream', reason: 'no-mirror' },
  { sql: 'select * from UPPER_MIRROR', oracle: true, route: 'upstream', reason: 'no-mirror' },
  { sql: 'select * from "PUBLIC"."TRADES_ICEBERG" t', oracle: true, route: 'engine', mirrors: [T] },
  { sql: "select nvl(price, 0), decode(side, 'buy', 1, -1) from trades_iceberg", oracle: true, route: 'engine', mirrors: [T] },
  { sql: 'select * from trades_iceberg where symbol = :sym', oracle: true, route: 'upstream', reason: 'oracle-syntax' },
  { sql: "select q'[it's]' from trades_iceberg", oracle: true, route: 'upstream', reason: 'oracle-syntax' },
  { sql: "select Q'{abc}' as s from trades_iceberg", oracle: true, route: 'upstream', reason: 'oracle-syntax' },
  { sql: 'select sysdate from dual', oracle: true, route: 'upstream', reason: 'no-mirror' },
  { sql: 'with "T" as (select * from trades_iceberg) select * from t', oracle: true, route: 'engine', mirrors: [T] },
  { sql: 'select * from trades_iceberg minus select * from orders_iceberg', oracle: true, route: 'upstream', reason: 'oracle-syntax' },
  { sql: `select 'it''s "TRADES"' as s from "TRADES_ICEBERG"`, oracle: true, route: 'engine', mirrors: [T] },
  { sql: 'insert into "TRADES_ICEBERG" (id) values (1)', oracle: true, route: 'reject', message: /INSERT cannot modify mirror "public.trades_iceberg"/ },
  { sql: 'drop table "TRADES_ICEBERG"', oracle: true, route: 'upstream', reason: 'drop-mirror', dropped: [T] },
  { sql: 'select * from "upper_mirror"', route: 'upstream', reason: 'no-mirror', gt: false },
];

const key = (m: MirrorRef) => `${m.schema}.${m.name}`;
const sorted = (xs: string[]) => [...new Set(xs)].sort();

before(async () => {
  await loadParser();
});

test(`classifier table: ${CASES.length} queries`, () => {
  assert.ok(CASES.length >= 80);
  for (const c of CASES) {
    const r = classify(c.sql, { catalog, searchPath: c.searchPath ?? ['$user', 'public'], oracle: c.oracle ?? false, user: c.user });
    const label = `${c.oracle ? '[oracle] ' : ''}${c.sql}\n  got ${JSON.stringify(r, (k, v) => (k === 'ast' || k === 'stmt' ? undefined : v))}`;
    assert.equal(r.route, c.route, label);
    if (r.route === 'engine') {
      assert.deepEqual(sorted(r.mirrors.map(key)), sorted(c.mirrors ?? []), label);
      if (c.routes) assert.deepEqual(r.statements.map((s) => s.route), c.routes, label);
      for (const ref of mirrorReferences(r)) {
        // every span covers the written name, whatever the syntax around it (ONLY, TABLE, x*, comments)
        const written = c.sql.slice(ref.start, ref.end);
        assert.ok(ref.start >= 0 && ref.end > ref.start, label);
        if (!written.startsWith('U&')) {
          const last = /("(?:[^"]|"")*"|[A-Za-z_][\w$]*)$/.exec(written)![1]!.replace(/^"|"$/g, '');
          assert.equal(last.toLowerCase(), ref.name.toLowerCase(), label);
        }
      }
      if (c.explain) assert.deepEqual(r.statements.find((s) => s.route === 'engine')!.explain, c.explain, label);
      else assert.equal(r.explain, false, label);
    } else if (r.route === 'upstream') {
      if (c.reason) assert.equal(r.reason, c.reason, label);
      if (c.dropped) assert.deepEqual(r.droppedMirrors.map(key), c.dropped, label);
    } else {
      assert.equal(r.sqlstate, '0A000', label);
      if (c.message) assert.match(r.message, c.message, label);
    }
  }
});

test('engine result: statements, copy flag, mixed-join relations', () => {
  const r = classify('select * from trades_iceberg t join customers c on c.id = t.customer_id', { catalog, searchPath: ['public'], oracle: false });
  assert.equal(r.route, 'engine');
  const s = r.statements[0]!;
  assert.equal(s.queryType, 'SelectStmt');
  assert.equal(s.copyTo, false);
  assert.deepEqual(s.others, [{ schema: null, name: 'customers' }]);
  assert.ok(Object.isFrozen(r.ast), 'cached AST is frozen');

  const c = classify('copy (select * from trades_iceberg) to stdout', { catalog, searchPath: ['public'], oracle: false });
  assert.equal(c.route, 'engine');
  assert.equal(c.statements[0]!.copyTo, true);

  const m = classify("begin; set local timezone = 'UTC'; select 1 from positions;commit", { catalog, searchPath: ['public'], oracle: false });
  assert.equal(m.route, 'engine');
  assert.deepEqual(m.statements.map((s) => s.text), ['begin', "set local timezone = 'UTC'", 'select 1 from positions', 'commit']);
  assert.deepEqual(m.statements.map((s) => s.access), ['session', 'session', 'read', 'session']);
  const rej = classify('select 1; insert into orders values (1); select * from trades_iceberg', { catalog, searchPath: ['public'], oracle: false });
  assert.equal(rej.route, 'reject');
  assert.equal(rej.statement, 1);
});

test('mirror references: alias, refName, ONLY and UTF-16 positions', () => {
  const sql =
    "select 'é€😀', t.price, trades_iceberg.qty from ONLY trades_iceberg t, public . /* c */ \"Quotes_Mirror\" join trades_iceberg on true;\n" +
    'select * from analytics.events_iceberg AS ev where exists (select 1 from "UPPER_MIRROR")';
  const r = classify(sql, { catalog, searchPath: ['public'], oracle: false });
  assert.equal(r.route, 'engine');
  const refs = mirrorReferences(r);
  const texts = refs.map((x) => sql.slice(x.start, x.end));
  assert.deepEqual(texts, ['trades_iceberg', 'public . /* c */ "Quotes_Mirror"', 'trades_iceberg', 'analytics.events_iceberg', '"UPPER_MIRROR"']);
  assert.deepEqual(refs.map((x) => [x.statement, x.alias, x.refName, x.only]), [
    [0, 't', 't', true],
    [0, null, 'Quotes_Mirror', false],
    [0, null, 'trades_iceberg', false],
    [1, 'ev', 'ev', false],
    [1, null, 'UPPER_MIRROR', false],
  ]);
  assert.equal(refs[0]!.start, sql.indexOf('trades_iceberg t'));
  // a translator can rewrite the spans back to front without re-parsing
  let out = sql;
  for (const x of [...refs].reverse()) out = out.slice(0, x.start) + `lg_${x.mirror.name.toLowerCase()}` + out.slice(x.end);
  assert.match(out, /from ONLY lg_trades_iceberg t, lg_quotes_mirror join lg_trades_iceberg on true/);
  assert.match(out, /from lg_events_iceberg AS ev where exists \(select 1 from lg_upper_mirror\)/);
  // statement positions index the same string
  const second = r.statements[1]!;
  assert.equal(sql.slice(second.start, second.end), second.text);
  assert.ok(second.text.startsWith('select * from analytics.events_iceberg'));
});

test('Oracle mode: quoted identifiers interchanged, positions preserved', () => {
  assert.equal(oracleCase('"TRADES_ICEBERG"'), '"trades_iceberg"');
  assert.equal(oracleCase('"trades_iceberg"'), '"TRADES_ICEBERG"');
  assert.equal(oracleCase('"Trades"'), '"Trades"');
  assert.equal(oracleCase('"123_"'), '"123_"');
  assert.equal(oracleCase('"ÉTÉ_X"'), '"ÉtÉ_x"', 'only ASCII letters count and change (IvorySQL skips multi-byte)');
  const sql = `select "PRICE", 'x "Y"' from "PUBLIC"."TRADES_ICEBERG" "T" where "T"."QTY" > 0`;
  const r = classify(sql, { catalog, searchPath: ['public'], oracle: true });
  assert.equal(r.route, 'engine');
  const [ref] = mirrorReferences(r);
  assert.equal(sql.slice(ref!.start, ref!.end), '"PUBLIC"."TRADES_ICEBERG"');
  assert.equal(ref!.alias, 't');
  const s = r.statements[0]!;
  assert.equal(s.text, sql);
  assert.equal(s.parsedText, `select "price", 'x "Y"' from "public"."trades_iceberg" "t" where "t"."qty" > 0`);
  assert.equal(s.parsedText.length, s.text.length);
  // the same text is cached separately per mode
  const pg = classify(sql, { catalog, searchPath: ['public'], oracle: false });
  assert.equal(pg.route, 'upstream');
});

test('search path: $user, implicit pg_catalog and sys', () => {
  assert.deepEqual(parseSearchPath('"$user", public'), ['$user', 'public']);
  assert.deepEqual(parseSearchPath(' Analytics ,"My ""S""",x'), ['analytics', 'My "S"', 'x']);
  assert.deepEqual(parseSearchPath(''), []);
  assert.equal(parseSearchPath('a,,b'), null);
  assert.equal(parseSearchPath('"open'), null);
  assert.deepEqual(effectiveSearchPath(['$user', 'public'], { oracle: false, user: 'alice' }), ['pg_catalog', 'alice', 'public']);
  assert.deepEqual(effectiveSearchPath(['$user', 'public'], { oracle: false }), ['pg_catalog', 'public']);
  assert.deepEqual(effectiveSearchPath(['public', 'pg_catalog'], { oracle: true }), ['sys', 'public', 'pg_catalog']);
  let seen: readonly string[] = [];
  const spy = { resolve: (_s: string | null, _n: string, path: readonly string[]) => ((seen = path), null) };
  classify('select * from trades_iceberg', { catalog: spy, searchPath: ['"$user"', '$user', 'x'], oracle: false, user: 'bob' });
  assert.deepEqual(seen, ['pg_catalog', '"$user"', 'bob', 'x']);
});

test('parse cache: hit returns the same parse; distinct modes and texts are separate entries', () => {
  parseCache.clear();
  const sql = 'select * from trades_iceberg where id = $1';
  const a = parseSql(sql, false);
  const b = parseSql(sql, false);
  assert.equal(a, b);
  assert.equal(parseCache.size, 1);
  parseSql(sql, true);
  assert.equal(parseCache.size, 2);
  const bad = parseSql('select from where', false);
  assert.equal(bad.ok, false);
  assert.equal(parseSql('select from where', false), bad, 'parse errors are cached too');
  assert.equal(parseCache.size, 3);
  const big = 'select 1 from trades_iceberg where id in (' + Array.from({ length: 20000 }, (_, i) => i).join(',') + ')';
  assert.equal(parseSql(big, false).ok, true);
  assert.equal(parseCache.size, 3, 'long texts are not cached');
});

test('LRU: bounded by entries and weight; a hit earns a second chance', () => {
  const l = new Lru<string, number>(3, 100);
  l.set('a', 1);
  l.set('b', 2);
  l.set('c', 3);
  assert.equal(l.get('a'), 1); // a is used
  l.set('d', 4); // evicts b (oldest unused), a survives
  assert.deepEqual(['a', 'b', 'c', 'd'].map((k) => l.get(k)), [1, undefined, 3, 4]);
  l.set('e', 5); // c, d, a were all hit: one sweep clears their flags, then the oldest (c) goes
  assert.equal(l.size, 3);
  assert.deepEqual(['c', 'e'].map((k) => l.get(k)), [undefined, 5]);
  l.set('big', 6, 90); // weight 90 + 3 light entries > 100: light ones are evicted until it fits
  assert.ok(l.weight <= 100);
  assert.equal(l.get('big'), 6);
  l.set('huge', 7, 101);
  assert.equal(l.get('huge'), undefined, 'an entry heavier than the whole cache is not kept');
});

// ---- ground truth: Postgres' own view of which relations a statement uses ----------------------------

const SCHEMA = `
create schema analytics;
create table public.trades_iceberg (id bigint, symbol text, price numeric, qty int, side text, ts timestamptz, order_id bigint, customer_id int, meta jsonb, tags text[]);
create table public.orders_iceberg (id bigint, customer_id int, symbol text, amount numeric, status text, created_at timestamptz, tags text[], meta jsonb);
create table analytics.events_iceberg (id bigint, user_id int, kind text, ts timestamptz, props jsonb);
create table public."Quotes_Mirror" ("Symbol" text, bid numeric, ask numeric, ts timestamptz);
create table public.positions (id int, parent_id int, symbol text, qty int);
create table public."UPPER_MIRROR" (id int);
create table public.orders (id bigint, customer_id int, symbol text, amount numeric, status text, created_at timestamptz);
create table public.customers (id int, name text, region text);
create table analytics.daily (day date, symbol text, volume numeric);
`;

const EXPLAINABLE = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

function planRelations(plan: unknown, out: Set<string>): Set<string> {
  if (Array.isArray(plan)) for (const p of plan) planRelations(p, out);
  else if (plan && typeof plan === 'object') {
    const o = plan as Record<string, unknown>;
    if (typeof o['Relation Name'] === 'string') out.add(`${o.Schema}.${o['Relation Name']}`);
    for (const v of Object.values(o)) planRelations(v, out);
  }
  return out;
}

test('ground truth: relation sets equal Postgres EXPLAIN (VERBOSE, FORMAT JSON, GENERIC_PLAN)', async (t) => {
  const pg = await startPostgres();
  const client = await pg.client();
  try {
    await client.query(SCHEMA);
    const { rows } = await client.query<{ schema: string; name: string }>(
      "select n.nspname as schema, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'p', 'v', 'm', 'f')",
    );
    const everything = createMirrorCatalog(rows); // every relation counts, so resolution is complete
    let compared = 0;
    for (const c of CASES) {
      if (c.oracle || c.gt === false) continue;
      const parsed = parseSql(c.sql, false);
      if (!parsed.ok || parsed.statements.length !== 1) continue;
      const st = parsed.statements[0]!;
      if (!EXPLAINABLE.has(st.nodeType)) continue;
      const path = effectiveSearchPath(c.searchPath ?? ['$user', 'public'], { oracle: false, user: c.user });
      const ours = new Set(
        st.uses
          .filter((u) => u.usage !== 'create')
          .map((u) => {
            const m = everything.resolve(u.schema, u.name, path);
            assert.ok(m, `unresolved ${u.schema}.${u.name} in ${c.sql}`);
            return key(m);
          }),
      );
      await client.query(`set search_path = ${(c.searchPath ?? ['$user', 'public']).map((s) => (s === '$user' ? (c.user ?? '"$user"') : `"${s}"`)).join(', ')}`);
      const res = await client.query(`explain (verbose, format json, generic_plan) ${c.sql}`);
      const theirs = planRelations(res.rows[0]['QUERY PLAN'], new Set());
      assert.deepEqual(sorted([...ours]), sorted([...theirs]), c.sql);
      compared++;
    }
    t.diagnostic(`compared ${compared} statements with EXPLAIN`);
    assert.ok(compared >= 60, `only ${compared} compared`);
  } finally {
    await client.end();
    await pg.destroy();
  }
});
