// createWorkflowStateReader over a stored run (getWorkflowRunById): the status, each suspended
// step (top-level id, resume path, suspend payload, its labels), the resume labels, step outputs
// and payloads (dot paths for nested steps; one entry per item for a foreach), the execution
// path (the step's position in the graph), for a plain, a nested, a parallel and a foreach
// suspension, and again after the run finished. Ids and times are left out; a nested suspend
// payload's __workflow_meta is reduced to its path.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const { createWorkflowStateReader } = await import(`${process.cwd()}/node_modules/@mastra/core/dist/workflows/index.js`);
  const N = z.object({ n: z.number() });
  const ask = (id, label) => createStep({ id, inputSchema: N, outputSchema: N, resumeSchema: N,
    execute: async ({ inputData, resumeData, suspend }) => (resumeData
      ? { n: inputData.n + resumeData.n }
      : suspend({ need: id, at: inputData.n }, label ? { resumeLabel: label(inputData) } : undefined)) });
  const first = createStep({ id: 'first', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) });
  const inner = createWorkflow({ id: 'inner', inputSchema: N, outputSchema: N }).then(ask('deep', () => 'deep-label')).commit();
  const flows = {
    plain: createWorkflow({ id: 'plain', inputSchema: N, outputSchema: N }).then(first).then(ask('approve', () => 'approve')).commit(),
    nested: createWorkflow({ id: 'nested', inputSchema: N, outputSchema: N }).then(first).then(inner).commit(),
    parallel: createWorkflow({ id: 'parallel', inputSchema: N, outputSchema: z.any() }).then(first).parallel([ask('left'), ask('right', () => 'right-label')]).commit(),
    foreach: createWorkflow({ id: 'foreach', inputSchema: z.array(N), outputSchema: z.any() }).foreach(ask('each', (d) => 'item-' + d.n)).commit(),
  };
  const meta = (p) => (p && typeof p === 'object' && p.__workflow_meta
    ? { ...p, __workflow_meta: { path: p.__workflow_meta.path } } : p);
  const read = (state, ids) => {
    const r = createWorkflowStateReader(state);
    return {
      status: r.getStatus(),
      result: r.getResult() ?? null,
      suspended: r.getSuspendedSteps().map((s) => ({ stepId: s.stepId, path: s.path, executionPath: s.executionPath ?? null, payload: s.payload ?? null,
        suspendPayload: meta(s.suspendPayload) ?? null, resumeLabels: s.resumeLabels })),
      first: r.getSuspendedStep()?.stepId ?? null,
      labels: r.getResumeLabels(),
      outputs: Object.fromEntries(ids.map((id) => [id, r.getStepOutput(id) ?? null])),
      payloads: Object.fromEntries(ids.map((id) => [id, r.getStepPayload(id) ?? null])),
    };
  };
  const ids = { plain: ['first', 'approve'], nested: ['first', 'inner', 'inner.deep'], parallel: ['first', 'left', 'right'], foreach: ['each'] };
  const inputs = { plain: { n: 1 }, nested: { n: 1 }, parallel: { n: 1 }, foreach: [{ n: 1 }, { n: 2 }] };
  for (const name of Object.keys(flows)) {
    const m = mastraWith({ wf: flows[name] });
    const wf = m.getWorkflow('wf');
    const run = await wf.createRun();
    await run.start({ inputData: inputs[name] });
    log.note({ name, ...read(await wf.getWorkflowRunById(run.runId), ids[name]) });
  }
  const m = mastraWith({ wf: flows.plain });
  const wf = m.getWorkflow('wf');
  const run = await wf.createRun();
  await run.start({ inputData: { n: 1 } });
  await run.resume({ label: 'approve', resumeData: { n: 10 } });
  log.note({ name: 'plain-done', ...read(await wf.getWorkflowRunById(run.runId), ids.plain) });
}
