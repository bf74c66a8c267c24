import { describe, expect, it } from 'vitest';
import { SerialSteps } from '../src/index.js';

const tick = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('SerialSteps', () => {
  it('runs steps in call order, each after the previous settled, and keeps going after a failure', async () => {
    const steps = new SerialSteps();
    const log: string[] = [];
    const step =
      (name: string, ms: number, fail = false) =>
      async () => {
        log.push(`${name} start`);
        await tick(ms);
        log.push(`${name} end`);
        if (fail) throw new Error(name);
      };
    const a = steps.run(step('a', 30));
    const b = steps.run(step('b', 5, true));
    const c = steps.run(step('c', 1));
    await a;
    await expect(b).rejects.toThrow('b');
    await c;
    expect(log).toEqual(['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
  });
});
