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

/**
 * A definition's key: kind, topic (events) or service (commands), and type, as a JSON array, since
 * names may hold the separators a joined string would use (`orders.line` + `added` vs `orders` + `line.added`).
 */
function keyOf(kind: string, where: string | undefined, type: string): string | undefined {
  return where === undefined ? undefined : JSON.stringify([kind, where, type]);
}

function envelopeKey(envelope: Envelope): string | undefined {
  return keyOf(envelope.kind, envelope.kind === 'command' ? envelope.service : envelope.topic, envelope.type);
}

/**
 * Indexes the router's `messages` option. Two different definitions of one message type are a
 * `ConfigurationError` (it could not tell which schema applies).
 */
export function createEditValidation(messages: ReadonlyArray<MessageDefinition>, allowUnvalidatedEdits: boolean): EditValidation {
  const byKey = new Map<string, MessageDefinition>();
  for (const definition of messages) {
    const key = keyOf(definition.kind, definition.kind === 'event' ? definition.topic : definition.service, definition.type)!;
    const known = byKey.get(key);
    if (known !== undefined && known.schema !== definition.schema) {
      throw new ConfigurationError(
        `createAdminRouter({ messages }) has two definitions of ${definition.kind} ${describeDefinition(definition)} with different schemas: pass each message type once.`,
      );
    }
    byKey.set(key, definition);
  }
  return {
    schemaFor(failureId, envelope) {
      const key = envelopeKey(envelope);
      const definition = key === undefined ? undefined : byKey.get(key);
      if (definition !== undefined) return definition.schema;
      if (allowUnvalidatedEdits) return undefined;
      const named =
        envelope.kind === 'command'
          ? envelope.service === undefined
            ? envelope.type
            : `${envelope.service}:${envelope.type}`
          : envelope.topic === undefined
            ? envelope.type
            : `${envelope.topic}.${envelope.type}`;
      throw new MessageDefinitionMissingError(failureId, `${envelope.kind} "${named}"`);
    },
  };
}
