// run.watch(cb): the events a watcher receives while the run starts, suspends and is resumed, in
// order, with their payloads (ids and timestamps dropped): step start, result, finish and
// suspended events, a nested workflow's inner steps (ids 'inner.dbl'); no workflow-start/finish.
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
  const clean = (v) => (Array.isArray(v) ? v.map(clean) : v && typeof v === 'object'
    ? Object.fromEntries(Object.entries(v).filter(([k]) => !drop.has(k)).map(([k, x]) => [k, clean(x)])) : v);
  const seen = [];
  const unwatch = run.watch((ev) => { seen.push(clean(ev)); });
  log.result(await run.start({ inputData: { n: 1 } }));
  log.note(seen.splice(0));
  log.result(await run.resume({ step: 'ask', resumeData: { n: 5 } }));
  log.note(seen.splice(0));
  unwatch();
}
