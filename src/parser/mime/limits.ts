// Bounds on what one message may make us do (hostile input: a stranger sends it). Nesting and
// part counts are capped so the walk stays linear in the input and shallow on the stack (the
// returned original keeps its header block, and its raw text capped in walk.ts).

/** Deepest multipart nesting followed; a deeper multipart is read as one opaque part. */
export const MAX_DEPTH = 12;
/** Parts walked per message; the rest is ignored with a warning. */
export const MAX_PARTS = 300;
