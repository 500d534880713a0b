// `clearmesh` (npm run cli -- <command>): the operator's command line for a running mesh (SPEC §7).
// Everything is in run-cli.ts; this file only wires it to the process.
import { runCli } from './run-cli.js';

process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  streams: {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  },
});
