/**
 * Writes docs/api/control-api.json from schema.ts (`npm run api:doc`). openapi.test.ts fails when the committed
 * document and the code disagree.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openApiDocument } from './schema.js';

export const OPENAPI_PATH = fileURLToPath(new URL('../../docs/api/control-api.json', import.meta.url));

export function openApiText(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  mkdirSync(fileURLToPath(new URL('../../docs/api/', import.meta.url)), { recursive: true });
  writeFileSync(OPENAPI_PATH, openApiText());
  process.stdout.write(`wrote ${OPENAPI_PATH}\n`);
}
