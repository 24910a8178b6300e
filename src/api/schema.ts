/**
 * The control API's wire format, in one place: the JSON schemas the server validates requests with (and serializes
 * responses with), the route table the server registers, and the OpenAPI 3.0 document built from both
 * (docs/api/control-api.json, checked by openapi.test.ts; `npm run api:doc` rewrites it).
 *
 * The wire format is snake_case, as Firecracker's is; the client (client.ts) turns records into the camelCase
 * types of controller.ts. The schemas use only the JSON-schema subset OpenAPI 3.0 allows (no `const`, no `$schema`).
 */

/** Largest request body accepted, in bytes (the largest valid body is a snapshot path of MAX_PATH bytes). */
export const BODY_LIMIT = 16 * 1024;
/** Longest snapshot path accepted (Linux PATH_MAX). */
export const MAX_PATH = 4096;
/** An absolute path with no NUL byte. */
/** The control API's own version (info.version in the OpenAPI document). */
export const API_VERSION = '1.0.0';
export const ABSOLUTE_PATH_PATTERN = '^/[^\\u0000]*$';

// ---- Records on the wire -------------------------------------------------------------------------------------

export type VmStateName = 'Running' | 'Paused' | 'Stopped';

/** GET /vm */
export interface VmStatusRecord {
  state: VmStateName;
  uptime_ms: number;
  cpus: number;
  memory_bytes: number;
  instructions: number;
  restored_from?: string;
}

/** PATCH /vm */
export interface VmStateChange {
  state: 'Paused' | 'Resumed';
}

/** PUT /snapshot/create */
export interface SnapshotCreateRequest {
  snapshot_path: string;
}

/** Answer to PUT /snapshot/create */
export interface SnapshotRecord {
  snapshot_path: string;
  memory_bytes: number;
  ram_file_bytes: number;
  duration_ms: number;
  paused_ms: number;
}

/** PUT /actions */
export interface VmAction {
  action_type: 'Shutdown' | 'Stop';
}

/** Every 4xx and 5xx answer. */
export interface FaultRecord {
  fault_message: string;
}

// ---- Schemas -------------------------------------------------------------------------------------------------

const nonNegative = (description: string): Record<string, unknown> => ({ type: 'number', minimum: 0, description });
const count = (description: string): Record<string, unknown> => ({ type: 'integer', minimum: 0, description });

export const SCHEMAS = {
  VmStatus: {
    type: 'object',
    description: 'The state of the VM.',
    additionalProperties: false,
    required: ['state', 'uptime_ms', 'cpus', 'memory_bytes', 'instructions'],
    properties: {
      state: {
        type: 'string',
        enum: ['Running', 'Paused', 'Stopped'],
        description: 'Running: executing guest code. Paused: stopped by the API, resumable. Stopped: gone or powering off.',
      },
      uptime_ms: nonNegative('Milliseconds since the VM process started running the guest (or was restored).'),
      cpus: count('Number of harts.'),
      memory_bytes: count('Guest RAM size in bytes.'),
      instructions: count('Guest instructions retired by hart 0 so far.'),
      restored_from: { type: 'string', description: 'Set when the VM was restored from a snapshot: its directory.' },
    },
  },
  VmStateChange: {
    type: 'object',
    description: 'Pause or resume the VM.',
    additionalProperties: false,
    required: ['state'],
    properties: {
      state: {
        type: 'string',
        enum: ['Paused', 'Resumed'],
        description: 'Paused stops executing guest code (guest time stands still); Resumed continues a paused VM.',
      },
    },
  },
  SnapshotCreate: {
    type: 'object',
    description: 'Write a snapshot of the VM.',
    additionalProperties: false,
    required: ['snapshot_path'],
    properties: {
      snapshot_path: {
        type: 'string',
        minLength: 2,
        maxLength: MAX_PATH,
        pattern: ABSOLUTE_PATH_PATTERN,
        description:
          'Absolute path of the snapshot directory (created if missing; an earlier snapshot there is replaced atomically).',
      },
    },
  },
  SnapshotResult: {
    type: 'object',
    description: 'The snapshot written.',
    additionalProperties: false,
    required: ['snapshot_path', 'memory_bytes', 'ram_file_bytes', 'duration_ms', 'paused_ms'],
    properties: {
      snapshot_path: { type: 'string', description: 'The snapshot directory written.' },
      memory_bytes: count('Guest RAM size in bytes.'),
      ram_file_bytes: count('Bytes of non-zero pages in the RAM file.'),
      duration_ms: nonNegative('Wall time of the whole snapshot.'),
      paused_ms: nonNegative('How long the guest was paused for it.'),
    },
  },
  VmAction: {
    type: 'object',
    description: 'Shut the VM down.',
    additionalProperties: false,
    required: ['action_type'],
    properties: {
      action_type: {
        type: 'string',
        enum: ['Shutdown', 'Stop'],
        description:
          'Shutdown asks the guest to power off cleanly (answered once the request is delivered); ' +
          'Stop ends the VM at once, like pulling the plug (the VM process exits afterwards).',
      },
    },
  },
  Fault: {
    type: 'object',
    description: 'What was wrong with the request, or what failed.',
    additionalProperties: false,
    required: ['fault_message'],
    properties: { fault_message: { type: 'string' } },
  },
} as const satisfies Record<string, Record<string, unknown>>;

export type SchemaName = keyof typeof SCHEMAS;

// ---- Routes --------------------------------------------------------------------------------------------------

export type HttpMethod = 'GET' | 'PUT' | 'PATCH';

export interface RouteSpec {
  readonly method: HttpMethod;
  readonly url: string;
  readonly operationId: string;
  readonly summary: string;
  /** Request body schema; routes without one take no body. */
  readonly body?: SchemaName;
  /** The success status, and the schema of its body (none for 204). */
  readonly success: { readonly status: 200 | 204; readonly schema?: SchemaName; readonly description: string };
  /** Whether the route can answer 409 (valid, but not in the VM's current state). */
  readonly conflicts: boolean;
}

export const ROUTES: readonly RouteSpec[] = [
  {
    method: 'GET',
    url: '/vm',
    operationId: 'describeVm',
    summary: 'The VM state, uptime, cpus, memory and instructions retired.',
    success: { status: 200, schema: 'VmStatus', description: 'The VM status.' },
    conflicts: false,
  },
  {
    method: 'PATCH',
    url: '/vm',
    operationId: 'patchVm',
    summary: 'Pause a running VM or resume a paused one.',
    body: 'VmStateChange',
    success: { status: 204, description: 'The VM is paused or running again.' },
    conflicts: true,
  },
  {
    method: 'PUT',
    url: '/snapshot/create',
    operationId: 'createSnapshot',
    summary: 'Write a snapshot directory. A running VM is paused for the capture and resumed after; a paused VM stays paused.',
    body: 'SnapshotCreate',
    success: { status: 200, schema: 'SnapshotResult', description: 'The snapshot is written.' },
    conflicts: true,
  },
  {
    method: 'PUT',
    url: '/actions',
    operationId: 'createAction',
    summary: 'Ask the guest to power off (Shutdown), or stop the VM at once (Stop).',
    body: 'VmAction',
    success: { status: 204, description: 'The action was carried out (Shutdown: the request was delivered to the guest).' },
    conflicts: true,
  },
];

// ---- OpenAPI -------------------------------------------------------------------------------------------------

const ref = (name: SchemaName): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });
const fault = (description: string): Record<string, unknown> => ({
  description,
  content: { 'application/json': { schema: ref('Fault') } },
});

/** The OpenAPI 3.0 document describing exactly ROUTES and SCHEMAS. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTES) {
    const responses: Record<string, unknown> = {
      [String(r.success.status)]: r.success.schema
        ? { description: r.success.description, content: { 'application/json': { schema: ref(r.success.schema) } } }
        : { description: r.success.description },
      '400': fault(
        r.body
          ? 'The request is malformed (a body that is not a JSON object of exactly the fields above, with their types; query parameters), or the VM cannot use its arguments.'
          : 'The request has query parameters or a body.',
      ),
      '404': fault('No such route.'),
      '405': fault('The route exists, but not with this method (the Allow header lists those it has).'),
    };
    if (r.conflicts) responses['409'] = fault('The request is valid but not in the VM\'s current state (e.g. resume of a running VM, snapshot of a stopped VM).');
    if (r.body) {
      responses['413'] = fault(`The request body is larger than ${BODY_LIMIT} bytes.`);
      responses['415'] = fault('The request body is not application/json.');
    }
    responses['500'] = fault('The VM failed to carry out the request.');
    const op: Record<string, unknown> = { operationId: r.operationId, summary: r.summary };
    if (r.body) op['requestBody'] = { required: true, content: { 'application/json': { schema: ref(r.body) } } };
    op['responses'] = responses;
    (paths[r.url] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'Typevisor VM control API',
      version: API_VERSION,
      description:
        'The per-VM control API served over HTTP/1.1 on the Unix socket given to `typevisor run --api-sock <path>` ' +
        '(mode 0600, removed when the VM exits). Bodies are JSON; unknown fields are refused. Every error is answered ' +
        'with a Fault; besides those listed per route, malformed HTTP gets 400, a request not received within 10 s 408, ' +
        'oversized headers 431. Requests that change the VM are carried out one at a time, in arrival order, except ' +
        'that Stop does not wait for them. Generated from ' +
        'src/api/schema.ts by `npm run api:doc`; do not edit by hand.',
    },
    servers: [{ url: 'http://localhost', description: 'any host name: the server is reached through the Unix socket' }],
    paths,
    components: { schemas: SCHEMAS },
  };
}
