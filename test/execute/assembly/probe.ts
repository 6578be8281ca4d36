// Probe module: calls every binding of the guest SDK once, so its imports are exactly the hostcall table.
import * as k from "../../../guest-sdk/assembly/index";

export function run(): i32 {
  const c = k.capsule();
  const p = k.payloadText();
  const parents = k.parentCount();
  const first = k.parent(0);
  const kids = k.childCount(c.id);
  const kid = k.child(c.id, 0);
  const subject = new Uint8Array(32).fill(0x55);
  const t = k.trustScore(subject);
  k.setTrustScore(subject, t + 1);
  const account = new Uint8Array(32).fill(0x66);
  const b = k.balance(account);
  k.setBalance(account, b + 5);
  const g = k.kvGetText("greeting");
  k.kvSetText("seen", "yes");
  k.kvDelete(k.utf8("greeting"));
  k.log("probe " + c.kind + " " + (p === null ? "-" : p) + " " + k.now().toString() + " " + k.owner().length.toString());
  k.submitText([
    c.kind, c.channel, c.createdAt.toString(), c.flag("topic")!, parents.toString(), first === null ? "-" : first.kind,
    kids.toString(), kid === null ? "-" : kid.kind, t.toString(), b.toString(), g === null ? "-" : g,
    k.kvGetText("seen")!, k.kvGetText("greeting") === null ? "deleted" : "present", k.trustScore(subject).toString(),
    k.balance(account).toString(),
  ].join("|"));
  return 0;
}
