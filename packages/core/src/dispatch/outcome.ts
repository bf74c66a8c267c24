/** How the handlers of one delivery ended; the dispatcher settles the delivery by it. */
export const OK = 0;
/** A handler failed and its failure was recorded (or a retry scheduled): ack. */
export const FAILED = 1;
/** A retry publish or a failure write failed: requeue after a pause. */
export const INFRA = 2;
/** The bus is stopping: requeue at once, no handler ran to its end. */
export const STOPPED = 3;
export type Outcome = typeof OK | typeof FAILED | typeof INFRA | typeof STOPPED;
