#!/usr/bin/env -S node --v8-pool-size=1
// The command line as one bundle (tools/bundle.mjs builds it after tsc): faster to start than its modules.
import { main } from '../dist/bundle/typevisor.js';

// Exit explicitly: the console's stdin listener must not keep the process alive after the guest is gone.
process.exit(await main(process.argv.slice(2)));
