/**
 * The slice of protobufjs reflection the JSON mapping walks (kept local: protobufjs is not our
 * dependency, the root comes from @temporalio/proto). Names are as the root holds them:
 * fields in lowerCamelCase, types fully qualified with a leading dot.
 */
export interface ReflectedEnum {
  readonly fullName: string;
  readonly values: Readonly<Record<string, number>>;
  readonly valuesById: Readonly<Record<number, string>>;
}

export interface ReflectedField {
  readonly name: string;
  /** Scalar type name ('string', 'int64', …) or the referenced type's name. */
  readonly type: string;
  readonly repeated: boolean;
  readonly map: boolean;
  readonly partOf: { readonly name: string } | null;
  readonly resolvedType: ReflectedType | ReflectedEnum | null;
  resolve(): ReflectedField;
}

export interface ReflectedType {
  readonly fullName: string;
  readonly fields: Readonly<Record<string, ReflectedField>>;
  decode(bytes: Uint8Array): object;
  encode(message: object): { finish(): Uint8Array };
  fromObject(object: Record<string, unknown>): object;
}

export function isEnum(t: ReflectedType | ReflectedEnum | null): t is ReflectedEnum {
  return t !== null && 'values' in t;
}

const fullNames = new WeakMap<ReflectedType | ReflectedEnum, string>();

/**
 * A type's full name, computed once. protobufjs's `fullName` is a getter that walks the parents
 * and joins their names on every read, and the JSON mapping reads it for every message it
 * writes: for a 1,000-event history page that walk was a good part of the HTTP answer's time.
 */
export function fullNameOf(type: ReflectedType | ReflectedEnum): string {
  let name = fullNames.get(type);
  if (name === undefined) {
    name = type.fullName;
    fullNames.set(type, name);
  }
  return name;
}

const fieldLists = new WeakMap<ReflectedType, readonly ReflectedField[]>();

/** A type's fields in declaration order, listed once (`Object.values` copies on every call). */
export function fieldsOf(type: ReflectedType): readonly ReflectedField[] {
  let fields = fieldLists.get(type);
  if (fields === undefined) {
    fields = Object.values(type.fields);
    fieldLists.set(type, fields);
  }
  return fields;
}

/** A field's resolved type (resolving it on first use: the root resolves lazily). */
export function resolvedTypeOf(field: ReflectedField): ReflectedType | ReflectedEnum | null {
  return field.resolve().resolvedType;
}

const byJsonName = new WeakMap<ReflectedType, Map<string, ReflectedField>>();

/**
 * A field by the name a JSON document uses: proto3 JSON parsers accept the lowerCamelCase JSON
 * name and the original proto name (`workflowId` and `workflow_id`).
 */
export function fieldByJsonName(type: ReflectedType, name: string): ReflectedField | undefined {
  let names = byJsonName.get(type);
  if (!names) {
    names = new Map();
    for (const field of Object.values(type.fields)) {
      names.set(field.name, field);
      names.set(field.name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), field);
    }
    byJsonName.set(type, names);
  }
  return names.get(name);
}
