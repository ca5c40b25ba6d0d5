#!/usr/bin/env node
// Extracts every ```ts block of README.md and of docs/*.md into test/readme/snippets/ so that
// `tsc --noEmit` type-checks it and test/readme.test.ts runs it. Each snippet exports its top-level
// consts (among them `app`) and starts with a `// <file> line N` comment naming where it comes from.
//
//   README.md          -> snippet-01.ts, snippet-02.ts, ... (in order: snippet-01.ts is the quick start)
//   docs/<page>.md     -> docs-<page>-01.ts, docs-<page>-02.ts, ...
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const outDir = path.join(root, 'test', 'readme', 'snippets');

fs.rmSync(outDir, { recursive: true, force: true });
fs.mkdirSync(outDir, { recursive: true });

/** Writes the ```ts blocks of one markdown file; returns how many. */
function extract(file, name) {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  // TypeScript fenced any other way would escape the type check: refuse it. One exception, in
  // README.md only: ```ts new-app, a file of "Start a new app" that imports another of its files and
  // so compiles only in that app; test/package/new-app.test.ts writes the app and type-checks it there.
  const skip = file === 'README.md' ? '(?!new-app[ \\t]*$)' : '';
  const other = text.match(new RegExp(`^\`\`\`(typescript|tsx|ts[ \\t]+${skip}.*?)[ \\t]*$`, 'm'));
  if (other) throw new Error(`${file}: fence TypeScript as \`\`\`ts so that the tests compile it, got \`\`\`${other[1]}`);
  const blocks = [...text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)];
  blocks.forEach((m, i) => {
    const line = text.slice(0, m.index).split('\n').length + 1;
    // Export every top-level const so that none counts as unused and the test can reach `app`.
    const names = [...m[1].matchAll(/^const (\w+)\s*=/gm)].map((d) => d[1]);
    const code = `// ${file} line ${line}\n${m[1]}\nexport { ${names.join(', ')} };\n`;
    fs.writeFileSync(path.join(outDir, `${name(i + 1)}.ts`), code);
  });
  return blocks.length;
}

const pad = (n) => String(n).padStart(2, '0');
const readme = extract('README.md', (n) => `snippet-${pad(n)}`);
const docsDir = path.join(root, 'docs');
const pages = fs.existsSync(docsDir) ? fs.readdirSync(docsDir).filter((f) => f.endsWith('.md')).sort() : [];
let docs = 0;
for (const page of pages) {
  const base = page.slice(0, -'.md'.length);
  docs += extract(`docs/${page}`, (n) => `docs-${base}-${pad(n)}`);
}
console.log(`${readme} TypeScript snippets of README.md and ${docs} of docs/*.md extracted to ${path.relative(root, outDir)}`);
