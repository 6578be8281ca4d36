// CPU-heavy deterministic work for determinism tests and the metering benchmark: integer hashing, float math,
// allocation and recursion over the payload; 8 bytes of output.
import { payload, submit } from "../../../guest-sdk/assembly/index";

function fib(n: i32): i32 { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

export function work(rounds: i32, p: Uint8Array): u64 {
  let h: u64 = 0xcbf29ce484222325;
  let x: f64 = 0.5;
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < p.length; i++) {
      h = (h ^ <u64>p[i]) * 0x100000001b3;
      x = Math.sin(x + <f64>(h & 0xff) / 255.0) * 0.75 + Math.sqrt(<f64>(i + 1));
    }
    const arr = new Array<i32>(16);
    for (let j = 0; j < 16; j++) arr[j] = <i32>(h >> <u64>j) ^ j;
    arr.sort();
    h ^= <u64>arr[7] + <u64>reinterpret<u64>(x);
  }
  return h ^ <u64>fib(18);
}

export function run(): i32 {
  const p = payload();
  const rounds = p !== null && p.length > 0 ? <i32>p[0] : 1;
  const out = new Uint8Array(8);
  store<u64>(out.dataStart, work(rounds, p === null ? new Uint8Array(0) : p));
  submit(out);
  return 0;
}

// Pure compute for the metering benchmark (no hostcalls): recursion, float math, memory traffic.
export function cpu(n: i32): u64 {
  let acc: u64 = <u64>fib(n);
  let x: f64 = 1.0;
  const buf = new Uint32Array(4096);
  for (let i = 0; i < 200000; i++) {
    x = x * 1.0000001 + Math.sqrt(<f64>i) * 0.5;
    const j = i & 4095;
    buf[j] = buf[j] * 1664525 + <u32>i;
    acc += <u64>buf[(i * 7) & 4095];
  }
  return acc ^ reinterpret<u64>(x);
}

// Call-heavy microcode for the metering benchmark: the worst case (tiny function bodies, ~2^n calls).
export function fibonacci(n: i32): i32 { return fib(n); }
