/**
 * A client for the per-VM control API (server.ts) over its Unix socket, with node:http alone. Every failure is a
 * ControlClientError whose message is one line a user can act on: no socket there, a stale socket (connection
 * refused), no answer in time, or the server's fault_message.
 */
import { lstatSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { SnapshotResult, VmRunState, VmStatus } from './controller.js';
import type { SnapshotRecord, VmStatusRecord } from './schema.js';

export class ControlClientError extends Error {
  override readonly name = 'ControlClientError';
  /** The HTTP status when the server answered with an error, else undefined. */
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.status = status;
  }
}

export interface ControlClientOptions {
  /** Milliseconds to wait for the whole answer (default 10 s). */
  readonly timeoutMs?: number;
}

/** Snapshots of a large guest take longer than other requests. */
export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_SNAPSHOT_TIMEOUT_MS = 600_000;
/** Answers larger than this are not from our server. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

const RUN_STATES: Record<string, VmRunState> = { Running: 'running', Paused: 'paused', Stopped: 'stopped' };

export class ControlClient {
  readonly socketPath: string;
  private readonly timeoutMs: number;

  constructor(socketPath: string, options: ControlClientOptions = {}) {
    this.socketPath = socketPath;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** GET /vm, the record as the server sent it. */
  async statusRecord(): Promise<VmStatusRecord> {
    const r = await this.call('GET', '/vm');
    const ok =
      isObject(r) &&
      typeof r['state'] === 'string' &&
      r['state'] in RUN_STATES &&
      ['uptime_ms', 'cpus', 'memory_bytes', 'instructions'].every((k) => typeof r[k] === 'number') &&
      (r['restored_from'] === undefined || typeof r['restored_from'] === 'string');
    if (!ok) throw this.unexpected('GET /vm', JSON.stringify(r));
    return r as unknown as VmStatusRecord;
  }

  async status(): Promise<VmStatus> {
    const r = await this.statusRecord();
    return {
      state: RUN_STATES[r.state]!,
      uptimeMs: r.uptime_ms,
      cpus: r.cpus,
      memoryBytes: r.memory_bytes,
      instructions: r.instructions,
      ...(r.restored_from !== undefined ? { restoredFrom: r.restored_from } : {}),
    };
  }

  async pause(): Promise<void> {
    await this.call('PATCH', '/vm', { state: 'Paused' });
  }

  async resume(): Promise<void> {
    await this.call('PATCH', '/vm', { state: 'Resumed' });
  }

  /** `path` must be absolute: the VM process resolves nothing against the client's working directory. */
  async snapshot(path: string, timeoutMs = Math.max(this.timeoutMs, DEFAULT_SNAPSHOT_TIMEOUT_MS)): Promise<SnapshotResult> {
    const r = await this.call('PUT', '/snapshot/create', { snapshot_path: path }, timeoutMs);
    const ok =
      isObject(r) &&
      typeof r['snapshot_path'] === 'string' &&
      ['memory_bytes', 'ram_file_bytes', 'duration_ms', 'paused_ms'].every((k) => typeof r[k] === 'number');
    if (!ok) throw this.unexpected('PUT /snapshot/create', JSON.stringify(r));
    const s = r as unknown as SnapshotRecord;
    return { path: s.snapshot_path, memoryBytes: s.memory_bytes, ramFileBytes: s.ram_file_bytes, durationMs: s.duration_ms, pausedMs: s.paused_ms };
  }

  async shutdown(): Promise<void> {
    await this.call('PUT', '/actions', { action_type: 'Shutdown' });
  }

  async stop(): Promise<void> {
    await this.call('PUT', '/actions', { action_type: 'Stop' });
  }

  /**
   * One request; resolves with the parsed JSON answer (undefined for 204), rejects with a ControlClientError.
   * Public so that tools can reach routes this class has no method for.
   */
  call(method: string, path: string, body?: unknown, timeoutMs = this.timeoutMs): Promise<unknown> {
    // Loaded here, not with this module: the command line loads this module at every start (its control
    // commands), and node:http costs ~1.5 ms there that `typevisor run` has no use for. (A require: the command
    // line's bundle runs as a script, where import() of a builtin module is not available.)
    const { request } = createRequire(import.meta.url)('node:http') as typeof import('node:http');
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const what = `${method} ${path}`;
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (e: ControlClientError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(e);
      };
      const req = request({
        socketPath: this.socketPath,
        method,
        path,
        headers: {
          accept: 'application/json',
          ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
        agent: false,
      });
      const timer = setTimeout(
        () => fail(new ControlClientError(`no answer from the VM at ${this.socketPath} within ${formatSeconds(timeoutMs)} (${what})`)),
        timeoutMs,
      );
      req.on('error', (e: NodeJS.ErrnoException) => fail(this.connectError(e)));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_RESPONSE_BYTES) fail(this.unexpected(what, `an answer larger than ${MAX_RESPONSE_BYTES} bytes`));
          else chunks.push(c);
        });
        res.on('error', (e: NodeJS.ErrnoException) => fail(this.connectError(e)));
        res.on('end', () => {
          if (settled) return;
          const status = res.statusCode ?? 0;
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          if (text.length > 0) {
            try {
              json = JSON.parse(text);
            } catch {
              return fail(this.unexpected(what, `HTTP ${status} with a body that is not JSON: ${oneLine(text)}`));
            }
          }
          if (status >= 200 && status < 300) {
            settled = true;
            clearTimeout(timer);
            return resolve(json);
          }
          const faultMessage = isObject(json) && typeof json['fault_message'] === 'string' ? json['fault_message'] : undefined;
          fail(
            faultMessage !== undefined
              ? new ControlClientError(oneLine(faultMessage), status)
              : this.unexpected(what, `HTTP ${status}${text ? `: ${oneLine(text)}` : ''}`),
          );
        });
      });
      req.end(payload);
    });
  }

  private connectError(e: NodeJS.ErrnoException): ControlClientError {
    const at = this.socketPath;
    switch (e.code) {
      case 'ENOENT':
        return new ControlClientError(`no VM control socket at ${at} (is the VM running with --api-sock?)`);
      case 'ECONNREFUSED': {
        let isSocket = true;
        try {
          isSocket = lstatSync(at).isSocket();
        } catch {
          // vanished meanwhile: say what we saw
        }
        return new ControlClientError(
          isSocket
            ? `nothing is listening on ${at} (a stale socket left by a VM that is no longer running?)`
            : `${at} is not a socket (give the path passed to --api-sock)`,
        );
      }
      case 'EACCES':
      case 'EPERM':
        return new ControlClientError(`permission denied connecting to ${at} (the socket belongs to the user who started the VM)`);
      case 'ENOTDIR':
        return new ControlClientError(`no VM control socket at ${at} (a part of the path is not a directory)`);
      case 'ECONNRESET':
      case 'EPIPE':
        return new ControlClientError(`the VM at ${at} closed the connection before answering (did it exit?)`);
      default:
        return new ControlClientError(`cannot reach the VM at ${at}: ${e.message}`);
    }
  }

  private unexpected(what: string, detail: string): ControlClientError {
    return new ControlClientError(`unexpected answer from ${this.socketPath} to ${what}: ${detail}`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function oneLine(s: string): string {
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 200)}...` : line;
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
