// jest compiles each module of a test file with vm.compileFunction into that file's own context, and
// V8 caches no compiled code across contexts for it: every test file parsed and compiled aws-cdk-lib
// and the library again, about half the time of a small test file. Compiled as a vm.Script (a function
// wrapper, as jest itself did up to version 26), the same source reuses the code V8 compiled for an
// earlier test file of the worker. What a module does is unchanged: the same function, parameters and
// file name, run in the same context. (Patched once per worker process; `vm` is Node's own module.)
const vm = require('vm');
const SCRIPT_COMPILED = Symbol.for('cdk-microservice.test.scriptCompiled');
if (!vm.compileFunction[SCRIPT_COMPILED]) {
  const compileFunction = vm.compileFunction;
  const viaScript = function (code, params = [], options = {}) {
    const { parsingContext, filename, importModuleDynamically, ...rest } = options;
    if (parsingContext === undefined || Object.keys(rest).length > 0) return compileFunction(code, params, options);
    return new vm.Script(`(function (${params.join(', ')}) {${code}\n})`, { filename, importModuleDynamically }).runInContext(parsingContext);
  };
  viaScript[SCRIPT_COMPILED] = true;
  vm.compileFunction = viaScript;
}

// CloudFormation's built-in template validator costs ~3 s and 300 MB per test file. It stays on for
// `cdk synth` and for test/examples.test.ts, which turns it back on; everywhere else it is off.
if (process.env.CDK_VALIDATION === undefined) process.env.CDK_VALIDATION = 'false';

// aws-cdk-lib records a stack trace where each stack and resource is created (the cloud assembly's
// `aws:cdk:creationStack` metadata, never in a template) and where each annotation is added. Under
// jest each capture is up to 100 frames deep (jest-environment-node raises Error.stackTraceLimit) and
// every frame goes through jest's source-map formatter: a fifth of a synthesis's time. No test reads
// them, so they are off (`aws:cdk:disable-creation-stack-traces` through the context the CDK CLI also
// passes, CDK_CONTEXT_JSON; CDK_DISABLE_STACK_TRACE for annotations) unless the environment sets them.
// Both are set as variables that copies of the environment skip (not enumerable): what a test runs
// with a copy of its environment (test/package's apps and tools) gets neither.
const setForThisTest = (name, value) => Object.defineProperty(process.env, name, { value, enumerable: false, writable: true, configurable: true });
if (process.env.CDK_CONTEXT_JSON === undefined) setForThisTest('CDK_CONTEXT_JSON', JSON.stringify({ 'aws:cdk:disable-creation-stack-traces': true }));
if (process.env.CDK_DISABLE_STACK_TRACE === undefined) setForThisTest('CDK_DISABLE_STACK_TRACE', '1');

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
