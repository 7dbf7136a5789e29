/**
 * Distinguished names: build from text, format for people, compare for path building.
 *
 * Text form is RFC 4514 order (most specific RDN first: "CN=…, O=…, C=CN"), which is what CA
 * consoles and SVS getCertInfo calls print. `rdns` arrays are in encoding order (C first).
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509';
import { OID } from './oids';

export interface DnAttribute {
  /** Short name (CN, O, …) when known, else the dotted OID. */
  type: string;
  oid: string;
  value: string;
}
export type Rdn = DnAttribute[];

export interface DistinguishedName {
  /** RFC 4514-style text, most specific first, ", " separated. */
  text: string;
  /** Encoding order (most general first). */
  rdns: Rdn[];
  /** The exact DER of the Name as it appeared (what OCSP hashes and what issuer matching compares first). */
  der: Buffer;
}

/** Text ("CN=a, O=b, C=CN", RFC 4514 order) or [type, value] pairs in encoding order. */
export type DnInput = string | Array<[string, string]>;

const SHORT: Record<string, string> = {
  CN: OID.commonName,
  SN: OID.surname,
  SERIALNUMBER: OID.serialNumber,
  C: OID.countryName,
  L: OID.localityName,
  ST: OID.stateOrProvinceName,
  STREET: OID.streetAddress,
  O: OID.organizationName,
  OU: OID.organizationalUnitName,
  T: OID.title,
  TITLE: OID.title,
  GN: OID.givenName,
  E: OID.emailAddress,
  EMAILADDRESS: OID.emailAddress,
  DC: OID.domainComponent,
  UID: OID.userId,
};
const NAME_OF: Record<string, string> = {};
for (const [k, v] of Object.entries(SHORT)) if (!NAME_OF[v]) NAME_OF[v] = k;

/** Country and serial number must be PrintableString; e-mail and DC are IA5; the rest UTF8 (RFC 5280 §4.1.2.6). */
function attributeValue(oid: string, value: string): AttributeValue {
  if (oid === OID.countryName || oid === OID.serialNumber) {
    if (!/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value)) throw new Error(`${NAME_OF[oid]} must be PrintableString: ${value}`);
    return new AttributeValue({ printableString: value });
  }
  if (oid === OID.emailAddress || oid === OID.domainComponent) return new AttributeValue({ ia5String: value });
  return new AttributeValue({ utf8String: value });
}

function typeOid(t: string): string {
  const k = t.trim();
  if (/^\d+(\.\d+)+$/.test(k)) return k;
  const oid = SHORT[k.toUpperCase()];
  if (!oid) throw new Error(`unknown DN attribute type ${t}`);
  return oid;
}

/** Splits RFC 4514 text on unescaped commas, then on the first unescaped '='. */
function parseDnText(text: string): Array<[string, string]> {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\' && i + 1 < text.length) {
      cur += ch + text[++i];
    } else if (ch === ',' || ch === ';') {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) parts.push(cur);
  const pairs = parts.map((p): [string, string] => {
    const eq = p.search(/(?<!\\)=/);
    if (eq < 0) throw new Error(`DN component without '=': ${p}`);
    const value = p.slice(eq + 1).trim().replace(/\\(.)/g, '$1');
    return [p.slice(0, eq).trim(), value];
  });
  return pairs.reverse();
}

export function buildName(input: DnInput): Name {
  const pairs = typeof input === 'string' ? parseDnText(input) : input;
  if (!pairs.length) throw new Error('empty distinguished name');
  return new Name(
    pairs.map(([t, v]) => {
      const oid = typeOid(t);
      return new RelativeDistinguishedName([new AttributeTypeAndValue({ type: oid, value: attributeValue(oid, v) })]);
    }),
  );
}

export function nameDer(input: DnInput): Buffer {
  return Buffer.from(AsnConvert.serialize(buildName(input)));
}

function escapeValue(v: string): string {
  return v.replace(/([,+"\\<>;=])/g, '\\$1').replace(/^([ #])/, '\\$1').replace(/ $/, '\\ ');
}

function valueString(v: AttributeValue): string {
  const s = v.utf8String ?? v.printableString ?? v.ia5String ?? v.bmpString ?? v.universalString ?? v.teletexString;
  if (s !== undefined) return s;
  return v.anyValue ? '#' + Buffer.from(v.anyValue).toString('hex') : '';
}

export function describeName(name: Name, der: Buffer): DistinguishedName {
  // Array.from, not name.map: AsnArray.map would build another Name (array species).
  const rdns: Rdn[] = Array.from(name, (rdn) =>
    Array.from(rdn, (atv) => ({ type: NAME_OF[atv.type] ?? atv.type, oid: atv.type, value: valueString(atv.value) })),
  );
  const text = [...rdns]
    .reverse()
    .map((rdn) => rdn.map((a) => `${a.type}=${escapeValue(a.value)}`).join('+'))
    .join(', ');
  return { text, rdns, der };
}

/** Lower-cased, whitespace-collapsed string form used when the DER bytes differ (e.g. PrintableString vs UTF8String). */
function canonical(dn: DistinguishedName): string {
  return dn.rdns
    .map((rdn) =>
      rdn
        .map((a) => `${a.oid}=${a.value.trim().replace(/\s+/g, ' ').toLowerCase()}`)
        .sort()
        .join('+'),
    )
    .join(',');
}

/** RFC 5280 §7.1 name matching, simplified: byte-equal, or equal after case folding and space collapsing. */
export function sameName(a: DistinguishedName, b: DistinguishedName): boolean {
  return a.der.equals(b.der) || canonical(a) === canonical(b);
}
