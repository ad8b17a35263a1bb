// Vite builds the portal into dist/ (hashed file names), which the gateway embeds and serves at /.
// Element Plus components and their styles are imported on demand (unplugin-vue-components and
// unplugin-auto-import with the Element Plus resolver), so a page carries only the components it uses.
/// <reference types="vitest/config" />
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import AutoImport from 'unplugin-auto-import/vite'
import Components from 'unplugin-vue-components/vite'
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers'

// The gateway `vite` (npm run dev) sends API and sign-in requests to; `make run` listens on 8080.
const gateway = process.env.FUPIN_GATEWAY_URL ?? 'http://127.0.0.1:8080'

export default defineConfig({
  plugins: [
    vue(),
    AutoImport({ resolvers: [ElementPlusResolver()], dts: 'src/auto-imports.d.ts' }),
    Components({ resolvers: [ElementPlusResolver()], dts: 'src/components.d.ts', dirs: [] }),
  ],
  build: {
    // Chromium 87: the engines of the 360 and QQ browsers county offices use, and Chrome 109 on Windows 7.
    // scripts/check-syntax.mjs checks the output holds nothing newer.
    target: 'chrome87',
    outDir: 'dist',
    // dist/README.md is committed (the gateway embeds the folder and must compile without a build), so
    // scripts/clean-dist.mjs empties the folder instead of Vite.
    emptyOutDir: false,
    assetsDir: 'assets',
    manifest: true,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 1024,
  },
  server: {
    proxy: { '/v1': gateway, '/auth': gateway },
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts', 'scripts/**/*.test.mjs'],
  },
})
