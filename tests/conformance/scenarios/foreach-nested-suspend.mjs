// foreach (concurrency 2) over a nested workflow whose second step suspends for the last item: the run
// is suspended on [inner, gate] after the other items finished; resume with forEachIndex (and the
// dotted path) resumes that item only, and the result lists every item's output in order.
// The suspended result is noted field by field: the foreach record's suspendPayload carries
// Mastra's internal __workflow_meta.foreachOutput bookkeeping, which is not part of the contract.
// The suspending item is the last one: in Mastra, an item that starts after another item's nested
// workflow suspended fails with 'Invalid resume data' (a Mastra bug this scenario does not record).
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const calls = [];
  const double = createStep({ id: 'double', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => { calls.push('double:' + inputData.n); return { n: inputData.n * 2 }; } });
  const gate = createStep({ id: 'gate', inputSchema: N, outputSchema: N, resumeSchema: z.object({ add: z.number() }),
    execute: async ({ inputData, resumeData, suspend }) => {
      calls.push('gate:' + inputData.n);
      if (inputData.n !== 6) return { n: inputData.n + 1 };
      if (!resumeData) return await suspend({ hold: inputData.n });
      return { n: inputData.n + resumeData.add };
    } });
  const inner = createWorkflow({ id: 'inner', inputSchema: N, outputSchema: N }).then(double).then(gate).commit();
  const wf = createWorkflow({ id: 'each-nested-suspend', inputSchema: z.array(N), outputSchema: z.array(N) }).foreach(inner, { concurrency: 2 }).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  const first = await run.start({ inputData: [{ n: 1 }, { n: 2 }, { n: 3 }] });
  log.note({ status: first.status, suspended: first.suspended, suspendPayload: first.suspendPayload, inner: first.steps.inner.status, calls: calls.splice(0).sort() });
  log.result(await run.resume({ step: 'inner.gate', forEachIndex: 2, resumeData: { add: 100 } }));
  log.note({ calls: calls.splice(0).sort() });
}
