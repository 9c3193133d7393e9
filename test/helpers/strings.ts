/** Every string of `min`..`max` characters over `alphabet`, each prefixed with `prefix`. */
export function* allStrings(alphabet: readonly string[], max: number, prefix = '', min = 0): Generator<string> {
  let layer = [''];
  for (let n = 0; n <= max; n++) {
    if (n >= min) for (const s of layer) yield prefix + s;
    if (n < max) layer = layer.flatMap((s) => alphabet.map((c) => s + c));
  }
}
