/** Booking on the embedded store (PGlite). */
import { describe } from 'vitest';
import { bookingSuite } from './booking.suite.ts';

describe('scheduling on PGlite', () => {
  bookingSuite(async () => undefined);
});
