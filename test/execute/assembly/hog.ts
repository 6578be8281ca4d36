// Allocates payload[0] × 64 KiB; asserts payload[1] == 0 first (a failed assertion is a TRAP with message).
import { payload, submit } from "../../../guest-sdk/assembly/index";

export function run(): i32 {
  const p = payload()!;
  assert(p[1] == 0, "second byte must be zero");
  const keep = new Array<Uint8Array>();
  for (let i = 0; i < <i32>p[0]; i++) keep.push(new Uint8Array(65536));
  const out = new Uint8Array(1);
  out[0] = <u8>keep.length;
  submit(out);
  return 0;
}
