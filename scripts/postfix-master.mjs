// master.cf (master(5)) for the private Postfix instances the benchmarks and the generated
// corpus run: one smtpd on the given address and Postfix's stock services, none chrooted (each
// instance lives in a scratch directory). Written once here: bench/lib/postfix.mjs (the sink
// Postfix of the real-mix bench), fixtures/generated/mtas.mjs (Postfix as a sender) and
// fixtures/generated/receivers.mjs (Postfix as a receiver, with its policy services as `extra`).

/** service, type, private, unpriv, chroot, wakeup, maxproc, command: the stock master.cf rows. */
const STOCK = [
  ['pickup', 'unix', 'n', '-', 'n', '60', '1', 'pickup'],
  ['cleanup', 'unix', 'n', '-', 'n', '-', '0', 'cleanup'],
  ['qmgr', 'unix', 'n', '-', 'n', '300', '1', 'qmgr'],
  ['tlsmgr', 'unix', '-', '-', 'n', '1000?', '1', 'tlsmgr'],
  ['rewrite', 'unix', '-', '-', 'n', '-', '-', 'trivial-rewrite'],
  ['bounce', 'unix', '-', '-', 'n', '-', '0', 'bounce'],
  ['defer', 'unix', '-', '-', 'n', '-', '0', 'bounce'],
  ['trace', 'unix', '-', '-', 'n', '-', '0', 'bounce'],
  ['verify', 'unix', '-', '-', 'n', '-', '1', 'verify'],
  ['flush', 'unix', 'n', '-', 'n', '1000?', '0', 'flush'],
  ['proxymap', 'unix', '-', '-', 'n', '-', '-', 'proxymap'],
  ['proxywrite', 'unix', '-', '-', 'n', '-', '1', 'proxymap'],
  ['smtp', 'unix', '-', '-', 'n', '-', '-', 'smtp'],
  ['relay', 'unix', '-', '-', 'n', '-', '-', 'smtp'],
  ['lmtp', 'unix', '-', '-', 'n', '-', '-', 'lmtp'],
  ['showq', 'unix', 'n', '-', 'n', '-', '-', 'showq'],
  ['error', 'unix', '-', '-', 'n', '-', '-', 'error'],
  ['retry', 'unix', '-', '-', 'n', '-', '-', 'error'],
  ['discard', 'unix', '-', '-', 'n', '-', '-', 'discard'],
  ['local', 'unix', '-', 'n', 'n', '-', '-', 'local'],
  ['virtual', 'unix', '-', 'n', 'n', '-', '-', 'virtual'],
  ['anvil', 'unix', '-', '-', 'n', '-', '1', 'anvil'],
  ['scache', 'unix', '-', '-', 'n', '-', '1', 'scache'],
  ['postlog', 'unix-dgram', 'n', '-', 'n', '-', '1', 'postlogd'],
];

/**
 * The master.cf text: smtpd listening on `listen` ("127.0.0.1:2684"), the stock services, then
 * the `extra` lines as given (a policy service spawned by master(8), ...).
 */
export function postfixMasterCf(listen, extra = []) {
  const rows = [[listen, 'inet', 'n', '-', 'n', '-', '-', 'smtpd'], ...STOCK];
  return ['# service type  private unpriv  chroot  wakeup  maxproc command', ...rows.map((r) => r.join(' ')), ...extra, ''].join('\n');
}
