// Bundles the console into dist/: index.html, plus JS and CSS under dist/assets named by a hash of
// their content, so the gateway can let browsers cache them for a year (apps/gateway/src/console).
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('.', import.meta.url))
const outdir = `${root}dist`

await rm(outdir, { recursive: true, force: true })
await mkdir(outdir, { recursive: true })

const { metafile } = await build({
  absWorkingDir: root,
  entryPoints: ['src/main.tsx'],
  outdir: 'dist/assets',
  entryNames: '[name]-[hash]',
  chunkNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  bundle: true,
  // The chart library loads with the results page only.
  splitting: true,
  format: 'esm',
  target: ['es2022', 'chrome111', 'firefox111', 'safari16.4'],
  minify: true,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  metafile: true,
  logLevel: 'warning',
})

const entry = Object.entries(metafile.outputs).find(([, output]) => output.entryPoint === 'src/main.tsx')
if (!entry) throw new Error('esbuild wrote no bundle for src/main.tsx')
const [script, { cssBundle }] = entry
const url = (path) => `/${path.replace(/^dist\//, '')}`

const html = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Experiments console</title>
    <link rel="icon" href="data:," />
    ${cssBundle ? `<link rel="stylesheet" href="${url(cssBundle)}" />` : ''}
    <script type="module" src="${url(script)}"></script>
  </head>
  <body>
    <div id="app"></div>
    <noscript>The experiments console needs JavaScript.</noscript>
  </body>
</html>
`
await writeFile(`${outdir}/index.html`, html)
