// Time travel on a suspended run to its first step with resumeData: the first step runs again
// (without the resume data: it was not suspended),
// and the step that was suspended runs again with that resume data (its record keeps the old
// suspendPayload and gains resumePayload); the run goes on to the end.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const V = z.object({ value: z.string() });
  const calls = [];
  const prepare = createStep({ id: 'prepare', inputSchema: V, outputSchema: V, execute: async ({ inputData, resumeData }) => { calls.push(resumeData ? 'prepare+resumeData' : 'prepare'); return { value: inputData.value + '>prep' }; } });
  const approve = createStep({ id: 'approve', inputSchema: V, outputSchema: V, resumeSchema: z.object({ by: z.string() }),
    execute: async ({ inputData, resumeData, suspend }) => {
      calls.push('approve');
      if (!resumeData) return await suspend({ ask: inputData.value });
      return { value: inputData.value + '>ok by ' + resumeData.by };
    } });
  const finish = createStep({ id: 'finish', inputSchema: V, outputSchema: V, execute: async ({ inputData }) => { calls.push('finish'); return { value: inputData.value + '>done' }; } });
  const wf = createWorkflow({ id: 'travel-resume', inputSchema: V, outputSchema: V }).then(prepare).then(approve).then(finish).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  const started = log.result(await run.start({ inputData: { value: 'a' } }));
  log.note({ suspended: started.suspended, calls: calls.splice(0) });
  log.result(await run.timeTravel({ step: 'prepare', inputData: { value: 'b' }, resumeData: { by: 'ann' } }));
  log.note({ calls: calls.splice(0) });
}
