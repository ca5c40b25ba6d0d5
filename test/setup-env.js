// CloudFormation's built-in template validator costs ~3 s and 300 MB per test file. It stays on for
// `cdk synth` and for test/examples.test.ts, which turns it back on; everywhere else it is off.
if (process.env.CDK_VALIDATION === undefined) process.env.CDK_VALIDATION = 'false';

// aws-cdk-lib prints every warning of a synthesis (annotations, validator warnings) to
// console.error. Many tests provoke warnings on purpose and assert them from the assembly, so the
// printed copies are noise that hides a real failure: drop the printed WARNING reports. Errors,
// and everything else printed, still show.
const isWarningReport = (text) => /^\s*WARNING /m.test(text) && /Acknowledge with |\(Annotation\)/.test(text) && !/^\s*ERROR /m.test(text);
for (const level of ['error', 'warn']) {
  const original = console[level];
  console[level] = (...args) => {
    if (args.length > 0 && typeof args[0] === 'string' && isWarningReport(args[0])) return;
    original.apply(console, args);
  };
}
