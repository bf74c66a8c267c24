import { ConfigurationError, describeDefinition, type Envelope, type MessageDefinition, type StandardSchemaV1 } from '@metro/core';
import { MessageDefinitionMissingError } from '../errors.js';

/** Which schema an edited payload of `failed.editAndRetry` is validated with. */
export interface EditValidation {
  /**
   * The schema of the failed message's definition (events by topic and type, commands by service
   * and type); `undefined` when none is known and unchecked edits are allowed. Throws
   * {@link MessageDefinitionMissingError} when none is known and they are not.
   */
  schemaFor(failureId: string, envelope: Envelope): StandardSchemaV1 | undefined;
}

/** The same key as core's `describeDefinition`: `orders.placed` for events, `sms:send` for commands. */
function keyOf(envelope: Envelope): string | undefined {
  if (envelope.kind === 'command') return envelope.service === undefined ? undefined : `${envelope.service}:${envelope.type}`;
  return envelope.topic === undefined ? undefined : `${envelope.topic}.${envelope.type}`;
}

/**
 * Indexes the router's `messages` option. Two different definitions of one message type are a
 * `ConfigurationError` (it could not tell which schema applies).
 */
export function createEditValidation(messages: ReadonlyArray<MessageDefinition>, allowUnvalidatedEdits: boolean): EditValidation {
  const byKey = new Map<string, MessageDefinition>();
  for (const definition of messages) {
    const key = `${definition.kind} ${describeDefinition(definition)}`;
    const known = byKey.get(key);
    if (known !== undefined && known.schema !== definition.schema) {
      throw new ConfigurationError(`createAdminRouter({ messages }) has two definitions of ${key} with different schemas: pass each message type once.`);
    }
    byKey.set(key, definition);
  }
  return {
    schemaFor(failureId, envelope) {
      const key = keyOf(envelope);
      const definition = key === undefined ? undefined : byKey.get(`${envelope.kind} ${key}`);
      if (definition !== undefined) return definition.schema;
      if (allowUnvalidatedEdits) return undefined;
      throw new MessageDefinitionMissingError(failureId, `${envelope.kind} "${key ?? envelope.type}"`);
    },
  };
}
