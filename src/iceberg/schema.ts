// Iceberg schemas in their spec JSON shape (spec §Schemas and Data Types), so metadata round-trips unchanged.
// Every field — including list elements and map keys/values — carries a table-unique id; readers match
// Parquet columns by these ids, which is what makes rename/drop/add safe.

export type PrimitiveType =
  | 'boolean'
  | 'int'
  | 'long'
  | 'float'
  | 'double'
  | 'date'
  | 'time'
  | 'timestamp'
  | 'timestamptz'
  | 'string'
  | 'uuid'
  | 'binary'
  | `decimal(${number}, ${number})`
  | `fixed[${number}]`;

export interface StructType {
  type: 'struct';
  fields: NestedField[];
}
export interface ListType {
  type: 'list';
  'element-id': number;
  element: IcebergType;
  'element-required': boolean;
}
export interface MapType {
  type: 'map';
  'key-id': number;
  key: IcebergType;
  'value-id': number;
  value: IcebergType;
  'value-required': boolean;
}
export type IcebergType = PrimitiveType | StructType | ListType | MapType;

export interface NestedField {
  id: number;
  name: string;
  required: boolean;
  type: IcebergType;
  doc?: string;
}

export interface Schema {
  type: 'struct';
  'schema-id': number;
  'identifier-field-ids'?: number[];
  fields: NestedField[];
}

export function isPrimitive(t: IcebergType): t is PrimitiveType {
  return typeof t === 'string';
}

/** 'decimal(10, 2)' / 'decimal(10,2)' → {precision, scale}; null for other types */
export function parseDecimal(t: IcebergType): { precision: number; scale: number } | null {
  if (typeof t !== 'string') return null;
  const m = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(t);
  return m ? { precision: Number(m[1]), scale: Number(m[2]) } : null;
}

export function decimalType(precision: number, scale: number): PrimitiveType {
  if (precision < 1 || precision > 38 || scale < 0 || scale > precision) {
    throw new Error(`invalid decimal(${precision}, ${scale})`);
  }
  return `decimal(${precision}, ${scale})`;
}

export function parseFixed(t: IcebergType): number | null {
  if (typeof t !== 'string') return null;
  const m = /^fixed\[(\d+)\]$/.exec(t);
  return m ? Number(m[1]) : null;
}

// ---- building schemas without hand-assigned ids ------------------------------------------------------------

/** A type as callers describe it: like IcebergType but nested ids are assigned for them. */
export type TypeSpec =
  | PrimitiveType
  | { type: 'list'; element: TypeSpec; elementRequired?: boolean }
  | { type: 'map'; key: TypeSpec; value: TypeSpec; valueRequired?: boolean }
  | { type: 'struct'; fields: FieldSpec[] };

export interface FieldSpec {
  name: string;
  type: TypeSpec;
  required?: boolean;
  doc?: string;
}

/**
 * Assign ids the way Java does: the fields of one struct get consecutive ids first, then their nested
 * children. `next()` hands out ids (starting after the table's last-column-id).
 */
export function assignFieldIds(specs: readonly FieldSpec[], next: () => number): NestedField[] {
  const ids = specs.map(() => next());
  return specs.map((s, i) => {
    const f: NestedField = { id: ids[i]!, name: s.name, required: s.required ?? false, type: assignTypeIds(s.type, next) };
    if (s.doc !== undefined) f.doc = s.doc;
    return f;
  });
}

export function assignTypeIds(t: TypeSpec, next: () => number): IcebergType {
  if (typeof t === 'string') return t;
  switch (t.type) {
    case 'list': {
      const id = next();
      return { type: 'list', 'element-id': id, element: assignTypeIds(t.element, next), 'element-required': t.elementRequired ?? false };
    }
    case 'map': {
      const k = next();
      const v = next();
      return {
        type: 'map',
        'key-id': k,
        key: assignTypeIds(t.key, next),
        'value-id': v,
        value: assignTypeIds(t.value, next),
        'value-required': t.valueRequired ?? false,
      };
    }
    case 'struct':
      return { type: 'struct', fields: assignFieldIds(t.fields, next) };
  }
}

/** A new schema (schema-id 0, ids from 1); identifier fields are named top-level columns and become required. */
export function buildSchema(fields: readonly FieldSpec[], opts: { identifierFields?: string[]; schemaId?: number } = {}): Schema {
  let id = 0;
  const built = assignFieldIds(fields, () => ++id);
  const schema: Schema = { type: 'struct', 'schema-id': opts.schemaId ?? 0, fields: built };
  if (opts.identifierFields?.length) {
    schema['identifier-field-ids'] = opts.identifierFields.map((n) => {
      const f = built.find((x) => x.name === n);
      if (!f) throw new Error(`identifier field ${n} is not a top-level column`);
      f.required = true;
      return f.id;
    });
  }
  validateSchema(schema);
  return schema;
}

// ---- walking ----------------------------------------------------------------------------------------------

export interface FieldInfo {
  id: number;
  /** column path from the root, e.g. ['addr', 'city'] or ['tags', 'element'] */
  path: string[];
  type: IcebergType;
  required: boolean;
  /** inside a list or map: Iceberg keeps no bounds for these */
  repeated: boolean;
}

/** Every id in the schema (fields, list elements, map keys/values) → where it is. */
export function indexFields(schema: { fields: NestedField[] }): Map<number, FieldInfo> {
  const out = new Map<number, FieldInfo>();
  const visitType = (t: IcebergType, path: string[], repeated: boolean): void => {
    if (typeof t === 'string') return;
    if (t.type === 'struct') for (const f of t.fields) visitField(f.id, f.name, f.type, f.required, path, repeated);
    else if (t.type === 'list') visitField(t['element-id'], 'element', t.element, t['element-required'], path, true);
    else {
      visitField(t['key-id'], 'key', t.key, true, path, true);
      visitField(t['value-id'], 'value', t.value, t['value-required'], path, true);
    }
  };
  const visitField = (id: number, name: string, type: IcebergType, required: boolean, parent: string[], repeated: boolean): void => {
    if (out.has(id)) throw new Error(`duplicate field id ${id}`);
    const path = [...parent, name];
    out.set(id, { id, path, type, required, repeated });
    visitType(type, path, repeated);
  };
  visitType({ type: 'struct', fields: schema.fields }, [], false);
  return out;
}

export function maxFieldId(schema: { fields: NestedField[] }): number {
  let m = 0;
  for (const id of indexFields(schema).keys()) m = Math.max(m, id);
  return m;
}

/** Resolve a dotted top-level/struct path ('a' or 'addr.city') to its field. */
export function findField(schema: { fields: NestedField[] }, name: string): NestedField | undefined {
  let fields = schema.fields;
  let found: NestedField | undefined;
  for (const part of name.split('.')) {
    found = fields.find((f) => f.name === part);
    if (!found) return undefined;
    fields = typeof found.type !== 'string' && found.type.type === 'struct' ? found.type.fields : [];
  }
  return found;
}

const PRIMITIVES = new Set(['boolean', 'int', 'long', 'float', 'double', 'date', 'time', 'timestamp', 'timestamptz', 'string', 'uuid', 'binary']);

/** Throws on unknown types, duplicate ids/names or bad identifier fields. */
export function validateSchema(schema: Schema): void {
  const idx = indexFields(schema);
  const checkType = (t: IcebergType): void => {
    if (typeof t === 'string') {
      if (!PRIMITIVES.has(t) && !parseDecimal(t) && parseFixed(t) === null) throw new Error(`unknown Iceberg type ${t}`);
      return;
    }
    if (t.type === 'struct') {
      const names = new Set<string>();
      for (const f of t.fields) {
        if (names.has(f.name)) throw new Error(`duplicate column name ${f.name}`);
        names.add(f.name);
        checkType(f.type);
      }
    } else if (t.type === 'list') checkType(t.element);
    else {
      checkType(t.key);
      checkType(t.value);
    }
  };
  checkType({ type: 'struct', fields: schema.fields });
  for (const id of schema['identifier-field-ids'] ?? []) {
    const f = idx.get(id);
    if (!f || f.repeated || typeof f.type !== 'string') throw new Error(`identifier field id ${id} must be a primitive, non-repeated field`);
    if (!f.required) throw new Error(`identifier field ${f.path.join('.')} must be required`);
    if (f.type === 'float' || f.type === 'double') throw new Error('identifier fields cannot be float/double');
  }
}
