import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { InputError } from '../model/errors.js';

export type XmlNode = Record<string, unknown>;

const ARRAY_TAGS = new Set(['testsuite', 'testcase', 'failure', 'error', 'skipped', 'TestCase', 'Group', 'Expression', 'Section', 'Exception', 'FatalErrorCondition', 'Failure', 'Skip']);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  textNodeName: '#text',
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  htmlEntities: true,
  isArray: (name) => ARRAY_TAGS.has(name),
});

/** Parses XML, refusing what is not well-formed with the line and reason. */
export function parseXml(text: string, what: string): XmlNode {
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw new InputError(`line ${valid.err.line}: not well-formed XML (${valid.err.msg}); expected ${what}`);
  }
  try {
    return parser.parse(text) as XmlNode;
  } catch (error) {
    throw new InputError(`not well-formed XML (${(error as Error).message}); expected ${what}`);
  }
}

export function attr(node: XmlNode, name: string): string | undefined {
  const value = node[`@${name}`];
  return typeof value === 'string' ? value : undefined;
}

export function children(node: XmlNode, tag: string): XmlNode[] {
  const value = node[tag];
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((item) => (typeof item === 'object' && item !== null ? (item as XmlNode) : { '#text': String(item) }));
}

export function child(node: XmlNode, tag: string): XmlNode | undefined {
  return children(node, tag)[0];
}

export function text(node: XmlNode | undefined): string {
  if (!node) return '';
  const value = node['#text'];
  return typeof value === 'string' ? value : '';
}

/** The root element's name, without parsing the whole document. */
export function rootElement(textContent: string): string | undefined {
  const m = /<([A-Za-z_][\w.-]*)[\s>/]/.exec(textContent.replace(/<\?[^?]*\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>]*>/g, ''));
  return m?.[1];
}
