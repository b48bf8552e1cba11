import type { Json } from './payload-shorthand.js';
import { fieldByJsonName, isEnum, resolvedTypeOf, type ReflectedType } from './proto-reflection.js';
import { JsonMappingError } from './temporal-json.js';

/**
 * Sets a request field named by a path (`execution.workflow_id`, proto or JSON names) from a
 * path variable or query parameter, in the JSON document the request is built from. The text
 * becomes the JSON value the field's type takes (a boolean for bool, a number for an enum
 * number, a string otherwise: proto3 JSON reads integers, Durations and Timestamps from
 * strings). Repeated fields collect every value (`?a=1&a=2`), as grpc-gateway does.
 * Returns false when the path names no field (grpc-gateway ignores unknown query parameters).
 */
export function setField(type: ReflectedType, target: { [key: string]: Json }, path: readonly string[], text: string, source: string): boolean {
  let current = target;
  let currentType = type;
  for (let i = 0; i < path.length; i++) {
    const field = fieldByJsonName(currentType, path[i] ?? '');
    if (!field) return false;
    const fieldType = resolvedTypeOf(field);
    if (i < path.length - 1) {
      if (!fieldType || isEnum(fieldType) || field.repeated || field.map) return false;
      const next = current[field.name];
      const child = typeof next === 'object' && next !== null && !Array.isArray(next) ? next : {};
      current[field.name] = child;
      current = child;
      currentType = fieldType;
      continue;
    }
    if (field.map) throw new JsonMappingError(`${source}: ${path.join('.')} is a map and cannot be set from text`);
    if (fieldType && !isEnum(fieldType) && !fieldType.fullName.startsWith('.google.protobuf.')) {
      throw new JsonMappingError(`${source}: ${path.join('.')} is a message and cannot be set from text`);
    }
    const value = textToJson(text, field.type, isEnum(fieldType), `${source} ${path.join('.')}`);
    if (field.repeated) {
      const list = current[field.name];
      current[field.name] = [...(Array.isArray(list) ? list : []), value];
    } else {
      current[field.name] = value;
    }
  }
  return true;
}

function textToJson(text: string, scalar: string, isEnumField: boolean, where: string): Json {
  if (scalar === 'bool') {
    if (text === 'true' || text === 'false') return text === 'true';
    throw new JsonMappingError(`${where}: expected true or false`);
  }
  if (isEnumField && /^-?\d+$/.test(text)) return Number(text);
  return text;
}
