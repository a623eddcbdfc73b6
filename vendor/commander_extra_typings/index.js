// Vendored from npm @commander-js/extra-typings@15.1.0 by tools/vendor_commander.ts: do not edit.
// @ts-self-types="./index.d.ts"
export * from 'commander';
