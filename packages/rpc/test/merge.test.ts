import { describe, expect, it } from 'vitest';
import { parseJsonSafely } from '@metro/core';
import { indexBy, merge, mergeMany, withoutPrototypeKeys } from '../src/index.js';

const orders = [
  { id: 'o1', customerId: 'c1', total: 10 },
  { id: 'o2', customerId: 'c2', total: 20 },
  { id: 'o3', customerId: 'c-missing', total: 30 },
  { id: 'o4', customerId: 'c1', total: 40 },
];
const customers = [
  { id: 'c2', name: 'Bob' },
  { id: 'c1', name: 'Ada' },
  { id: 'c-extra', name: 'Nobody asked' },
];

describe('merge (one-to-one)', () => {
  it('puts the matching item on each row, null when missing, ignores extra items, keeps row order', () => {
    const rows = merge(orders, customers, { localKey: 'customerId', remoteKey: 'id', as: 'customer' });
    expect(rows.map((r) => r.id)).toEqual(['o1', 'o2', 'o3', 'o4']);
    expect(rows.map((r) => r.customer?.name ?? null)).toEqual(['Ada', 'Bob', null, 'Ada']);
    expect(rows.some((r) => r.customer?.id === 'c-extra')).toBe(false);
    expect(orders[0]).not.toHaveProperty('customer'); // inputs untouched
  });

  it('matches numeric and string keys, accepts key functions, skips null keys', () => {
    const rows = merge(
      [{ ref: 7 }, { ref: null }, { ref: '8' }],
      [
        { code: '7', v: 'seven' },
        { code: 8, v: 'eight' },
      ],
      { localKey: 'ref', remoteKey: (item) => item.code, as: 'match' },
    );
    expect(rows.map((r) => r.match?.v ?? null)).toEqual(['seven', null, 'eight']);
  });

  it('the first of duplicated remote items wins', () => {
    const rows = merge(
      [{ k: 'a' }],
      [
        { id: 'a', n: 1 },
        { id: 'a', n: 2 },
      ],
      { localKey: 'k', remoteKey: 'id', as: 'item' },
    );
    expect(rows[0]!.item).toEqual({ id: 'a', n: 1 });
  });

  it('never copies __proto__ / constructor keys from rows or items, at any depth', () => {
    const row = JSON.parse('{"id":"o1","customerId":"c1","__proto__":{"isAdmin":true},"constructor":{"prototype":{"x":1}}}') as Record<string, unknown>;
    const item = JSON.parse('{"id":"c1","nested":{"__proto__":{"isAdmin":true},"ok":1},"constructor":"bad"}') as Record<string, unknown>;
    const [merged] = merge([row], [item], { localKey: 'customerId', remoteKey: 'id', as: 'customer' });
    expect(Object.keys(merged!)).toEqual(['id', 'customerId', 'customer']);
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect((merged as Record<string, unknown>).isAdmin).toBeUndefined();
    const customer = merged!.customer as Record<string, unknown>;
    expect(Object.keys(customer)).toEqual(['id', 'nested']);
    expect(Object.keys(customer.nested as object)).toEqual(['ok']);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('refuses a dangerous `as` or key name', () => {
    expect(() => merge(orders, customers, { localKey: 'customerId', remoteKey: 'id', as: '__proto__' })).toThrow(/as/);
    expect(() => merge(orders, customers, { localKey: 'customerId', remoteKey: 'id', as: 'constructor' })).toThrow(/as/);
    expect(() => merge(orders, customers, { localKey: 'constructor' as 'id', remoteKey: 'id', as: 'c' })).toThrow(/localKey/);
  });
});

describe('mergeMany (one-to-many)', () => {
  const shipments = [
    { orderId: 'o2', box: 1 },
    { orderId: 'o1', box: 2 },
    { orderId: 'o2', box: 3 },
    { orderId: 'o-unknown', box: 4 },
  ];

  it('puts every matching item on each row in their order, [] when none, ignoring extra ones', () => {
    const rows = mergeMany(orders, shipments, { localKey: 'id', remoteKey: 'orderId', as: 'shipments' });
    expect(rows.map((r) => r.shipments.map((s) => s.box))).toEqual([[2], [1, 3], [], []]);
    rows[0]!.shipments.push({ orderId: 'o1', box: 99 });
    const again = mergeMany(orders, shipments, { localKey: 'id', remoteKey: 'orderId', as: 'shipments' });
    expect(again[0]!.shipments).toHaveLength(1);
  });
});

describe('indexBy / withoutPrototypeKeys', () => {
  it('indexes by key as strings', () => {
    const index = indexBy(
      [
        { id: 1, n: 'a' },
        { id: 2, n: 'b' },
      ],
      'id',
    );
    expect(index.get('2')?.n).toBe('b');
    expect(index.size).toBe(2);
  });
  it('keeps class instances and arrays, strips forbidden keys', () => {
    const date = new Date(0);
    const value = withoutPrototypeKeys({ at: date, list: [{ constructor: 1, a: 1 }] });
    expect(value.at).toBe(date);
    expect(value.list).toEqual([{ a: 1 }]);
    expect(() => parseJsonSafely('{"__proto__":{}}')).toThrow();
  });
});

describe('merge onto class instances (keepPrototype)', () => {
  class Order {
    constructor(
      readonly id: string,
      readonly customerId: string,
      readonly cents: number,
    ) {}
    get total(): string {
      return (this.cents / 100).toFixed(2);
    }
    describe(this: Order & { customer?: { name: string } | null }): string {
      return `${this.id} for ${this.customer?.name ?? 'nobody'}: ${this.total}`;
    }
  }
  class Shipment {
    constructor(
      readonly orderId: string,
      readonly box: number,
    ) {}
    label(): string {
      return `box ${this.box}`;
    }
  }
  const customers = [{ id: 'c1', name: 'Ada' }];
  const list = [new Order('o1', 'c1', 1250), new Order('o2', 'c9', 300)];

  it('keeps the rows (and items) instances of their class, with their methods and getters; the inputs are unchanged', () => {
    const rows = merge(list, customers, { localKey: 'customerId', remoteKey: 'id', as: 'customer', keepPrototype: true });
    expect(rows[0]).toBeInstanceOf(Order);
    expect(rows.map((r) => r.describe())).toEqual(['o1 for Ada: 12.50', 'o2 for nobody: 3.00']);
    expect(rows[0]).not.toBe(list[0]);
    expect('customer' in list[0]!).toBe(false);
    const many = mergeMany(list, [new Shipment('o1', 1), new Shipment('o1', 2)], {
      localKey: 'id',
      remoteKey: 'orderId',
      as: 'shipments',
      keepPrototype: true,
    });
    expect(many[0]!.shipments.map((s) => s.label())).toEqual(['box 1', 'box 2']);
    expect(many[0]).toBeInstanceOf(Order);
  });

  it('without it (the default) every merged row is a plain object; prototype keys are stripped either way', () => {
    const rows = merge(list, customers, { localKey: 'customerId', remoteKey: 'id', as: 'customer' });
    expect(rows[0]).not.toBeInstanceOf(Order);
    expect(Object.getPrototypeOf(rows[0])).toBe(Object.prototype);
    const polluted = new Order('o3', 'c1', 1);
    Object.defineProperty(polluted, '__proto__', { value: { admin: true }, enumerable: true }); // an own key, as JSON.parse makes it
    Object.defineProperty(polluted, 'constructor', { value: 'x', enumerable: true });
    const [kept] = merge([polluted], customers, { localKey: 'customerId', remoteKey: 'id', as: 'customer', keepPrototype: true });
    expect(Object.keys(kept!)).toEqual(['id', 'customerId', 'cents', 'customer']);
    expect(kept).toBeInstanceOf(Order);
    expect((kept as unknown as { admin?: boolean }).admin).toBeUndefined();
  });
});
