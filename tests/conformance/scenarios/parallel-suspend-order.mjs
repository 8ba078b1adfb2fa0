// The first branch suspends after the second (it waits first): the run lists its suspended
// steps, and their payloads, in the parallel's order or in the order they suspended in?
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const R = z.object({ add: z.number() });
  const late = createStep({ id: 'late', inputSchema: N, outputSchema: N, resumeSchema: R,
    execute: async ({ inputData, resumeData, suspend }) => {
      if (!resumeData) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        return await suspend({ waiting: 'late' });
      }
      return { n: inputData.n + resumeData.add };
    } });
  const now = createStep({ id: 'now', inputSchema: N, outputSchema: N, resumeSchema: R,
    execute: async ({ inputData, resumeData, suspend }) => {
      if (!resumeData) return await suspend({ waiting: 'now' });
      return { n: inputData.n + resumeData.add };
    } });
  const wf = createWorkflow({ id: 'par-order', inputSchema: N, outputSchema: z.any() }).parallel([late, now]).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  const first = log.result(await run.start({ inputData: { n: 1 } }));
  log.note({ suspended: first.suspended, payloads: Object.keys(first.suspendPayload ?? {}) });
  const snapshot = await run.resume({ step: 'now', resumeData: { add: 10 } });
  log.note({ suspended: snapshot.suspended });
  log.result(await run.resume({ step: 'late', resumeData: { add: 100 } }));
}
