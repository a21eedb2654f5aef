import { createHash } from 'node:crypto';

/** sha256 of the parts, each ended by a NUL so ("ab","c") and ("a","bc") differ. */
export const sha = (...parts: string[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
};
