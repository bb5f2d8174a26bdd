// DuckDB helpers the translated SQL calls: macros giving Postgres' behaviour where DuckDB's built-ins differ
// (division by zero is an error, substr/lpad/split_part edge cases, LIMIT checks) and JS scalar functions for
// json/jsonb access (json-path.ts). Installed once per DuckDB instance; all names start with lg_.
import {
  BIGINT,
  BOOLEAN,
  DuckDBScalarFunction,
  INTEGER,
  INTERVAL,
  intervalValue,
  LIST,
  listValue,
  STRUCT,
  structValue,
  VARCHAR,
  type DuckDBConnection,
  type DuckDBIntervalValue,
  type DuckDBType,
} from '@duckdb/node-api';
import { PgError } from '../route/local.js';
import { escapeJson, numericAvg, numericText, numericVariance, parseNumeric, type PgNumeric } from './results/index.js';
import { applyTypmod, arith, divide, floorOf, roundTo, squares, toInteger } from './translate/var-numeric.js';
import { parseNumFormat, toCharNumber, type NumFormat } from './translate/to-char-number.js';
import { civilFromDays, splitMicros } from './results/datetime.js';
import { jsonArrayLength, jsonbContains, jsonbExists, jsonEach, jsonElements, jsonGet, jsonIndex, jsonKeys, jsonPath, jsonTypeof } from './json-path.js';

/** Errors raised inside DuckDB carry their SQLSTATE in this form: `lakegate:<code>:<message>`. */
export const ERROR_TAG = 'lakegate:';
/** Separates an error's DETAIL from its message in the text an error carries through DuckDB. */
export const DETAIL_MARK = '\u001f';

const err = (code: string, msg: string) => `error('${ERROR_TAG}${code}:${msg.replace(/'/g, "''")}')`;

const MACROS: string[] = [
  `lg_idiv(a, b) AS CASE WHEN b = 0 THEN ${err('22012', 'division by zero')} ELSE a // b END`,
  `lg_imod(a, b) AS CASE WHEN b = 0 THEN ${err('22012', 'division by zero')} WHEN b = -1 THEN a - a ELSE a % b END`,
  `lg_nmod(a, b) AS CASE WHEN b = 0 THEN ${err('22012', 'division by zero')} ELSE a % b END`,
  // float4/float8 arithmetic as float.c does it: a finite pair giving an infinity overflows, a product or
  // quotient of non-zero values giving zero underflows (DuckDB returns inf and 0); NaN / 0 is NaN
  `lg_fadd(a, b) AS CASE WHEN isinf(a + b) AND NOT isinf(a) AND NOT isinf(b) THEN ${err('22003', 'value out of range: overflow')} ELSE a + b END`,
  `lg_fsub(a, b) AS CASE WHEN isinf(a - b) AND NOT isinf(a) AND NOT isinf(b) THEN ${err('22003', 'value out of range: overflow')} ELSE a - b END`,
  `lg_fmul(a, b) AS CASE WHEN isinf(a * b) AND NOT isinf(a) AND NOT isinf(b) THEN ${err('22003', 'value out of range: overflow')} ` +
    `WHEN a * b = 0 AND a <> 0 AND b <> 0 THEN ${err('22003', 'value out of range: underflow')} ELSE a * b END`,
  `lg_fdiv(a, b) AS CASE WHEN b = 0 AND isnan(a) THEN a WHEN b = 0 THEN ${err('22012', 'division by zero')} ` +
    `WHEN isinf(a / b) AND NOT isinf(a) THEN ${err('22003', 'value out of range: overflow')} ` +
    `WHEN a / b = 0 AND a <> 0 AND NOT isinf(b) THEN ${err('22003', 'value out of range: underflow')} ELSE a / b END`,
  // rint(): half to even, keeping the sign of zero. DuckDB's round_even(x, 0) rounds some large halves away
  // from zero (-946684800000000.5 → …001); the BIGINT cast rounds to nearest even
  `lg_rint(x) AS CASE WHEN isnan(x) OR isinf(x) OR abs(x) >= 4503599627370496 OR x = 0 THEN x ` +
    `WHEN x < 0 THEN -CAST(CAST(-x AS BIGINT) AS DOUBLE) ELSE CAST(CAST(x AS BIGINT) AS DOUBLE) END`,
  // an interval's fields as Postgres stores them (months, days, microseconds), and one made of them
  `lg_iv_m(iv) AS CAST(datepart('year', iv) AS BIGINT) * 12 + datepart('month', iv)`,
  `lg_iv_d(iv) AS CAST(datepart('day', iv) AS BIGINT)`,
  `lg_iv_us(iv) AS CAST(datepart('hour', iv) AS BIGINT) * 3600000000 + datepart('minute', iv) * 60000000 + datepart('microseconds', iv)`,
  // the value Postgres compares intervals by (interval_cmp_value): the whole span in microseconds, a month as 30 days
  `lg_iv_key(iv) AS (CAST(lg_iv_m(iv) AS HUGEINT) * 30 + lg_iv_d(iv)) * 86400000000 + lg_iv_us(iv)`,
  `lg_iv_make(m, d, t) AS to_months(CAST(m AS INTEGER)) + to_days(CAST(d AS INTEGER)) + to_microseconds(CAST(t AS BIGINT))`,
  // make_interval(): months and days as int4, the time in microseconds (seconds rounded with rint) as int8
  `lg_mi_us(h, mi, s) AS CAST(h AS HUGEINT) * 3600000000 + CAST(mi AS HUGEINT) * 60000000 + CAST(lg_rint(s * 1000000) AS HUGEINT)`,
  `lg_make_interval(y, mo, w, d, h, mi, s) AS CASE WHEN y IS NULL OR mo IS NULL OR w IS NULL OR d IS NULL OR h IS NULL OR mi IS NULL OR s IS NULL THEN NULL WHEN isinf(s) OR isnan(s) OR abs(s * 1000000) >= 9.2e18 ` +
    `OR CAST(y AS HUGEINT) * 12 + mo NOT BETWEEN -2147483648 AND 2147483647 OR CAST(w AS HUGEINT) * 7 + d NOT BETWEEN -2147483648 AND 2147483647 ` +
    `OR lg_mi_us(h, mi, s) NOT BETWEEN -9223372036854775808 AND 9223372036854775807 THEN ${err('22008', 'interval out of range')} ` +
    `ELSE lg_iv_make(CAST(y AS BIGINT) * 12 + mo, CAST(w AS BIGINT) * 7 + d, lg_mi_us(h, mi, s)) END`,
  // interval × / ÷ a float8 factor as interval_mul()/interval_div(): months and days scaled and truncated, their
  // fractions cascaded down (a month is 30 days, a day 86400 s) through TSROUND (to microseconds), the time
  // part rounded with rint. mf, df, tf: months, days and microseconds already multiplied or divided.
  `lg_tsround(x) AS CAST(CAST(x * 1000000 AS BIGINT) AS DOUBLE) / 1000000`,
  `lg_iv_carry(sr) AS CASE WHEN abs(sr) >= 86400 THEN trunc(sr / 86400) ELSE 0 END`,
  `lg_iv_finish(m, d, sr, tf) AS lg_iv_make(m, d + lg_iv_carry(sr), tf + (sr - lg_iv_carry(sr) * 86400) * 1000000)`,
  `lg_iv_cascade(m, d, mrd, df, tf) AS lg_iv_finish(m, d + trunc(mrd), lg_tsround((((df - d) + mrd) - trunc(mrd)) * 86400), tf)`,
  `lg_iv_scale(mf, df, tf) AS lg_iv_cascade(trunc(mf), trunc(df), lg_tsround((mf - trunc(mf)) * 30), df, tf)`,
  `lg_iv_mul(iv, f) AS lg_iv_scale(CAST(lg_iv_m(iv) AS DOUBLE) * f, CAST(lg_iv_d(iv) AS DOUBLE) * f, CAST(lg_iv_us(iv) AS DOUBLE) * f)`,
  `lg_iv_div(iv, f) AS CASE WHEN f = 0 THEN ${err('22012', 'division by zero')} ` +
    `ELSE lg_iv_scale(CAST(lg_iv_m(iv) AS DOUBLE) / f, CAST(lg_iv_d(iv) AS DOUBLE) / f, CAST(lg_iv_us(iv) AS DOUBLE) / f) END`,
  // justify_hours/days/interval as Postgres moves whole days (86400 s) and months (30 days) between the fields,
  // with C's truncating division, then makes the fields' signs agree
  `lg_jh(m, d, t) AS CASE WHEN d > 0 AND t < 0 THEN lg_iv_make(m, d - 1, t + 86400000000) ` +
    `WHEN d < 0 AND t > 0 THEN lg_iv_make(m, d + 1, t - 86400000000) ELSE lg_iv_make(m, d, t) END`,
  `lg_justify_hours(iv) AS lg_jh(lg_iv_m(iv), lg_iv_d(iv) + lg_iv_us(iv) // 86400000000, lg_iv_us(iv) % 86400000000)`,
  `lg_jd(m, d, t) AS CASE WHEN m > 0 AND d < 0 THEN lg_iv_make(m - 1, d + 30, t) WHEN m < 0 AND d > 0 THEN lg_iv_make(m + 1, d - 30, t) ELSE lg_iv_make(m, d, t) END`,
  `lg_justify_days(iv) AS lg_jd(lg_iv_m(iv) + lg_iv_d(iv) // 30, lg_iv_d(iv) % 30, lg_iv_us(iv))`,
  `lg_ji_sign(m, d, t) AS CASE WHEN m > 0 AND (d < 0 OR (d = 0 AND t < 0)) THEN lg_jh(m - 1, d + 30, t) ` +
    `WHEN m < 0 AND (d > 0 OR (d = 0 AND t > 0)) THEN lg_jh(m + 1, d - 30, t) ELSE lg_jh(m, d, t) END`,
  `lg_ji_months(m, d, t) AS lg_ji_sign(m + d // 30, d % 30, t)`,
  `lg_ji_days(m, d, t) AS lg_ji_months(m, d + t // 86400000000, t % 86400000000)`,
  `lg_ji(m, d, t) AS CASE WHEN (d > 0 AND t > 0) OR (d < 0 AND t < 0) THEN lg_ji_days(m + d // 30, d % 30, t) ELSE lg_ji_days(m, d, t) END`,
  `lg_justify_interval(iv) AS lg_ji(lg_iv_m(iv), lg_iv_d(iv), lg_iv_us(iv))`,
  // date arithmetic within Postgres' date range (4714-11-24 BC … 5874897-12-31, in days from 1970): infinite dates
  // stay infinite under ± integer (DuckDB moves them) and cannot be subtracted from each other
  `lg_date_pli(d, n) AS CASE WHEN NOT isfinite(d) THEN d ` +
    `WHEN (d - DATE '1970-01-01') + n NOT BETWEEN -2440588 AND 2145042905 THEN ${err('22008', 'date out of range')} ` +
    `ELSE d + CAST(n AS INTEGER) END`,
  `lg_date_mi(a, b) AS CASE WHEN NOT isfinite(a) OR NOT isfinite(b) THEN ${err('22008', 'cannot subtract infinite dates')} ELSE CAST(a - b AS INTEGER) END`,
  // a difference of timestamps, or an age(), with an infinite one is an infinite interval in Postgres (two equal
  // infinities: out of range); DuckDB has no infinite intervals
  `lg_infinite_iv(a, b) AS CASE WHEN a = b THEN ${err('22008', 'interval out of range')} ` +
    `ELSE ${err('0A000', 'infinite intervals are not supported on lakegate mirrors')} END`,
  `lg_ts_mi(a, b) AS CASE WHEN a IS NULL OR b IS NULL THEN NULL WHEN isfinite(a) AND isfinite(b) THEN a - b ELSE lg_infinite_iv(a, b) END`,
  // time zone conversion: ICU computes in milliseconds held in a double, exact up to 2^53 ms from 1970 (year 287396)
  `lg_timezone(z, x) AS CASE WHEN isfinite(x) AND abs(epoch_us(x)) >= 9007199254740992000 ` +
    `THEN ${err('0A000', 'time zone conversion of timestamps beyond the year 287396 is not supported on lakegate mirrors')} ELSE timezone(z, x) END`,
  // timestamp(p): Postgres rounds its microseconds since 2000-01-01 half away from zero to a multiple of q
  `lg_ts_round_us(u, q) AS CASE WHEN u >= 0 THEN (u + q // 2) // q * q ELSE -((-u + q // 2) // q * q) END`,
  `lg_ts_round(x, q) AS CASE WHEN NOT isfinite(x) THEN x ` +
    `ELSE x + to_microseconds(lg_ts_round_us(epoch_us(x) - 946684800000000, q) - (epoch_us(x) - 946684800000000)) END`,
  `lg_time_pl(t, us) AS TIME '00:00:00' + to_microseconds(CAST(((CAST(epoch_us(t) AS HUGEINT) + us) % 86400000000 + 86400000000) % 86400000000 AS BIGINT))`,
  `lg_date_ts_x(d) AS CASE WHEN isfinite(d) AND (d > DATE '294247-01-10' OR d < DATE '4714-11-24 (BC)') ` +
    `THEN ${err('0A000', 'extract() from dates past the year 294247 is not supported on lakegate mirrors')} ELSE CAST(d AS TIMESTAMP) END`,
  // make_date(y, m, d) as Postgres': a negative year is BC (-1 is 1 BC, DuckDB's year 0), year 0 and days the month
  // does not have are 22008 "date field value out of range", dates outside 4714-11-24 BC … 5874897-12-31 22008 "date
  // out of range"; both messages print the year as Postgres holds it (1 BC as 0)
  `lg_make_date_a(y, m, d, zero) AS CASE ` +
    `WHEN zero OR m < 1 OR m > 12 OR d < 1 OR d > CASE WHEN m = 2 THEN (CASE WHEN y % 4 = 0 AND (y % 100 <> 0 OR y % 400 = 0) THEN 29 ELSE 28 END) ` +
    `WHEN m IN (4, 6, 9, 11) THEN 30 ELSE 31 END THEN error('${ERROR_TAG}22008:date field value out of range: ' || printf('%d-%02d-%02d', y, m, d)) ` +
    `WHEN y < -4713 OR (y = -4713 AND (m < 11 OR (m = 11 AND d < 24))) OR y > 5874897 ` +
    `THEN error('${ERROR_TAG}22008:date out of range: ' || printf('%d-%02d-%02d', y, m, d)) ELSE make_date(y, m, d) END`,
  `lg_make_date(y, m, d) AS lg_make_date_a(CASE WHEN y < 0 THEN y + 1 ELSE y END, m, d, y = 0)`,
  // DuckDB's years are astronomical (1 BC is year 0): extract() gives Postgres' -1 for 1 BC, to_char() its era year 1
  `lg_bc_year(y) AS CASE WHEN y <= 0 THEN y - 1 ELSE y END`,
  `lg_era_year(y) AS CASE WHEN y <= 0 THEN 1 - y ELSE y END`,
  `lg_ad_century(y) AS CASE WHEN y <= 0 THEN ${err('0A000', 'to_char() CC of dates before 1 AD is not supported on lakegate mirrors')} ELSE (y + 99) // 100 END`,
  // date → timestamp: Postgres' timestamps end in 294276, DuckDB's on 294247-01-10
  `lg_date_ts(d) AS CASE WHEN NOT isfinite(d) THEN CAST(d AS TIMESTAMP) ` +
    `WHEN d > DATE '294276-12-31' OR d < DATE '4714-11-24 (BC)' THEN ${err('22008', 'date out of range for timestamp')} ` +
    `WHEN d > DATE '294247-01-10' THEN ${err('0A000', 'timestamps after 294247-01-10 are not supported on lakegate mirrors')} ` +
    `ELSE CAST(d AS TIMESTAMP) END`,
  // to_timestamp(float8) as float8_timestamptz(): NaN is an error, ±Infinity stays, the range is Postgres',
  // microseconds are rint((s - 2000-01-01 in Unix seconds) * 10^6) (the BIGINT cast rounds half to even, as
  // rint does; round_even() does not at this magnitude); beyond DuckDB's last year (294246) refused
  `lg_to_timestamp(s) AS CASE WHEN isnan(s) THEN ${err('22008', 'timestamp cannot be NaN')} ` +
    `WHEN s = CAST('inf' AS DOUBLE) THEN CAST('infinity' AS TIMESTAMPTZ) WHEN s = CAST('-inf' AS DOUBLE) THEN CAST('-infinity' AS TIMESTAMPTZ) ` +
    `WHEN s < -210866803200 OR s >= 9224318016000 OR (s - 946684800) * 1000000 < -211813488000000000 ` +
    `OR (s - 946684800) * 1000000 >= 9223371331200000000 THEN error('${ERROR_TAG}22008:timestamp out of range: "' || printf('%g', s) || '"') ` +
    `WHEN (s - 946684800) * 1000000 >= 9222425352054775807 THEN ${err('0A000', 'timestamps after the year 294246 are not supported on lakegate mirrors')} ` +
    `ELSE make_timestamptz(CAST((s - 946684800) * 1000000 AS BIGINT) + 946684800000000) END`,
  // float8 ^ float8 as dpow(): NaN cases, the two domain errors, infinities per POSIX, then pow() checked
  `lg_pow(x, y) AS CASE ` +
    `WHEN isnan(x) THEN (CASE WHEN isnan(y) OR y <> 0 THEN x ELSE CAST(1 AS DOUBLE) END) ` +
    `WHEN isnan(y) THEN (CASE WHEN x <> 1 THEN y ELSE CAST(1 AS DOUBLE) END) ` +
    `WHEN x = 0 AND y < 0 THEN ${err('2201F', 'zero raised to a negative power is undefined')} ` +
    `WHEN x < 0 AND floor(y) <> y THEN ${err('2201F', 'a negative number raised to a non-integer power yields a complex result')} ` +
    `WHEN isinf(y) THEN (CASE WHEN abs(x) = 1 THEN CAST(1 AS DOUBLE) WHEN y > 0 THEN (CASE WHEN abs(x) > 1 THEN y ELSE CAST(0 AS DOUBLE) END) ` +
    `ELSE (CASE WHEN abs(x) > 1 THEN CAST(0 AS DOUBLE) ELSE -y END) END) ` +
    `WHEN isinf(x) THEN (CASE WHEN y = 0 THEN CAST(1 AS DOUBLE) WHEN x > 0 THEN (CASE WHEN y > 0 THEN x ELSE CAST(0 AS DOUBLE) END) ` +
    `WHEN y > 0 THEN (CASE WHEN floor(y / 2) <> y / 2 THEN x ELSE -x END) ` +
    `ELSE (CASE WHEN floor(y / 2) <> y / 2 THEN CAST('-0.0' AS DOUBLE) ELSE CAST(0 AS DOUBLE) END) END) ` +
    `WHEN isnan(pow(x, y)) THEN (CASE WHEN x = 0 THEN CAST(0 AS DOUBLE) WHEN abs(x) = 1 THEN CAST(1 AS DOUBLE) ` +
    `WHEN (CASE WHEN y >= 0 THEN abs(x) > 1 ELSE abs(x) < 1 END) THEN ${err('22003', 'value out of range: overflow')} ` +
    `ELSE ${err('22003', 'value out of range: underflow')} END) ` +
    `WHEN isinf(pow(x, y)) THEN ${err('22003', 'value out of range: overflow')} ` +
    `WHEN pow(x, y) = 0 AND x <> 0 THEN ${err('22003', 'value out of range: underflow')} ELSE pow(x, y) END`,
  // width_bucket() as width_bucket_float8(): checks in its order, a bucket from count · (x − low) / (high − low)
  // (halved operands when high − low overflows), truncated and kept below count + 1
  `lg_wb_top(c) AS CASE WHEN c = 2147483647 THEN ${err('22003', 'integer out of range')} ELSE c + 1 END`,
  `lg_wb_in(q, c) AS CAST(least(trunc(CAST(c AS DOUBLE) * q), c - 1) + 1 AS INTEGER)`,
  `lg_width_bucket(x, lo, hi, c) AS CASE WHEN x IS NULL OR lo IS NULL OR hi IS NULL OR c IS NULL THEN NULL ` +
    `WHEN c <= 0 THEN ${err('2201G', 'count must be greater than zero')} ` +
    `WHEN isnan(x) OR isnan(lo) OR isnan(hi) THEN ${err('2201G', 'operand, lower bound, and upper bound cannot be NaN')} ` +
    `WHEN isinf(lo) OR isinf(hi) THEN ${err('2201G', 'lower and upper bounds must be finite')} ` +
    `WHEN lo < hi THEN (CASE WHEN x < lo THEN 0 WHEN x >= hi THEN lg_wb_top(c) ` +
    `ELSE lg_wb_in(CASE WHEN isinf(hi - lo) THEN (x / 2 - lo / 2) / (hi / 2 - lo / 2) ELSE (x - lo) / (hi - lo) END, c) END) ` +
    `WHEN lo > hi THEN (CASE WHEN x > lo THEN 0 WHEN x <= hi THEN lg_wb_top(c) ` +
    `ELSE lg_wb_in(CASE WHEN isinf(lo - hi) THEN (lo / 2 - x / 2) / (lo / 2 - hi / 2) ELSE (lo - x) / (lo - hi) END, c) END) ` +
    `ELSE ${err('2201G', 'lower bound cannot equal upper bound')} END`,
  // …and width_bucket_numeric() over numerics scaled to integers of one common scale: the exact floor
  `lg_wb_scaled(x, lo, hi, c) AS CASE WHEN x IS NULL OR lo IS NULL OR hi IS NULL OR c IS NULL THEN NULL ` +
    `WHEN c <= 0 THEN ${err('2201G', 'count must be greater than zero')} ` +
    `WHEN lo < hi THEN (CASE WHEN x < lo THEN 0 WHEN x >= hi THEN lg_wb_top(c) ELSE CAST((x - lo) * c // (hi - lo) + 1 AS INTEGER) END) ` +
    `WHEN lo > hi THEN (CASE WHEN x > lo THEN 0 WHEN x <= hi THEN lg_wb_top(c) ELSE CAST((lo - x) * c // (lo - hi) + 1 AS INTEGER) END) ` +
    `ELSE ${err('2201G', 'lower bound cannot equal upper bound')} END`,
  // date_bin() as timestamp_bin(): infinite sources pass, the stride is days · 86400 s + time (no months), the
  // offset from the origin is rounded down to whole strides; HUGEINT arithmetic catches what overflows int64
  `lg_bin_stride(iv) AS CAST(lg_iv_d(iv) AS HUGEINT) * 86400000000 + lg_iv_us(iv)`,
  // d rounded down to a multiple of the positive stride s (% truncates toward zero)
  `lg_bin_floor(d, s) AS d - d % s - (CASE WHEN d % s < 0 THEN s ELSE 0 END)`,
  `lg_bin_us(iv, t, o) AS CASE WHEN lg_iv_m(iv) <> 0 THEN ${err('0A000', 'timestamps cannot be binned into intervals containing months or years')} ` +
    `WHEN lg_bin_stride(iv) > 9223372036854775807 THEN ${err('22008', 'interval out of range')} ` +
    `WHEN lg_bin_stride(iv) <= 0 THEN ${err('22008', 'stride must be greater than zero')} ` +
    `WHEN CAST(epoch_us(t) AS HUGEINT) - epoch_us(o) NOT BETWEEN -9223372036854775808 AND 9223372036854775807 THEN ${err('22008', 'interval out of range')} ` +
    `ELSE CAST(epoch_us(o) + lg_bin_floor(CAST(epoch_us(t) AS HUGEINT) - epoch_us(o), lg_bin_stride(iv)) AS BIGINT) END`,
  ...(['ts', 'tz'] as const).map(
    (k) =>
      `lg_date_bin_${k}(iv, t, o) AS CASE WHEN iv IS NULL OR t IS NULL OR o IS NULL THEN NULL WHEN NOT isfinite(t) THEN t ` +
      `WHEN NOT isfinite(o) THEN ${err('22008', 'origin out of range')} ELSE ${k === 'ts' ? 'make_timestamp' : 'make_timestamptz'}(lg_bin_us(iv, t, o)) END`,
  ),
  // float8 math as Postgres checks it: infinite inputs of sin/cos/tan/cot and arguments of asin/acos outside
  // [-1, 1] are out of range, logarithms of zero or negatives fail, exp() reports overflow and underflow
  `lg_trig_in(x) AS CASE WHEN isinf(x) THEN ${err('22003', 'input is out of range')} ELSE x END`,
  `lg_sin(x) AS sin(lg_trig_in(x))`,
  `lg_cos(x) AS cos(lg_trig_in(x))`,
  `lg_tan(x) AS tan(lg_trig_in(x))`,
  `lg_cot(x) AS 1.0 / tan(lg_trig_in(x))`,
  `lg_arc_in(x) AS CASE WHEN x < -1 OR x > 1 THEN ${err('22003', 'input is out of range')} ELSE x END`,
  `lg_asin(x) AS asin(lg_arc_in(x))`,
  `lg_acos(x) AS acos(lg_arc_in(x))`,
  `lg_atan(x) AS atan(x)`,
  `lg_radians(x) AS lg_fmul(x, 0.0174532925199432957692::DOUBLE)`,
  `lg_degrees(x) AS lg_fdiv(x, 0.0174532925199432957692::DOUBLE)`,
  `lg_log_in(x) AS CASE WHEN x = 0 THEN ${err('2201E', 'cannot take logarithm of zero')} ` +
    `WHEN x < 0 THEN ${err('2201E', 'cannot take logarithm of a negative number')} ELSE x END`,
  `lg_ln(x) AS ln(lg_log_in(x))`,
  `lg_log10(x) AS log10(lg_log_in(x))`,
  `lg_exp(x) AS CASE WHEN isnan(x) THEN x WHEN isinf(x) THEN (CASE WHEN x > 0 THEN x ELSE 0 END) ` +
    `WHEN isinf(exp(x)) THEN ${err('22003', 'value out of range: overflow')} WHEN exp(x) = 0 THEN ${err('22003', 'value out of range: underflow')} ELSE exp(x) END`,
  `lg_sqrt(x) AS CASE WHEN x < 0 THEN ${err('2201F', 'cannot take square root of a negative number')} ELSE sqrt(x) END`,
  // text_substring(): the window [start, start + len) clipped to the string
  `lg_substr3(s, a, n) AS CASE WHEN n < 0 THEN ${err('22011', 'negative substring length not allowed')} ` +
    `WHEN a + n <= 1 THEN '' ELSE substring(s, greatest(a, 1), a + n - greatest(a, 1)) END`,
  `lg_substr2(s, a) AS substring(s, greatest(a, 1))`,
  `lg_lpad(s, n, f) AS CASE WHEN n <= 0 THEN '' WHEN length(s) >= n THEN left(s, n) WHEN f = '' THEN s ELSE lpad(s, n, f) END`,
  `lg_rpad(s, n, f) AS CASE WHEN n <= 0 THEN '' WHEN length(s) >= n THEN left(s, n) WHEN f = '' THEN s ELSE rpad(s, n, f) END`,
  `lg_split_part(s, d, n) AS CASE WHEN n = 0 THEN ${err('22023', 'field position must not be zero')} ` +
    `WHEN d = '' THEN (CASE WHEN n = 1 OR n = -1 THEN s ELSE '' END) ELSE split_part(s, d, n) END`,
  // UTF-8 LC_CTYPE: DuckDB's case tables match libc's except that DuckDB uppercases ß to ẞ (libc keeps ß)
  `lg_lower(s) AS lower(s)`,
  // ICU and builtin Unicode collations: ASCII letters change as everywhere, other text is refused (bytes ≠ chars)
  `lg_ascii_case(s) AS CASE WHEN strlen(s) <> length(s) THEN ${err('0A000', 'changing the case of non-ASCII text under an ICU or builtin Unicode collation is not supported on lakegate mirrors')} ELSE s END`,
  `lg_upper(s) AS CASE WHEN contains(s, chr(57344)) THEN ${err('0A000', 'upper() of text containing U+E000 is not supported on lakegate mirrors')} ` +
    `ELSE replace(upper(replace(s, 'ß', chr(57344))), chr(57344), 'ß') END`,
  // timestamptz + interval as timestamptz_pl_interval: months, then days on the zone's local calendar (each
  // step read back in the zone), then the time part as elapsed microseconds. A step whose part is zero does
  // not go through the local calendar: in a fall-back's repeated hour, reading the local time back would
  // pick the other of the two instants
  `lg_tz_months(ts, n, z) AS CASE WHEN n = 0 THEN ts ELSE timezone(z, timezone(z, ts) + to_months(n)) END`,
  `lg_tz_days(ts, n, z) AS CASE WHEN n = 0 THEN ts ELSE timezone(z, timezone(z, ts) + to_days(n)) END`,
  `lg_tz_plus(ts, iv, z) AS lg_tz_days(lg_tz_months(ts, CAST(lg_iv_m(iv) AS INTEGER), z), CAST(lg_iv_d(iv) AS INTEGER), z) + to_microseconds(lg_iv_us(iv))`,
  // numeric without declared scale travels as numeric_out text; comparisons, sorting and sums use its exact value
  // as DECIMAL(38,18), refusing values that do not fit rather than rounding them
  // numeric_in's display scale: fraction digits minus the exponent, at least 0
  `lg_num_scale(x) AS greatest(length(regexp_extract(x, '\\.(\\d+)', 1)) - coalesce(TRY_CAST(regexp_extract(x, '[eE]([+-]?\\d+)', 1) AS INTEGER), 0), 0)`,
  `lg_num(x) AS CASE WHEN x IS NULL THEN NULL WHEN lg_num_scale(x) > 18 OR TRY_CAST(x AS DECIMAL(38,18)) IS NULL ` +
    `THEN error('${ERROR_TAG}0A000:computing with the numeric value ' || x || ' (more than 20 integer or 18 fraction digits, or NaN/Infinity) is not supported on lakegate mirrors') ` +
    `ELSE CAST(x AS DECIMAL(38,18)) END`,
  // float conversions with Postgres' range checks
  // (one error branch, its message chosen per row: the first failing row decides, as in Postgres' row order)
  `lg_f8_f4(x) AS CASE WHEN x IS NULL OR isnan(x) OR isinf(x) THEN CAST(x AS FLOAT) ` +
    `WHEN TRY_CAST(x AS FLOAT) IS NULL OR isinf(TRY_CAST(x AS FLOAT)) OR (TRY_CAST(x AS FLOAT) = 0 AND x <> 0) ` +
    `THEN error('${ERROR_TAG}22003:value out of range: ' || CASE WHEN TRY_CAST(x AS FLOAT) = 0 THEN 'underflow' ELSE 'overflow' END) ELSE CAST(x AS FLOAT) END`,
  `lg_num_f4(t) AS CASE WHEN t IS NULL OR t IN ('NaN', 'Infinity', '-Infinity') THEN CAST(t AS FLOAT) ` +
    `WHEN isinf(CAST(t AS FLOAT)) OR (CAST(t AS FLOAT) = 0 AND CAST(t AS DOUBLE) <> 0) ` +
    `THEN error('${ERROR_TAG}22003:"' || t || '" is out of range for type real') ELSE CAST(t AS FLOAT) END`,
  `lg_num_f8(t) AS CASE WHEN t IS NULL OR t IN ('NaN', 'Infinity', '-Infinity') THEN CAST(t AS DOUBLE) ` +
    `WHEN isinf(CAST(t AS DOUBLE)) OR (CAST(t AS DOUBLE) = 0 AND regexp_matches(t, '[1-9]')) ` +
    `THEN error('${ERROR_TAG}22003:"' || t || '" is out of range for type double precision') ELSE CAST(t AS DOUBLE) END`,
  // numeric(p,s) of a value DuckDB's cast refused: apply_typmod's error, or (NaN, which a DECIMAL cannot hold) refused
  `lg_typmod_slow(t, p, s) AS CASE WHEN t IS NULL THEN NULL WHEN lg_numtypmod(t, p, s) = 'NaN' ` +
    `THEN error('${ERROR_TAG}0A000:numeric NaN as numeric(' || p || ',' || s || ') is not supported on lakegate mirrors') ELSE lg_numtypmod(t, p, s) END`,
  // gcd()/lcm() of int4 or int8 (as HUGEINT here), nonnegative; a result past the type is Postgres' 22003
  `lg_in_range(v, lim, msg) AS CASE WHEN v > lim THEN error('${ERROR_TAG}22003:' || msg) ELSE v END`,
  `lg_gcd(a, b, lim, msg) AS lg_in_range(gcd(CAST(a AS HUGEINT), CAST(b AS HUGEINT)), lim, msg)`,
  `lg_lcm(a, b, lim, msg) AS CASE WHEN a IS NULL OR b IS NULL THEN NULL WHEN a = 0 OR b = 0 THEN CAST(0 AS HUGEINT) ` +
    `ELSE lg_in_range(abs(CAST(a AS HUGEINT) // lg_gcd(a, b, lim, msg) * CAST(b AS HUGEINT)), lim, msg) END`,
  `lg_series_step(s) AS CASE WHEN s = 0 THEN ${err('22023', 'step size cannot equal zero')} ELSE s END`,
  `lg_iv_time_only(s) AS CASE WHEN lg_iv_m(s) <> 0 OR lg_iv_d(s) <> 0 ` +
    `THEN ${err('0A000', "generate_series() over timestamptz by months or days in a session TimeZone other than UTC is not supported on lakegate mirrors")} ELSE s END`,
  `lg_series_interval(s) AS CASE WHEN s = INTERVAL '0 seconds' THEN ${err('22023', 'step size cannot equal zero')} ELSE s END`,
  // percentile_cont over the sorted non-NULL values l (1-based lists), Postgres' float8 interpolation
  `lg_pcont(l, p) AS CASE WHEN len(l) = 0 THEN NULL WHEN ceil(p * (len(l) - 1)) > floor(p * (len(l) - 1)) THEN ` +
    `l[CAST(floor(p * (len(l) - 1)) AS BIGINT) + 1] + (l[CAST(ceil(p * (len(l) - 1)) AS BIGINT) + 1] - l[CAST(floor(p * (len(l) - 1)) AS BIGINT) + 1]) * (p * (len(l) - 1) - floor(p * (len(l) - 1))) ` +
    `ELSE l[CAST(floor(p * (len(l) - 1)) AS BIGINT) + 1] END`,
  `lg_ordinal(n) AS CASE WHEN n % 100 BETWEEN 11 AND 13 THEN 'th' WHEN n % 10 = 1 THEN 'st' WHEN n % 10 = 2 THEN 'nd' WHEN n % 10 = 3 THEN 'rd' ELSE 'th' END`,
  // arrays: @> and && never match NULL elements
  `lg_array_contains(a, b) AS CASE WHEN a IS NULL OR b IS NULL THEN NULL WHEN list_count(b) < len(b) THEN FALSE ELSE list_has_all(a, b) END`,
  `lg_array_overlap(a, b) AS CASE WHEN a IS NULL OR b IS NULL THEN NULL ELSE list_has_any(a, b) END`,
  // text input of the types a query can cast text to (cast.ts textInput)
  ...(['int2', 'int4', 'int8'] as const).map((t) => {
    const ty = { int2: 'SMALLINT', int4: 'INTEGER', int8: 'BIGINT' }[t];
    const pg = { int2: 'smallint', int4: 'integer', int8: 'bigint' }[t];
    return (
      `lg_text_${t}(s) AS CASE WHEN s IS NULL THEN NULL ` +
      `WHEN regexp_full_match(s, '\\s*[+-]?\\d+\\s*') THEN coalesce(TRY_CAST(regexp_replace(s, '^\\s+|\\s+$', '', 'g') AS ${ty}), ` +
      `error('${ERROR_TAG}22003:value "' || s || '" is out of range for type ${pg}')) ` +
      `WHEN regexp_full_match(s, '\\s*[+-]?(0[xXoObB][0-9a-fA-F_]+|\\d[\\d_]*)\\s*') THEN ${err('0A000', `reading non-decimal or underscored ${pg} text is not supported on lakegate mirrors`)} ` +
      `ELSE error('${ERROR_TAG}22P02:invalid input syntax for type ${pg}: "' || s || '"') END`
    );
  }),
  `lg_text_numeric(s) AS CASE WHEN s IS NULL THEN NULL WHEN regexp_full_match(s, '\\s*[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?\\s*') ` +
    `OR regexp_full_match(lower(s), '\\s*([+-]?infinity|nan)\\s*') THEN s ` +
    `WHEN regexp_full_match(s, '\\s*[+-]?[\\d_.]+([eE][+-]?\\d+)?\\s*|\\s*[+-]?0[xXoObB][0-9a-fA-F_]+\\s*') THEN ${err('0A000', 'reading non-decimal or underscored numeric text is not supported on lakegate mirrors')} ` +
    `ELSE error('${ERROR_TAG}22P02:invalid input syntax for type numeric: "' || s || '"') END`,
  `lg_text_numeric_fixed(s) AS CASE WHEN regexp_full_match(lower(coalesce(s, '')), '\\s*([+-]?infinity|nan)\\s*') ` +
    `THEN ${err('0A000', 'numeric NaN/Infinity values are not supported on lakegate mirrors')} ELSE regexp_replace(lg_text_numeric(s), '^\\s+|\\s+$', '', 'g') END`,
  `lg_text_float(s, tn) AS CASE WHEN s IS NULL THEN NULL WHEN regexp_full_match(s, '\\s*[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?\\s*') ` +
    `THEN regexp_replace(s, '^\\s+|\\s+$', '', 'g') WHEN regexp_full_match(lower(s), '\\s*([+-]?(infinity|inf)|nan)\\s*') THEN trim(lower(s)) ` +
    `ELSE error('${ERROR_TAG}22P02:invalid input syntax for type ' || tn || ': "' || s || '"') END`,
  `lg_text_bool(s) AS CASE WHEN s IS NULL THEN NULL ` +
    `WHEN lower(regexp_replace(s, '^\\s+|\\s+$', '', 'g')) IN ('t', 'tr', 'tru', 'true', 'y', 'ye', 'yes', 'on', '1') THEN TRUE ` +
    `WHEN lower(regexp_replace(s, '^\\s+|\\s+$', '', 'g')) IN ('f', 'fa', 'fal', 'fals', 'false', 'n', 'no', 'of', 'off', '0') THEN FALSE ` +
    `ELSE error('${ERROR_TAG}22P02:invalid input syntax for type boolean: "' || s || '"') END`,
  `lg_text_iso(s, tn, re) AS CASE WHEN s IS NULL THEN NULL WHEN regexp_full_match(s, re) THEN s ` +
    `ELSE error('${ERROR_TAG}0A000:reading ' || tn || ' text other than ISO 8601 is not supported on lakegate mirrors') END`,
  `lg_text_json(s) AS CASE WHEN s IS NULL OR json_valid(s) THEN s ELSE error('${ERROR_TAG}22P02:invalid input syntax for type json') END`,
  // interval text as Postgres prints it with IntervalStyle postgres: [N year[s]] [N mon[s]] [N day[s]] [[-]HH:MM:SS[.f]]
  `lg_pg_interval(s) AS CASE WHEN s IS NULL THEN NULL ELSE to_months(coalesce(TRY_CAST(nullif(regexp_extract(s, '(-?\\d+) years?', 1), '') AS INTEGER), 0) * 12 ` +
    `+ coalesce(TRY_CAST(nullif(regexp_extract(s, '(-?\\d+) mons?', 1), '') AS INTEGER), 0)) ` +
    `+ to_days(coalesce(TRY_CAST(nullif(regexp_extract(s, '(-?\\d+) days?', 1), '') AS INTEGER), 0)) ` +
    `+ to_microseconds(CASE WHEN regexp_matches(s, '\\d+:\\d+:\\d+') THEN ` +
    `(CASE WHEN regexp_extract(s, '([+-]?)\\d+:\\d+:\\d+', 1) = '-' THEN -1 ELSE 1 END) * (` +
    `CAST(regexp_extract(s, '(\\d+):(\\d+):(\\d+)', 1) AS BIGINT) * 3600000000 + ` +
    `CAST(regexp_extract(s, '(\\d+):(\\d+):(\\d+)', 2) AS BIGINT) * 60000000 + ` +
    `CAST(regexp_extract(s, '(\\d+):(\\d+):(\\d+)', 3) AS BIGINT) * 1000000 + ` +
    `coalesce(TRY_CAST(nullif(rpad(regexp_extract(s, ':\\d+\\.(\\d+)', 1), 6, '0'), '000000') AS BIGINT), 0)) ELSE 0 END) END`,
];

type Fn = (args: unknown[]) => unknown;

function udf(name: string, params: DuckDBType[], ret: DuckDBType, fn: Fn): DuckDBScalarFunction {
  return DuckDBScalarFunction.create({
    name,
    returnType: ret,
    parameterTypes: params,
    specialHandling: true,
    mainFunction: (info, input, output) => {
      const n = input.rowCount;
      const cols = params.map((_, i) => input.getColumnVector(i));
      try {
        for (let r = 0; r < n; r++) {
          const args = cols.map((c) => c.getItem(r));
          output.setItem(r, args[0] === null ? null : (fn(args) as never));
        }
        output.flush();
      } catch (e) {
        const code = e instanceof PgError ? e.code : 'XX000';
        const detail = e instanceof PgError && e.detail ? `${DETAIL_MARK}${e.detail}` : '';
        info.setError(`${ERROR_TAG}${code}:${(e as Error).message}${detail}`);
      }
    },
  });
}

function listItems(v: unknown): (string | null)[] {
  const items = (v as { items?: unknown[] } | null)?.items ?? [];
  return items.map((x) => (x === null || x === undefined ? null : String(x)));
}

const num = (v: unknown) => parseNumeric(v as string);

/** exact order of numerics (NaN above everything, as Postgres sorts it) */
function numCompare(a: PgNumeric, b: PgNumeric): number {
  const rank = (n: PgNumeric) => (n.kind === 'nan' ? 3 : n.kind === '+inf' ? 2 : n.kind === '-inf' ? -2 : 0);
  if (rank(a) !== 0 || rank(b) !== 0) return Math.sign(rank(a) - rank(b));
  const x = a as PgNumeric & { kind: 'finite' };
  const y = b as PgNumeric & { kind: 'finite' };
  const s = Math.max(x.dscale, y.dscale);
  const ax = x.unscaled * 10n ** BigInt(s - x.dscale);
  const by = y.unscaled * 10n ** BigInt(s - y.dscale);
  return ax < by ? -1 : ax > by ? 1 : 0;
}

/** width_bucket_numeric(): its checks in its order, then the exact floor of (x − lo) · count / (hi − lo), plus one */
function numWidthBucket(x: PgNumeric, lo: PgNumeric, hi: PgNumeric, count: number): number {
  if (count <= 0) throw new PgError('2201G', 'count must be greater than zero');
  if (x.kind === 'nan' || lo.kind === 'nan' || hi.kind === 'nan') throw new PgError('2201G', 'operand, lower bound, and upper bound cannot be NaN');
  if (lo.kind !== 'finite' || hi.kind !== 'finite') throw new PgError('2201G', 'lower and upper bounds must be finite');
  const c = numCompare(lo, hi);
  if (c === 0) throw new PgError('2201G', 'lower bound cannot equal upper bound');
  const below = c < 0 ? numCompare(x, lo) < 0 : numCompare(x, lo) > 0;
  if (below) return 0;
  const above = c < 0 ? numCompare(x, hi) >= 0 : numCompare(x, hi) <= 0;
  if (above) {
    if (count === 2147483647) throw new PgError('22003', 'integer out of range');
    return count + 1;
  }
  // x is finite here (an infinite one is below or above)
  const f = x as PgNumeric & { kind: 'finite' };
  const s = Math.max(f.dscale, lo.dscale, hi.dscale);
  const at = (n: { unscaled: bigint; dscale: number }) => n.unscaled * 10n ** BigInt(s - n.dscale);
  const [a, l, h] = [at(f), at(lo), at(hi)];
  const q = c < 0 ? ((a - l) * BigInt(count)) / (h - l) : ((l - a) * BigInt(count)) / (l - h);
  return Number(q) + 1;
}

/** a text whose byte order is the numeric order (sorting, partitioning by numerics carried as text) */
function numKey(n: PgNumeric): string {
  if (n.kind === 'nan') return '5';
  if (n.kind === '+inf') return '4';
  if (n.kind === '-inf') return '0';
  const f = n as PgNumeric & { kind: 'finite' };
  if (f.unscaled === 0n) return '2';
  const neg = f.unscaled < 0n;
  let digits = (neg ? -f.unscaled : f.unscaled).toString();
  const e = digits.length - f.dscale; // value = 0.digits × 10^e
  digits = digits.replace(/0+$/, '');
  const exp = String(e + 500000).padStart(7, '0');
  if (!neg) return `3${exp}${digits}`;
  const cexp = String(999999 - (e + 500000)).padStart(7, '0');
  return `1${cexp}${[...digits].map((d) => String(9 - Number(d))).join('')}~`;
}

/** days in a month of the proleptic Gregorian calendar (astronomical year numbering, as Postgres' day_tab) */
function daysInMonth(y: number, m: number): number {
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
}

/**
 * age(t1, t2) of two local timestamps (microseconds since 1970 read as UTC), as timestamp_age() forms it:
 * field-by-field differences, made positive, borrowed upward (a day borrows the length of the earlier
 * timestamp's month), signed back.
 */
function age(us1: bigint, us2: bigint): DuckDBIntervalValue {
  const fields = (us: bigint) => {
    // the calendar date and the time of day (JS Date stops at year 275760, DuckDB's timestamps reach 294247)
    const { days, usec } = splitMicros(us);
    const { year, month, day } = civilFromDays(days);
    const t = Math.floor(usec / 1000000);
    return [year, month, day, Math.floor(t / 3600), Math.floor(t / 60) % 60, t % 60, usec % 1000000] as const;
  };
  const a = fields(us1);
  const b = fields(us2);
  const neg = us1 < us2;
  const sign = neg ? -1 : 1;
  let [y, mo, d, h, mi, s, f] = a.map((x, i) => sign * (x - b[i]!)) as [number, number, number, number, number, number, number];
  for (; f < 0; s--) f += 1000000;
  for (; s < 0; mi--) s += 60;
  for (; mi < 0; h--) mi += 60;
  for (; h < 0; d--) h += 24;
  const ref = neg ? a : b;
  for (; d < 0; mo--) d += daysInMonth(ref[0], ref[1]);
  for (; mo < 0; y--) mo += 12;
  const t = ((BigInt(h) * 60n + BigInt(mi)) * 60n + BigInt(s)) * 1000000n + BigInt(f);
  return intervalValue(sign * (y * 12 + mo), sign * d, BigInt(sign) * t);
}

const UDFS = (): DuckDBScalarFunction[] => [
  udf('lg_age', [BIGINT, BIGINT], INTERVAL, ([a, b]) => (b === null ? null : age(a as bigint, b as bigint))),
  // exact numeric arithmetic over numeric_out texts (var-numeric.ts varSql)
  udf('lg_numdiv', [VARCHAR, VARCHAR], VARCHAR, ([a, b]) => (b === null ? null : numericText(divide(num(a), num(b))))),
  udf('lg_numavg', [VARCHAR, BIGINT], VARCHAR, ([s, c]) => {
    if (c === null) return null;
    const r = numericAvg(num(s), BigInt(c as bigint));
    return r === null ? null : numericText(r);
  }),
  // var-numeric.ts 'var': parts and shifts are comma-separated lists
  udf('lg_numvar', [BIGINT, VARCHAR, VARCHAR, VARCHAR, INTEGER, INTEGER], VARCHAR, ([c, sx, parts, shifts, scale, mode]) => {
    if (sx === null) return null;
    const m = Number(mode);
    const sq = squares((parts as string).split(','), (shifts as string).split(',').map(Number));
    const r = numericVariance(BigInt(c as bigint), BigInt(sx as string), sq, Number(scale), (m & 1) !== 0, (m & 2) !== 0);
    return r === null ? null : numericText(r);
  }),
  udf('lg_numarith', [VARCHAR, VARCHAR, VARCHAR], VARCHAR, ([op, a, b]) => {
    // the operator comes first, so udf()'s NULL-in-NULL-out covers neither operand
    if (a === null) return null;
    if (op === 'neg') {
      const x = num(a);
      return numericText(x.kind === 'finite' ? { ...x, unscaled: -x.unscaled } : x.kind === '+inf' ? { kind: '-inf' } : x.kind === '-inf' ? { kind: '+inf' } : x);
    }
    if (b === null) return null;
    return numericText(arith(op as 'add' | 'sub' | 'mul', num(a), num(b)));
  }),
  udf('lg_numround', [VARCHAR, INTEGER], VARCHAR, ([a, n]) => (n === null ? null : numericText(roundTo(num(a), Number(n), false)))),
  udf('lg_numtrunc', [VARCHAR, INTEGER], VARCHAR, ([a, n]) => (n === null ? null : numericText(roundTo(num(a), Number(n), true)))),
  udf('lg_numwidth_bucket', [VARCHAR, VARCHAR, VARCHAR, INTEGER], INTEGER, ([x, lo, hi, c]) =>
    lo === null || hi === null || c === null ? null : numWidthBucket(num(x), num(lo), num(hi), Number(c)),
  ),
  udf('lg_numfloor', [VARCHAR, BOOLEAN], VARCHAR, ([a, floor]) => numericText(floorOf(num(a), floor === true))),
  udf('lg_numtypmod', [VARCHAR, INTEGER, INTEGER], VARCHAR, ([a, p, sc]) => numericText(applyTypmod(num(a), Number(p), Number(sc)))),
  udf('lg_numint', [VARCHAR, VARCHAR], BIGINT, ([a, k]) => toInteger(num(a), k as 'int2' | 'int4' | 'int8')),
  udf('lg_numcmp', [VARCHAR, VARCHAR], INTEGER, ([a, b]) => (b === null ? null : numCompare(num(a), num(b)))),
  udf('lg_numkey', [VARCHAR], VARCHAR, ([a]) => numKey(num(a))),
  udf('lg_json_get', [VARCHAR, VARCHAR, BOOLEAN, BOOLEAN], VARCHAR, ([j, k, t, b]) =>
    k === null ? null : jsonGet(j as string, k as string, t as boolean, b as boolean),
  ),
  udf('lg_json_index', [VARCHAR, INTEGER, BOOLEAN, BOOLEAN], VARCHAR, ([j, k, t, b]) =>
    k === null ? null : jsonIndex(j as string, k as number, t as boolean, b as boolean),
  ),
  udf('lg_json_path', [VARCHAR, LIST(VARCHAR), BOOLEAN, BOOLEAN], VARCHAR, ([j, p, t, b]) =>
    p === null ? null : jsonPath(j as string, listItems(p), t as boolean, b as boolean),
  ),
  udf('lg_json_typeof', [VARCHAR], VARCHAR, ([j]) => jsonTypeof(j as string)),
  udf('lg_jsonb_exists', [VARCHAR, VARCHAR], BOOLEAN, ([j, k]) => (k === null ? null : jsonbExists(j as string, k as string))),
  udf('lg_jsonb_exists_any', [VARCHAR, LIST(VARCHAR)], BOOLEAN, ([j, ks]) =>
    ks === null ? null : listItems(ks).some((k) => k !== null && jsonbExists(j as string, k)),
  ),
  udf('lg_jsonb_exists_all', [VARCHAR, LIST(VARCHAR)], BOOLEAN, ([j, ks]) =>
    ks === null ? null : listItems(ks).every((k) => k === null || jsonbExists(j as string, k)),
  ),
  udf('lg_jsonb_contains', [VARCHAR, VARCHAR], BOOLEAN, ([a, b]) => (b === null ? null : jsonbContains(a as string, b as string))),
  // set-returning json functions as lists, unnested by the translated SQL
  udf('lg_json_elements', [VARCHAR, BOOLEAN, BOOLEAN], LIST(VARCHAR), ([j, t, b]) => listValue(jsonElements(j as string, t as boolean, b as boolean))),
  udf('lg_json_keys', [VARCHAR, BOOLEAN], LIST(VARCHAR), ([j, b]) => listValue(jsonKeys(j as string, b as boolean))),
  udf('lg_json_each', [VARCHAR, BOOLEAN, BOOLEAN], LIST(STRUCT({ key: VARCHAR, value: VARCHAR })), ([j, t, b]) =>
    listValue(jsonEach(j as string, t as boolean, b as boolean).map((e) => structValue({ key: e.key, value: e.value }))),
  ),
  udf('lg_json_quote', [VARCHAR], VARCHAR, ([v]) => escapeJson(v as string)),
  udf('lg_initcap', [VARCHAR, BOOLEAN], VARCHAR, ([v, c]) => initcap(v as string, c === true)),
  udf('lg_to_char_num', [VARCHAR, VARCHAR], VARCHAR, ([v, f]) => {
    const out = toCharNumber(v as string, numFormat(f as string));
    if (out === null) throw new PgError('0A000', `to_char() of ${v as string} is not supported on lakegate mirrors`);
    return out;
  }),
  udf('lg_json_array_length', [VARCHAR, BOOLEAN], INTEGER, ([j, b]) => jsonArrayLength(j as string, b as boolean)),
];

/** to_char formats, read once (the translator has checked them) */
const numFormats = new Map<string, NumFormat>();
function numFormat(fmt: string): NumFormat {
  let f = numFormats.get(fmt);
  if (!f) {
    const r = parseNumFormat(fmt);
    if (typeof r === 'string') throw new PgError('0A000', `${r} is not supported on lakegate mirrors`);
    if (numFormats.size > 1000) numFormats.clear();
    numFormats.set(fmt, (f = r));
  }
  return f;
}

const isAsciiAlnum = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/**
 * initcap() as str_initcap(): a letter after an alphanumeric character is lowered, any other letter raised. Under
 * LC_CTYPE C only ASCII letters and digits are alphanumeric and only ASCII letters change (asc_initcap, byte by
 * byte: other characters are left alone and end a word). Under other ctypes the word rules and case tables of
 * non-ASCII letters are the locale's, which the mirror cannot repeat exactly: such text is refused per value.
 */
function initcap(s: string, asciiCtype: boolean): string {
  let out = '';
  let wasAlnum = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128) {
      if (!asciiCtype) throw new PgError('0A000', 'initcap() of non-ASCII text under a non-C LC_CTYPE is not supported on lakegate mirrors');
      out += s[i];
      wasAlnum = false;
      continue;
    }
    const ch = s[i]!;
    out += wasAlnum ? ch.toLowerCase() : ch.toUpperCase();
    wasAlnum = isAsciiAlnum(c);
  }
  return out;
}

const installed = new WeakSet<object>();

/** Creates the lg_* macros and functions in the instance behind `conn` (once per instance). */
export async function installFunctions(conn: DuckDBConnection, instanceKey: object): Promise<void> {
  if (installed.has(instanceKey)) return;
  for (const m of MACROS) await conn.run(`CREATE OR REPLACE MACRO ${m}`);
  for (const f of UDFS()) conn.registerScalarFunction(f);
  installed.add(instanceKey);
}
