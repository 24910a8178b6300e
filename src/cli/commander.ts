/**
 * Commander, loaded with require rather than import: it is CommonJS, and importing it from an ES module goes
 * through Node's CommonJS-to-ESM translation (lexing its sources for named exports), which doubled the time
 * it took to load (~20 ms against ~10 ms), paid by every command before it starts. Every CLI module takes
 * Commander from here, so that all use the one instance.
 */
import { createRequire } from 'node:module';

const commander = createRequire(import.meta.url)('commander') as typeof import('commander');

export const { Command, CommanderError, InvalidArgumentError, Option } = commander;
export type Command = import('commander').Command;
export type CommanderError = import('commander').CommanderError;
export type Option = import('commander').Option;
