// A nested workflow in a parallel block suspends while its sibling step succeeds: the run is
// suspended on [nested, gate]; resuming by the dotted path 'review.gate' runs only the nested
// workflow, the sibling's result is kept, and the step after the block sees both outputs.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const V = z.object({ value: z.string() });
  const calls = [];
  const sibling = createStep({ id: 'sibling', inputSchema: V, outputSchema: V,
    execute: async ({ inputData }) => { calls.push('sibling'); return { value: inputData.value + ' sibling' }; } });
  const gate = createStep({ id: 'gate', inputSchema: V, outputSchema: V, resumeSchema: z.object({ ok: z.boolean() }),
    execute: async ({ inputData, resumeData, suspend }) => {
      calls.push('gate');
      if (!resumeData) return await suspend({ waiting: inputData.value });
      return { value: inputData.value + (resumeData.ok ? ' approved' : ' rejected') };
    } });
  const review = createWorkflow({ id: 'review', inputSchema: V, outputSchema: V }).then(gate).commit();
  const join = createStep({ id: 'join', inputSchema: z.any(), outputSchema: V,
    execute: async ({ inputData }) => { calls.push('join'); return { value: inputData.sibling.value + ' + ' + inputData.review.value }; } });
  const wf = createWorkflow({ id: 'par-nested', inputSchema: V, outputSchema: V }).parallel([sibling, review]).then(join).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  const first = await log.stream(run.stream({ inputData: { value: 'doc' } }));
  log.note({ suspended: first.suspended, calls: calls.splice(0) });
  log.result(await run.resume({ step: 'review.gate', resumeData: { ok: true } }));
  log.note({ calls: calls.splice(0) });
}
