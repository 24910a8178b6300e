/**
 * Commander, for every CLI module (one instance). The command line's bundle (tools/bundle.mjs) takes it in, so
 * that V8's code cache of the bundle covers it too: required from node_modules it took ~8 ms of every start.
 */
export { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
