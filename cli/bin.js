#!/usr/bin/env node
// Lets `npx schemawright` run the TypeScript CLI without a build step.
require('tsx/cjs');
require('./schemawright.ts');
