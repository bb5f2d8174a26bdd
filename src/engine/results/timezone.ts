// The session TimeZone as Postgres applies it in timestamptz output: compiled IANA files (TZif) read directly, the
// POSIX rule in their footer for later years, and POSIX TZ strings such as `<+05:30>-05:30` (what PG reports after
// `SET TIME ZONE '5.5'`) or `EST5EDT`. Reading TZif ourselves gives exact historical offsets (LMT -04:56:02) and the
// abbreviations PG prints in SQL/Postgres/German DateStyle; ICU (Node's Intl) has neither seconds nor PG's abbreviations,
// so it is only a fallback when no zone file exists on this machine.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Local-time rule in force at one instant. */
export interface ZoneInfo {
  /** seconds east of UTC (tm_gmtoff) */
  utoff: number;
  isdst: boolean;
  /** abbreviation PG prints (`EST`, `LMT`, `+0530`, `''` for a nameless POSIX zone) */
  abbr: string;
}

export interface PgTimeZone {
  /** the name it was resolved from */
  readonly name: string;
  /** rule in force at `unixSeconds` (seconds since 1970-01-01 UTC) */
  at(unixSeconds: number): ZoneInfo;
}

// Where compiled zone files are looked up, in order. `setTimeZoneDirectories` lets tests point at the Postgres under
// test (its own share/timezone) and deployments at the upstream's tzdata.
let tzDirs: string[] = defaultDirs();
const cache = new Map<string, PgTimeZone>();

function defaultDirs(): string[] {
  const dirs: string[] = [];
  if (process.env.LAKEGATE_TZDIR) dirs.push(process.env.LAKEGATE_TZDIR);
  if (process.env.TZDIR) dirs.push(process.env.TZDIR);
  dirs.push('/usr/share/zoneinfo', '/usr/lib/zoneinfo', '/usr/share/lib/zoneinfo');
  return dirs;
}

export function setTimeZoneDirectories(dirs: string[]): void {
  tzDirs = [...dirs];
  cache.clear();
}

export function timeZoneDirectories(): readonly string[] {
  return tzDirs;
}

/** Resolves a TimeZone GUC value the way PG's check_timezone/pg_tzset does; throws on an unknown zone. */
export function resolveTimeZone(name: string): PgTimeZone {
  const hit = cache.get(name);
  if (hit) return hit;
  const tz = load(name);
  cache.set(name, tz);
  return tz;
}

function load(name: string): PgTimeZone {
  const trimmed = name.trim();
  // A bare number is hours east (SQL sign convention), turned into a POSIX zone like pg_tzset_offset does.
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed)) {
    const west = Math.round(-Number(trimmed) * 3600);
    return posixZone(name, offsetZoneName(west));
  }
  const upper = trimmed.toUpperCase();
  // PG parses "GMT" as a POSIX spec without offset (tzparse's last-ditch mode) rather than loading a file
  if (upper === 'GMT') {
    const gmt = { utoff: 0, isdst: false, abbr: 'GMT' };
    return { name, at: () => gmt };
  }
  const file = findZoneFile(trimmed);
  if (file) return tzifZone(name, readFileSync(file));
  const rule = parsePosixTz(upper);
  if (rule) return posixZone(name, upper, rule);
  // Only without any zone files (e.g. a minimal container) fall back to ICU; otherwise the name is unknown to PG too.
  if (!tzDirs.some(isDirectory)) {
    const intl = intlZone(trimmed);
    if (intl) return intl;
  }
  throw new Error(`invalid value for parameter "TimeZone": "${name}"`);
}

/** POSIX name PG builds for a fixed offset given in seconds west of UTC (pg_tzset_offset). */
export function offsetZoneName(west: number): string {
  let abs = Math.abs(west);
  let s = String(Math.floor(abs / 3600)).padStart(2, '0');
  abs %= 3600;
  if (abs !== 0) {
    s += ':' + String(Math.floor(abs / 60)).padStart(2, '0');
    abs %= 60;
    if (abs !== 0) s += ':' + String(abs).padStart(2, '0');
  }
  return west > 0 ? `<-${s}>+${s}` : `<+${s}>-${s}`;
}

// ---- zone files ----

function findZoneFile(name: string): string | null {
  if (name === '' || name.startsWith('/') || name.split('/').some((p) => p === '..' || p === '.' || p === '')) return null;
  for (const dir of tzDirs) {
    const exact = join(dir, name);
    if (isZoneFile(exact)) return exact;
    // PG matches each path component case-insensitively (pg_open_tzfile).
    let cur = dir;
    let ok = true;
    for (const part of name.split('/')) {
      let entries: string[];
      try {
        entries = readdirSync(cur);
      } catch {
        ok = false;
        break;
      }
      const m = entries.find((e) => e.toLowerCase() === part.toLowerCase());
      if (!m) {
        ok = false;
        break;
      }
      cur = join(cur, m);
    }
    if (ok && isZoneFile(cur)) return cur;
  }
  return null;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isZoneFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    return readFileSync(path).toString('latin1', 0, 4) === 'TZif';
  } catch {
    return false;
  }
}

interface TType {
  utoff: number;
  isdst: boolean;
  abbr: string;
}

/** Parses TZif v1-v4 (RFC 9636): the 64-bit block when present, plus the footer TZ string. */
export function parseTzif(buf: Buffer): { ats: number[]; types: number[]; ttypes: TType[]; footer: string | null } {
  if (buf.toString('latin1', 0, 4) !== 'TZif') throw new Error('not a TZif file');
  const version = buf[4];
  const counts = (off: number) => ({
    isut: buf.readInt32BE(off + 20),
    isstd: buf.readInt32BE(off + 24),
    leap: buf.readInt32BE(off + 28),
    time: buf.readInt32BE(off + 32),
    type: buf.readInt32BE(off + 36),
    char: buf.readInt32BE(off + 40),
  });
  let off = 0;
  let c = counts(0);
  let stored = 4;
  const blockSize = (k: ReturnType<typeof counts>, st: number) =>
    k.time * st + k.time + k.type * 6 + k.char + k.leap * (st + 4) + k.isstd + k.isut;
  if (version !== 0) {
    off = 44 + blockSize(c, 4);
    c = counts(off);
    stored = 8;
  }
  let p = off + 44;
  const ats: number[] = [];
  for (let i = 0; i < c.time; i++) {
    ats.push(stored === 8 ? Number(buf.readBigInt64BE(p)) : buf.readInt32BE(p));
    p += stored;
  }
  const typeIdx: number[] = [];
  for (let i = 0; i < c.time; i++) typeIdx.push(buf[p++]!);
  const raw: { utoff: number; isdst: boolean; idx: number }[] = [];
  for (let i = 0; i < c.type; i++) {
    raw.push({ utoff: buf.readInt32BE(p), isdst: buf[p + 4] === 1, idx: buf[p + 5]! });
    p += 6;
  }
  const chars = buf.subarray(p, p + c.char);
  p += c.char + c.leap * (stored + 4) + c.isstd + c.isut;
  const ttypes = raw.map((t) => {
    const end = chars.indexOf(0, t.idx);
    return { utoff: t.utoff, isdst: t.isdst, abbr: chars.toString('latin1', t.idx, end < 0 ? chars.length : end) };
  });
  let footer: string | null = null;
  if (version !== 0 && buf[p] === 0x0a) {
    const end = buf.indexOf(0x0a, p + 1);
    if (end > p) footer = buf.toString('latin1', p + 1, end);
  }
  return { ats, types: typeIdx, ttypes, footer };
}

function tzifZone(name: string, buf: Buffer): PgTimeZone {
  const { ats, types, ttypes, footer } = parseTzif(buf);
  // Like tzloadbody: drop trailing no-op transitions, then let the footer rule (if it has DST) take over after the
  // last transition. A footer without DST adds nothing: the last transition's type stays in force.
  let n = ats.length;
  const rule = footer ? parsePosixTz(footer) : null;
  if (rule && rule.dst) while (n > 1 && types[n - 1] === types[n - 2]) n--;
  const last = n > 0 ? ats[n - 1]! : -Infinity;
  const lastType = n > 0 ? ttypes[types[n - 1]!]! : ttypes[0]!;
  const first = ttypes[0]!;
  return {
    name,
    at(t: number): ZoneInfo {
      if (n === 0 || t < ats[0]!) {
        if (n === 0 && rule && rule.dst) return ruleAt(rule, t, -Infinity, first);
        return first;
      }
      if (t >= last) {
        if (rule && rule.dst) return ruleAt(rule, t, last, lastType);
        return lastType;
      }
      let lo = 1;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (t < ats[mid]!) hi = mid;
        else lo = mid + 1;
      }
      return ttypes[types[lo - 1]!]!;
    },
  };
}

// ---- POSIX TZ strings (tzparse) ----

interface Rule {
  kind: 'J' | 'D' | 'M';
  day: number;
  week: number;
  mon: number;
  /** seconds after local midnight */
  time: number;
}

export interface PosixTz {
  std: TType;
  dst: null | { type: TType; start: Rule; end: Rule; stdWest: number; dstWest: number };
}

const DEFAULT_RULES = ',M3.2.0,M11.1.0';

/** Parses a POSIX TZ string like PG's tzparse (empty std abbreviation allowed); null when invalid. */
export function parsePosixTz(s: string): PosixTz | null {
  let i = 0;
  const name = (): string | null => {
    if (s[i] === '<') {
      const end = s.indexOf('>', i + 1);
      if (end < 0) return null;
      const n = s.slice(i + 1, end);
      i = end + 1;
      return n;
    }
    const st = i;
    while (i < s.length && !/[0-9,+-]/.test(s[i]!)) i++;
    return s.slice(st, i);
  };
  const num = (min: number, max: number): number | null => {
    const st = i;
    while (i < s.length && s[i]! >= '0' && s[i]! <= '9') i++;
    if (i === st) return null;
    const v = Number(s.slice(st, i));
    return v < min || v > max ? null : v;
  };
  const secs = (): number | null => {
    const h = num(0, 24 * 7 - 1);
    if (h === null) return null;
    let v = h * 3600;
    if (s[i] === ':') {
      i++;
      const m = num(0, 59);
      if (m === null) return null;
      v += m * 60;
      if (s[i] === ':') {
        i++;
        const sec = num(0, 60);
        if (sec === null) return null;
        v += sec;
      }
    }
    return v;
  };
  const offset = (): number | null => {
    let neg = false;
    if (s[i] === '-') {
      neg = true;
      i++;
    } else if (s[i] === '+') i++;
    const v = secs();
    return v === null ? null : neg ? -v : v;
  };
  const rule = (): Rule | null => {
    let r: Rule;
    if (s[i] === 'J') {
      i++;
      const d = num(1, 365);
      if (d === null) return null;
      r = { kind: 'J', day: d, week: 0, mon: 0, time: 7200 };
    } else if (s[i] === 'M') {
      i++;
      const m = num(1, 12);
      if (m === null || s[i++] !== '.') return null;
      const w = num(1, 5);
      if (w === null || s[i++] !== '.') return null;
      const d = num(0, 6);
      if (d === null) return null;
      r = { kind: 'M', day: d, week: w, mon: m, time: 7200 };
    } else {
      const d = num(0, 365);
      if (d === null) return null;
      r = { kind: 'D', day: d, week: 0, mon: 0, time: 7200 };
    }
    if (s[i] === '/') {
      i++;
      const t = offset();
      if (t === null) return null;
      r.time = t;
    }
    return r;
  };

  const stdName = name();
  if (stdName === null) return null;
  const stdWest = offset();
  if (stdWest === null) return null;
  const std: TType = { utoff: -stdWest, isdst: false, abbr: stdName };
  if (i >= s.length) return { std, dst: null };
  const dstName = name();
  if (!dstName) return null;
  let dstWest = stdWest - 3600;
  if (i < s.length && s[i] !== ',' && s[i] !== ';') {
    const o = offset();
    if (o === null) return null;
    dstWest = o;
  }
  if (i >= s.length) {
    s = s + DEFAULT_RULES;
  }
  if (s[i] !== ',' && s[i] !== ';') return null;
  i++;
  const start = rule();
  if (!start || s[i++] !== ',') return null;
  const end = rule();
  if (!end || i !== s.length) return null;
  return { std, dst: { type: { utoff: -dstWest, isdst: true, abbr: dstName }, start, end, stdWest, dstWest } };
}

const MON_DAYS = [
  [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31],
  [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31],
];
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** Year-relative UT seconds at which `r` fires (tzcode transtime); `west` is the offset in force before it. */
function transTime(year: number, r: Rule, west: number): number {
  const leap = isLeap(year) ? 1 : 0;
  let value: number;
  if (r.kind === 'J') {
    value = (r.day - 1) * 86400;
    if (leap && r.day >= 60) value += 86400;
  } else if (r.kind === 'D') {
    value = r.day * 86400;
  } else {
    // Zeller's congruence for the weekday of the 1st of the month.
    const m1 = ((r.mon + 9) % 12) + 1;
    const yy0 = r.mon <= 2 ? year - 1 : year;
    const yy1 = Math.trunc(yy0 / 100);
    const yy2 = yy0 % 100;
    let dow = (Math.trunc((26 * m1 - 2) / 10) + 1 + yy2 + Math.trunc(yy2 / 4) + Math.trunc(yy1 / 4) - 2 * yy1) % 7;
    if (dow < 0) dow += 7;
    let d = r.day - dow;
    if (d < 0) d += 7;
    for (let k = 1; k < r.week; k++) {
      if (d + 7 >= MON_DAYS[leap]![r.mon - 1]!) break;
      d += 7;
    }
    value = d * 86400;
    for (let k = 0; k < r.mon - 1; k++) value += MON_DAYS[leap]![k]! * 86400;
  }
  return value + r.time + west;
}

function janFirst(year: number): number {
  return daysFromCivil(year, 1, 1) * 86400;
}

/** Proleptic Gregorian year containing a Unix time (any magnitude PG timestamps reach). */
function yearOfUnixSeconds(t: number): number {
  const z = Math.floor(t / 86400) + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  return yoe + era * 400 + (mp >= 10 ? 1 : 0);
}

/** Days since 1970-01-01 of a proleptic Gregorian date. */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

// per-rule cache of computed years (a result set usually spans few years)
const yearCache = new WeakMap<PosixTz, Map<number, { at: number; type: TType }[]>>();

function ruleTransitions(rule: PosixTz, year: number): { at: number; type: TType }[] {
  let years = yearCache.get(rule);
  if (!years) yearCache.set(rule, (years = new Map()));
  let hit = years.get(year);
  if (!hit) {
    if (years.size > 1000) years.clear();
    hit = computeTransitions(rule, year);
    years.set(year, hit);
  }
  return hit;
}

function computeTransitions(rule: PosixTz, year: number): { at: number; type: TType }[] {
  const dst = rule.dst!;
  const yearSecs = (isLeap(year) ? 366 : 365) * 86400;
  let startT = transTime(year, dst.start, dst.stdWest);
  let endT = transTime(year, dst.end, dst.dstWest);
  const reversed = endT < startT;
  if (reversed) [startT, endT] = [endT, startT];
  if (!(reversed || (startT < endT && endT - startT < yearSecs))) return [];
  const base = janFirst(year);
  return [
    { at: base + startT, type: reversed ? rule.std : dst.type },
    { at: base + endT, type: reversed ? dst.type : rule.std },
  ];
}

/** Type in force at `t` when transitions come from `rule` after `after` (earlier type `before`). */
function ruleAt(rule: PosixTz, t: number, after: number, before: TType): TType {
  // A rule that never yields both transitions means permanent DST (tzparse "Perpetual DST").
  if (ruleTransitions(rule, 2001).length === 0 && ruleTransitions(rule, 2004).length === 0) return rule.dst!.type;
  const year = yearOfUnixSeconds(t);
  let best: { at: number; type: TType } | null = null;
  for (let y = year + 1; y >= year - 1 && !best; y--) {
    const trs = ruleTransitions(rule, y);
    for (let i = trs.length - 1; i >= 0; i--) {
      const tr = trs[i]!;
      if (tr.at > after && tr.at <= t && (!best || tr.at > best.at)) best = tr;
    }
  }
  return best ? best.type : before;
}

function posixZone(name: string, spec: string, parsed?: PosixTz): PgTimeZone {
  const rule = parsed ?? parsePosixTz(spec);
  if (!rule) throw new Error(`invalid value for parameter "TimeZone": "${name}"`);
  if (!rule.dst) {
    const std = rule.std;
    return { name, at: () => std };
  }
  return { name, at: (t) => ruleAt(rule, t, -Infinity, rule.std) };
}

// ---- fallback: ICU via Intl (offsets to the minute, abbreviation = numeric offset) ----

function intlZone(name: string): PgTimeZone | null {
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', { timeZone: name, timeZoneName: 'longOffset' });
  } catch {
    return null;
  }
  const memo = new Map<number, ZoneInfo>();
  return {
    name,
    at(t: number): ZoneInfo {
      const key = Math.floor(t / 900);
      const hit = memo.get(key);
      if (hit) return hit;
      const clamped = Math.min(Math.max(t, -8.64e12), 8.64e12);
      const part = fmt.formatToParts(new Date(clamped * 1000)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
      const m = /GMT([+-])(\d{2}):(\d{2})(?::(\d{2}))?/.exec(part);
      const utoff = m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0)) : 0;
      const abs = Math.abs(utoff);
      const hh = String(Math.floor(abs / 3600)).padStart(2, '0');
      const mm = Math.floor((abs % 3600) / 60);
      const info = { utoff, isdst: false, abbr: (utoff < 0 ? '-' : '+') + hh + (mm ? String(mm).padStart(2, '0') : '') };
      if (memo.size > 4096) memo.clear();
      memo.set(key, info);
      return info;
    },
  };
}
