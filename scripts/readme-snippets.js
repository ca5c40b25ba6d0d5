#!/usr/bin/env node
// Extracts every ```ts block of README.md into test/readme/snippets/ so that `tsc --noEmit`
// type-checks it and test/readme.test.ts runs it. Each snippet exports its top-level consts (among them `app`).
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const outDir = path.join(root, 'test', 'readme', 'snippets');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');

fs.rmSync(outDir, { recursive: true, force: true });
fs.mkdirSync(outDir, { recursive: true });

const blocks = [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)];
blocks.forEach((m, i) => {
  const line = readme.slice(0, m.index).split('\n').length + 1;
  // Export every top-level const so that none counts as unused and the test can reach `app`.
  const names = [...m[1].matchAll(/^const (\w+)\s*=/gm)].map((d) => d[1]);
  const code = `// README.md line ${line}\n${m[1]}\nexport { ${names.join(', ')} };\n`;
  fs.writeFileSync(path.join(outDir, `snippet-${String(i + 1).padStart(2, '0')}.ts`), code);
});
console.log(`README: ${blocks.length} TypeScript snippets extracted to ${path.relative(root, outDir)}`);
