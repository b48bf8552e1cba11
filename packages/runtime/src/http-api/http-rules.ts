import type { HttpMethod } from '@chasm/core';

/**
 * One `google.api.http` binding of a method: the HTTP verb, the path template and where the
 * request comes from (`body: "*"`: the whole JSON body; a field name: that field; absent: path
 * and query parameters only).
 */
export interface HttpBinding {
  readonly method: HttpMethod;
  readonly template: string;
  readonly body: string | undefined;
}

/** The slice of protobufjs method reflection that carries options. */
export interface AnnotatedMethod {
  readonly name: string;
  readonly parsedOptions?: readonly Record<string, unknown>[] | null;
}

type HttpRule = Partial<Record<'get' | 'post' | 'put' | 'patch' | 'delete' | 'body', unknown>> & {
  readonly additional_bindings?: HttpRule | readonly HttpRule[];
  readonly additionalBindings?: HttpRule | readonly HttpRule[];
};

const VERBS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/**
 * Reads a method's `(google.api.http)` option as protobufjs parsed it from the official protos
 * (`parsedOptions`), with every additional binding. protobufjs gives a repeated
 * `additional_bindings` as an array and a single one as an object. A rule whose pattern is
 * `custom` (no verb of ours) yields nothing.
 */
export function httpBindings(method: AnnotatedMethod): HttpBinding[] {
  const rule = (method.parsedOptions ?? []).map((o) => o['(google.api.http)']).find((r) => r !== undefined) as HttpRule | undefined;
  if (!rule) return [];
  const out: HttpBinding[] = [];
  const visit = (r: HttpRule): void => {
    for (const verb of VERBS) {
      const template = r[verb];
      if (typeof template === 'string') {
        out.push({ method: verb.toUpperCase() as HttpMethod, template, body: typeof r.body === 'string' && r.body !== '' ? r.body : undefined });
      }
    }
    const more = r.additional_bindings ?? r.additionalBindings;
    if (Array.isArray(more)) (more as readonly HttpRule[]).forEach(visit);
    else if (more && typeof more === 'object') visit(more as HttpRule);
  };
  visit(rule);
  return out;
}
