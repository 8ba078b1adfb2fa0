// foreach (concurrency 1) whose odd items suspend, streamed, then one item resumed by index
// with resumeStream: the foreach's workflow-step-start carries the items, and its
// workflow-step-suspended carries the first suspended item's own suspend payload only
// (no items, no per-item bookkeeping), on the start and on the resume. Times and call ids are
// left out of the notes.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const check = createStep({ id: 'check', inputSchema: N, outputSchema: N, resumeSchema: z.object({ add: z.number() }),
    execute: async ({ inputData, resumeData, suspend }) => {
      if (inputData.n % 2 === 0) return { n: inputData.n * 10 };
      if (!resumeData) return await suspend({ item: inputData.n });
      return { n: inputData.n + resumeData.add };
    } });
  const wf = createWorkflow({ id: 'each-events', inputSchema: z.array(N), outputSchema: z.array(N) }).foreach(check, { concurrency: 1 }).commit();
  const m = mastraWith({ wf });
  const run = await m.getWorkflow('wf').createRun();
  const DROP = ['startedAt', 'endedAt', 'suspendedAt', 'resumedAt', 'stepCallId'];
  const steps = async (out) => {
    const events = [];
    for await (const ev of out.fullStream) {
      if (ev.type.startsWith('workflow-step-') && ev.type !== 'workflow-step-progress') events.push({ type: ev.type, payload: Object.fromEntries(Object.entries(ev.payload).filter(([k]) => !DROP.includes(k))) });
    }
    log.note(events);
    const result = await out.result;
    log.note({ status: result.status, suspended: result.suspended, suspendPayload: result.suspendPayload });
  };
  await steps(run.stream({ inputData: [{ n: 2 }, { n: 1 }, { n: 3 }] }));
  await steps(run.resumeStream({ forEachIndex: 1, resumeData: { add: 100 } }));
  await steps(run.resumeStream({ forEachIndex: 2, resumeData: { add: 7 } }));
}
