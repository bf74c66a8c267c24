import { describe, expect, it } from 'vitest';
import { MetroError } from '@metro/core';
import * as scheduler from '../src/index.js';
import { InvalidCronError, InvalidScheduleError, InvalidTagsError, SCHEDULER_ERROR_CODES } from '../src/index.js';

// One instance of every error class the entry exports, each built as the package builds it.
const instances: ReadonlyArray<MetroError> = [
  new InvalidTagsError('a nested object'),
  new InvalidCronError('61 * * * *', 'minute out of range'),
  new InvalidScheduleError('no at'),
];

describe('scheduler error codes', () => {
  it('every error class raises a code from SCHEDULER_ERROR_CODES', () => {
    for (const err of instances) {
      expect(err, err.name).toBeInstanceOf(MetroError);
      expect(Object.keys(SCHEDULER_ERROR_CODES), err.name).toContain(err.code);
    }
  });

  it('the test covers every MetroError subclass the entry exports', () => {
    const exported = (Object.values(scheduler) as unknown[]).filter(
      (v): v is typeof MetroError => typeof v === 'function' && v.prototype instanceof MetroError,
    );
    const covered = new Set(instances.map((e) => e.constructor));
    expect(exported.filter((c) => !covered.has(c)).map((c) => c.name)).toEqual([]);
  });

  it('pins the set of codes', () => {
    expect(Object.keys(SCHEDULER_ERROR_CODES).sort()).toEqual(['SCHEDULER_INVALID_CRON', 'SCHEDULER_INVALID_SCHEDULE', 'SCHEDULER_INVALID_TAGS']);
  });
});
