/**
 * Test helpers for the control API: one raw HTTP request over a Unix socket (no client logic in the way), and a
 * process that leaves a stale socket file behind.
 */
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import net from 'node:net';

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

export function rawRequest(
  socketPath: string,
  method: string,
  path: string,
  options: { body?: string | Buffer; json?: unknown; headers?: Record<string, string> } = {},
): Promise<RawAnswer> {
  const body = options.json !== undefined ? JSON.stringify(options.json) : options.body;
  const headers: Record<string, string> = { ...(options.json !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers };
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = text ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends raw bytes and returns everything the server writes back before closing. */
export function rawBytes(socketPath: string, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ path: socketPath });
    let text = '';
    sock.on('connect', () => sock.write(bytes));
    sock.on('data', (d) => (text += d.toString('utf8')));
    sock.on('end', () => resolve(text));
    sock.on('error', reject);
  });
}

/** A socket file whose server was killed with SIGKILL, so nothing removed it. */
export function makeStaleSocket(path: string): void {
  const code = `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`;
  spawnSync(process.execPath, ['-e', code], { stdio: 'ignore', timeout: 10_000 });
}
