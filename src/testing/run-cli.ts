/**
 * Runs a `typevisor` command for end-to-end tests, asynchronously (VMs under test keep printing meanwhile).
 */
import { execFile } from 'node:child_process';
import { typevisorArgv, typevisorEnv } from '../cli/node-flags.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, typevisorArgv(args), { encoding: 'utf8', env: typevisorEnv() }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}
