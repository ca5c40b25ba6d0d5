// Every warning the library can raise is listed, by id, in docs/testing.md: a user needs the id
// to acknowledge a warning once judged.
import * as fs from 'fs';
import * as path from 'path';

const LIB = path.join(__dirname, '..', 'lib');
const files = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true })
  .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
const docs = fs.readFileSync(path.join(__dirname, '..', 'docs', 'testing.md'), 'utf8');

test('docs/testing.md lists every warning id of lib/', () => {
  const ids = files(LIB).flatMap((f) => [...fs.readFileSync(f, 'utf8').matchAll(/addWarningV2\(\s*['`](cdk-microservice:[A-Za-z:]+)/g)].map((m) => m[1]));
  expect(ids.length).toBeGreaterThanOrEqual(9);
  // A template id (`...:${field}`) is listed by its fixed part.
  expect([...new Set(ids)].filter((id) => !docs.includes(`\`${id}`))).toEqual([]);
});
