// Vite builds the UI into ui/dist, which the Tauri app embeds; Vitest runs the UI's
// unit tests in jsdom with the Tauri IPC mocked (only there).
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  plugins: [react()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/testSetup.ts'],
    // Role queries walk jsdom's whole accessibility tree; on a cold 2-core CI machine a
    // test with several of them over the signed-in app passed 5 s (the default).
    testTimeout: 20_000,
  },
})
