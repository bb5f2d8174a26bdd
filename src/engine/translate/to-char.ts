// to_char(date/timestamp/timestamptz, constant format) as Postgres' formatting.c renders it under the C/English
// lc_time: the format is parsed here (keywords, FM/TM prefixes, TH suffixes, quoted text) and each field becomes a
// DuckDB expression over the local timestamp; the pieces are concatenated. Keywords whose output depends on time
// zone abbreviations or eras (TZ, OF, BC …) are refused.
import { str } from './ex.js';
import { notSupported } from './errors.js';

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const list = (xs: string[]) => `[${xs.map(str).join(', ')}]`;

type Field = (l: string) => { sql: string; width: number | null; numeric: boolean; text?: 'upper' | 'lower' | 'cap'; pad?: number };

const num = (expr: (l: string) => string, width: number | null): Field => (l) => ({ sql: expr(l), width, numeric: true });
const name = (names: string[], idx: (l: string) => string, caseMode: 'upper' | 'lower' | 'cap', pad: number, abbrev: boolean): Field => (l) => {
  const src = abbrev ? names.map((n) => n.slice(0, 3)) : names;
  let sql = `${list(src)}[${idx(l)}]`;
  if (caseMode === 'upper') sql = `upper(${sql})`;
  else if (caseMode === 'lower') sql = `lower(${sql})`;
  return { sql, width: null, numeric: false, pad: abbrev ? undefined : pad };
};

const hour12 = (l: string) => `(CASE WHEN hour(${l}) % 12 = 0 THEN 12 ELSE hour(${l}) % 12 END)`;
const micros = (l: string) => `(datepart('microseconds', ${l}) % 1000000)`;

/** keyword → renderer; matched longest first, case-sensitively (as formatting.c's table) */
const KEYWORDS: Record<string, Field | { literal: (l: string) => string }> = {
  'Y,YYY': { literal: (l) => `(CAST(lg_era_year(year(${l})) // 1000 AS VARCHAR) || ',' || lpad(CAST(lg_era_year(year(${l})) % 1000 AS VARCHAR), 3, '0'))` },
  YYYY: num((l) => `lg_era_year(year(${l}))`, 4),
  yyyy: num((l) => `lg_era_year(year(${l}))`, 4),
  YYY: num((l) => `(lg_era_year(year(${l})) % 1000)`, 3),
  yyy: num((l) => `(lg_era_year(year(${l})) % 1000)`, 3),
  YY: num((l) => `(lg_era_year(year(${l})) % 100)`, 2),
  yy: num((l) => `(lg_era_year(year(${l})) % 100)`, 2),
  Y: num((l) => `(lg_era_year(year(${l})) % 10)`, 1),
  y: num((l) => `(lg_era_year(year(${l})) % 10)`, 1),
  IYYY: num((l) => `lg_era_year(isoyear(${l}))`, 4),
  iyyy: num((l) => `lg_era_year(isoyear(${l}))`, 4),
  IYY: num((l) => `(lg_era_year(isoyear(${l})) % 1000)`, 3),
  iyy: num((l) => `(lg_era_year(isoyear(${l})) % 1000)`, 3),
  IY: num((l) => `(lg_era_year(isoyear(${l})) % 100)`, 2),
  iy: num((l) => `(lg_era_year(isoyear(${l})) % 100)`, 2),
  MONTH: name(MONTHS, (l) => `month(${l})`, 'upper', 9, false),
  Month: name(MONTHS, (l) => `month(${l})`, 'cap', 9, false),
  month: name(MONTHS, (l) => `month(${l})`, 'lower', 9, false),
  MON: name(MONTHS, (l) => `month(${l})`, 'upper', 3, true),
  Mon: name(MONTHS, (l) => `month(${l})`, 'cap', 3, true),
  mon: name(MONTHS, (l) => `month(${l})`, 'lower', 3, true),
  MM: num((l) => `month(${l})`, 2),
  mm: num((l) => `month(${l})`, 2),
  DAY: name(DAYS, (l) => `(dayofweek(${l}) + 1)`, 'upper', 9, false),
  Day: name(DAYS, (l) => `(dayofweek(${l}) + 1)`, 'cap', 9, false),
  day: name(DAYS, (l) => `(dayofweek(${l}) + 1)`, 'lower', 9, false),
  DY: name(DAYS, (l) => `(dayofweek(${l}) + 1)`, 'upper', 3, true),
  Dy: name(DAYS, (l) => `(dayofweek(${l}) + 1)`, 'cap', 3, true),
  dy: name(DAYS, (l) => `(dayofweek(${l}) + 1)`, 'lower', 3, true),
  DDD: num((l) => `dayofyear(${l})`, 3),
  ddd: num((l) => `dayofyear(${l})`, 3),
  IDDD: num((l) => `((week(${l}) - 1) * 7 + isodow(${l}))`, 3),
  iddd: num((l) => `((week(${l}) - 1) * 7 + isodow(${l}))`, 3),
  DD: num((l) => `day(${l})`, 2),
  dd: num((l) => `day(${l})`, 2),
  D: num((l) => `(dayofweek(${l}) + 1)`, 1),
  d: num((l) => `(dayofweek(${l}) + 1)`, 1),
  ID: num((l) => `isodow(${l})`, 1),
  id: num((l) => `isodow(${l})`, 1),
  WW: num((l) => `((dayofyear(${l}) - 1) // 7 + 1)`, 2),
  ww: num((l) => `((dayofyear(${l}) - 1) // 7 + 1)`, 2),
  IW: num((l) => `week(${l})`, 2),
  iw: num((l) => `week(${l})`, 2),
  W: num((l) => `((day(${l}) - 1) // 7 + 1)`, 1),
  w: num((l) => `((day(${l}) - 1) // 7 + 1)`, 1),
  Q: num((l) => `quarter(${l})`, 1),
  q: num((l) => `quarter(${l})`, 1),
  // centuries before 1 AD count down with a sign of their own: refused per value
  CC: num((l) => `lg_ad_century(year(${l}))`, 2),
  cc: num((l) => `lg_ad_century(year(${l}))`, 2),
  J: num((l) => `(epoch_us(date_trunc('day', ${l})) // 86400000000 + 2440588)`, null),
  j: num((l) => `(epoch_us(date_trunc('day', ${l})) // 86400000000 + 2440588)`, null),
  HH24: num((l) => `hour(${l})`, 2),
  hh24: num((l) => `hour(${l})`, 2),
  HH12: num(hour12, 2),
  hh12: num(hour12, 2),
  HH: num(hour12, 2),
  hh: num(hour12, 2),
  MI: num((l) => `minute(${l})`, 2),
  mi: num((l) => `minute(${l})`, 2),
  SSSSS: num((l) => `(hour(${l}) * 3600 + minute(${l}) * 60 + second(${l}))`, null),
  sssss: num((l) => `(hour(${l}) * 3600 + minute(${l}) * 60 + second(${l}))`, null),
  SSSS: num((l) => `(hour(${l}) * 3600 + minute(${l}) * 60 + second(${l}))`, null),
  ssss: num((l) => `(hour(${l}) * 3600 + minute(${l}) * 60 + second(${l}))`, null),
  SS: num((l) => `second(${l})`, 2),
  ss: num((l) => `second(${l})`, 2),
  MS: num((l) => `(${micros(l)} // 1000)`, 3),
  ms: num((l) => `(${micros(l)} // 1000)`, 3),
  US: num(micros, 6),
  us: num(micros, 6),
  FF1: num((l) => `(${micros(l)} // 100000)`, 1),
  FF2: num((l) => `(${micros(l)} // 10000)`, 2),
  FF3: num((l) => `(${micros(l)} // 1000)`, 3),
  FF4: num((l) => `(${micros(l)} // 100)`, 4),
  FF5: num((l) => `(${micros(l)} // 10)`, 5),
  FF6: num(micros, 6),
  ff1: num((l) => `(${micros(l)} // 100000)`, 1),
  ff2: num((l) => `(${micros(l)} // 10000)`, 2),
  ff3: num((l) => `(${micros(l)} // 1000)`, 3),
  ff4: num((l) => `(${micros(l)} // 100)`, 4),
  ff5: num((l) => `(${micros(l)} // 10)`, 5),
  ff6: num(micros, 6),
  AM: { literal: (l) => `(CASE WHEN hour(${l}) < 12 THEN 'AM' ELSE 'PM' END)` },
  PM: { literal: (l) => `(CASE WHEN hour(${l}) < 12 THEN 'AM' ELSE 'PM' END)` },
  am: { literal: (l) => `(CASE WHEN hour(${l}) < 12 THEN 'am' ELSE 'pm' END)` },
  pm: { literal: (l) => `(CASE WHEN hour(${l}) < 12 THEN 'am' ELSE 'pm' END)` },
  'A.M.': { literal: (l) => `(CASE WHEN hour(${l}) < 12 THEN 'A.M.' ELSE 'P.M.' END)` },
  'P.M.': { literal: (l) => `(CASE WHEN hour(${l}) < 12 THEN 'A.M.' ELSE 'P.M.' END)` },
  'a.m.': { literal: (l) => `(CASE WHEN hour(${l}) < 12 THEN 'a.m.' ELSE 'p.m.' END)` },
  'p.m.': { literal: (l) => `(CASE WHEN hour(${l}) < 12 THEN 'a.m.' ELSE 'p.m.' END)` },
};

// refused: output depends on zone abbreviations, eras or Roman numerals
const REFUSED = ['TZH', 'TZM', 'TZ', 'tz', 'OF', 'of', 'A.D.', 'B.C.', 'a.d.', 'b.c.', 'AD', 'BC', 'ad', 'bc', 'RM', 'rm', 'FX', 'SP', 'sp'];
const ALL = [...Object.keys(KEYWORDS), ...REFUSED].sort((a, b) => b.length - a.length);

/** DuckDB SQL of to_char(<local timestamp l>, fmt) */
export function toCharSql(l: string, fmt: string): string {
  const parts: string[] = [];
  let lit = '';
  const flush = () => {
    if (lit) parts.push(str(lit));
    lit = '';
  };
  let i = 0;
  while (i < fmt.length) {
    let fm = false;
    // prefixes: FM (no padding), TM (translated names: English under lc_time C)
    for (;;) {
      if (fmt.startsWith('FM', i) || fmt.startsWith('fm', i)) {
        fm = true;
        i += 2;
      } else if (fmt.startsWith('TM', i) || fmt.startsWith('tm', i)) i += 2;
      else break;
    }
    const kw = ALL.find((k) => fmt.startsWith(k, i));
    if (kw) {
      if (REFUSED.includes(kw)) return notSupported(`to_char() format "${kw}"`);
      i += kw.length;
      const spec = KEYWORDS[kw]!;
      let piece: string;
      let numericValue: string | null = null;
      if ('literal' in spec) piece = spec.literal(l);
      else {
        const f = spec(l);
        if (f.numeric) {
          numericValue = f.sql;
          piece = f.width && !fm ? `lpad(CAST(${f.sql} AS VARCHAR), ${f.width}, '0')` : `CAST(${f.sql} AS VARCHAR)`;
          // lpad truncates: a 5-digit year keeps its digits
          if (f.width && !fm) piece = `(CASE WHEN length(CAST(${f.sql} AS VARCHAR)) > ${f.width} THEN CAST(${f.sql} AS VARCHAR) ELSE ${piece} END)`;
        } else {
          piece = f.text === 'cap' ? f.sql : f.sql;
          if (f.pad && !fm) piece = `rpad(${piece}, ${f.pad}, ' ')`;
        }
      }
      // ordinal suffix after a number
      if (fmt.startsWith('TH', i) || fmt.startsWith('th', i)) {
        if (numericValue === null) return notSupported('to_char() TH suffix after a non-number');
        const upper = fmt.startsWith('TH', i);
        i += 2;
        const suffix = `lg_ordinal(CAST(${numericValue} AS BIGINT))`;
        piece = `(${piece} || ${upper ? `upper(${suffix})` : suffix})`;
      }
      flush();
      parts.push(piece);
      continue;
    }
    if (fm) continue;
    const c = fmt[i]!;
    if (c === '"') {
      // quoted literal text; backslash escapes a quote inside
      i++;
      while (i < fmt.length && fmt[i] !== '"') {
        if (fmt[i] === '\\' && i + 1 < fmt.length) i++;
        lit += fmt[i++];
      }
      i++;
      continue;
    }
    if (c === '\\' && fmt[i + 1] === '"') {
      lit += '"';
      i += 2;
      continue;
    }
    lit += c;
    i++;
  }
  flush();
  return parts.length ? `(${parts.join(' || ')})` : "''";
}
