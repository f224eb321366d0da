// Builds with esbuild. No flag: the extension bundle (dist/extension.js).
// --production: minified, no source map. --tests: unit tests to out/test/.
// --e2e: the end-to-end runner to out/e2e/. --scripts: out/scripts/.
import { build } from 'esbuild';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const production = args.has('--production');

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  logLevel: 'warning',
};

const ts = (dir) => readdirSync(join(root, dir)).filter((f) => f.endsWith('.ts')).map((f) => `${dir}/${f}`);

if (args.has('--tests')) {
  await build({ ...common, entryPoints: ts('test'), outdir: 'out/test', sourcemap: 'inline', external: ['vscode'] });
} else if (args.has('--e2e')) {
  await build({ ...common, entryPoints: ['e2e/run.ts'], outdir: 'out/e2e', sourcemap: 'inline', external: ['playwright-core'] });
} else if (args.has('--scripts')) {
  await build({ ...common, entryPoints: ['scripts/gen-settings.ts'], outdir: 'out/scripts' });
} else {
  await build({
    ...common,
    entryPoints: ['src/extension.ts'],
    outfile: 'dist/extension.js',
    external: ['vscode'],
    minify: production,
    sourcemap: !production,
  });
}
