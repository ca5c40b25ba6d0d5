// Linear-time walks of a directed graph of services: one depth-first walk splits the calls into those
// that close a cycle and the rest (a DAG), over which products of per-service weights (retry attempts)
// are memoized instead of enumerated path by path: a graph's number of paths grows exponentially with
// its depth, its number of calls does not.

/** A depth-first walk: the edges that close a cycle, the others (a DAG) and an order they all go forward in. */
export interface Walk {
  /** The nodes the walk started from, in order: each of the roots not reached from an earlier one. */
  readonly roots: string[];
  /** The edges of each node that close no cycle, in the order `next` gave them. */
  readonly dag: Map<string, string[]>;
  /** Every node reached, each before the nodes its `dag` edges lead to. */
  readonly order: string[];
  /** One cycle per edge that closes one, from the node it returns to, closed (`[a, b, a]`). */
  readonly cycles: string[][];
}

/** Walks from each of `roots` not reached yet, in order; iterative, so the depth of a graph is no limit. */
export function depthFirst(roots: Iterable<string>, next: (node: string) => Iterable<string>): Walk {
  const state = new Map<string, 'open' | 'done'>();
  const dag = new Map<string, string[]>();
  const finished: string[] = [];
  const cycles: string[][] = [];
  const started: string[] = [];
  const path: string[] = [];
  const at = new Map<string, number>();
  const stack: Array<{ readonly node: string; readonly next: Iterator<string> }> = [];
  const open = (node: string) => {
    state.set(node, 'open');
    at.set(node, path.length);
    path.push(node);
    dag.set(node, []);
    stack.push({ node, next: next(node)[Symbol.iterator]() });
  };
  for (const root of roots) {
    if (state.has(root)) continue;
    started.push(root);
    open(root);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const step = top.next.next();
      if (step.done) {
        stack.pop();
        path.pop();
        state.set(top.node, 'done');
        finished.push(top.node);
      } else if (state.get(step.value) === 'open') {
        cycles.push([...path.slice(at.get(step.value)!), step.value]);
      } else {
        dag.get(top.node)!.push(step.value);
        if (!state.has(step.value)) open(step.value);
      }
    }
  }
  return { roots: started, dag, order: finished.reverse(), cycles };
}

/**
 * For each node, the largest product of `weight` over the nodes after it on a path of the DAG
 * (1 for a leaf), and the first next node of a path that reaches it.
 */
export function worstBelow(walk: Walk, weight: (node: string) => number): { readonly value: Map<string, number>; readonly via: Map<string, string> } {
  const value = new Map<string, number>();
  const via = new Map<string, string>();
  for (const node of [...walk.order].reverse()) {
    let worst = 1;
    for (const n of walk.dag.get(node)!) {
      const product = weight(n) * value.get(n)!;
      if (!via.has(node) || product > worst) {
        worst = Math.max(worst, product);
        via.set(node, n);
      }
    }
    value.set(node, worst);
  }
  return { value, via };
}

/** One edge where a path first crosses a limit. */
export interface Crossing {
  /** The path from the start, ending with the edge that crosses. */
  readonly path: string[];
  /** Its product of weights (the start's own not counted). */
  readonly product: number;
}

/**
 * The edges (caller, callee) where a path from `start` first crosses `limit` (the product of
 * `weight` over its nodes after the start, within the limit up to the caller, above it at the
 * callee), each once, with the path that reaches the caller with the largest product still within
 * the limit; the largest `keep` products first, and how many there are in all. Each node keeps the
 * set of products within the limit that paths from `start` reach it with, and how (for weights that
 * are whole numbers, at most `limit` values; in practice a few products of small numbers).
 */
export function firstCrossings(start: string, walk: Walk, weight: (node: string) => number, limit: number, keep: number):
{ readonly crossings: Crossing[]; readonly total: number } {
  if (!Number.isFinite(limit)) return { crossings: [], total: 0 };
  const reached = new Map<string, Map<number, readonly [string, number] | undefined>>([[start, new Map([[1, undefined]])]]);
  const found: Array<{ readonly caller: string; readonly from: number; readonly callee: string; readonly product: number }> = [];
  for (const node of walk.order) {
    const products = reached.get(node);
    if (!products) continue;
    const best = Math.max(...products.keys());
    for (const n of walk.dag.get(node)!) {
      if (best <= limit && best * weight(n) > limit) found.push({ caller: node, from: best, callee: n, product: best * weight(n) });
      for (const product of products.keys()) {
        const to = product * weight(n);
        if (to > limit) continue;
        if (!reached.has(n)) reached.set(n, new Map());
        if (!reached.get(n)!.has(to)) reached.get(n)!.set(to, [node, product]);
      }
    }
  }
  const pathTo = (node: string, product: number) => {
    const path = [node];
    for (let from = reached.get(node)!.get(product); from; from = reached.get(from[0])!.get(from[1])) path.push(from[0]);
    return path.reverse();
  };
  const worst = found.sort((a, b) => b.product - a.product).slice(0, keep);
  return { crossings: worst.map((c) => ({ path: [...pathTo(c.caller, c.from), c.callee], product: c.product })), total: found.length };
}
