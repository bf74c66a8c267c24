import { ConfigurationError, type CommandDefinition, type PayloadInput } from '@metro/core';
import type { SagaContext } from './definition/saga-context.js';

/** One compensating command recorded in a saga's state: the name it was given in `defineCompensations` and its payload. */
export interface CompensationStep {
  readonly command: string;
  readonly payload: unknown;
}

/** The compensating commands of a saga, by name. See {@link defineCompensations}. */
export interface Compensations<M extends Record<string, CommandDefinition>> {
  /**
   * Returns `log` with one more step: the command that undoes a step just done. Keep the log in the
   * saga's state (an array of `{ command: string, payload: unknown }`) so it survives across messages.
   */
  add<K extends keyof M & string>(log: ReadonlyArray<CompensationStep>, command: K, payload: PayloadInput<M[K]>): CompensationStep[];
  /**
   * Sends every step of `log`, last recorded first, through the saga's outbox (in the transition's
   * transaction: all are sent or none). Resolves with how many were sent. Throws
   * `ConfigurationError` for a step whose name it does not know.
   */
  run(ctx: Pick<SagaContext, 'send'>, log: ReadonlyArray<CompensationStep>): Promise<number>;
}

/**
 * Declares the commands that undo a saga's steps. Each step done adds its undo to a log kept in the
 * state; when a later step fails, `run` sends the log in reverse order (the last thing done is
 * undone first), in the failing transition's transaction.
 *
 * @example
 * ```ts
 * const undo = defineCompensations({ releaseStock: ReleaseStock, refund: RefundPayment });
 * // after reserving stock:
 * return { ...state, undo: undo.add(state.undo, 'releaseStock', { orderId }) };
 * // when shipping fails:
 * await undo.run(ctx, state.undo); // refund first, then release the stock
 * return ctx.complete();
 * ```
 */
export function defineCompensations<M extends Record<string, CommandDefinition>>(commands: M): Compensations<M> {
  return {
    add(log, command, payload) {
      if (!Object.hasOwn(commands, command)) throw unknownStep(command, commands);
      return [...log, { command, payload }];
    },
    async run(ctx, log) {
      for (const step of log) if (!Object.hasOwn(commands, step.command)) throw unknownStep(step.command, commands);
      for (const step of [...log].reverse()) await ctx.send(commands[step.command]!, step.payload as never);
      return log.length;
    },
  };
}

function unknownStep(command: string, commands: Record<string, CommandDefinition>): Error {
  return new ConfigurationError(`Unknown compensation "${command}": use one of ${Object.keys(commands).join(', ')} (the names given to defineCompensations).`);
}
