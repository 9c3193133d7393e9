// `bounced classify` alone: the program with its global options (commands/program.ts) and the
// one command (commands/classify-cli.ts), nothing else. ./bin.ts starts it for a command line
// whose command is `classify`; `npm run build` turns its built file into one module holding
// commander, the parser and the classifier (scripts/bundle-classify.mjs), loaded in a fraction
// of the time their hundred-odd modules take (issue #20: start-up).
import { registerClassifyCommand } from './commands/classify-cli.js';
import { bouncedProgram, runProgram } from './commands/program.js';

const program = bouncedProgram();
registerClassifyCommand(program);
runProgram(program);
