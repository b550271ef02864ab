/**
 * `pnpm bench [filter]`: runs every benchmark (`*.bench.ts` in packages, services, apps), one after another, each
 * in a process of its own. Each benchmark measures its own baseline in the same run and prints the ratio; results
 * are recorded in docs/benchmarks.md.
 */
import { spawnSync } from 'node:child_process';
import { glob } from 'node:fs/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const filter = process.argv[2];
const files: string[] = [];
for await (const file of glob(
  ['packages/*/src/**/*.bench.ts', 'services/*/{src,test}/**/*.bench.ts', 'apps/*/src/**/*.bench.ts'],
  { cwd: root },
)) {
  if (!filter || file.includes(filter)) files.push(file);
}
files.sort();

if (files.length === 0) {
  console.log(filter ? `bench: no benchmark matches "${filter}"` : 'bench: no benchmarks yet');
  process.exit(0);
}

let failed = 0;
for (const file of files) {
  console.log(`\n=== ${relative(root, `${root}/${file}`)}`);
  const result = spawnSync(process.execPath, [file], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
console.log(`\nbench: ${files.length - failed} of ${files.length} benchmarks ran`);
process.exit(failed > 0 ? 1 : 0);
