// The entry point of `npm run demo` and `npm run bench` (compiled to dist/tools/tool.js by
// `npm run build:tools`, which `npm ci` runs via `prepare`), as bin/pgcarve.js is the CLI's.
import { toolMain } from './tool-main.js';

toolMain(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 70;
  },
);
