/**
 * Drives a `typevisor run` child process through its serial console, as a person at the terminal would:
 * wait for text, type a line, collect the exit status. For end-to-end tests.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { typevisorArgv, typevisorEnv } from '../cli/node-flags.js';

export { TYPEVISOR_BIN_PATH as TYPEVISOR_BIN } from '../cli/bundled.js';

export class GuestConsole {
  readonly child: ChildProcessWithoutNullStreams;
  private text = '';
  private consumed = 0;
  private waiters: (() => void)[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Settles once the process has exited and all its output has been read. */
  readonly closed: Promise<void>;

  /**
   * Starts `typevisor` with `args` (with Node's options as its executable has them), or with `command` given, any
   * program with a serial console on stdio.
   */
  constructor(args: readonly string[], command: string = process.execPath) {
    const cli = command === process.execPath;
    this.child = spawn(command, cli ? typevisorArgv(args) : [...args], { stdio: 'pipe', ...(cli ? { env: typevisorEnv() } : {}) });
    const onData = (d: Buffer): void => {
      this.text += d.toString('latin1');
      for (const w of this.waiters.splice(0)) w();
    };
    this.child.stdout.on('data', onData);
    this.child.stderr.on('data', onData);
    this.closed = new Promise((resolve) => this.child.on('close', () => resolve()));
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        for (const w of this.waiters.splice(0)) w();
        resolve({ code, signal });
      });
    });
  }

  /** Everything the process printed so far. */
  get output(): string {
    return this.text;
  }

  /**
   * Waits until `pattern` appears in output not yet consumed by an earlier wait; returns the output up to and
   * including the match. Fails after `timeoutMs` with the tail of the output.
   */
  async waitFor(pattern: string | RegExp, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.text.slice(this.consumed);
      const m = typeof pattern === 'string' ? indexMatch(rest, pattern) : rest.match(pattern);
      if (m !== null && m.index !== undefined) {
        const end = m.index + m[0].length;
        this.consumed += end;
        return rest.slice(0, end);
      }
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`timed out waiting for ${String(pattern)}; output ends with:\n${this.text.slice(-2000)}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /**
   * Waits for the shell prompt, then until the shell really reads input: bytes typed while the shell is still
   * setting up its terminal are discarded by the guest's tty layer (as on a real serial line), so keep asking
   * until an answer comes back.
   */
  async waitForShell(prompt = '~ # ', timeoutMs = 120_000): Promise<string> {
    const boot = await this.waitFor(prompt, timeoutMs);
    for (let attempt = 0; ; attempt++) {
      this.send('echo shell-$((40+2))');
      try {
        await this.waitFor('shell-42', 1_500);
        await this.waitFor(prompt, 10_000);
        return boot;
      } catch (e) {
        if (attempt >= 20) throw e;
      }
    }
  }

  /** Types `line` and a newline. */
  send(line: string): void {
    this.child.stdin.write(line + '\n');
  }

  /** Types a command at the shell prompt and returns what it printed before the next prompt. */
  async run(command: string, prompt = '~ # ', timeoutMs = 60_000): Promise<string> {
    this.send(command);
    const out = await this.waitFor(prompt, timeoutMs);
    // Drop the echoed command line.
    const nl = out.indexOf('\n');
    return (nl >= 0 ? out.slice(nl + 1) : out).slice(0, -prompt.length).replace(/\r/g, '');
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

function indexMatch(s: string, needle: string): RegExpMatchArray | null {
  const i = s.indexOf(needle);
  if (i < 0) return null;
  const m = [needle] as unknown as RegExpMatchArray;
  m.index = i;
  return m;
}
