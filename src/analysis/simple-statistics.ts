/**
 * The one place simple-statistics is loaded.
 *
 * The package ships CommonJS under its "require" export but only ESM typings (its package.json
 * says "type": "module"), so with our CommonJS output under module node16 TypeScript rejects
 * `import * as ss from 'simple-statistics'` (TS1479) even though Node would load it fine. We take
 * the typings with a type-only import and load the CommonJS build with require.
 */
import type * as SimpleStatistics from 'simple-statistics' with { 'resolution-mode': 'import' };

/** simple-statistics, typed by its own declarations. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const ss: typeof SimpleStatistics = require('simple-statistics');
