import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `base: '/'` because the server serves the app at its root and answers every unknown path
// with index.html (deep links). In `vite dev`, /api goes to a running dev server's HTTP port.
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1024 },
  server: { proxy: { '/api': process.env['CHASM_HTTP'] ?? 'http://127.0.0.1:7243' } },
});
