#!/usr/bin/env node
// The `sluice` command: runs the TypeScript entry through tsx, as every npm script here does.
require('tsx/cjs');
const { main } = require('./main.ts');
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
