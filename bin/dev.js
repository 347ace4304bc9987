#!/usr/bin/env -S node --import tsx
// Runs the TypeScript sources directly (needs `npm i -D tsx@4.23.14`; 4.23.15 breaks oclif's loader).
import {execute} from '@oclif/core'

await execute({development: true, dir: import.meta.url})
