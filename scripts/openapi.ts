/**
 * `node scripts/openapi.ts [out]`: the embedded system's OpenAPI document, written to `out` (default
 * `node_modules/.cache/openapi/openapi.json`, out of git's and Biome's way) for `pnpm lint:openapi` (docs/api.md).
 * Built in-process on a data directory of its own, removed afterwards: what is linted is exactly what /docs/json
 * serves, with no server to start and no network.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { buildEmbedded } from '../apps/embedded/src/app.ts';
import { createLogger } from '../packages/shared/src/observability/index.ts';

const out = resolve(process.argv[2] ?? 'node_modules/.cache/openapi/openapi.json');
const dataDir = await mkdtemp(join(tmpdir(), 'bk-openapi-'));
try {
  const app = await buildEmbedded({ logger: createLogger({ service: 'openapi', level: 'silent' }), dataDir });
  try {
    await app.ready();
    const response = await app.inject({ method: 'GET', url: '/docs/json' });
    if (response.statusCode !== 200) throw new Error(`GET /docs/json answered ${response.statusCode}`);
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, `${JSON.stringify(response.json(), null, 2)}\n`);
    console.log(`openapi: ${out}`);
  } finally {
    await app.close();
  }
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
