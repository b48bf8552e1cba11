/**
 * A `google.api.http` path template (`/api/v1/namespaces/{namespace}/workflows/{execution.workflow_id}`)
 * turned into a find-my-way path. Variables become positional `:v0`, `:v1` segments: the
 * template's own names hold dots (`execution.workflow_id`), which find-my-way reads as a
 * separator between two parameters, and routes with different names at one position would
 * conflict. Each variable keeps the request field path it fills.
 *
 * Grammar (google/api/http.proto): `"/" Segment {"/" Segment} [":" Verb]`, a segment being a
 * literal, `*`, `**` or `{field.path[=Segments]}`. Supported: literals, `{field}`,
 * `{field=*}`, and `{field=**}` / `**` as the last segment (find-my-way's trailing wildcard).
 * Anything else (a multi-segment pattern inside a variable) is reported, not guessed at.
 */
export interface PathVariable {
  /** The router parameter that holds the value ('v0', or '*' for a trailing wildcard). */
  readonly param: string;
  /** The request field it sets, proto names: ['execution', 'workflow_id']. */
  readonly fieldPath: readonly string[];
}

export interface CompiledTemplate {
  /** find-my-way path, e.g. '/api/v1/namespaces/:v0/workflows/:v1'. */
  readonly routerPath: string;
  readonly variables: readonly PathVariable[];
}

export class UnsupportedTemplateError extends Error {
  override readonly name = 'UnsupportedTemplateError';
}

const FIELD_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const LITERAL = /^[A-Za-z0-9._~!$&'()+,;=@-]+$/;

export function compileTemplate(template: string): CompiledTemplate {
  if (!template.startsWith('/')) throw new UnsupportedTemplateError(`path template '${template}' does not start with '/'`);
  let body = template.slice(1);
  // A verb (`/v1/things:run`) follows the last ':' outside braces.
  let verb: string | undefined;
  const lastBrace = body.lastIndexOf('}');
  const colon = body.indexOf(':', lastBrace + 1);
  if (colon >= 0) {
    verb = body.slice(colon + 1);
    body = body.slice(0, colon);
    if (!LITERAL.test(verb)) throw new UnsupportedTemplateError(`path template '${template}': bad verb '${verb}'`);
  }
  const segments = splitSegments(body, template);
  const out: string[] = [];
  const variables: PathVariable[] = [];
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1;
    if (segment.startsWith('{')) {
      const inner = segment.slice(1, -1);
      const eq = inner.indexOf('=');
      const field = eq < 0 ? inner : inner.slice(0, eq);
      const pattern = eq < 0 ? '*' : inner.slice(eq + 1);
      if (!FIELD_PATH.test(field)) throw new UnsupportedTemplateError(`path template '${template}': bad field path '${field}'`);
      if (pattern === '*') {
        const param = `v${variables.length}`;
        variables.push({ param, fieldPath: field.split('.') });
        out.push(`:${param}`);
      } else if (pattern === '**' && last && verb === undefined) {
        variables.push({ param: '*', fieldPath: field.split('.') });
        out.push('*');
      } else {
        throw new UnsupportedTemplateError(`path template '${template}': variable pattern '${pattern}' is not supported`);
      }
    } else if (segment === '*') {
      // An anonymous single-segment match: routed, its value unused.
      out.push(`:a${index}`);
    } else if (segment === '**') {
      if (!last || verb !== undefined) throw new UnsupportedTemplateError(`path template '${template}': '**' must be the last segment`);
      out.push('*');
    } else if (LITERAL.test(segment)) {
      out.push(segment);
    } else {
      throw new UnsupportedTemplateError(`path template '${template}': bad segment '${segment}'`);
    }
  });
  // '::' is find-my-way's escaped literal colon.
  const routerPath = `/${out.join('/')}${verb === undefined ? '' : `::${verb}`}`;
  return { routerPath, variables };
}

/** Splits on '/' outside braces. */
function splitSegments(body: string, template: string): string[] {
  const segments: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of body) {
    if (ch === '{') depth++;
    if (ch === '}') depth--;
    if (depth < 0 || depth > 1) throw new UnsupportedTemplateError(`path template '${template}': unbalanced braces`);
    if (ch === '/' && depth === 0) {
      segments.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  if (depth !== 0) throw new UnsupportedTemplateError(`path template '${template}': unbalanced braces`);
  segments.push(current);
  if (segments.some((s) => s === '')) throw new UnsupportedTemplateError(`path template '${template}': empty segment`);
  return segments;
}
