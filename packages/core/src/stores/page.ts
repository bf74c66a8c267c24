/** One page of a listing. Pass `nextCursor` back as `cursor` for the next page; `null` means the end. */
export interface Page<T> {
  readonly items: ReadonlyArray<T>;
  readonly nextCursor: string | null;
}
