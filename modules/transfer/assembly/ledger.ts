// Pure ledger rules of the `transfer` module (no hostcalls): testable on their own.

/** Balances and supply must stay below 2^63 (the host's write limit), so sums cannot overflow u64 either. */
export const MAX_BALANCE: u64 = 0x7fffffffffffffff;

export const OK: string = "OK";
export const INSUFFICIENT_FUNDS: string = "INSUFFICIENT_FUNDS";
export const OVERFLOW: string = "OVERFLOW";
export const BAD_NONCE: string = "BAD_NONCE";
export const ZERO_AMOUNT: string = "ZERO_AMOUNT";
export const SELF_TRANSFER: string = "SELF_TRANSFER";

export class Move {
  code: string = OK;
  from: u64 = 0;
  to: u64 = 0;
}

/** Applies a transfer of `amount` from a balance to another; returns the new balances or a refusal code. */
export function applyTransfer(fromBal: u64, toBal: u64, amount: u64, sameAccount: bool): Move {
  const m = new Move();
  if (amount == 0) { m.code = ZERO_AMOUNT; return m; }
  if (sameAccount) { m.code = SELF_TRANSFER; return m; }
  if (amount > MAX_BALANCE) { m.code = OVERFLOW; return m; }
  if (fromBal < amount) { m.code = INSUFFICIENT_FUNDS; return m; }
  if (toBal > MAX_BALANCE - amount) { m.code = OVERFLOW; return m; }
  m.from = fromBal - amount;
  m.to = toBal + amount;
  return m;
}

/** Nonces are strictly sequential per account and ledger, starting at 1: exactly last + 1 is accepted. */
export function nonceOk(last: u64, nonce: u64): bool {
  return last < u64.MAX_VALUE && nonce == last + 1;
}

/** A mint's refusal code, or OK: non-zero, and the new balance and the new supply both ≤ MAX_BALANCE. */
export function mintCheck(toBal: u64, supply: u64, amount: u64): string {
  if (amount == 0) return ZERO_AMOUNT;
  if (amount > MAX_BALANCE || toBal > MAX_BALANCE - amount || supply > MAX_BALANCE - amount) return OVERFLOW;
  return OK;
}
