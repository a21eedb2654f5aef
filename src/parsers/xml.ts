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
 * 100,000-test report parses in well under a second. The input may come in pieces (a file read as
 * it is parsed): with `onClose` consuming elements, memory stays small whatever the size.
 */
export function parseXml(input: string | Iterable<string>, what: string, options: XmlStreamOptions = {}): XmlNode {
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
    // The white space between child elements is layout: kept, the root of 100,000 tests would hold a string of 100,000 pieces.
    if (top !== document && (top.children.length === 0 || /\S/.test(value))) top.text += value;
  };
  parser.on('text', addText);
  parser.on('cdata', addText);
  const start = new StartCheck(what);
  try {
    for (const piece of typeof input === 'string' ? [input] : input) {
      start.check(piece);
      parser.write(piece);
      if (failure !== undefined) break;
    }
    start.check(undefined);
    if (failure === undefined) parser.close();
  } catch (error) {
    if (error instanceof InputError) throw error;
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

/** The text must start with an element, after any white space: anything else is not XML at all, said before saxes would. */
class StartCheck {
  private lines = 1;
  private done = false;
  constructor(private readonly what: string) {}

  /** Each piece in turn, then undefined at the end. */
  check(piece: string | undefined): void {
    if (this.done) return;
    const start = piece === undefined ? null : /\S/.exec(piece);
    if (piece !== undefined && !start) {
      this.lines += piece.split('\n').length - 1;
      return;
    }
    this.done = true;
    if (start && piece![start.index] === '<') return;
    // The text is not quoted back: it may be any file, not ours to show.
    const before = start ? piece!.slice(0, start.index).split('\n').length - 1 : 0;
    throw new InputError(`line ${this.lines + before}: not XML (no element at the start); expected ${this.what}`);
  }
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
