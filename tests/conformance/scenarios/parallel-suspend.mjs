// Two parallel branches both suspend; resuming one leaves the run suspended on the other,
// resuming the other completes the block with outputs keyed by step id.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const R = z.object({ add: z.number() });
  const mk = (id) => createStep({ id, inputSchema: N, outputSchema: N, resumeSchema: R,
    execute: async ({ inputData, resumeData, suspend }) => {
      if (!resumeData) return await suspend({ waiting: id });
      return { n: inputData.n + resumeData.add };
    } });
  const left = mk('left');
  const right = mk('right');
  const wf = createWorkflow({ id: 'par-suspend', inputSchema: N, outputSchema: z.any() }).parallel([left, right]).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  const first = await log.stream(run.stream({ inputData: { n: 1 } }));
  log.note({ suspended: first.suspended });
  const second = log.result(await run.resume({ step: 'left', resumeData: { add: 10 } }));
  log.note({ suspended: second.suspended });
  log.result(await run.resume({ step: 'right', resumeData: { add: 100 } }));
}
