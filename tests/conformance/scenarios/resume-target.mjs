// Ways to name the resume target: omitted (exactly one step suspended), a path list ['step']
// taken from result.suspended, and the step object itself.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const multiply = createStep({ id: 'multiply', inputSchema: N, outputSchema: N, resumeSchema: z.object({ by: z.number() }),
    execute: async ({ inputData, resumeData, suspend }) => {
      if (!resumeData) return await suspend({ need: 'by' });
      return { n: inputData.n * resumeData.by };
    } });
  const wf = createWorkflow({ id: 'targets', inputSchema: N, outputSchema: N }).then(multiply).commit();
  const m = mastraWith({ wf });

  const run1 = await m.getWorkflow('wf').createRun();
  const s1 = log.result(await run1.start({ inputData: { n: 10 } }));
  log.note({ suspended: s1.suspended });
  log.result(await run1.resume({ resumeData: { by: 5 } }));

  const run2 = await m.getWorkflow('wf').createRun();
  const s2 = await run2.start({ inputData: { n: 20 } });
  log.result(await run2.resume({ step: s2.suspended[0], resumeData: { by: 3 } }));

  const run3 = await m.getWorkflow('wf').createRun();
  await run3.start({ inputData: { n: 7 } });
  log.result(await run3.resume({ step: multiply, resumeData: { by: 2 } }));
}
