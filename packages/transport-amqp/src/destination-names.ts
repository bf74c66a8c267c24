import type { Destination } from '@metro/core';

/** How a destination is named in errors and logs. */
export function describeDestination(destination: Destination): string {
  switch (destination.kind) {
    case 'topic':
      return `topic "${destination.topic}" subject "${destination.subject}"`;
    case 'command':
      return `the commands of service "${destination.service}"`;
    case 'queue':
      return `queue "${destination.queue}"`;
  }
}
