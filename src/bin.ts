#!/usr/bin/env node
// The installed `bounced` command (package.json "bin"). A command line whose command is
// `classify` runs the single-file build of that command (./classify-main.ts), which starts in
// about half the time of the whole command line; everything else runs ./cli.ts. Both define
// `classify` with the same code (commands/classify-cli.ts) and answer alike.
if (process.argv[2] === 'classify') await import('./classify-main.js');
else await import('./cli.js');
