// Types for scripts/metamorphic-lib.mjs (plain ESM, shared by scripts/metamorphic.mjs and
// test/parser/metamorphic.test.ts).
export interface Source {
  file: string;
  /** `public/<path>` or `fixtures/<path>`. */
  name: string;
  origin: 'public-dev' | 'generated' | 'fixtures';
}
export interface Mutation {
  id: string;
  group: string;
  /** The RFC reason the change keeps the meaning. */
  why: string;
  /** Reported by the script, not asserted by the test. */
  informational?: boolean;
  apply(ctx: { text: string; eol: string; seed: string; protectedWords: Set<string> }): unknown;
}
export interface Mutated {
  raw: Buffer;
  mapRecipient(a: string): string;
  mapMessageId(id: string): string;
  optional: Set<string>;
  duplicates: boolean;
  clones: [string, string][];
}
export type AnswerRecord = Record<string, unknown> & { recipient: string | null };
export interface Difference {
  type: string;
  recipient: string;
  origRecipient?: string;
  fields?: string[];
  was: Record<string, unknown> | null;
  now: Record<string, unknown> | null;
}
export interface MetamorphicResult {
  source: Source;
  mutation: string;
  group: string;
  informational?: boolean;
  diffs?: Difference[];
  harnessError?: string;
  mutated?: Buffer;
}
export interface SwapEntry {
  id: string;
  family: string;
  phase: string;
  lines: string[];
  expect: { status: string; reason: string; hard: number; pseudo: boolean };
}
export interface SwapResult {
  source: Source;
  entry: string;
  family: string;
  detector: string;
  ruleGap: boolean;
  diffs: { type: string; recipient: string; want?: unknown; got?: unknown; fields?: string[] }[];
  old: string;
  reply: string;
  mutated: Buffer;
}
export const MUTATIONS: Mutation[];
export function ruleWords(entries: readonly { example: { text?: string } }[]): Set<string>;
export function corpusPart(file: string): 'dev' | 'validation';
export function corpusSources(repoRoot: string): Source[];
export function hash32(s: string): number;
export function rng(seed: number): () => number;
export function toLf(raw: Buffer): string;
export function parseEntity(s: string, parentType?: string): unknown;
export function writeEntity(ent: unknown): string;
export function toFlowed(text: string, width: number): string;
export function toReflowed(text: string, width: number): string;
export function mutate(raw: Buffer, mutation: Mutation, seed: string, protectedWords: Set<string>): Mutated | null;
export function mutateChain(raw: Buffer, mutations: Mutation[], seed: string, protectedWords: Set<string>): Mutated | null;
export function compareAnswers(orig: AnswerRecord[], mutated: AnswerRecord[], m: Mutated): Difference[];
export function runMetamorphic(opts: {
  sources: Source[];
  classify: (name: string, raw: Buffer) => AnswerRecord[];
  mutations?: Mutation[];
  protectedWords: Set<string>;
  pick?: (source: Source, mutation: Mutation) => boolean;
  seed?: string;
  combos?: number;
  comboSize?: number;
}): { pairs: number; results: MetamorphicResult[] };
export function swapPool(cases: unknown[]): SwapEntry[];
export function remoteReplyOf(rec: AnswerRecord): string | null;
export function replySwap(raw: Buffer, rec: AnswerRecord, entry: SwapEntry): { raw: Buffer; old: string; reply: string } | null;
export function neutralReport(reply: string, recipient?: string): Buffer;
export function runReplySwaps(opts: {
  sources: Source[];
  classify: (name: string, raw: Buffer) => AnswerRecord[];
  pool: SwapEntry[];
  perRecipient?: number;
  seed?: string;
}): { pairs: number; opaque: number; results: SwapResult[] };
export function lineEndOf(raw: Buffer): string;
/** One more failed recipient copied from `given` (else the DSN's first): null when not writable. */
export function cloneRecipient(ctx: { text: string; eol: string; seed: string }, given?: string | null): { text: string; clones: [string, string][] } | null;
export function runClones(opts: {
  sources: Source[];
  classify: (name: string, raw: Buffer) => AnswerRecord[];
  perMessage?: number;
  seed?: string;
}): { pairs: number; results: MetamorphicResult[] };
