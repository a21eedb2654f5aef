import { SaxesParser } from 'saxes';
import { InputError } from '../model/errors.js';

/** A parsed element: its attributes, its child elements in order, and its text (CDATA included). */
export interface XmlNode {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: XmlNode[];
  text: string;
}

/** Deeper than any real report: a hostile document nested 10⁵ deep stops here, not in a stack overflow. */
export const MAX_XML_DEPTH = 256;

export interface XmlStreamOptions {
  /** Called when an element closes, with its parent; return true to drop it from the tree. */
  readonly onClose?: (node: XmlNode, parent: XmlNode) => boolean;
}

/**
 * Parses XML strictly (saxes checks well-formedness and says where it broke) into a small tree
 * and returns the document element. Chosen over DOM-building parsers for speed: a
 * 100,000-test report parses in well under a second.
 */
export function parseXml(input: string, what: string, options: XmlStreamOptions = {}): XmlNode {
  const start = /\S/.exec(input);
  if (!start || input[start.index] !== '<') {
    // The text is not quoted back: it may be any file, not ours to show.
    throw new InputError(`line ${input.slice(0, start?.index ?? 0).split('\n').length}: not XML (no element at the start); expected ${what}`);
  }
  const onClose = options.onClose;
  const document: XmlNode = { name: '#document', attributes: {}, children: [], text: '' };
  const stack: XmlNode[] = [document];
  let top = document;
  const parser = new SaxesParser({ xmlns: false, position: true });
  let failure: string | undefined;
  parser.on('error', (error) => {
    failure ??= error.message;
  });
  parser.on('opentag', (tag) => {
    if (stack.length > MAX_XML_DEPTH) throw new Error(`${parser.line}:${parser.column}: elements nested deeper than ${MAX_XML_DEPTH} levels`);
    const node: XmlNode = { name: tag.name, attributes: tag.attributes as Record<string, string>, children: [], text: '' };
    top.children.push(node);
    stack.push(node);
    top = node;
  });
  parser.on('closetag', () => {
    const closed = stack.pop()!;
    top = stack[stack.length - 1]!;
    // Consumed elements leave the tree at once, so a 100,000-test report never lives in memory whole.
    if (onClose?.(closed, top)) top.children.pop();
  });
  const addText = (value: string) => {
    if (top !== document) top.text += value;
  };
  parser.on('text', addText);
  parser.on('cdata', addText);
  try {
    parser.write(input).close();
  } catch (error) {
    failure ??= (error as Error).message;
  }
  if (failure !== undefined) {
    // saxes messages start with "line:column: "
    const m = /^(\d+):(\d+): (.*)$/s.exec(failure);
    throw new InputError(m ? `line ${m[1]}: not well-formed XML (${m[3]}); expected ${what}` : `not well-formed XML (${failure}); expected ${what}`);
  }
  const root = document.children[0];
  if (!root) throw new InputError(`no XML element found; expected ${what}`);
  return root;
}

export function attr(node: XmlNode, name: string): string | undefined {
  return node.attributes[name];
}

export function children(node: XmlNode, tag: string): XmlNode[] {
  return node.children.filter((c) => c.name === tag);
}

export function child(node: XmlNode | undefined, tag: string): XmlNode | undefined {
  return node?.children.find((c) => c.name === tag);
}

export function text(node: XmlNode | undefined): string {
  return node?.text ?? '';
}

/** The root element's name, from the first bytes only (format detection). */
export function rootElement(textContent: string): string | undefined {
  const m = /<([A-Za-z_][\w.-]*)[\s>/]/.exec(textContent.replace(/<\?[^?]*\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>]*>/g, ''));
  return m?.[1];
}
