/**
 * Build step (after tsc): bundles the Ink view and everything it imports (Ink, React, Yoga…) into
 * one file, dist/src/ui/ink-reporter.bundle.js, which the view process loads instead of ~550
 * separate modules. Ink imports one function from es-toolkit's compat index, which alone loads
 * 415 files; loading the view as modules took ~600 ms of CPU, the bundle ~110 ms.
 *
 * The bundle is an optimisation only: without esbuild (an install without dev dependencies), or if
 * bundling fails, this prints why and exits 0, and the view process loads the modules. Next to the
 * bundle goes a list of the project files in it with their modification times, so that after a
 * plain `tsc` the view process sees the bundle is stale and loads the fresh modules instead
 * (bundle-freshness.ts).
 *
 *   node dist/src/ui/bundle-view.js
 */
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE_FILE, MANIFEST_FILE, type BundleManifest } from './bundle-freshness.js';

const here = dirname(fileURLToPath(import.meta.url));

async function main(): Promise<void> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    console.log('bundle-view: esbuild is not installed; the live view will load Ink as separate modules');
    return;
  }
  const result = await esbuild.build({
    absWorkingDir: here,
    entryPoints: ['./ink-reporter.js'],
    outfile: join(here, BUNDLE_FILE),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // The view always runs React's production build (ink-view-process.ts); this drops the other.
    define: { 'process.env.NODE_ENV': '"production"' },
    plugins: [withoutInkDevtools],
    // React and a few of Ink's dependencies are CommonJS and call require().
    banner: { js: "import { createRequire as __dagCreateRequire } from 'node:module'; const require = __dagCreateRequire(import.meta.url);" },
    metafile: true,
    logLevel: 'warning',
  });
  // Paths relative to `here`; the stub module has a namespace prefix and no file.
  const projectInputs = Object.keys(result.metafile.inputs).filter((path) => !path.includes('node_modules/') && !path.includes(':'));
  const manifest: BundleManifest = {
    inputs: projectInputs.map((path) => ({ path, mtimeMs: statSync(join(here, path)).mtimeMs })),
  };
  writeFileSync(join(here, MANIFEST_FILE), JSON.stringify(manifest, null, 1) + '\n');
  console.log(`bundle-view: ${BUNDLE_FILE} (${Object.keys(result.metafile.inputs).length} modules)`);
}

/**
 * Ink imports its React devtools bridge (which needs the optional react-devtools-core) only when
 * DEV=true; a bundle would hoist that import and fail to load without it.
 */
const withoutInkDevtools: import('esbuild').Plugin = {
  name: 'without-ink-devtools',
  setup(build) {
    build.onResolve({ filter: /^\.\/devtools\.js$/ }, (args) =>
      args.importer.includes(`${'/'}ink${'/'}`) ? { path: 'ink-devtools', namespace: 'dag-empty' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'dag-empty' }, () => ({ contents: 'export {};', loader: 'js' }));
  },
};

try {
  await main();
} catch (error) {
  // A failed bundle must not fail the build: without a fresh manifest the view loads the modules.
  rmSync(join(here, MANIFEST_FILE), { force: true });
  console.log(`bundle-view: not bundled (${(error as Error).message.split('\n')[0]}); the live view will load Ink as separate modules`);
}
