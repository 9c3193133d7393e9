// The configuration error, apart from the loader: commands that only report a bad value (the
// policy CLI's --now) import it without loading zod and the schema, which `bounced classify`
// would otherwise pay for at every start-up.

export class ConfigError extends Error {
  override name = 'ConfigError';
  /** sysexits.h EX_CONFIG: what operators' scripts expect for a configuration error. */
  readonly exitCode = 78;
}
