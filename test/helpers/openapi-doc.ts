// Reading the OpenAPI document in tests: its shape, fastify's route tree, and which
// operation a request URL lands on.
export interface OpenApiDoc {
  servers?: Array<{ url: string }>;
  paths: Record<string, Record<string, { operationId?: string; summary?: string; responses: Record<string, { content: Record<string, { schema: unknown }> }> }>>;
}

/** The routes in fastify's printRoutes() tree, as OpenAPI paths (HEAD left out: GET's twin). */
export function serverRoutes(tree: string): Array<{ method: string; path: string }> {
  const out: Array<{ method: string; path: string }> = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^((?:│ {3}| {4})*)(?:├── |└── )(\S+) \(([A-Z, ]+)\)$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    const path = stack.join('').replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    for (const method of m[3]!.split(', ')) if (method !== 'HEAD') out.push({ method, path });
  }
  return out;
}


/** The document's operation for a request (its path matched against the templates). */
export function operationFor(doc: OpenApiDoc, method: string, url: string) {
  const path = url.split('?')[0]!;
  for (const [template, ops] of Object.entries(doc.paths)) {
    const re = new RegExp('^' + template.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+') + '$');
    if (re.test(path) && ops[method.toLowerCase()]) return { template, op: ops[method.toLowerCase()]! };
  }
  return undefined;
}
