// Writes config.schema.json from the zod schema (src/config/json-schema.ts). Run after changing
// src/config/schema.ts: npm run build:schema (a unit test fails while the file is stale).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configJsonSchema } from '../src/config/json-schema';

const file = path.join(__dirname, '..', 'config.schema.json');
fs.writeFileSync(file, JSON.stringify(configJsonSchema(), null, 2) + '\n');
process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
