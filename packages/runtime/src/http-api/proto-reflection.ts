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
