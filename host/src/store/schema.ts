/** Schema migrations (PRAGMA user_version = number of applied migrations). Append only; never edit a shipped step. */
export const MIGRATIONS: string[] = [
  /* 1 */ `
  CREATE TABLE capsules (
    id BLOB PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    author_alg TEXT NOT NULL,
    author BLOB NOT NULL,
    channel TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    logic BLOB,
    encrypted INTEGER NOT NULL,
    status TEXT NOT NULL,
    bytes BLOB NOT NULL
  );
  CREATE INDEX capsules_channel ON capsules(channel, created_at DESC, id);
  CREATE INDEX capsules_author ON capsules(author, created_at DESC, id);
  CREATE INDEX capsules_kind ON capsules(kind, created_at DESC, id);
  CREATE TABLE edges (child BLOB NOT NULL, parent BLOB NOT NULL, PRIMARY KEY (child, parent)) WITHOUT ROWID;
  CREATE INDEX edges_parent ON edges(parent, child);
  CREATE TABLE heads (channel TEXT NOT NULL, id BLOB NOT NULL, PRIMARY KEY (channel, id)) WITHOUT ROWID;
  CREATE TABLE orphans (id BLOB PRIMARY KEY, seq INTEGER NOT NULL UNIQUE, bytes BLOB NOT NULL);
  CREATE TABLE orphan_waits (parent BLOB NOT NULL, child BLOB NOT NULL, PRIMARY KEY (parent, child)) WITHOUT ROWID;
  CREATE TABLE modules (
    id BLOB PRIMARY KEY, name TEXT NOT NULL, version TEXT NOT NULL, author BLOB NOT NULL, package BLOB NOT NULL
  );
  CREATE TABLE compiled_cache (key TEXT PRIMARY KEY, bytes BLOB NOT NULL);
  CREATE TABLE results (
    capsule_id BLOB PRIMARY KEY, module_id BLOB NOT NULL, outcome TEXT NOT NULL, output BLOB, fuel TEXT NOT NULL,
    now INTEGER NOT NULL, input_hash BLOB NOT NULL, transcript_hash BLOB, output_hash BLOB, logs TEXT NOT NULL
  );
  CREATE INDEX results_module ON results(module_id);
  CREATE TABLE trust (subject BLOB PRIMARY KEY, score TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE balances (account BLOB PRIMARY KEY, amount TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE kv (module_id TEXT NOT NULL, key BLOB NOT NULL, value BLOB NOT NULL, PRIMARY KEY (module_id, key)) WITHOUT ROWID;
  CREATE TABLE audit (idx INTEGER PRIMARY KEY, entry BLOB NOT NULL, leaf BLOB NOT NULL);
  CREATE TABLE merkle_nodes (level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID;
  CREATE TABLE checkpoints (size INTEGER PRIMARY KEY, text TEXT NOT NULL);
  `,
  /* 2: facts about the store itself (device public identity that signs checkpoints, origin). */ `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  `,
  /* 3: verified capsules whose logic trapped are not stored, but their bytes are kept so replay can re-check the trap. */ `
  CREATE TABLE failed_executions (capsule_id BLOB PRIMARY KEY, bytes BLOB NOT NULL);
  `,
  /*
   * 4: format 2 and the canonical order (docs/CONVERGENCE.md). Capsules get their depth (order key = created_at,
   * depth, id) and the statuses pending / awaiting-module / undecryptable; trapped runs are stored in the DAG as
   * 'failed' (failed_executions goes); runs keep an undo record of their writes and encrypted capsules their
   * plaintext, so a late capsule rolls later runs back and re-executes them without decrypting again; results count
   * how often they changed; waiting capsules may be held until the device clock reaches their created_at.
   */ `
  ALTER TABLE capsules ADD COLUMN depth INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX capsules_pending ON capsules(created_at, depth, id) WHERE status = 'pending';
  CREATE INDEX capsules_runs ON capsules(created_at, depth, id) WHERE status IN ('executed', 'failed');
  CREATE INDEX capsules_awaiting ON capsules(logic) WHERE status = 'awaiting-module';
  ALTER TABLE results ADD COLUMN changes INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE results ADD COLUMN message TEXT;
  CREATE TABLE undo (capsule_id BLOB PRIMARY KEY, data BLOB NOT NULL);
  CREATE TABLE plaintexts (capsule_id BLOB PRIMARY KEY, bytes BLOB NOT NULL);
  ALTER TABLE orphans ADD COLUMN hold_until INTEGER;
  CREATE INDEX orphans_held ON orphans(hold_until) WHERE hold_until IS NOT NULL;
  DROP TABLE failed_executions;
  `,
  /*
   * 5: signing keys this device admitted (Ed25519: canonical, not of small order, torsion-free; P-256: on the curve),
   * so a key is put through that arithmetic once per device (docs/SECURITY.md "Admitted keys"). record: empty for
   * Ed25519; the decoded point (65 bytes uncompressed) for P-256, checked against the key whenever it is read.
   */ `
  CREATE TABLE admitted_keys (alg TEXT NOT NULL, key BLOB NOT NULL, record BLOB NOT NULL, PRIMARY KEY (alg, key)) WITHOUT ROWID;
  `,
];
export const SCHEMA_VERSION = MIGRATIONS.length;
/** Schema versions before this one hold format-1 capsules, which format 2 cannot read. */
export const FIRST_FORMAT2_SCHEMA = 4;
