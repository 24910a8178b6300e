/**
 * The per-VM control API: HTTP/1.1 and JSON on a Unix socket, in the shape of Firecracker's API. Routes, request
 * and response schemas come from schema.ts (which also builds the OpenAPI document, docs/api/control-api.json).
 *
 * Every request is validated before the controller sees it: unknown routes (404), wrong methods (405), query
 * parameters, bodies where none is taken, bodies that are not JSON objects of exactly the documented fields and
 * types (400), oversized bodies (413), other media types (415). Errors are answered as {"fault_message": "..."}.
 * VmStateError becomes 409, VmRequestError 400, anything else the controller throws 500; none of them reach the
 * VM process's event loop as an exception.
 *
 * Requests that change the VM (PATCH /vm, PUT /snapshot/create, PUT /actions) are carried out one at a time, in
 * the order they arrived: the controller never sees two of them at once, with one exception: Stop does not wait
 * in line, so a pause or snapshot that hangs cannot keep the VM from being stopped (stop() may therefore be called
 * while another call is in progress). GET /vm is answered at once, also while a snapshot is being written.
 */
import { link, lstat, mkdtemp, rename, rmdir, chmod, unlink } from 'node:fs/promises';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import Fastify, { type FastifyError, type FastifyInstance, type FastifySchemaValidationError } from 'fastify';
import { VmRequestError, VmStateError, type SnapshotResult, type VmController, type VmStatus } from './controller.js';
import {
  ABSOLUTE_PATH_PATTERN,
  BODY_LIMIT,
  ROUTES,
  SCHEMAS,
  type FaultRecord,
  type RouteSpec,
  type SnapshotCreateRequest,
  type SnapshotRecord,
  type VmAction,
  type VmStateChange,
  type VmStatusRecord,
} from './schema.js';

/** The socket cannot be created, or another live server owns it. */
export class ControlSocketError extends Error {
  override readonly name = 'ControlSocketError';
}

export type ControlLog = (message: string) => void;

export interface ControlServer {
  /** The socket's absolute path. */
  readonly socketPath: string;
  /**
   * Stops accepting connections and removes the socket file (if it is still ours), then waits for requests in
   * flight to be answered, at most CLOSE_GRACE_MS before their connections are cut. Safe to call more than once.
   * Do not await it from inside a controller method: the request that called it is one of those waited for.
   */
  close(): Promise<void>;
}

/** Longest Unix socket path Linux accepts (sun_path is 108 bytes with the terminating NUL). */
export const MAX_SOCKET_PATH = 107;
export const CLOSE_GRACE_MS = 2000;
/** How long a client may take to send a whole request. */
const REQUEST_TIMEOUT_MS = 10_000;

const defaultLog: ControlLog = (message) => process.stderr.write(`typevisor: control API: ${message}\n`);

const STATE_NAMES = { running: 'Running', paused: 'Paused', stopped: 'Stopped' } as const;

function statusRecord(s: VmStatus): VmStatusRecord {
  const record: VmStatusRecord = {
    state: STATE_NAMES[s.state],
    uptime_ms: s.uptimeMs,
    cpus: s.cpus,
    memory_bytes: s.memoryBytes,
    instructions: s.instructions,
  };
  if (s.restoredFrom !== undefined) record.restored_from = s.restoredFrom;
  return record;
}

function snapshotRecord(r: SnapshotResult): SnapshotRecord {
  return {
    snapshot_path: r.path,
    memory_bytes: r.memoryBytes,
    ram_file_bytes: r.ramFileBytes,
    duration_ms: r.durationMs,
    paused_ms: r.pausedMs,
  };
}

class BadBody extends Error {
  readonly statusCode = 400;
}

// ---- Error messages ------------------------------------------------------------------------------------------

/** One line saying what is wrong with the request, from the first schema violation found. */
export function describeSchemaError(errors: FastifySchemaValidationError[], dataVar: string): string {
  const e = errors[0];
  if (!e) return `${dataVar} is invalid`;
  const path = e.instancePath ? `${dataVar}${e.instancePath.replace(/\//g, '.')}` : dataVar;
  const params = e.params as Record<string, unknown>;
  const data = (e as { data?: unknown }).data;
  switch (e.keyword) {
    case 'additionalProperties': {
      const allowed = Object.keys(((e as { parentSchema?: { properties?: object } }).parentSchema?.properties ?? {}));
      return `${path}: unknown field '${String(params['additionalProperty'])}' (fields: ${allowed.join(', ')})`;
    }
    case 'required':
      return `${path}: missing field '${String(params['missingProperty'])}'`;
    case 'type': {
      if (!e.instancePath && (data === undefined || data === null)) return `${path} is missing (expected a JSON object)`;
      const wanted = String(params['type']);
      const article = wanted === 'integer' ? 'an' : 'a';
      const what = wanted === 'object' ? 'JSON object' : wanted;
      return `${path} must be ${article} ${what} (got ${describeValue(data)})`;
    }
    case 'enum':
      return `${path} must be one of ${(params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')} (got ${describeValue(data)})`;
    case 'pattern':
      return params['pattern'] === ABSOLUTE_PATH_PATTERN
        ? `${path} must be an absolute path without NUL bytes (got ${describeValue(data)})`
        : `${path} must match ${String(params['pattern'])}`;
    case 'minLength':
      return `${path} must be at least ${String(params['limit'])} characters long`;
    case 'maxLength':
      return `${path} must be at most ${String(params['limit'])} characters long`;
    default:
      return `${path} ${e.message ?? 'is invalid'}`;
  }
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  return `${typeof v} ${String(v)}`;
}

/** The HTTP status and fault message for an error thrown while handling a request. */
function classify(err: unknown, route: string): { status: number; message: string } {
  if (err instanceof VmStateError) return { status: 409, message: err.message };
  if (err instanceof VmRequestError) return { status: 400, message: err.message };
  const e = err as Partial<FastifyError> & { validation?: unknown };
  if (e.validation) return { status: 400, message: String(e.message) };
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, message: `request body is larger than ${BODY_LIMIT} bytes` };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, message: `${route} takes a JSON body: send Content-Type: application/json` };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, message: 'request body length does not match Content-Length' };
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500) return { status, message: String(e.message) };
  return { status: 500, message: `internal error: ${err instanceof Error ? err.message : String(err)}` };
}

// ---- The application -----------------------------------------------------------------------------------------

/** What buildControlApp registered with fastify, for the test that holds it against the OpenAPI document. */
export interface RegisteredRoute {
  readonly method: string;
  readonly url: string;
  readonly schema: { readonly body?: unknown; readonly response?: Record<string, unknown> };
}
const registered = new WeakMap<FastifyInstance, RegisteredRoute[]>();

export function registeredRoutes(app: FastifyInstance): readonly RegisteredRoute[] {
  return registered.get(app) ?? [];
}

/** The routes with their handlers, not yet listening. Exported for tests (fastify's inject, the route table). */
export function buildControlApp(controller: VmController, log: ControlLog = defaultLog): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    exposeHeadRoutes: false,
    requestTimeout: REQUEST_TIMEOUT_MS,
    forceCloseConnections: 'idle',
    return503OnClosing: false,
    ajv: {
      // Validate strictly: refuse unknown fields rather than drop them, and never coerce "1" into 1 or 1 into "1".
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false, verbose: true },
    },
    schemaErrorFormatter: (errors, dataVar) => new Error(describeSchemaError(errors, dataVar)),
    clientErrorHandler: (err, socket) => {
      const code = (err as { code?: string }).code;
      const [status, reason, message] =
        code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout', `request not received within ${REQUEST_TIMEOUT_MS} ms`]
          : code === 'HPE_HEADER_OVERFLOW'
            ? [431, 'Request Header Fields Too Large', 'request headers are too large']
            : [400, 'Bad Request', `malformed HTTP request (${code ?? err.message})`];
      if (socket.writable) {
        const body = JSON.stringify({ fault_message: message } satisfies FaultRecord);
        socket.end(
          `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
            `Connection: close\r\n\r\n${body}`,
        );
      } else {
        socket.destroy();
      }
    },
  });
  // Only JSON bodies (fastify's text/plain parser would hand a string to the schema), parsed here so that the
  // fault message can say where the JSON is broken. JSON.parse makes "__proto__" an own property, which the schemas
  // then refuse as an unknown field.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
    if (text.length === 0) return done(new BadBody('body is empty (expected a JSON object)'), undefined);
    try {
      done(null, JSON.parse(text as string));
    } catch (e) {
      done(new BadBody(`body is not valid JSON: ${(e as Error).message}`), undefined);
    }
  });

  const routesByUrl = new Map<string, RouteSpec[]>();
  for (const r of ROUTES) routesByUrl.set(r.url, [...(routesByUrl.get(r.url) ?? []), r]);
  const routeList = ROUTES.map((r) => `${r.method} ${r.url}`).join(', ');

  const fault = (message: string): FaultRecord => ({ fault_message: message });

  app.addHook('onRequest', async (request, reply) => {
    const rawUrl = request.raw.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q < 0 ? rawUrl : rawUrl.slice(0, q);
    if (request.is404) {
      const same = routesByUrl.get(path);
      if (same) {
        const allowed = same.map((r) => r.method).join(', ');
        return reply.code(405).header('allow', allowed).send(fault(`${request.method} is not allowed on ${path} (allowed: ${allowed})`));
      }
      return reply.code(404).send(fault(`no route ${request.method} ${path} (routes: ${routeList})`));
    }
    if (q >= 0) return reply.code(400).send(fault(`${request.method} ${path} takes no query parameters (got '${rawUrl.slice(q)}')`));
    const spec = request.routeOptions.config as { spec?: RouteSpec };
    const headers = request.headers;
    const hasBody = headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
    if (spec.spec && !spec.spec.body && hasBody) return reply.code(400).send(fault(`${request.method} ${path} takes no request body`));
    return undefined;
  });

  app.setErrorHandler((err, request, reply) => {
    const { status, message } = classify(err, `${request.method} ${request.url}`);
    if (status >= 500) log(`${request.method} ${request.url}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return reply.code(status).send(fault(message));
  });

  // One change at a time, in arrival order. `tail` never rejects.
  let tail: Promise<unknown> = Promise.resolve();
  const serially = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn);
    tail = run.catch(() => undefined);
    return run;
  };

  const handlers: Record<string, (body: unknown) => Promise<{ status: number; payload?: unknown }>> = {
    describeVm: async () => ({ status: 200, payload: statusRecord(controller.status()) }),
    patchVm: (body) =>
      serially(async () => {
        const { state } = body as VmStateChange;
        await (state === 'Paused' ? controller.pause() : controller.resume());
        return { status: 204 };
      }),
    createSnapshot: (body) =>
      serially(async () => ({ status: 200, payload: snapshotRecord(await controller.snapshot((body as SnapshotCreateRequest).snapshot_path)) })),
    createAction: async (body) => {
      const { action_type } = body as VmAction;
      // Stop jumps the queue: pulling the plug must work even while another change hangs.
      await (action_type === 'Stop' ? controller.stop() : serially(() => controller.shutdown()));
      return { status: 204 };
    },
  };

  const seen: RegisteredRoute[] = [];
  registered.set(app, seen);
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) seen.push({ method, url: r.url, schema: (r.schema ?? {}) as RegisteredRoute['schema'] });
  });

  for (const spec of ROUTES) {
    const handler = handlers[spec.operationId];
    if (!handler) throw new Error(`no handler for ${spec.operationId}`);
    const schema: Record<string, unknown> = {};
    if (spec.body) schema['body'] = SCHEMAS[spec.body];
    if (spec.success.schema) schema['response'] = { [spec.success.status]: SCHEMAS[spec.success.schema] };
    app.route({
      method: spec.method,
      url: spec.url,
      schema,
      config: { spec },
      handler: async (request, reply) => {
        const { status, payload } = await handler(request.body);
        reply.code(status);
        return status === 204 ? reply.send() : payload;
      },
    });
  }
  return app;
}

// ---- The socket ----------------------------------------------------------------------------------------------

/** Whether something accepts connections on the Unix socket at `path`. */
function socketIsLive(path: string): Promise<boolean> {
  return new Promise((resolveLive, reject) => {
    const sock = net.connect({ path });
    const timer = setTimeout(() => {
      sock.destroy();
      resolveLive(true); // it exists and did not refuse: someone owns it
    }, 1000);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolveLive(true);
    });
    sock.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ECONNREFUSED' || e.code === 'ENOENT') resolveLive(false);
      else if (e.code === 'EAGAIN') resolveLive(true); // its backlog is full: very much alive
      else reject(e);
    });
  });
}

function errnoCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

/** Removes a socket file left by a dead process; refuses when a live server answers there or the path is no socket. */
async function clearPath(path: string): Promise<void> {
  let st;
  try {
    st = await lstat(path);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return;
    throw new ControlSocketError(`cannot use control socket ${path}: ${(e as Error).message}`);
  }
  if (!st.isSocket()) throw new ControlSocketError(`${path} exists and is not a socket; not replacing it`);
  let live: boolean;
  try {
    live = await socketIsLive(path);
  } catch (e) {
    throw new ControlSocketError(`cannot use control socket ${path}: ${(e as Error).message}`);
  }
  if (live) throw new ControlSocketError(`a control server is already listening on ${path} (another VM running with this --api-sock?)`);
  try {
    await unlink(path);
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT') throw new ControlSocketError(`cannot remove stale control socket ${path}: ${(e as Error).message}`);
  }
}

/**
 * Serves the control API for `controller` on a Unix socket at `socketPath` (mode 0600). A socket file left there by
 * a dead process is replaced; a live server there, or a file that is not a socket, is an error (ControlSocketError).
 */
export async function startControlServer(socketPath: string, controller: VmController, log: ControlLog = defaultLog): Promise<ControlServer> {
  const path = resolve(socketPath);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    throw new ControlSocketError(`control socket path ${path} is too long (${Buffer.byteLength(path)} bytes; Unix sockets allow ${MAX_SOCKET_PATH})`);
  }
  await clearPath(path);

  const app = buildControlApp(controller, log);
  app.server.on('error', (e) => log(`server error: ${e.message}`));

  // The socket is bound in a private directory (mode 0700), made 0600, then linked into place: nobody else can
  // connect in between, and link() will not replace a socket another process put there meanwhile.
  let tmpDir: string;
  try {
    tmpDir = await mkdtemp(join(dirname(path), '.tv-'));
  } catch (e) {
    const why = errnoCode(e) === 'ENOENT' ? `directory ${dirname(path)} does not exist` : (e as Error).message;
    throw new ControlSocketError(`cannot create control socket ${path}: ${why}`);
  }
  const tmpSock = join(tmpDir, 's');
  const direct = Buffer.byteLength(tmpSock) > MAX_SOCKET_PATH; // no room for the detour: bind in place
  try {
    await app.listen({ path: direct ? path : tmpSock });
    await chmod(direct ? path : tmpSock, 0o600);
    if (!direct) await placeSocket(tmpSock, path);
  } catch (e) {
    await app.close().catch(() => undefined);
    if (direct) await unlink(path).catch(() => undefined);
    throw e instanceof ControlSocketError ? e : new ControlSocketError(`cannot create control socket ${path}: ${(e as Error).message}`);
  } finally {
    await unlink(tmpSock).catch(() => undefined);
    await rmdir(tmpDir).catch(() => undefined);
  }
  const mine = await lstat(path);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      try {
        const now = await lstat(path);
        if (now.ino === mine.ino && now.dev === mine.dev) await unlink(path);
      } catch {
        // already gone
      }
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((done) => {
        timer = setTimeout(() => {
          app.server.closeAllConnections();
          done();
        }, CLOSE_GRACE_MS);
      });
      await Promise.race([app.close(), grace]);
      clearTimeout(timer);
    })();
    return closing;
  };
  return { socketPath: path, close };
}

async function placeSocket(from: string, to: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await link(from, to);
      return;
    } catch (e) {
      const code = errnoCode(e);
      if (code === 'EEXIST' && attempt === 0) {
        await clearPath(to); // someone raced us: refuse if live, else clear and try once more
        continue;
      }
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EXDEV') {
        await rename(from, to); // a file system without hard links
        return;
      }
      throw e;
    }
  }
}
