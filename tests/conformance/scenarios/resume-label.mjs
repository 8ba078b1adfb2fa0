// Steps suspend with resume labels; resume({label}) picks the labelled step. Two parallel steps
// are suspended, so only the label can tell them apart.
// (Not recorded: an unknown label falls back to auto-detection in Mastra and resumes the only
// suspended step, a quirk this scenario avoids.)
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const V = z.object({ value: z.string() });
  const mk = (id, label) => createStep({ id, inputSchema: V, outputSchema: V, resumeSchema: z.object({ by: z.string() }),
    execute: async ({ inputData, resumeData, suspend }) => {
      if (!resumeData) return await suspend({ pending: id }, { resumeLabel: label });
      return { value: inputData.value + ' ' + id + ' by ' + resumeData.by };
    } });
  const wf = createWorkflow({ id: 'labels', inputSchema: V, outputSchema: z.any() })
    .parallel([mk('legal', 'legal-review'), mk('finance', 'finance-review')]).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  const started = log.result(await run.start({ inputData: { value: 'doc' } }));
  log.note({ suspended: started.suspended });
  const mid = log.result(await run.resume({ label: 'finance-review', resumeData: { by: 'fin' } }));
  log.note({ suspended: mid.suspended });
  log.result(await run.resume({ label: 'legal-review', resumeData: { by: 'law' } }));
}
