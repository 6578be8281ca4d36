// `transfer` — a ledger on `ledger` capsules (modules/README.md#transfer).
//   {"op":"genesis"}                                              first one in a channel makes its author the issuer
//   {"op":"mint","to":<hex key>,"amount":"<u64>"}                 issuer only
//   {"op":"transfer","from":<hex>,"to":<hex>,"amount":"<u64>","nonce":<n>}   signer must be `from`
// Balances change only through the run's buffered writes (set_balance), applied by the host iff the run succeeds.
import {
  capsule, payloadText, balance, setBalance, kvGetText, kvSetText, submitText, log,
} from "../../../guest-sdk/assembly/index";
import { parseJson, failure, JsonOut, J_INT } from "../../lib/json";
import { toHex, keyFromHex, bytesEqual, parseU64 } from "../../lib/hex";
import { applyTransfer, nonceOk, mintOk, OK } from "./ledger";

function readU64(text: string | null): u64 {
  if (text === null) return 0;
  const ok: bool[] = [false];
  const v = parseU64(text, ok);
  return ok[0] ? v : 0;
}

export function run(): i32 {
  const c = capsule();
  const text = payloadText();
  if (text === null) { submitText(failure("BAD_PAYLOAD", "ledger capsules need a payload")); return 0; }
  const p = parseJson(text);
  if (p === null) { submitText(failure("BAD_PAYLOAD", "payload is not strict JSON")); return 0; }
  const op = p.str("op");
  if (op === null) { submitText(failure("BAD_PAYLOAD", "missing \"op\"")); return 0; }
  const issuerKey = "issuer:" + c.channel;
  const supplyKey = "supply:" + c.channel;

  if (op == "genesis") {
    if (kvGetText(issuerKey) !== null) { submitText(failure("ALREADY_INITIALIZED", "this channel's ledger already has an issuer")); return 0; }
    kvSetText(issuerKey, toHex(c.author));
    submitText(new JsonOut().bool("ok", true).str("op", "genesis").str("issuer", toHex(c.author)).toString());
    return 0;
  }

  const toHexStr = p.str("to");
  const amountStr = p.str("amount");
  if (toHexStr === null || amountStr === null) { submitText(failure("BAD_PAYLOAD", "\"to\" and \"amount\" (decimal string) are required")); return 0; }
  const to = keyFromHex(toHexStr);
  if (to === null) { submitText(failure("BAD_PAYLOAD", "\"to\" is not a hex public key")); return 0; }
  const ok: bool[] = [false];
  const amount = parseU64(amountStr, ok);
  if (!ok[0]) { submitText(failure("BAD_PAYLOAD", "\"amount\" is not a decimal u64")); return 0; }

  if (op == "mint") {
    const issuer = kvGetText(issuerKey);
    if (issuer === null || issuer != toHex(c.author)) { submitText(failure("NOT_ISSUER", "only the channel's issuer can mint")); return 0; }
    const toBal = balance(to);
    const supply = readU64(kvGetText(supplyKey));
    if (!mintOk(toBal, supply, amount)) { submitText(failure("OVERFLOW", "mint would exceed 2^63-1")); return 0; }
    setBalance(to, toBal + amount);
    kvSetText(supplyKey, (supply + amount).toString());
    submitText(new JsonOut().bool("ok", true).str("op", "mint").str("to", toHexStr).u64s("amount", amount)
      .u64s("to_balance", toBal + amount).u64s("supply", supply + amount).toString());
    return 0;
  }

  if (op == "transfer") {
    const fromStr = p.str("from");
    const nonceV = p.get("nonce");
    if (fromStr === null || nonceV === null || nonceV.kind != J_INT || nonceV.n < 1) {
      submitText(failure("BAD_PAYLOAD", "\"from\" and a positive integer \"nonce\" are required")); return 0;
    }
    const from = keyFromHex(fromStr);
    if (from === null) { submitText(failure("BAD_PAYLOAD", "\"from\" is not a hex public key")); return 0; }
    if (!bytesEqual(from, c.author)) { submitText(failure("NOT_SIGNER", "the capsule must be signed by \"from\"")); return 0; }
    const nonceKey = "nonce:" + fromStr;
    const last = readU64(kvGetText(nonceKey));
    const nonce = <u64>nonceV.n;
    if (!nonceOk(last, nonce)) {
      submitText(new JsonOut().bool("ok", false).str("code", "BAD_NONCE").u64s("expected", last + 1).u64s("got", nonce)
        .str("reason", "nonces are strictly sequential per account (replay or double spend)").toString());
      return 0;
    }
    const fromBal = balance(from);
    const toBal = balance(to);
    const m = applyTransfer(fromBal, toBal, amount, bytesEqual(from, to));
    if (m.code != OK) { submitText(failure(m.code, "transfer refused")); return 0; }
    setBalance(from, m.from);
    setBalance(to, m.to);
    kvSetText(nonceKey, nonce.toString());
    log("transfer " + amount.toString() + " " + fromStr.slice(0, 8) + " -> " + toHexStr.slice(0, 8));
    submitText(new JsonOut().bool("ok", true).str("op", "transfer").u64s("amount", amount).u64s("nonce", nonce)
      .u64s("from_balance", m.from).u64s("to_balance", m.to).toString());
    return 0;
  }
  submitText(failure("BAD_PAYLOAD", "unknown op (genesis, mint, transfer)"));
  return 0;
}
