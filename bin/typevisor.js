#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

// Exit explicitly: the console's stdin listener must not keep the process alive after the guest is gone.
process.exit(await main(process.argv.slice(2)));
