// A step inside a nested workflow suspends with a payload and a resume label; the parent run is
// resumed by that label alone. On resume the step sees its earlier suspend payload (suspendData)
// and the new resumeData.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const V = z.object({ value: z.string() });
  const approve = createStep({ id: 'approve', inputSchema: V, outputSchema: z.any(),
    suspendSchema: z.object({ reason: z.string() }), resumeSchema: z.object({ by: z.string() }),
    execute: async ({ inputData, resumeData, suspendData, suspend }) => {
      if (!resumeData) return await suspend({ reason: 'check ' + inputData.value }, { resumeLabel: 'approval' });
      return { value: inputData.value, suspendData, resumeData };
    } });
  const inner = createWorkflow({ id: 'inner', inputSchema: V, outputSchema: z.any() }).then(approve).commit();
  const after = createStep({ id: 'after', inputSchema: z.any(), outputSchema: z.any(), execute: async ({ inputData }) => ({ done: inputData }) });
  const wf = createWorkflow({ id: 'nested-label', inputSchema: V, outputSchema: z.any() }).then(inner).then(after).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  const first = await log.stream(run.stream({ inputData: { value: 'doc' } }));
  log.note({ suspended: first.suspended });
  await log.stream(run.resumeStream({ label: 'approval', resumeData: { by: 'ann' } }));
}
