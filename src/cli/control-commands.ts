/**
 * `typevisor status | pause | resume | snapshot | shutdown | stop --api-sock <path>`: clients of a running VM's
 * control API (src/api/). Success is exit status 0; a failure (no VM there, a request the VM refuses) is one line
 * on stderr and status 1, reported by main.ts through UsageError.
 */
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from './commander.js';
import { ControlClient, ControlClientError, DEFAULT_SNAPSHOT_TIMEOUT_MS, DEFAULT_TIMEOUT_MS } from '../api/client.js';
import { UsageError } from './run-command.js';

interface ControlOptions {
  apiSock: string;
  timeout?: number;
}

function parseSeconds(value: string): number {
  const s = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(s > 0) || s > 86_400) {
    throw new InvalidArgumentError('expected a number of seconds, more than 0 and at most 86400.');
  }
  return Math.round(s * 1000);
}

function controlCommand(program: Command, name: string, description: string, defaultTimeoutMs: number): Command {
  return program
    .command(name)
    .description(description)
    .requiredOption('--api-sock <path>', 'the VM\'s control socket, as given to typevisor run --api-sock (required)')
    .addOption(new Option('--timeout <seconds>', `how long to wait for the VM's answer (default: ${defaultTimeoutMs / 1000})`).argParser(parseSeconds));
}

/** Runs `fn` with a client; client errors become UsageError (one line, exit status 1). */
async function withClient(opts: ControlOptions, defaultTimeoutMs: number, fn: (client: ControlClient) => Promise<void>): Promise<number> {
  const client = new ControlClient(opts.apiSock, { timeoutMs: opts.timeout ?? defaultTimeoutMs });
  try {
    await fn(client);
    return 0;
  } catch (e) {
    if (e instanceof ControlClientError) throw new UsageError(e.message);
    throw e;
  }
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const total = Math.floor(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = String(m).padStart(2, '0');
  const ss = String(s).padStart(2, '0');
  if (h >= 24) return `${Math.floor(h / 24)}d ${h % 24}h ${mm}m ${ss}s`;
  return h > 0 ? `${h}h ${mm}m ${ss}s` : `${m}m ${ss}s`;
}

export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  if (u === 0) return `${n} bytes`;
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[u]}`;
}

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

export function addControlCommands(program: Command, result: { code: number }): void {
  controlCommand(program, 'status', 'Show a running VM\'s state, uptime, cpus and memory', DEFAULT_TIMEOUT_MS)
    .option('--json', 'print the API\'s status record as JSON')
    .action(async (opts: ControlOptions & { json?: boolean }) => {
      result.code = await withClient(opts, DEFAULT_TIMEOUT_MS, async (client) => {
        const r = await client.statusRecord();
        if (opts.json) return out(JSON.stringify(r));
        const rows: [string, string][] = [
          ['state', r.state.toLowerCase()],
          ['uptime', formatDuration(r.uptime_ms)],
          ['cpus', String(r.cpus)],
          ['memory', formatBytes(r.memory_bytes)],
          ['instructions', String(r.instructions)],
        ];
        if (r.restored_from !== undefined) rows.push(['restored from', r.restored_from]);
        for (const [k, v] of rows) out(`${`${k}:`.padEnd(15)}${v}`);
      });
    });

  controlCommand(program, 'pause', 'Pause a running VM (guest time stands still until resume)', DEFAULT_TIMEOUT_MS).action(async (opts: ControlOptions) => {
    result.code = await withClient(opts, DEFAULT_TIMEOUT_MS, async (client) => {
      await client.pause();
      out('paused');
    });
  });

  controlCommand(program, 'resume', 'Resume a paused VM', DEFAULT_TIMEOUT_MS).action(async (opts: ControlOptions) => {
    result.code = await withClient(opts, DEFAULT_TIMEOUT_MS, async (client) => {
      await client.resume();
      out('resumed');
    });
  });

  controlCommand(
    program,
    'snapshot',
    'Write a snapshot of a VM to a directory (a running VM is paused briefly, a paused one stays paused)',
    DEFAULT_SNAPSHOT_TIMEOUT_MS,
  )
    .requiredOption('--out <dir>', 'snapshot directory, required (created if missing; an earlier snapshot there is replaced)')
    .action(async (opts: ControlOptions & { out: string }) => {
      result.code = await withClient(opts, DEFAULT_SNAPSHOT_TIMEOUT_MS, async (client) => {
        // The VM process has its own working directory: send an absolute path.
        const r = await client.snapshot(resolve(opts.out), opts.timeout ?? DEFAULT_SNAPSHOT_TIMEOUT_MS);
        out(
          `snapshot written to ${r.path}: ${formatBytes(r.memoryBytes)} of RAM, ${formatBytes(r.ramFileBytes)} in non-zero pages; ` +
            `took ${formatDuration(r.durationMs)}, guest paused ${formatDuration(r.pausedMs)}`,
        );
      });
    });

  controlCommand(program, 'shutdown', 'Ask the guest to power off cleanly (returns once the request is delivered)', DEFAULT_TIMEOUT_MS).action(
    async (opts: ControlOptions) => {
      result.code = await withClient(opts, DEFAULT_TIMEOUT_MS, async (client) => {
        await client.shutdown();
        out('shutdown requested');
      });
    },
  );

  controlCommand(program, 'stop', 'Stop a VM at once, like pulling the plug (its process exits)', DEFAULT_TIMEOUT_MS).action(async (opts: ControlOptions) => {
    result.code = await withClient(opts, DEFAULT_TIMEOUT_MS, async (client) => {
      await client.stop();
      out('stopped');
    });
  });
}
