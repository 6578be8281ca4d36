// `transfer` — ledgers on `ledger` capsules (modules/README.md#transfer).
//
// A ledger IS its genesis capsule: its id names the ledger and its author is the issuer, so two geneses are two
// ledgers (nobody races for one) and nothing minted in another ledger can be paid into this one.
//   {"op":"genesis"}                                                          a new ledger; the issuer's account opens
//   {"op":"open","ledger":L}                                                  signed by the account's key: it may now
//                                                                             receive (proof the key can spend)
//   {"op":"mint","ledger":L,"to":<hex key>,"amount":"<u64>"}                  issuer only, to an open account
//   {"op":"transfer","ledger":L,"from":<hex>,"to":<hex>,"amount":"<u64>","nonce":<n>}   signed by `from`
// State, all per ledger: balances through set_balance under the account id L ‖ key (the host's balance table);
// nonces, open accounts and supply in kv. supply = Σ balances after every run (minting adds to both; transfers move).
// Runs happen in canonical order (docs/CONVERGENCE.md): of two transfers with the same nonce (a double spend on two
// branches) the earlier in that order wins on every device; a mint or transfer whose ledger does not exist yet at
// its place gets NO_LEDGER, and runs again in its place when a late genesis arrives.
import {
  capsule, payloadText, balance, setBalance, kvGetText, kvSetText, submitText, log,
} from "kapsule-guest-sdk";
import { parseJson, failure, JsonOut, JValue, J_INT, J_OBJ } from "kapsule-guest-sdk";
import { toHex, fromHex, keyFromHex, bytesEqual, parseU64 } from "kapsule-guest-sdk";
import { applyTransfer, nonceOk, mintCheck, OK, MAX_BALANCE } from "./ledger";

function readU64(text: string | null): u64 {
  if (text === null) return 0;
  const ok: bool[] = [false];
  const v = parseU64(text, ok);
  return ok[0] ? v : 0;
}

/** The host account id of `key` in ledger `ledger`: ledger id (32 bytes) ‖ signing key (32 or 33). */
function account(ledger: Uint8Array, key: Uint8Array): Uint8Array {
  const a = new Uint8Array(32 + key.length);
  a.set(ledger, 0);
  a.set(key, 32);
  return a;
}

/** Strict payload shape: an object whose keys are all known and appear once (the last of two would win silently). */
function shapeError(p: JValue, allowed: string[]): string | null {
  if (p.kind != J_OBJ) return "the payload is a JSON object";
  for (let i = 0; i < p.keys.length; i++) {
    if (!allowed.includes(p.keys[i])) return "unknown field \"" + p.keys[i] + "\"";
    for (let j = 0; j < i; j++) if (p.keys[j] == p.keys[i]) return "field \"" + p.keys[i] + "\" appears twice";
  }
  return null;
}

function amountOf(p: JValue, ok: bool[]): u64 {
  const s = p.str("amount");
  ok[0] = false;
  if (s === null) return 0;
  return parseU64(s, ok);
}

export function run(): i32 {
  const c = capsule();
  const text = payloadText();
  if (text === null) { submitText(failure("BAD_PAYLOAD", "ledger capsules need a payload")); return 0; }
  const p = parseJson(text);
  if (p === null) { submitText(failure("BAD_PAYLOAD", "payload is not strict JSON")); return 0; }
  const op = p.str("op");
  if (op === null) { submitText(failure("BAD_PAYLOAD", "missing \"op\"")); return 0; }
  const me = toHex(c.author);

  if (op == "genesis") {
    const bad = shapeError(p, ["op"]);
    if (bad !== null) { submitText(failure("BAD_PAYLOAD", bad)); return 0; }
    const L = toHex(c.id);
    kvSetText("ledger:" + L, me);
    kvSetText("open:" + L + ":" + me, "1");
    kvSetText("supply:" + L, "0");
    submitText(new JsonOut().bool("ok", true).str("op", "genesis").str("ledger", L).str("issuer", me).toString());
    return 0;
  }

  // every other op names its ledger
  const Lhex = p.str("ledger");
  const ledger: Uint8Array | null = Lhex === null ? null : fromHex(Lhex, 32);
  if (Lhex === null || ledger === null) { submitText(failure("BAD_PAYLOAD", "\"ledger\" must be the genesis capsule id (64 hex)")); return 0; }
  const issuer = kvGetText("ledger:" + Lhex);
  if (issuer === null) { submitText(failure("NO_LEDGER", "no genesis " + Lhex + " precedes this capsule")); return 0; }

  if (op == "open") {
    const bad = shapeError(p, ["op", "ledger"]);
    if (bad !== null) { submitText(failure("BAD_PAYLOAD", bad)); return 0; }
    const key = "open:" + Lhex + ":" + me;
    if (kvGetText(key) !== null) { submitText(failure("ALREADY_OPEN", "this account is already open in this ledger")); return 0; }
    kvSetText(key, "1");
    submitText(new JsonOut().bool("ok", true).str("op", "open").str("ledger", Lhex).str("account", me).toString());
    return 0;
  }

  if (op == "mint") {
    const bad = shapeError(p, ["op", "ledger", "to", "amount"]);
    if (bad !== null) { submitText(failure("BAD_PAYLOAD", bad)); return 0; }
    const toStr = p.str("to");
    const to: Uint8Array | null = toStr === null ? null : keyFromHex(toStr);
    const ok: bool[] = [false];
    const amount = amountOf(p, ok);
    if (toStr === null || to === null || !ok[0]) { submitText(failure("BAD_PAYLOAD", "\"to\" (hex key) and \"amount\" (decimal u64 string) are required")); return 0; }
    if (issuer != me) { submitText(failure("NOT_ISSUER", "only the author of the ledger's genesis can mint")); return 0; }
    if (kvGetText("open:" + Lhex + ":" + toStr) === null) { submitText(failure("UNKNOWN_ACCOUNT", "the recipient has not opened an account in this ledger")); return 0; }
    const acct = account(ledger, to);
    const toBal = balance(acct);
    const supply = readU64(kvGetText("supply:" + Lhex));
    const code = mintCheck(toBal, supply, amount);
    if (code != OK) { submitText(failure(code, code == "OVERFLOW" ? "balance and supply stay below 2^63" : "mint a positive amount")); return 0; }
    setBalance(acct, toBal + amount);
    kvSetText("supply:" + Lhex, (supply + amount).toString());
    submitText(new JsonOut().bool("ok", true).str("op", "mint").str("ledger", Lhex).str("to", toStr).u64s("amount", amount)
      .u64s("to_balance", toBal + amount).u64s("supply", supply + amount).toString());
    return 0;
  }

  if (op == "transfer") {
    const bad = shapeError(p, ["op", "ledger", "from", "to", "amount", "nonce"]);
    if (bad !== null) { submitText(failure("BAD_PAYLOAD", bad)); return 0; }
    const fromStr = p.str("from"), toStr = p.str("to");
    const nonceV = p.get("nonce");
    const from: Uint8Array | null = fromStr === null ? null : keyFromHex(fromStr);
    const to: Uint8Array | null = toStr === null ? null : keyFromHex(toStr);
    const ok: bool[] = [false];
    const amount = amountOf(p, ok);
    if (fromStr === null || toStr === null || from === null || to === null || !ok[0] || nonceV === null || nonceV.kind != J_INT || nonceV.n < 1) {
      submitText(failure("BAD_PAYLOAD", "\"from\", \"to\" (hex keys), \"amount\" (decimal u64 string) and a positive integer \"nonce\" are required")); return 0;
    }
    if (!bytesEqual(from, c.author)) { submitText(failure("NOT_SIGNER", "the capsule must be signed by \"from\"")); return 0; }
    if (amount > MAX_BALANCE) { submitText(failure("OVERFLOW", "amounts stay below 2^63")); return 0; }
    if (kvGetText("open:" + Lhex + ":" + toStr) === null) { submitText(failure("UNKNOWN_ACCOUNT", "the recipient has not opened an account in this ledger")); return 0; }
    const nonceKey = "nonce:" + Lhex + ":" + fromStr;
    const last = readU64(kvGetText(nonceKey));
    const nonce = <u64>nonceV.n;
    if (!nonceOk(last, nonce)) {
      submitText(new JsonOut().bool("ok", false).str("code", "BAD_NONCE").u64s("expected", last + 1).u64s("got", nonce)
        .str("reason", "nonces are strictly sequential per account (a replay, or the losing side of a double spend)").toString());
      return 0;
    }
    const fromAcct = account(ledger, from), toAcct = account(ledger, to);
    const fromBal = balance(fromAcct);
    const toBal = balance(toAcct);
    const m = applyTransfer(fromBal, toBal, amount, bytesEqual(from, to));
    if (m.code != OK) { submitText(failure(m.code, "transfer refused")); return 0; }
    setBalance(fromAcct, m.from);
    setBalance(toAcct, m.to);
    kvSetText(nonceKey, nonce.toString());
    log("transfer " + amount.toString() + " " + fromStr.slice(0, 8) + " -> " + toStr.slice(0, 8));
    submitText(new JsonOut().bool("ok", true).str("op", "transfer").str("ledger", Lhex).u64s("amount", amount).u64s("nonce", nonce)
      .u64s("from_balance", m.from).u64s("to_balance", m.to).toString());
    return 0;
  }
  submitText(failure("BAD_PAYLOAD", "unknown op (genesis, open, mint, transfer)"));
  return 0;
}

/**
 * Read-only views: {"op":"ledger","ledger":L} → issuer and supply; {"op":"account","ledger":L,"account":<hex key>}
 * → whether it is open, its balance, its last nonce and the next one (what a wallet signs next).
 */
export function query(): i32 {
  const text = payloadText();
  const q: JValue | null = text === null ? null : parseJson(text);
  if (q === null || q.kind != J_OBJ) { submitText(failure("BAD_QUERY", "a query is a JSON object")); return 0; }
  const op = q.str("op"), Lhex = q.str("ledger");
  const ledger: Uint8Array | null = Lhex === null ? null : fromHex(Lhex, 32);
  if (Lhex === null || ledger === null) { submitText(failure("BAD_QUERY", "\"ledger\" must be a genesis capsule id")); return 0; }
  const issuer = kvGetText("ledger:" + Lhex);
  if (issuer === null) { submitText(failure("NO_LEDGER", "no ledger " + Lhex)); return 0; }
  if (op == "ledger") {
    submitText(new JsonOut().bool("ok", true).str("ledger", Lhex).str("issuer", issuer).u64s("supply", readU64(kvGetText("supply:" + Lhex))).toString());
    return 0;
  }
  if (op == "account") {
    const a = q.str("account");
    const key: Uint8Array | null = a === null ? null : keyFromHex(a);
    if (a === null || key === null) { submitText(failure("BAD_QUERY", "\"account\" must be a hex public key")); return 0; }
    const last = readU64(kvGetText("nonce:" + Lhex + ":" + a));
    submitText(new JsonOut().bool("ok", true).str("ledger", Lhex).str("account", a).bool("open", kvGetText("open:" + Lhex + ":" + a) !== null)
      .u64s("balance", balance(account(ledger, key))).u64s("nonce", last).u64s("next_nonce", last + 1).toString());
    return 0;
  }
  submitText(failure("BAD_QUERY", "unknown op (ledger, account)"));
  return 0;
}
