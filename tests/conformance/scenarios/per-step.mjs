// perStep: the run executes one entry of the flow, then stops with status 'paused' (no result),
// stored as 'paused', and emits 'workflow-paused' before 'workflow-finish'. A loop or a foreach
// counts as one entry. resume() refuses a paused run ('not suspended'); time travel to the next
// step continues it, one entry at a time with perStep, or to the end without. A step that
// suspends under perStep suspends as usual; resuming it with perStep pauses after it.
// (After the last entry Mastra also pauses, leaving a run that can never finish; stepstream ends
// it 'success'. The scenario finishes without perStep, so it records the common behaviour.)
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const mk = (id, d) => createStep({ id, inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n + d }) });
  const a = mk('a', 1), b = mk('b', 10), c = mk('c', 100);
  const ask = createStep({ id: 'ask', inputSchema: N, outputSchema: N, resumeSchema: z.object({ add: z.number() }),
    execute: async ({ inputData, resumeData, suspend }) => { if (!resumeData) return suspend({ q: 1 }); return { n: inputData.n + resumeData.add }; } });
  const seq = createWorkflow({ id: 'seq', inputSchema: N, outputSchema: N }).then(a).then(b).then(c).commit();
  const loop = createWorkflow({ id: 'loop', inputSchema: N, outputSchema: N }).dountil(a, async ({ inputData }) => inputData.n >= 3).then(c).commit();
  const each = createWorkflow({ id: 'each', inputSchema: z.array(N), outputSchema: z.any() }).foreach(a).then(createStep({ id: 'count', inputSchema: z.any(), outputSchema: z.any(), execute: async ({ inputData }) => inputData.length })).commit();
  const sus = createWorkflow({ id: 'sus', inputSchema: N, outputSchema: N }).then(ask).then(c).commit();
  const m = mastraWith({ seq, loop, each, sus });
  const stored = async (id, run) => log.note({ stored: (await m.getWorkflow(id).getWorkflowRunById(run.runId))?.status });

  const run = await m.getWorkflow('seq').createRun();
  await log.stream(run.stream({ inputData: { n: 0 }, perStep: true }));
  await stored('seq', run);
  try { await run.resume({ resumeData: {} }); } catch (e) { log.error(e); }
  await log.stream(run.timeTravelStream({ step: 'b', perStep: true }));
  log.result(await run.timeTravel({ step: 'c' }));
  await stored('seq', run);

  await log.stream((await m.getWorkflow('loop').createRun()).stream({ inputData: { n: 0 }, perStep: true }));
  log.result(await (await m.getWorkflow('each').createRun()).start({ inputData: [{ n: 0 }, { n: 5 }], perStep: true }));

  const r2 = await m.getWorkflow('sus').createRun();
  await log.stream(r2.stream({ inputData: { n: 0 }, perStep: true }));
  await log.stream(r2.resumeStream({ resumeData: { add: 5 }, perStep: true }));
  await stored('sus', r2);
  log.result(await r2.timeTravel({ step: 'c' }));
}
