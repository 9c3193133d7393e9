// PURE: what a received message is, as the store keeps it.

/**
 * received: stored, waiting for the pipeline; processed: records written; unparseable: kept
 * with its error (replayable); duplicate: a report already seen, no records of its own.
 */
export const MESSAGE_STATES = ['received', 'processed', 'unparseable', 'duplicate'] as const;
export type MessageState = (typeof MESSAGE_STATES)[number];

/** The states a message is settled into (once, from `received`). */
export const SETTLED_STATES = ['processed', 'unparseable', 'duplicate'] as const;
export type SettledState = (typeof SETTLED_STATES)[number];

/**
 * How a message reached us: an SMTP session, `bounced ingest` (a Postfix pipe), a bounce found
 * in a connected inbox over IMAP (issue #17), or a sending provider's signed HTTP event
 * (src/esp: the request body is kept as the report).
 */
export const MESSAGE_SOURCES = ['smtp', 'ingest', 'imap', 'esp'] as const;
export type MessageSource = (typeof MESSAGE_SOURCES)[number];

/**
 * The first bytes of a message, kept in one piece: everything a report says (the
 * notification, the delivery-status or feedback part, the returned original's headers) comes
 * first, and what makes a bounce big is the original's attachments at its end. Processing
 * reads only this head.
 */
export const RAW_HEAD_BYTES = 1024 * 1024;
