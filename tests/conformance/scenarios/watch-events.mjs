// run.watch(cb): the events a watcher receives while the run starts, suspends and is resumed, in
// order, with their payloads (ids and timestamps dropped): step start, result, finish and
// suspended events, a nested workflow's inner steps (ids 'inner.dbl'); no workflow-start/finish.
// Then over a sleep, a map, a foreach and a failing step, and over a canceled run: waiting/result/
// finish for the sleep (its result carries no payload; sleep ids reduced), progress for the
// foreach (its result carries the output, no payload), a finish after the failed result (its
// error noted by message), and workflow-canceled for the cancel.
// (Writer output is left out: Mastra gives it to watchers only while a stream() is open;
// stepstream always does.)
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const inc = createStep({ id: 'inc', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) });
  const dbl = createStep({ id: 'dbl', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n * 2 }) });
  const inner = createWorkflow({ id: 'inner', inputSchema: N, outputSchema: N }).then(dbl).commit();
  const ask = createStep({ id: 'ask', inputSchema: N, outputSchema: N, resumeSchema: N,
    execute: async ({ inputData, resumeData, suspend }) => (resumeData ? { n: inputData.n + resumeData.n } : suspend({ why: 'need n' })) });
  const wf = createWorkflow({ id: 'watch-events', inputSchema: N, outputSchema: N }).then(inc).then(inner).then(ask).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  const drop = new Set(['runId', 'stepCallId', 'startedAt', 'endedAt', 'suspendedAt', 'resumedAt', 'timestamp']);
  const sid = (v) => (typeof v === 'string' && v.startsWith('sleep_') ? 'sleep_*' : v);
  const clean = (v) => (Array.isArray(v) ? v.map(clean) : v && typeof v === 'object'
    ? Object.fromEntries(Object.entries(v).filter(([k]) => !drop.has(k))
      .map(([k, x]) => [k, k === 'id' ? sid(x) : k === 'error' ? x.message : clean(x)])) : v);
  const seen = [];
  const unwatch = run.watch((ev) => { seen.push(clean(ev)); });
  log.result(await run.start({ inputData: { n: 1 } }));
  log.note(seen.splice(0));
  log.result(await run.resume({ step: 'ask', resumeData: { n: 5 } }));
  log.note(seen.splice(0));
  unwatch();
  const each = createStep({ id: 'each', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n * 3 }) });
  const boom = createStep({ id: 'boom', inputSchema: z.any(), outputSchema: N, execute: async () => { throw new Error('bad'); } });
  const wf3 = createWorkflow({ id: 'watch-kinds', inputSchema: N, outputSchema: N })
    .sleep(5).map(async ({ inputData }) => [inputData, { n: 2 }], { id: 'pair' }).foreach(each, { concurrency: 1 }).then(boom).commit();
  const run3 = await mastraWith({ wf: wf3 }).getWorkflow('wf').createRun();
  run3.watch((ev) => { seen.push(clean(ev)); });
  await run3.start({ inputData: { n: 1 } });
  log.note(seen.splice(0));
  const wait = createStep({ id: 'wait', inputSchema: N, outputSchema: N,
    execute: async ({ inputData, abortSignal }) => { await new Promise((r) => abortSignal.addEventListener('abort', r)); return inputData; } });
  const wf2 = createWorkflow({ id: 'watch-cancel', inputSchema: N, outputSchema: N }).then(wait).commit();
  const run2 = await mastraWith({ wf2 }).getWorkflow('wf2').createRun();
  run2.watch((ev) => { seen.push(clean(ev)); });
  const done = run2.start({ inputData: { n: 1 } });
  setTimeout(() => run2.cancel(), 30);
  await done;
  log.note(seen.splice(0));
}
