// `json_stats` — a test-corpus module built on a registry JSON parser (assemblyscript-json 1.1.0), on the
// incremental runtime (its own asconfig.json extends the shared one). Not a reference module: it exists to prove
// that real libraries build, run within their manifest and give the same answer as JavaScript
// (test/modules/libraries.e2e.test.ts) and to measure what their runs cost in fuel and time (bench/fuel.ts).
//
// Payload: {"station": s, "readings": [{"sensor": id, "value": int, "ok"?: bool}, ...]}. A reading counts when its
// sensor id is 1-32 of [a-z0-9_-], its value an integer and `ok` is not false; the others are skipped.
// Result: {"station": s, "readings": n, "skipped": k, "sensors": [{"sensor", "n", "sum", "min", "max"}...] sorted by
// id, "total": readings counted by this module so far (kv "total", in canonical order)}.
// A payload that is not such an object traps (the run fails, nothing is kept).
import { JSON } from "assemblyscript-json/assembly/index";
import { payloadText, kvGetText, kvSetText, submitText } from "../../../../../guest-sdk/assembly/index";

class Stat { n: i64 = 0; sum: i64 = 0; min: i64 = i64.MAX_VALUE; max: i64 = i64.MIN_VALUE; }

function plainId(s: string): bool {
  if (s.length < 1 || s.length > 32) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x5f || c == 0x2d)) return false;
  }
  return true;
}

export function run(): i32 {
  const text = payloadText();
  if (text === null) return 1;
  const root = JSON.parse(text);
  if (!root.isObj) return 2;
  const obj = <JSON.Obj>root;
  const station = obj.getString("station");
  if (station === null || !plainId(station.valueOf())) return 3;
  const readings = obj.getArr("readings");
  if (readings === null) return 4;

  const stats = new Map<string, Stat>();
  const items = readings.valueOf();
  let counted: i64 = 0, skipped: i64 = 0;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (!item.isObj) { skipped++; continue; }
    const r = <JSON.Obj>item;
    const sensor = r.getString("sensor");
    const value = r.getInteger("value");
    const ok = r.getBool("ok");
    if (sensor === null || value === null || !plainId(sensor.valueOf()) || (ok !== null && !ok.valueOf())) { skipped++; continue; }
    const id = sensor.valueOf();
    const v = value.valueOf();
    let s: Stat;
    if (stats.has(id)) s = stats.get(id); else { s = new Stat(); stats.set(id, s); }
    s.n++; s.sum += v;
    if (v < s.min) s.min = v;
    if (v > s.max) s.max = v;
    counted++;
  }

  const seen = kvGetText("total");
  const total = (seen === null ? 0 : I64.parseInt(seen)) + counted;
  kvSetText("total", total.toString());

  const ids = stats.keys().sort((a: string, b: string): i32 => (a < b ? -1 : a > b ? 1 : 0));
  let out = '{"station":"' + station.valueOf() + '","readings":' + counted.toString() + ',"skipped":' + skipped.toString() + ',"sensors":[';
  for (let i = 0; i < ids.length; i++) {
    const s = stats.get(ids[i]);
    if (i > 0) out += ",";
    out += '{"sensor":"' + ids[i] + '","n":' + s.n.toString() + ',"sum":' + s.sum.toString() + ',"min":' + s.min.toString() + ',"max":' + s.max.toString() + "}";
  }
  out += '],"total":' + total.toString() + "}";
  submitText(out);
  return 0;
}
