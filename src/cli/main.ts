/**
 * The `typevisor` command line.
 */
import { readFileSync } from 'node:fs';
import { BUNDLED, DEFAULT_CMDLINE, DEFAULT_MEMORY, VIRTIO_CONSOLE_CMDLINE } from './bundled.js';
import { Command, CommanderError, Option } from './commander.js';
import { createDiskCommand } from './disk-command.js';
import { addControlCommands } from './control-commands.js';
import type { RestoreOptions } from './restore-command.js';
import { runCommand, UsageError, type RunOptions } from './run-command.js';

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** `argv` is kept to run the command again under the TAP attaching helper (tap-attach.ts). */
function buildProgram(result: { code: number }, argv: readonly string[]): Command {
  const program = new Command('typevisor')
    .description('A hypervisor written in TypeScript: runs RISC-V (RV64GC) virtual machines that boot unmodified Linux.')
    .version(version())
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`typevisor: ${str.replace(/^error: /, '')}`) });

  program
    .command('run')
    .description(
      'Boot a virtual machine. With no options it boots the bundled Linux guest (Linux 6.1, busybox) with no ' +
        "firmware: Typevisor implements the SBI. The guest's serial console is this terminal. Type Ctrl-A X to quit, " +
        'Ctrl-A H for help.',
    )
    .addOption(
      new Option('-k, --kernel <file>', 'kernel: a RISC-V Linux Image (raw or gzip-compressed); with --firmware none, an RV64 ELF run in M-mode')
        .default(BUNDLED.kernel, 'bundled Linux 6.1 guest/images/Image.gz, inflated by the build'),
    )
    .addOption(
      new Option('-i, --initrd <file>', "initramfs loaded for the kernel, or 'none'")
        .default(BUNDLED.initrd, 'bundled busybox guest/images/initramfs.cpio'),
    )
    .addOption(
      new Option(
        '-f, --firmware <file>',
        "M-mode firmware (OpenSBI fw_dynamic, e.g. the bundled guest/images/fw_dynamic.bin); 'builtin': no " +
          "firmware, Typevisor implements the SBI; 'none': bare-metal mode (default: builtin)",
      ),
    )
    .addOption(
      new Option('-a, --append <cmdline>', 'kernel command line (with --console virtio the default is console=hvc0)')
        .default(DEFAULT_CMDLINE),
    )
    .addOption(new Option('-m, --memory <size>', 'guest RAM, e.g. 128M or 1G (16M..2G)').default(DEFAULT_MEMORY))
    .addOption(new Option('-c, --cpus <n>', 'harts (vCPUs), 1..8, each in its own worker thread when several').default('1'))
    .addOption(new Option('--mmu <mode>', 'largest virtual-memory mode offered to the guest').choices(['sv39', 'sv48']).default('sv39'))
    .addOption(
      new Option('-d, --disk <spec>', 'a virtio disk on a raw image file: path[,readonly][,serial=ID] (repeatable; /dev/vda, vdb, ...)')
        .argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]),
    )
    .addOption(
      new Option(
        '-n, --net <spec>',
        'a virtio network interface: user[,hostfwd=tcp:[HOSTADDR]:HOSTPORT-:GUESTPORT...] (no privileges; guest ' +
          '10.0.2.15, host 10.0.2.2, DNS 10.0.2.3), tap,ifname=X or tap,fd=N; add mac=52:54:00:xx:xx:xx to set the MAC (repeatable)',
      ).argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]),
    )
    .addOption(new Option('--no-rng', 'leave out the virtio entropy device (/dev/hwrng)'))
    .addOption(new Option('--console <where>', 'the guest console: the 16550 UART (ttyS0) or a virtio console (hvc0)').choices(['uart', 'virtio']).default('uart'))
    .addOption(new Option('--max-instructions <n>', 'stop after about n guest instructions (exit status 3)'))
    .addOption(
      new Option('--engine <engine>', 'CPU engine: the translator to WebAssembly, or the interpreter alone (default: jit, or $TYPEVISOR_ENGINE)')
        .choices(['interp', 'jit']),
    )
    .addOption(new Option('--api-sock <path>', 'serve the control API (status, pause, resume, snapshot, shutdown, stop) on this Unix socket'))
    .action(async (opts: RunOptions, command: Command) => {
      const append =
        opts.console === 'virtio' && command.getOptionValueSource('append') === 'default' ? VIRTIO_CONSOLE_CMDLINE : opts.append;
      // Only --net tap,ifname=X needs the helper that re-runs this command.
      const viaTap = opts.net !== undefined ? await (await import('./tap-attach.js')).runWithTaps(argv, opts.net) : undefined;
      result.code = viaTap ?? (await runCommand({ ...opts, append }));
    });

  const disk = program.command('disk').description('Manage disk images');
  disk
    .command('create')
    .description('Create a sparse raw disk image (takes no space until written)')
    .argument('<file>', 'image file to create')
    .argument('<size>', 'size, e.g. 2G or 512M (a multiple of 512 bytes)')
    .option('--force', 'overwrite an existing file')
    .action((file: string, size: string, opts: { force?: boolean }) => {
      result.code = createDiskCommand(file, size, opts.force === true);
    });

  program
    .command('restore')
    .description(
      'Continue a VM from a snapshot directory (made with `typevisor snapshot`) in this process, exactly where it\n' +
        'was taken; the console is this terminal. Its disks must be unchanged since the snapshot (see --force).',
    )
    .argument('<dir>', 'snapshot directory')
    .addOption(new Option('--api-sock <path>', 'serve the control API on this Unix socket'))
    .addOption(new Option('--eager', 'read all of guest RAM before running (default with one hart: lazily, each page on first touch and the rest in the background; several harts always restore eagerly)'))
    .addOption(
      new Option('--clock <mode>', "guest clock after restore: 'continue' from the snapshot's time, or 'catch-up' with the host's wall time")
        .choices(['continue', 'catch-up'])
        .default('continue'),
    )
    .addOption(new Option('--force', 'restore even if a disk image changed since the snapshot (the guest may then corrupt it)'))
    .addOption(new Option('--timing', 'print how long the restore took to stderr'))
    .addOption(new Option('--engine <engine>', 'CPU engine').choices(['interp', 'jit']))
    .addOption(new Option('--max-instructions <n>', 'stop after about n more guest instructions (exit status 3)'))
    .action(async (dir: string, opts: RestoreOptions) => {
      // Snapshot reading is for this command only: loaded when it runs.
      const { restoreCommand } = await import('./restore-command.js');
      result.code = await restoreCommand(dir, opts);
    });

  addControlCommands(program, result);
  return program;
}

/** Runs the CLI with `argv` (without node and script). Returns the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  const result = { code: 0 };
  const program = buildProgram(result, argv);
  if (argv.length === 0) {
    program.outputHelp();
    return 0;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return result.code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof UsageError) {
      process.stderr.write(`typevisor: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`typevisor: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return 70;
  }
}
