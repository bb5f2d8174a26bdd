// Session GUCs that change how Postgres renders result values. The wire session keeps one OutputSettings per client
// and replaces it whenever the upstream reports a new ParameterStatus (or the client SETs one of these locally).
import { resolveTimeZone, type PgTimeZone } from './timezone.js';

export type DateStyle = 'ISO' | 'SQL' | 'Postgres' | 'German';
export type DateOrder = 'MDY' | 'DMY' | 'YMD';
export type IntervalStyle = 'postgres' | 'postgres_verbose' | 'sql_standard' | 'iso_8601';

export interface OutputSettings {
  readonly dateStyle: DateStyle;
  readonly dateOrder: DateOrder;
  readonly timeZone: PgTimeZone;
  readonly intervalStyle: IntervalStyle;
  /** -15 … 3; > 0 means shortest round-trip output (PG 12+) */
  readonly extraFloatDigits: number;
  readonly byteaOutput: 'hex' | 'escape';
  /** IvorySQL: `ivorysql.compatible_mode = oracle` (Nan/Inf spelling, Oracle interval display) */
  readonly oracleMode: boolean;
  /** IvorySQL NLS masks used by the Oracle date/timestamp types */
  readonly nlsDateFormat: string;
  readonly nlsTimestampFormat: string;
  readonly nlsTimestampTzFormat: string;
}

/** PG's boot values (what a fresh session reports unless postgresql.conf says otherwise). */
export function defaultOutputSettings(): OutputSettings {
  return {
    dateStyle: 'ISO',
    dateOrder: 'MDY',
    timeZone: resolveTimeZone('UTC'),
    intervalStyle: 'postgres',
    extraFloatDigits: 1,
    byteaOutput: 'hex',
    oracleMode: false,
    nlsDateFormat: 'YYYY-MM-DD',
    nlsTimestampFormat: 'YYYY-MM-DD HH24:MI:SS.FF6',
    nlsTimestampTzFormat: 'YYYY-MM-DD HH24:MI:SS.FF6 TZH:TZM',
  };
}

/** The GUC names this module reacts to (lower case), for the session's ParameterStatus/SET bookkeeping. */
export const OUTPUT_GUCS = [
  'datestyle',
  'timezone',
  'intervalstyle',
  'extra_float_digits',
  'bytea_output',
  'ivorysql.compatible_mode',
  'nls_date_format',
  'nls_timestamp_format',
  'nls_timestamp_tz_format',
] as const;

/**
 * Returns settings with one GUC changed, parsing the value as Postgres does (`DateStyle` accepts `'SQL, DMY'`,
 * `'German'`, `'euro'` …). Unknown GUC names return `s` unchanged; invalid values throw.
 */
export function withSetting(s: OutputSettings, name: string, value: string): OutputSettings {
  switch (name.toLowerCase()) {
    case 'datestyle':
      return { ...s, ...parseDateStyle(value, s) };
    case 'timezone':
      return { ...s, timeZone: resolveTimeZone(value) };
    case 'intervalstyle': {
      const v = value.trim().toLowerCase();
      if (v !== 'postgres' && v !== 'postgres_verbose' && v !== 'sql_standard' && v !== 'iso_8601') {
        throw new Error(`invalid value for parameter "IntervalStyle": "${value}"`);
      }
      return { ...s, intervalStyle: v };
    }
    case 'extra_float_digits': {
      const n = Number(value.trim());
      if (!Number.isInteger(n) || n < -15 || n > 3) {
        throw new Error(`invalid value for parameter "extra_float_digits": "${value}"`);
      }
      return { ...s, extraFloatDigits: n };
    }
    case 'bytea_output': {
      const v = value.trim().toLowerCase();
      if (v !== 'hex' && v !== 'escape') throw new Error(`invalid value for parameter "bytea_output": "${value}"`);
      return { ...s, byteaOutput: v };
    }
    case 'ivorysql.compatible_mode':
      return { ...s, oracleMode: value.trim().toLowerCase() === 'oracle' };
    case 'nls_date_format':
      return { ...s, nlsDateFormat: value };
    case 'nls_timestamp_format':
      return { ...s, nlsTimestampFormat: value };
    case 'nls_timestamp_tz_format':
      return { ...s, nlsTimestampTzFormat: value };
    default:
      return s;
  }
}

/** Builds settings from a GUC map (e.g. the ParameterStatus values collected at startup). */
export function outputSettingsFrom(gucs: Record<string, string>, base = defaultOutputSettings()): OutputSettings {
  let s = base;
  for (const [k, v] of Object.entries(gucs)) s = withSetting(s, k, v);
  return s;
}

/** check_datestyle: comma-separated style and/or order keywords; German implies DMY unless an order is given. */
export function parseDateStyle(value: string, prev: { dateStyle: DateStyle; dateOrder: DateOrder }) {
  let dateStyle = prev.dateStyle;
  let dateOrder = prev.dateOrder;
  let haveStyle = false;
  let haveOrder = false;
  for (const raw of value.split(',')) {
    const tok = raw.trim().replace(/^"(.*)"$/, '$1').toLowerCase();
    const style = (st: DateStyle) => {
      if (haveStyle && dateStyle !== st) throw new Error('conflicting "datestyle" specifications');
      dateStyle = st;
      haveStyle = true;
    };
    const order = (o: DateOrder) => {
      if (haveOrder && dateOrder !== o) throw new Error('conflicting "datestyle" specifications');
      dateOrder = o;
      haveOrder = true;
    };
    if (tok === 'iso') style('ISO');
    else if (tok === 'sql') style('SQL');
    else if (tok.startsWith('postgres')) style('Postgres');
    else if (tok === 'german') {
      style('German');
      if (!haveOrder) dateOrder = 'DMY';
    } else if (tok === 'ymd') order('YMD');
    else if (tok === 'dmy' || tok.startsWith('euro')) order('DMY');
    else if (tok === 'mdy' || tok === 'us' || tok.startsWith('noneuro')) order('MDY');
    else if (tok === 'default') {
      if (!haveStyle) dateStyle = 'ISO';
      if (!haveOrder) dateOrder = 'MDY';
      haveStyle = haveOrder = true;
    } else throw new Error(`invalid value for parameter "DateStyle": "${value}"`);
  }
  return { dateStyle, dateOrder };
}
