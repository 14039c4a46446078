// Building DOM from data: text always goes in as text (textContent, attributes), never as markup.
export type Attrs = Record<string, string | number | boolean | undefined>;

function apply(node: Element, attrs: Attrs | undefined): void {
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === false) continue;
    node.setAttribute(k, v === true ? '' : String(v));
  }
}

/** An HTML element; string children become text nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs, ...children: (Node | string | undefined)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  apply(node, attrs);
  for (const c of children) if (c !== undefined) node.append(c);
  return node;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs?: Attrs, ...children: (Node | string | undefined)[]): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  apply(node, attrs);
  for (const c of children) if (c !== undefined) node.append(c);
  return node;
}
