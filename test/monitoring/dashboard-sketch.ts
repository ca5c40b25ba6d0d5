// Renders a CloudWatch dashboard body's grid (24 columns) as an ASCII sketch, for the README.
export interface SketchWidget { readonly x: number; readonly y: number; readonly width: number; readonly height: number; readonly title: string }

const COL = 3;

export function sketch(widgets: SketchWidget[]): string {
  const line = (y: number) => Math.ceil((y * 2) / 3);
  const rows = Math.max(...widgets.map((w) => line(w.y + w.height)));
  const grid: string[][] = Array.from({ length: rows + 1 }, () => Array.from({ length: 24 * COL + 1 }, () => ' '));
  for (const w of widgets) {
    const x0 = w.x * COL;
    const x1 = (w.x + w.width) * COL;
    const y0 = line(w.y);
    const y1 = line(w.y + w.height);
    for (let x = x0; x <= x1; x++) { grid[y0][x] = '-'; grid[y1][x] = '-'; }
    for (let y = y0; y <= y1; y++) { grid[y][x0] = '|'; grid[y][x1] = '|'; }
    for (const [x, y] of [[x0, y0], [x1, y0], [x0, y1], [x1, y1]]) grid[y][x] = '+';
    const text = w.title.slice(0, x1 - x0 - 3);
    for (let i = 0; i < text.length; i++) grid[y0 + 1][x0 + 2 + i] = text[i];
  }
  return grid.map((r) => r.join('').replace(/\s+$/, '')).filter((line, i, all) => line !== '' || i < all.length - 1).join('\n');
}

/** The widgets of a synthesized dashboard body, with their titles. */
export function widgetsOf(body: { widgets: any[] }): SketchWidget[] {
  return body.widgets.map((w) => ({
    x: w.x, y: w.y, width: w.width, height: w.height,
    title: w.properties.title ?? (w.properties.markdown ? String(w.properties.markdown).split('\n')[0].replace(/^#+\s*/, '') : w.type),
  }));
}

/** Parses a synthesized `DashboardBody` (a string or an Fn::Join of strings and references). */
export function parseBody(body: unknown): { widgets: any[] } {
  if (typeof body === 'string') return JSON.parse(body);
  const parts = (body as any)['Fn::Join'][1] as unknown[];
  return JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'REF')).join(''));
}
