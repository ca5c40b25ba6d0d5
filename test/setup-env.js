// CloudFormation's built-in template validator costs ~3 s and 300 MB per test file. It stays on for
// `cdk synth` and for test/examples.test.ts, which turns it back on; everywhere else it is off.
if (process.env.CDK_VALIDATION === undefined) process.env.CDK_VALIDATION = 'false';
