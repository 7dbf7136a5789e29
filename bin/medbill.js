#!/usr/bin/env node
'use strict';
// The CLI is written in TypeScript and compiled to dist/ by `npm install` (prepare) or `npm run build`.
require('../dist/src/cli/main.js');
