/**
 * The OpenAPI document in docs/api/ describes exactly what the server serves: the same paths and methods, the
 * same request and response schemas, and it is the document the code generates (not a stale copy).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { FakeVmController } from './fake-controller.js';
import { openApiDocument } from './schema.js';
import { buildControlApp, registeredRoutes } from './server.js';
import { OPENAPI_PATH, openApiText } from './write-openapi.js';

interface Doc {
  openapi: string;
  paths: Record<string, Record<string, { operationId: string; requestBody?: { content: Record<string, { schema: unknown }> }; responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>>;
  components: { schemas: Record<string, unknown> };
}

const committed = JSON.parse(readFileSync(OPENAPI_PATH, 'utf8')) as Doc;

function deref(doc: Doc, schema: unknown): unknown {
  const r = (schema as { $ref?: string }).$ref;
  if (r === undefined) return schema;
  const m = /^#\/components\/schemas\/(\w+)$/.exec(r);
  assert.ok(m, `unsupported $ref ${r}`);
  const target = doc.components.schemas[m[1]!];
  assert.ok(target, `$ref ${r} resolves`);
  return target;
}

test('docs/api/control-api.json is the document the code generates (npm run api:doc rewrites it)', () => {
  assert.equal(readFileSync(OPENAPI_PATH, 'utf8'), openApiText(), 'stale: run `npm run api:doc` and commit docs/api/control-api.json');
  assert.deepEqual(committed, JSON.parse(JSON.stringify(openApiDocument())));
});

test("the server's registered routes and the document's paths and methods agree, schemas included", async () => {
  const app = buildControlApp(new FakeVmController(), () => undefined);
  await app.ready();
  try {
    const routes = registeredRoutes(app);
    const served = routes.map((r) => `${r.method} ${r.url}`).sort();
    const documented = Object.entries(committed.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    assert.deepEqual(served, documented);
    assert.ok(served.length >= 4);

    for (const r of routes) {
      const op = committed.paths[r.url]![r.method.toLowerCase()]!;
      const docBody = op.requestBody ? deref(committed, op.requestBody.content['application/json']!.schema) : undefined;
      assert.deepEqual(r.schema.body, docBody, `${r.method} ${r.url}: request body schema`);
      const success = Object.entries(op.responses).filter(([status]) => status.startsWith('2'));
      assert.equal(success.length, 1, `${r.method} ${r.url}: one success status`);
      const [status, response] = success[0]!;
      const docResponse = response.content ? deref(committed, response.content['application/json']!.schema) : undefined;
      assert.deepEqual(r.schema.response?.[status], docResponse, `${r.method} ${r.url}: ${status} response schema`);
      assert.ok(app.hasRoute({ method: r.method as 'GET', url: r.url }));
    }
  } finally {
    await app.close();
  }
});

test('the server answers each documented operation with a documented status', async () => {
  const app = buildControlApp(new FakeVmController(), () => undefined);
  const bodies: Record<string, unknown> = {
    patchVm: { state: 'Paused' },
    createSnapshot: { snapshot_path: '/tmp/doc-snap' },
    createAction: { action_type: 'Shutdown' },
  };
  try {
    for (const [path, ops] of Object.entries(committed.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const id = op.operationId;
        const res = await app.inject({ method: method.toUpperCase() as 'GET', url: path, ...(bodies[id] ? { payload: bodies[id] as object } : {}) });
        assert.ok(String(res.statusCode) in op.responses, `${method} ${path} answered ${res.statusCode}, documented: ${Object.keys(op.responses).join(', ')}`);
        assert.ok(res.statusCode < 300, `${method} ${path}: ${res.body}`);
      }
    }
  } finally {
    await app.close();
  }
});

test('the document stays within OpenAPI 3.0 (no JSON-schema keywords 3.0 lacks; every $ref resolves)', () => {
  assert.match(committed.openapi, /^3\.0\.\d+$/);
  const allowed = new Set([
    'type', 'description', 'properties', 'required', 'additionalProperties', 'enum', 'minimum', 'maximum',
    'minLength', 'maxLength', 'pattern', 'items', '$ref',
  ]);
  const walk = (schema: unknown, where: string): void => {
    if (typeof schema !== 'object' || schema === null) return;
    for (const [k, v] of Object.entries(schema)) {
      assert.ok(allowed.has(k), `${where}: keyword ${k}`);
      if (k === '$ref') deref(committed, { $ref: v });
      if (k === 'properties') for (const [p, s] of Object.entries(v as object)) walk(s, `${where}.${p}`);
      if (k === 'items') walk(v, `${where}[]`);
    }
  };
  for (const [name, s] of Object.entries(committed.components.schemas)) walk(s, name);
  const refs = JSON.stringify(committed.paths).match(/"\$ref":"[^"]+"/g) ?? [];
  for (const r of refs) deref(committed, { $ref: JSON.parse(`{${r}}`).$ref });
});
