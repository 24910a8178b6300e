#!/usr/bin/env -S -u NODE_EXTRA_CA_CERTS node --v8-pool-size=1
// The command line as one bundle, compiled from V8's code cache of it (src/cli/bundle-loader.ts).
'use strict';
const { runBundle } = require('../dist/bundle/loader.cjs');

// Exit explicitly: the console's stdin listener must not keep the process alive after the guest is gone.
runBundle(process.argv.slice(2)).then((status) => process.exit(status));
