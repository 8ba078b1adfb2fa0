// Mastra's side of bench/run.py (the engine, in process): the same protocol as the Python
// workers in bench/workers/common.py: one JSON request per stdin line, one JSON reply per line.
// Steps are zod-typed (z.object({ n })), each adds 1. Stores: "memory" (InMemoryStore) or
// "libsql" (LibSQLStore on a local file, libsql's defaults: WAL, synchronous=NORMAL... as libsql sets).
import { readFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { createClient } from "@libsql/client";
import { Mastra } from "@mastra/core/mastra";
import { InMemoryStore } from "@mastra/core/storage";
import { createStep, createWorkflow } from "@mastra/core/workflows";
import { LibSQLStore } from "@mastra/libsql";
import { z } from "zod";

const TMP = mkdtempSync(path.join(tmpdir(), "mastra-bench-"));
const N = z.object({ n: z.number() });
const Add = z.object({ add: z.number() });
let counter = 0;
const uniq = () => `${process.pid}-${++counter}`;

function inc(i, mode) {
  const execute = mode === "async" ? async ({ inputData }) => ({ n: inputData.n + 1 }) : ({ inputData }) => ({ n: inputData.n + 1 });
  return createStep({ id: `s${i}`, inputSchema: N, outputSchema: N, execute });
}

function chainWorkflow(n, mode, id = "chain") {
  let wf = createWorkflow({ id, inputSchema: N, outputSchema: N });
  for (let i = 0; i < n; i++) wf = wf.then(inc(i, mode));
  return wf.commit();
}

function storageFor(store) {
  if (store === "memory") return new InMemoryStore();
  if (store === "libsql") return new LibSQLStore({ id: `bench-${uniq()}`, url: `file:${path.join(TMP, `${uniq()}.db`)}` });
  throw new Error(`unknown store ${store}`);
}

const cache = new Map();
// Not async: a workflow has a `then` method (the builder's), so a promise would adopt it as a thenable.
function registered(key, make, store) {
  if (!cache.has(`${key}/${store}`)) {
    const mastra = new Mastra({ workflows: { wf: make() }, storage: storageFor(store), logger: false });
    cache.set(`${key}/${store}`, mastra.getWorkflow("wf"));
  }
  return cache.get(`${key}/${store}`);
}

// Untimed runs before a chain case's samples, as bench/workers/common.py `warmups` (every engine alike).
const warmups = (reps) => Math.min(5, Math.floor(reps / 3));

async function timed(reps, fn, warmup = 0) {
  for (let i = 0; i < warmup; i++) await fn(i);
  const out = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    await fn(i);
    out.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return out;
}

async function chain({ reps, n, mode = "async", store = "memory" }) {
  const wf = registered(`chain-${n}-${mode}`, () => chainWorkflow(n, mode), store);
  return {
    s: await timed(reps, async () => {
      const run = await wf.createRun();
      const result = await run.start({ inputData: { n: 0 } });
      if (result.status !== "success" || result.result.n !== n) throw new Error(JSON.stringify(result).slice(0, 300));
    }, warmups(reps)),
  };
}

function resumableWorkflow() {
  const ask = createStep({
    id: "ask", inputSchema: N, outputSchema: N, resumeSchema: Add,
    execute: async ({ inputData, resumeData, suspend }) => {
      if (!resumeData) return await suspend({ item: inputData.n });
      return { n: inputData.n + resumeData.add };
    },
  });
  return createWorkflow({ id: "resumable", inputSchema: N, outputSchema: N }).then(ask).commit();
}

async function resume({ reps, store = "libsql" }) {
  const wf = registered("resumable", resumableWorkflow, store);
  const suspend = [], resumed = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const run = await wf.createRun();
    const first = await run.start({ inputData: { n: 1 } });
    const t1 = performance.now();
    const done = await run.resume({ resumeData: { add: 2 } });
    const t2 = performance.now();
    if (first.status !== "suspended" || done.status !== "success") throw new Error(`${first.status} ${done.status}`);
    suspend.push((t1 - t0) / 1000);
    resumed.push((t2 - t1) / 1000);
  }
  return { suspend, resume: resumed };
}

function fanoutWorkflow(kind, w, probe) {
  const one = (i) => createStep({ id: `s${i}`, inputSchema: N, outputSchema: N, execute: async ({ inputData }) => { probe(); return { n: inputData.n + 1 }; } });
  if (kind === "parallel") {
    const steps = Array.from({ length: w }, (_, i) => one(i));
    return createWorkflow({ id: "par", inputSchema: N, outputSchema: z.any() }).parallel(steps).commit();
  }
  return createWorkflow({ id: "each", inputSchema: z.array(N), outputSchema: z.array(N) }).foreach(one(0), { concurrency: w }).commit();
}

// One probe for every cached fan-out workflow: a closure over a call's own variables would keep
// reading the first call's (the workflow is built once and cached).
const probe = { on: false, peak: 0 };
const sample = () => { if (probe.on) probe.peak = Math.max(probe.peak, process.memoryUsage().heapUsed); };

async function fanout({ reps, kind, w, memory = true }) {
  const wf = registered(`${kind}-${w}`, () => fanoutWorkflow(kind, w, sample), "memory");
  const data = kind === "parallel" ? { n: 0 } : Array.from({ length: w }, (_, i) => ({ n: i }));
  const one = async () => {
    const run = await wf.createRun();
    const result = await run.start({ inputData: data });
    if (result.status !== "success") throw new Error(JSON.stringify(result.error ?? result.status).slice(0, 300));
  };
  probe.on = false;
  const s = await timed(reps, one);
  const out = { s };
  if (memory) {
    if (global.gc) global.gc();
    const base = process.memoryUsage().heapUsed;
    probe.peak = base;
    probe.on = true;
    try {
      await one();
    } finally {
      probe.on = false;
    }
    out.mem = [probe.peak - base];
  }
  return out;
}

async function stream({ reps, n = 1000, store = "memory" }) {
  const wf = registered(`chain-${n}-async`, () => chainWorkflow(n, "async"), store);
  const ttfe = [], rate = [], stall = [];
  for (let i = 0; i < reps; i++) {
    let worst = 0, last = performance.now();
    const mark = () => { const now = performance.now(); worst = Math.max(worst, now - last - 1); last = now; };
    const ticker = setInterval(mark, 1);
    const t0 = performance.now();
    const run = await wf.createRun();
    const output = run.stream({ inputData: { n: 0 } });
    let first = null, count = 0;
    for await (const _ev of output.fullStream) {
      if (first === null) first = performance.now() - t0;
      count++;
    }
    await output.result;
    const total = performance.now() - t0;
    mark();
    clearInterval(ticker);
    ttfe.push((first ?? total) / 1000);
    rate.push(count / (total / 1000));
    stall.push(worst / 1000);
  }
  return { ttfe, events_per_s: rate, stall };
}

function writtenBytes() {
  const line = readFileSync("/proc/self/io", "utf8").split("\n").find((l) => l.startsWith("wchar:"));
  return Number(line.split(/\s+/)[1]);
}

async function storedBytes(file) {
  const db = createClient({ url: `file:${file}` });
  let total = 0;
  const tables = (await db.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")).rows.map((r) => r.name);
  for (const t of tables) {
    const cols = (await db.execute(`PRAGMA table_info("${t}")`)).rows.map((r) => r.name);
    if (!cols.length) continue;
    const expr = cols.map((c) => `COALESCE(SUM(LENGTH("${c}")), 0)`).join(" + ");
    total += Number((await db.execute(`SELECT ${expr} AS t FROM "${t}"`)).rows[0].t);
  }
  db.close();
  return total;
}

async function bytes({ n }) {
  const file = path.join(TMP, `bytes-${n}-${uniq()}.db`);
  const warmN = Math.min(n, 10); // a short run first: tables and caches warm
  const mastra = new Mastra({ workflows: { wf: chainWorkflow(n, "async"), warm: chainWorkflow(warmN, "async", "warm") }, storage: new LibSQLStore({ id: `b${uniq()}`, url: `file:${file}` }), logger: false });
  const wf = mastra.getWorkflow("wf");
  await (await mastra.getWorkflow("warm").createRun()).start({ inputData: { n: 0 } });
  const kept0 = await storedBytes(file);
  const written0 = writtenBytes();
  const result = await (await wf.createRun()).start({ inputData: { n: 0 } });
  const written = writtenBytes() - written0;
  if (result.status !== "success") throw new Error(result.status);
  return { written: [written / n], kept: [(await storedBytes(file) - kept0) / n] };
}

const ops = { chain, resume, fanout, stream, bytes, ready: async () => ({}), close: async () => ({}) };
const rl = createInterface({ input: process.stdin });
const write = process.stdout.write.bind(process.stdout);
console.log = console.info = console.warn = (...a) => process.stderr.write(a.join(" ") + "\n");
for await (const line of rl) {
  if (!line.trim()) continue;
  const req = JSON.parse(line);
  let reply;
  try {
    reply = { ok: await ops[req.op]({ reps: req.reps ?? 1, ...(req.params ?? {}) }) };
  } catch (err) {
    process.stderr.write(`${err?.stack ?? err}\n`);
    reply = { error: String(err?.message ?? err).slice(0, 500) };
  }
  write(JSON.stringify(reply) + "\n");
}
