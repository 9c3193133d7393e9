// Types for scripts/corpus-score.mjs (plain ESM, shared by scripts/corpus.mjs and the ratchet test).
export interface CorpusFigures {
  files: number;
  rows: number;
  recipientFound: number;
  statusExact: number;
  reason: number;
  hardbounce: number;
  all: number;
  counts: { rows: number; found: number; statusRows: number; status: number; reason: number; hard: number; all: number };
  extraRecords: number;
  notBounceFiles: number;
  notBounceWithRecords: number;
  notFailedRecords: number;
  falseHardBounces: number;
}
export interface CorpusScore {
  figures: CorpusFigures;
  misses: { file: string; recipient: string; problem: string }[];
  harms: {
    notFailed: { file: string; recipient: string; kind: string; rule: string | null }[];
    falseHard: { file: string; recipient: string; got: string; expected: string }[];
  };
}
export function readJsonl(path: string): Record<string, unknown>[];
export function partOf(file: string): 'dev' | 'validation';
export function score(expected: Record<string, unknown>[], output: Record<string, unknown>[]): CorpusScore;
export function scoreByPart(expected: Record<string, unknown>[], output: Record<string, unknown>[]): Record<'dev' | 'validation', CorpusScore>;
