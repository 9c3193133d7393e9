// The shared vocabulary of bounced, said once (STYLE.md "Say each vocabulary once"). PURE:
// nothing here imports from the store, the policy, the API or any I/O module.
export * from './accounts.js';
export * from './classification.js';
export * from './delivery.js';
export * from './events.js';
export * from './figures.js';
export * from './messages.js';
export * from './notifications.js';
export * from './suppressions.js';
export * from './time.js';
