// Schema evolution (spec §Schema Evolution): every change yields a new schema with a new schema-id; new
// columns get fresh ids above last-column-id, so old data files (which lack those ids) read them as null.
import {
  assignTypeIds,
  findField,
  isPrimitive,
  parseDecimal,
  validateSchema,
  type IcebergType,
  type NestedField,
  type PrimitiveType,
  type Schema,
  type TypeSpec,
} from './schema.js';

export type SchemaChange =
  /** new optional column; `parent` = dotted path of a struct column to add into */
  | { op: 'add-column'; name: string; type: TypeSpec; parent?: string; doc?: string }
  | { op: 'drop-column'; name: string }
  | { op: 'rename-column'; name: string; newName: string }
  /** int→long, float→double, decimal(P,S)→decimal(P',S) with P' ≥ P */
  | { op: 'update-column-type'; name: string; type: PrimitiveType }
  | { op: 'make-optional'; name: string }
  | { op: 'set-identifier-fields'; names: string[] };

/** Whether `from` may be promoted to `to` in place (spec §Schema Evolution, allowed type promotions). */
export function canPromote(from: IcebergType, to: IcebergType): boolean {
  if (from === to) return true;
  if (from === 'int' && to === 'long') return true;
  if (from === 'float' && to === 'double') return true;
  const a = parseDecimal(from);
  const b = parseDecimal(to);
  return !!a && !!b && a.scale === b.scale && b.precision >= a.precision;
}

/** The struct field list that holds `name` (dotted path), and the leaf name. */
function locate(fields: NestedField[], name: string): { siblings: NestedField[]; leaf: string } {
  const parts = name.split('.');
  const leaf = parts.pop()!;
  let siblings = fields;
  for (const p of parts) {
    const f = siblings.find((x) => x.name === p);
    if (!f || typeof f.type === 'string' || f.type.type !== 'struct') throw new Error(`no struct column ${p} in ${name}`);
    siblings = f.type.fields;
  }
  return { siblings, leaf };
}

/**
 * Apply changes to `base`; returns the new schema (schema-id = newSchemaId) and the new last-column-id.
 * The base schema object is not modified.
 */
export function applySchemaChanges(
  base: Schema,
  lastColumnId: number,
  changes: readonly SchemaChange[],
  newSchemaId: number,
): { schema: Schema; lastColumnId: number } {
  const schema = structuredClone(base);
  schema['schema-id'] = newSchemaId;
  let last = lastColumnId;
  for (const ch of changes) {
    switch (ch.op) {
      case 'add-column': {
        const target = ch.parent ? findField(schema, ch.parent) : undefined;
        let siblings = schema.fields;
        if (ch.parent) {
          if (!target || typeof target.type === 'string' || target.type.type !== 'struct') throw new Error(`no struct column ${ch.parent}`);
          siblings = target.type.fields;
        }
        if (siblings.some((f) => f.name === ch.name)) throw new Error(`column ${ch.name} already exists`);
        const id = ++last;
        const f: NestedField = { id, name: ch.name, required: false, type: assignTypeIds(ch.type, () => ++last) };
        if (ch.doc !== undefined) f.doc = ch.doc;
        siblings.push(f);
        break;
      }
      case 'drop-column': {
        const { siblings, leaf } = locate(schema.fields, ch.name);
        const i = siblings.findIndex((f) => f.name === leaf);
        if (i < 0) throw new Error(`no column ${ch.name}`);
        if (schema['identifier-field-ids']?.includes(siblings[i]!.id)) throw new Error(`cannot drop identifier column ${ch.name}`);
        siblings.splice(i, 1);
        break;
      }
      case 'rename-column': {
        const { siblings, leaf } = locate(schema.fields, ch.name);
        const f = siblings.find((x) => x.name === leaf);
        if (!f) throw new Error(`no column ${ch.name}`);
        if (siblings.some((x) => x.name === ch.newName)) throw new Error(`column ${ch.newName} already exists`);
        f.name = ch.newName;
        break;
      }
      case 'update-column-type': {
        const f = findField(schema, ch.name);
        if (!f) throw new Error(`no column ${ch.name}`);
        if (!isPrimitive(f.type) || !canPromote(f.type, ch.type)) {
          throw new Error(`cannot change ${ch.name} from ${JSON.stringify(f.type)} to ${ch.type}`);
        }
        f.type = ch.type;
        break;
      }
      case 'make-optional': {
        const f = findField(schema, ch.name);
        if (!f) throw new Error(`no column ${ch.name}`);
        if (schema['identifier-field-ids']?.includes(f.id)) throw new Error(`identifier column ${ch.name} must stay required`);
        f.required = false;
        break;
      }
      case 'set-identifier-fields': {
        schema['identifier-field-ids'] = ch.names.map((n) => {
          const f = findField(schema, n);
          if (!f) throw new Error(`no column ${n}`);
          return f.id;
        });
        if (ch.names.length === 0) delete schema['identifier-field-ids'];
        break;
      }
    }
  }
  validateSchema(schema);
  return { schema, lastColumnId: last };
}

/** Same fields, ids and identifier fields (schema-id ignored): lets a no-op evolution reuse a schema. */
export function sameSchemaStructure(a: Schema, b: Schema): boolean {
  const strip = (s: Schema) => JSON.stringify({ f: s.fields, i: s['identifier-field-ids'] ?? [] });
  return strip(a) === strip(b);
}
