/**
 * Typed error thrown for invalid input anywhere in clv-core.
 *
 * It names the public function (`fn`), the offending field and, for columnar input, the
 * zero-based row, so an API layer can map it to a 400 response with a precise message.
 *
 * @example
 * try { fitBgNbd({ frequency: [-1], recency: [0], T: [1] }); }
 * catch (e) { if (e instanceof ClvInputError) console.log(e.fn, e.field, e.row); } // fitBgNbd frequency 0
 */
export class ClvInputError extends Error {
  readonly fn: string;
  readonly field: string;
  readonly row: number | null;

  constructor(fn: string, field: string, row: number | null, problem: string) {
    super(`${fn}: ${field}${row === null ? "" : ` (row ${row})`} ${problem}`);
    this.name = "ClvInputError";
    this.fn = fn;
    this.field = field;
    this.row = row;
  }
}

/**
 * Thrown when a caller's `shouldStop` asked a long computation (a model fit) to stop. Carries the
 * operation's name so the caller can say which step ran out of its budget.
 *
 * @example
 * try { fitParetoNbd(data, { shouldStop: () => Date.now() > deadline }); }
 * catch (e) { if (e instanceof ClvAbortedError) console.log(e.operation); } // "fit-pareto-nbd"
 */
export class ClvAbortedError extends Error {
  readonly operation: string;

  constructor(operation: string) {
    super(`${operation}: stopped by the caller (time budget exceeded)`);
    this.name = "ClvAbortedError";
    this.operation = operation;
  }
}
